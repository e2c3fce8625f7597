"""The OpenVINO GenAI engine: the default local engine (LLM_ENGINE=openvino).

Same public interface as `inference.engine.BatchedEngine` (`stream`, `chat_prompt_ids`,
`count_tokens`, `active_requests`, `max_context`, `model_name`), so the backends, the
OpenAI-compatible server and the benches use either without knowing which.

Why OpenVINO GenAI's ContinuousBatchingPipeline (bench/engines.py, README "Inference service"):
on this 2-core CPU it decoded 4-5x faster than the transformers loop on the same packaged
weights, and it brings what a shared service needs and the loop lacks: a paged KV cache with
prefix caching (the system prompt, a course's instructions and a lesson's passages are computed
once for everyone who asks about them) and dynamic split-fuse (a long prompt is prefilled in
chunks between decoding steps instead of stalling every running stream). It loads the packaged
GGUF's 4-bit weights as they are (no torch in the serving process) after a one-off conversion
to OpenVINO IR cached under var/models/.

One background thread owns the pipeline: it adds waiting requests, runs `step()` (which releases
the GIL while the model computes), and hands each request's new text to its asyncio queue.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import queue
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inference.engine import EngineError, StreamStats, generation_budget, queued_stream

logger = logging.getLogger(__name__)

# Prompt tokens the CPU plugin stores per KV-cache block: prefix caching reuses whole blocks only.
KV_BLOCK_TOKENS = 32


# LLM_REPETITION_PENALTY mapped onto OpenVINO's presence penalty (see OpenVINOEngine._config).
PRESENCE_PER_PENALTY = 10.0


@dataclass(eq=False)
class _Request:
    prompt_ids: list[int]
    max_new_tokens: int
    temperature: float
    top_p: float
    loop: asyncio.AbstractEventLoop
    out: asyncio.Queue[tuple[str, Any]]
    generated: list[int] = field(default_factory=list)
    emitted_text: str = ""
    cancelled: bool = False
    prefilled: bool = False
    handle: Any = None

    def push(self, kind: str, value: Any) -> None:
        self.loop.call_soon_threadsafe(self.out.put_nowait, (kind, value))


@dataclass(frozen=True)
class PrefixCacheStats:
    """How much prompt work the prefix cache saved, since the engine started.

    OpenVINO GenAI exposes KV-cache usage but not hits, so hits are counted here: a prompt's
    leading whole blocks that an earlier prompt (still among the last few hundred) shared.
    Blocks evicted under memory pressure would make this an overestimate; with the cache size
    chosen below (room for ~130 full-length prompts) that needs far more traffic than this
    model serves at once.
    """

    prompt_tokens: int
    cached_tokens: int

    @property
    def hit_rate(self) -> float:
        return self.cached_tokens / self.prompt_tokens if self.prompt_tokens else 0.0


class _PrefixTracker:
    def __init__(self, capacity: int = 256) -> None:
        self.recent: OrderedDict[tuple[int, ...], None] = OrderedDict()
        self.capacity = capacity
        self.prompt_tokens = 0
        self.cached_tokens = 0

    def observe(self, prompt_ids: list[int]) -> None:
        best = 0
        for earlier in self.recent:
            shared = 0
            for a, b in zip(earlier, prompt_ids, strict=False):
                if a != b:
                    break
                shared += 1
            best = max(best, shared)
        # The last prompt token is always computed (its logits start generation).
        cached = min(best, len(prompt_ids) - 1) // KV_BLOCK_TOKENS * KV_BLOCK_TOKENS
        self.prompt_tokens += len(prompt_ids)
        self.cached_tokens += cached
        key = tuple(prompt_ids)
        self.recent[key] = None
        self.recent.move_to_end(key)
        while len(self.recent) > self.capacity:
            self.recent.popitem(last=False)


class OpenVINOEngine:
    def __init__(
        self,
        model_dir: str,
        *,
        max_batch: int = 16,
        repetition_penalty: float = 1.0,
        prefix_caching: bool = True,
        cache_gib: float = 1.0,
        max_batched_tokens: int = 256,
        max_context: int = 8192,
        compile_cache_dir: str = "",
        precision: str = "",
    ) -> None:
        try:
            import openvino_genai as genai
        except ImportError as exc:
            raise EngineError(
                "LLM_ENGINE=openvino needs the openvino-genai package: run `make install`, "
                "or set LLM_ENGINE=transformers."
            ) from exc
        self.genai = genai
        scheduler = genai.SchedulerConfig()
        scheduler.max_num_seqs = max_batch
        scheduler.enable_prefix_caching = prefix_caching
        # Chunked prefill: each step processes at most this many tokens, decoding rows first, so
        # a newcomer's 1,000-token prompt costs running streams a few short pauses, not one long.
        scheduler.dynamic_split_fuse = True
        scheduler.max_num_batched_tokens = max_batched_tokens
        # KV cache of this model: 30 layers x 3 KV heads x 64 dims x 2 (K and V) x 2 bytes
        # (bf16/f16) = 23 KB a token; 1 GiB holds ~46k tokens, i.e. 16 streams at full 2k
        # prompts plus the prefix cache of the last ~25 distinct contexts.
        scheduler.cache_size = max(1, round(cache_gib))
        properties: dict[str, Any] = {}
        if precision == "f32":
            # Exact arithmetic, as the transformers engine in float32 (tests compare them). The
            # defaults trade a little exactness for speed: bf16 matrix products where the CPU has
            # them, an 8-bit KV cache, and activations quantised to int8 against the 4-bit weights.
            properties["INFERENCE_PRECISION_HINT"] = "f32"
            properties["KV_CACHE_PRECISION"] = "f32"
            properties["DYNAMIC_QUANTIZATION_GROUP_SIZE"] = "0"
        if compile_cache_dir:
            properties["CACHE_DIR"] = compile_cache_dir  # compiled blobs: later loads skip it
        try:
            self.pipeline = genai.ContinuousBatchingPipeline(
                str(model_dir), scheduler, "CPU", properties
            )
        except RuntimeError as exc:
            raise EngineError(f"OpenVINO could not load the model in {model_dir}: {exc}") from exc
        self.tokenizer = self.pipeline.get_tokenizer()
        self.model_name = Path(str(model_dir).rstrip("/")).name
        self.max_batch = max_batch
        self.repetition_penalty = repetition_penalty
        self.max_context = max_context
        self.dtype = "openvino"
        self.stop_ids = {int(self.tokenizer.get_eos_token_id())}
        im_end = self._encode("<|im_end|>")
        if len(im_end) == 1:
            self.stop_ids.add(im_end[0])
        self.prefix = _PrefixTracker()
        self.prefix_caching = prefix_caching
        self._ids = itertools.count()
        self._incoming: queue.Queue[_Request] = queue.Queue()
        self.active_requests = 0
        self._thread = threading.Thread(target=self._run, name="llm-openvino", daemon=True)
        self._thread.start()

    # --- public, called from any event loop ------------------------------------------------------

    def _encode(self, text: str) -> list[int]:
        encoded = self.tokenizer.encode(text, add_special_tokens=False)
        return [int(i) for i in encoded.input_ids.data[0]]

    def chat_prompt_ids(self, messages: list[dict[str, str]]) -> list[int]:
        history = self.genai.ChatHistory(messages)
        text = self.tokenizer.apply_chat_template(history, add_generation_prompt=True)
        return self._encode(text)

    def count_tokens(self, text: str) -> int:
        return len(self._encode(text))

    def prefix_cache_stats(self) -> PrefixCacheStats:
        if not self.prefix_caching:
            return PrefixCacheStats(self.prefix.prompt_tokens, 0)
        return PrefixCacheStats(self.prefix.prompt_tokens, self.prefix.cached_tokens)

    async def stream(
        self,
        prompt_ids: list[int],
        *,
        max_new_tokens: int,
        temperature: float = 0.0,
        top_p: float = 1.0,
    ) -> AsyncIterator[str | StreamStats]:
        """Yield text pieces as they are generated, then one StreamStats. Cancel by closing."""
        budget = generation_budget(prompt_ids, max_context=self.max_context)
        request = _Request(
            prompt_ids=prompt_ids,
            max_new_tokens=min(max_new_tokens, budget),
            temperature=max(0.0, temperature),
            top_p=min(max(top_p, 0.01), 1.0),
            loop=asyncio.get_running_loop(),
            out=asyncio.Queue(),
        )
        self._incoming.put(request)
        try:
            async for item in queued_stream(request.out):
                yield item
        finally:
            # The consumer stopped listening (finished, disconnected, or cancelled): free the row.
            request.cancelled = True

    # --- the engine thread ------------------------------------------------------------------------

    def _config(self, request: _Request) -> Any:
        config = self.genai.GenerationConfig()
        config.max_new_tokens = request.max_new_tokens
        config.stop_token_ids = set(self.stop_ids)
        config.eos_token_id = int(self.tokenizer.get_eos_token_id())
        # OpenVINO's repetition_penalty also counts the prompt's tokens: it steered the model away
        # from the words of the passages and the layout it was asked to follow (drafted questions
        # lost their QUESTION/ANSWER lines). Its presence penalty counts only generated tokens,
        # like the transformers engine's penalty; the same setting is mapped onto it (1.2 -> 2.0
        # off a repeated token's logit, about what dividing a typical logit by 1.2 takes).
        if self.repetition_penalty != 1.0:
            config.presence_penalty = (self.repetition_penalty - 1.0) * PRESENCE_PER_PENALTY
        if request.temperature > 1e-5:
            config.do_sample = True
            config.temperature = request.temperature
            config.top_p = request.top_p
            config.rng_seed = int(time.time_ns() % 2**31)
        return config

    def _run(self) -> None:
        import numpy as np
        import openvino

        running: list[_Request] = []
        held: list[_Request] = []
        while True:
            try:
                waiting = held + self._take_waiting(block=not running and not held)
                held = []
                for request in waiting:
                    if request.cancelled:
                        request.push("done", StreamStats(len(request.prompt_ids), 0, "cancelled"))
                        continue
                    if self._shares_prefill(request, running):
                        # The cache only reuses blocks that are computed: eight students asking
                        # about one lesson at once would each prefill its passages. Holding the
                        # others until the first one's prompt is in makes them cache hits.
                        held.append(request)
                        continue
                    self.prefix.observe(request.prompt_ids)
                    ids = openvino.Tensor(np.array([request.prompt_ids], dtype=np.int64))
                    request.handle = self.pipeline.add_request(
                        next(self._ids), ids, self._config(request)
                    )
                    running.append(request)
                if running:
                    self.pipeline.step()
                    running = [r for r in running if self._collect(r)]
                self.active_requests = len(running)
            except Exception as error:
                logger.exception("generation step failed")
                for request in running:
                    request.push("error", f"Generation failed: {error}")
                    if request.handle is not None:
                        request.handle.cancel()
                running = []
                self.active_requests = 0

    def _shares_prefill(self, request: _Request, running: list[_Request]) -> bool:
        if not self.prefix_caching:
            return False
        for other in running:
            if other.prefilled:
                continue
            shared = 0
            for a, b in zip(other.prompt_ids, request.prompt_ids, strict=False):
                if a != b:
                    break
                shared += 1
            if shared >= 2 * KV_BLOCK_TOKENS:
                return True
        return False

    def _take_waiting(self, *, block: bool) -> list[_Request]:
        waiting: list[_Request] = []
        if block:
            waiting.append(self._incoming.get())
        while True:
            try:
                waiting.append(self._incoming.get_nowait())
            except queue.Empty:
                return waiting

    def _collect(self, request: _Request) -> bool:
        """Forward the request's new tokens; False once it has finished (and was answered)."""
        genai = self.genai
        if request.cancelled:
            request.handle.cancel()  # frees its KV blocks; the shared prefix stays cached
            request.push(
                "done", StreamStats(len(request.prompt_ids), len(request.generated), "cancelled")
            )
            return False
        finish = None
        if request.handle.can_read():
            request.prefilled = True
            for output in request.handle.read().values():
                request.generated.extend(t for t in output.generated_ids if t not in self.stop_ids)
                if output.finish_reason == genai.GenerationFinishReason.STOP:
                    finish = "stop"
                elif output.finish_reason == genai.GenerationFinishReason.LENGTH:
                    finish = "length"
            self._emit(request)
        status = request.handle.get_status()
        if status != genai.GenerationStatus.RUNNING:
            request.prefilled = True
        if finish is None and status == genai.GenerationStatus.RUNNING:
            return True
        if finish is None:
            if status == genai.GenerationStatus.IGNORED:
                request.push("error", "The model server is out of memory for this prompt.")
                return False
            finish = "length" if len(request.generated) >= request.max_new_tokens else "stop"
        request.push("done", StreamStats(len(request.prompt_ids), len(request.generated), finish))
        return False

    def _emit(self, request: _Request) -> None:
        text = str(self.tokenizer.decode(request.generated, skip_special_tokens=True))
        # A multi-byte character may still be incomplete; wait for the next token to finish it.
        if text.endswith("\ufffd"):
            return
        if len(text) > len(request.emitted_text):
            request.push("text", text[len(request.emitted_text) :])
            request.emitted_text = text
