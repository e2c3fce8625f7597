"""The lab's view inside the packaged SmolLM2: tokens, next-token logits, attention, speed.

The serving engine returns text, not logits or attention weights, so the lab keeps its own
transformers copy of the same model, loaded on first use from the files `model_files` gives, with
eager attention (the fused kernels do not return weights). It is small (135M parameters, about
0.55 GB of float32 weights) and only loaded when a student opens an instrument.

Every computation runs on one dedicated worker thread (`lab_run`): the lab never takes the
serving engine's lock or joins its batch, and one student's attention map cannot start a second
forward pass beside another's, so at most one lab pass shares the CPU with the tutor. Inputs
are short (LAB_MAX_TOKENS), so a job takes a few hundred milliseconds and the queue stays short;
callers still wait with a timeout.

Apps do not call this module: they call `inference.lab_client.lab_call`, which may later send
the same request to the shared model process (`inference.lab_api`).
"""

from __future__ import annotations

import concurrent.futures
import functools
import math
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.utils.translation import gettext

from inference.model_files import ModelUnavailable, generation_model_dir

T = TypeVar("T")

# A thread of its own: lab jobs queue behind each other and never take the engine's lock.
_pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="lab")
_load_lock = threading.Lock()
_loaded: tuple[Any, Any] | None = None


class LabError(RuntimeError):
    """The lab cannot answer; the message is fit to show a user."""


def _model() -> tuple[Any, Any]:
    global _loaded
    if _loaded is None:
        with _load_lock:
            if _loaded is None:
                import torch
                from transformers import AutoModelForCausalLM, AutoTokenizer

                try:
                    path = generation_model_dir()
                except ModelUnavailable as exc:
                    raise LabError(str(exc)) from exc
                tokenizer = AutoTokenizer.from_pretrained(path)
                # float32, not the engine's bf16: the probabilities and attention weights a
                # student reads should not carry bf16 rounding (3 significant digits).
                model = AutoModelForCausalLM.from_pretrained(
                    path, dtype=torch.float32, attn_implementation="eager"
                ).eval()
                _loaded = (tokenizer, model)
    return _loaded


def lab_loaded() -> bool:
    return _loaded is not None


def lab_run(job: Callable[[], T], *, timeout: float = 30.0) -> T:
    """Run `job` on the lab's own thread and wait for it (raising LabError on timeout)."""

    def wrapped() -> T:
        import torch

        # No torch.set_num_threads here: it is process-wide and would throttle the engine too.
        with torch.inference_mode():
            return job()

    future = _pool.submit(wrapped)
    try:
        return future.result(timeout=timeout)
    except concurrent.futures.TimeoutError as exc:
        future.cancel()
        raise LabError(gettext("The lab is busy; try again in a moment.")) from exc


# --- Tokenizer ------------------------------------------------------------------------------


def _piece_text(tokenizer: Any, token_id: int) -> str:
    return str(tokenizer.decode([token_id], clean_up_tokenization_spaces=False))


def tokenize(text: str) -> list[dict[str, Any]]:
    """Each token of `text`: id, the byte-level piece (Ġ marks a space) and the text it stands for.

    A piece that is part of a multi-byte character decodes to "�" on its own; `bytes` shows
    the UTF-8 bytes it carries so a student sees why one Chinese character costs two tokens.
    """
    tokenizer, _ = _model()
    encoding = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    tokens = []
    for token_id, (start, end) in zip(
        encoding["input_ids"], encoding["offset_mapping"], strict=True
    ):
        piece = tokenizer.convert_ids_to_tokens(token_id)
        raw = _piece_bytes(piece)
        tokens.append(
            {
                "id": int(token_id),
                "piece": piece,
                "text": text[start:end] if end > start else _piece_text(tokenizer, token_id),
                "bytes": raw.hex(" "),
            }
        )
    return tokens


def _byte_decoder() -> dict[str, int]:
    # GPT-2's byte-to-unicode table, inverted: how a byte-level BPE piece spells raw bytes.
    visible = (
        list(range(ord("!"), ord("~") + 1))
        + list(range(ord("¡"), ord("¬") + 1))
        + list(range(ord("®"), ord("ÿ") + 1))
    )
    codes = visible[:]
    extra = 0
    for byte in range(256):
        if byte not in visible:
            visible.append(byte)
            codes.append(256 + extra)
            extra += 1
    return {chr(code): byte for byte, code in zip(visible, codes, strict=True)}


_BYTE_DECODER = _byte_decoder()


def _piece_bytes(piece: str) -> bytes:
    return bytes(_BYTE_DECODER.get(char, ord("?")) for char in piece)


def count_tokens(text: str) -> int:
    tokenizer, _ = _model()
    return len(tokenizer(text, add_special_tokens=False)["input_ids"])


# --- Next token -----------------------------------------------------------------------------


def next_token(prompt: str, *, top: int = 50) -> dict[str, Any]:
    """The `top` most likely next tokens after `prompt`, with their raw logits.

    The logits (not probabilities) go back so that the browser can redraw the distribution for
    any temperature, top-k and top-p without asking again. `rest_logsumexp` summarises every
    other token, so the probabilities shown at temperature 1 are the model's exact ones.
    """
    import torch

    tokenizer, model = _model()
    ids = tokenizer(prompt, add_special_tokens=False, return_tensors="pt")["input_ids"]
    if ids.shape[1] == 0:
        raise LabError(gettext("Type a prompt first."))
    # Only the last position's logits: the 49k-word output layer is a third of the work.
    logits = model(input_ids=ids, logits_to_keep=1).logits[0, -1].float()
    values, indices = torch.topk(logits, k=min(top, logits.shape[0]))
    mask = torch.ones_like(logits, dtype=torch.bool)
    mask[indices] = False
    rest = float(torch.logsumexp(logits[mask], dim=0)) if bool(mask.any()) else -math.inf
    total = float(torch.logsumexp(logits, dim=0))
    return {
        "prompt_tokens": int(ids.shape[1]),
        "candidates": [
            {
                "id": int(i),
                "text": _piece_text(tokenizer, int(i)),
                "logit": round(float(v), 4),
                "probability": float(math.exp(float(v) - total)),
            }
            for v, i in zip(values, indices, strict=True)
        ],
        "rest_logsumexp": rest,
    }


def token_probabilities(prompt: str, continuations: list[str]) -> list[float]:
    """P(the first token of each continuation | prompt), from one forward pass: what an
    exercise compares."""
    import torch

    tokenizer, model = _model()
    ids = tokenizer(prompt, add_special_tokens=False, return_tensors="pt")["input_ids"]
    targets = [tokenizer(c, add_special_tokens=False)["input_ids"] for c in continuations]
    if ids.shape[1] == 0 or not all(targets):
        raise LabError(gettext("Type a prompt first."))
    logits = model(input_ids=ids, logits_to_keep=1).logits[0, -1].float()
    probabilities = torch.softmax(logits, dim=0)
    return [float(probabilities[target[0]]) for target in targets]


def sample(
    prompt: str, *, count: int, max_new_tokens: int, temperature: float, top_k: int, top_p: float
) -> list[str]:
    """`count` continuations with the given settings, decoded together.

    The prompt is run once and its KV cache copied to every row: `generate` on a batch of 20
    identical prompts would prefill 20 times (14 s instead of about 1 s on the 2-core machine).
    """
    import torch

    tokenizer, model = _model()
    ids = tokenizer(prompt, add_special_tokens=False, return_tensors="pt")["input_ids"]
    if ids.shape[1] == 0:
        raise LabError(gettext("Type a prompt first."))
    output = model(input_ids=ids, use_cache=True, logits_to_keep=1)
    cache = output.past_key_values
    cache.batch_repeat_interleave(count)
    logits = output.logits[:, -1].float().repeat(count, 1)
    rows: list[list[int]] = [[] for _ in range(count)]
    done = torch.zeros(count, dtype=torch.bool)
    for _ in range(max_new_tokens):
        chosen = _pick(logits, temperature=temperature, top_k=top_k, top_p=top_p)
        for row, token in zip(rows, chosen.tolist(), strict=True):
            row.append(token)
        done |= chosen == tokenizer.eos_token_id
        if bool(done.all()):
            break
        output = model(input_ids=chosen[:, None], past_key_values=cache, use_cache=True)
        cache, logits = output.past_key_values, output.logits[:, -1].float()
    return [str(tokenizer.decode(row, skip_special_tokens=True)) for row in rows]


def _pick(logits: Any, *, temperature: float, top_k: int, top_p: float) -> Any:
    """One token per row: greedy at temperature 0, else sampled after the top-k/top-p cut
    (the same rule the next-token page's sliders draw)."""
    import torch

    if temperature <= 0:
        return logits.argmax(dim=-1)
    scaled = logits / temperature
    if top_k:
        kth = torch.topk(scaled, k=min(top_k, scaled.shape[-1]), dim=-1).values[:, -1:]
        scaled = scaled.masked_fill(scaled < kth, -math.inf)
    if top_p < 1:
        ordered, order = torch.sort(scaled, descending=True, dim=-1)
        probabilities = torch.softmax(ordered, dim=-1)
        before = probabilities.cumsum(dim=-1) - probabilities  # mass of the better tokens
        ordered = ordered.masked_fill(before >= top_p, -math.inf)
        scaled = torch.full_like(scaled, -math.inf).scatter(-1, order, ordered)
    return torch.multinomial(torch.softmax(scaled, dim=-1), num_samples=1)[:, 0]


# --- Attention ------------------------------------------------------------------------------


@functools.cache
def _config() -> Any:
    from transformers import AutoConfig

    try:
        return AutoConfig.from_pretrained(generation_model_dir())
    except ModelUnavailable as exc:
        raise LabError(str(exc)) from exc


def model_shape() -> dict[str, int]:
    """Layers and heads, from the configuration: the attention page's form needs no weights."""
    config = _config()
    return {
        "layers": int(config.num_hidden_layers),
        "heads": int(config.num_attention_heads),
    }


def attention(text: str, *, layer: int, head: int | None) -> dict[str, Any]:
    """The attention weights of one layer: one head's, or (head None) the mean over its heads.

    Row i says how much token i draws from each earlier token; rows sum to 1.
    """
    tokenizer, model = _model()
    shape = model_shape()
    if not 0 <= layer < shape["layers"]:
        raise LabError(f"Choose a layer from 0 to {shape['layers'] - 1}.")
    if head is not None and not 0 <= head < shape["heads"]:
        raise LabError(f"Choose a head from 0 to {shape['heads'] - 1}.")
    ids = tokenizer(text, add_special_tokens=False, return_tensors="pt")["input_ids"]
    if ids.shape[1] == 0:
        raise LabError(gettext("Type a sentence first."))
    # The decoder stack alone: attention needs no output layer.
    output = model.model(input_ids=ids, output_attentions=True)
    weights = output.attentions[layer][0]  # (heads, n, n)
    matrix = weights.mean(dim=0) if head is None else weights[head]
    return {
        **shape,
        "layer": layer,
        "head": head,
        "tokens": [_piece_text(tokenizer, int(i)) for i in ids[0]],
        "weights": [[round(float(x), 4) for x in row] for row in matrix],
    }


# --- Speed ----------------------------------------------------------------------------------


def _generate_timed(model: Any, ids: Any, *, new_tokens: int, use_cache: bool) -> float:
    import torch

    start = time.perf_counter()
    model.generate(
        input_ids=ids,
        attention_mask=torch.ones_like(ids),
        max_new_tokens=new_tokens,
        min_new_tokens=new_tokens,
        do_sample=False,
        use_cache=use_cache,
        pad_token_id=0,
    )
    return time.perf_counter() - start


def speed(*, new_tokens: int, prompt_lengths: list[int]) -> dict[str, Any]:
    """Measured now, on this machine: tokens/s with and without the KV cache, a batch of 1 vs 8,
    and time to first token (one forward pass over the prompt) for each prompt length."""
    import torch

    tokenizer, model = _model()
    base = tokenizer(
        "The quick brown fox jumps over the lazy dog. " * 40, add_special_tokens=False
    )["input_ids"]
    prompt = torch.tensor([base[:16]])
    cached = _generate_timed(model, prompt, new_tokens=new_tokens, use_cache=True)
    uncached = _generate_timed(model, prompt, new_tokens=new_tokens, use_cache=False)
    batched = _generate_timed(model, prompt.repeat(8, 1), new_tokens=new_tokens, use_cache=True)
    ttft = []
    for length in prompt_lengths:
        ids = torch.tensor([(base * (1 + length // len(base)))[:length]])
        start = time.perf_counter()
        model(input_ids=ids)
        ttft.append({"prompt_tokens": length, "seconds": time.perf_counter() - start})
    return {
        "new_tokens": new_tokens,
        "with_cache_tokens_per_second": new_tokens / cached,
        "without_cache_tokens_per_second": new_tokens / uncached,
        "batch_1_tokens_per_second": new_tokens / cached,
        "batch_8_tokens_per_second": 8 * new_tokens / batched,
        "time_to_first_token": ttft,
        "parameters": int(sum(p.numel() for p in model.parameters())),
        "kv_cache_bytes_per_token": _kv_bytes_per_token(model),
    }


def _kv_bytes_per_token(model: Any) -> int:
    # Keys and values, per layer, per KV head: the lesson's arithmetic with this model's numbers.
    config = model.config
    kv_heads = int(getattr(config, "num_key_value_heads", config.num_attention_heads))
    head_dim = int(config.hidden_size // config.num_attention_heads)
    return 2 * int(config.num_hidden_layers) * kv_heads * head_dim * 4  # float32


def _embed(texts: list[str]) -> list[list[float]]:
    # The tutor's retrieval embedder (inference.embeddings), so students see its geometry.
    from inference.embeddings import embed_texts

    return [[round(float(x), 6) for x in row] for row in embed_texts(texts)]


# --- The operations the client and the service expose -----------------------------------------

OPERATIONS: dict[str, Callable[..., dict[str, Any]]] = {
    "tokenize": lambda *, text: {"tokens": tokenize(text)},
    "count_tokens": lambda *, text: {"count": count_tokens(text)},
    "next_token": lambda *, prompt, top=50: next_token(prompt, top=top),
    "token_probabilities": lambda *, prompt, continuations: {
        "probabilities": token_probabilities(prompt, continuations)
    },
    "sample": lambda **options: {"samples": sample(**options)},
    "attention": lambda *, text, layer, head=None: attention(text, layer=layer, head=head),
    "model_shape": lambda: model_shape(),
    "embed": lambda *, texts: {"vectors": _embed(texts)},
    "speed": lambda *, new_tokens, prompt_lengths: speed(
        new_tokens=new_tokens, prompt_lengths=prompt_lengths
    ),
}


# Seconds a caller waits for a job, queue included. Sampling 20 rows and the speed measurement
# generate tokens: seconds normally, much longer when other work loads the machine.
TIMEOUTS = {"sample": 120.0, "speed": 300.0}


def lab_operate(operation: str, params: dict[str, Any], *, timeout: float = 30.0) -> dict[str, Any]:
    """Run one named operation on the lab thread. LabError for an unknown one or bad params."""
    function = OPERATIONS.get(operation)
    if function is None:
        raise LabError(f"Unknown lab operation {operation!r}.")
    if operation == "model_shape":
        return function()  # reads a file; no need to queue behind forward passes
    if operation != "embed":
        # Loading takes seconds (more on a busy machine): it must not count against `timeout`,
        # which is there for a queue of short jobs.
        _model()
    try:
        return lab_run(lambda: function(**params), timeout=TIMEOUTS.get(operation, timeout))
    except TypeError as exc:
        raise LabError(f"Wrong parameters for {operation}: {exc}") from exc
