"""Generation backends behind the facade in `inference.llm`.

`local`: the in-process engine (one per process, loaded on first use): OpenVINO GenAI by default
(`inference.ov_engine`), or the transformers loop (`inference.engine`), chosen by LLM_ENGINE.
`openai`: any OpenAI-compatible server (vLLM, Ollama, llama.cpp server, or `manage.py
serve_inference`), streamed over HTTP with server-sent events.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator
from typing import Any, Protocol

from django.conf import settings
from django.utils.translation import gettext as _

from inference.engine import BatchedEngine, EngineError, StreamStats
from inference.model_files import (
    ModelUnavailable,
    generation_model_dir,
    openvino_compile_cache_dir,
    openvino_max_context,
    openvino_model_dir,
)
from inference.scheduling import Priority, PriorityGate

# How the openai backend states its request's priority to a server that reads it
# (`serve_inference`); other servers ignore an unknown header.
PRIORITY_HEADER = "X-LLMasOS-Priority"


class InferenceError(RuntimeError):
    """Generation is not possible right now; the message is fit to show a user."""


class ContextLengthExceeded(InferenceError):
    """The prompt alone is longer than the model reads (a client error, not an outage)."""


class Backend(Protocol):
    name: str

    def stream(
        self,
        messages: list[dict[str, str]],
        *,
        max_tokens: int,
        temperature: float,
        top_p: float,
        priority: Priority = Priority.BACKGROUND,
    ) -> AsyncIterator[str | StreamStats]: ...


class LocalEngine(Protocol):
    """What both local engines offer (BatchedEngine and OpenVINOEngine)."""

    model_name: str
    max_context: int
    active_requests: int

    def chat_prompt_ids(self, messages: list[dict[str, str]]) -> list[int]: ...

    def count_tokens(self, text: str) -> int: ...

    def stream(
        self,
        prompt_ids: list[int],
        *,
        max_new_tokens: int,
        temperature: float = 0.0,
        top_p: float = 1.0,
    ) -> AsyncIterator[str | StreamStats]: ...


def load_engine(kind: str) -> LocalEngine:
    """A new local engine of the given kind on the configured model; slow (seconds)."""
    try:
        if kind == "openvino":
            from inference.ov_engine import OpenVINOEngine

            model_dir = openvino_model_dir()
            return OpenVINOEngine(
                str(model_dir),
                max_batch=settings.LLM_MAX_BATCH,
                repetition_penalty=settings.LLM_REPETITION_PENALTY,
                prefix_caching=settings.LLM_PREFIX_CACHING,
                cache_gib=settings.LLM_KV_CACHE_GIB,
                max_context=openvino_max_context(model_dir),
                compile_cache_dir=str(openvino_compile_cache_dir()),
            )
        if kind == "transformers":
            return BatchedEngine(
                str(generation_model_dir()),
                max_batch=settings.LLM_MAX_BATCH,
                dtype=settings.LLM_DTYPE,
                repetition_penalty=settings.LLM_REPETITION_PENALTY,
            )
    except (ModelUnavailable, EngineError) as exc:
        raise InferenceError(str(exc)) from exc
    raise InferenceError(f"LLM_ENGINE={kind!r}: use openvino or transformers.")


def prefix_cache_stats() -> dict[str, float] | None:
    """The local engine's prefix-cache figures, for a health or metrics endpoint; None when
    no engine with a prefix cache is loaded in this process."""
    engine = LocalBackend._engine
    stats = getattr(engine, "prefix_cache_stats", None)
    if stats is None:
        return None
    figures = stats()
    return {
        "prompt_tokens": figures.prompt_tokens,
        "cached_tokens": figures.cached_tokens,
        "hit_rate": round(figures.hit_rate, 4),
    }


class LocalBackend:
    name = "local"
    _engine: LocalEngine | None = None
    _lock = threading.Lock()
    # One gate per process, like the engine: every request to this engine passes it.
    gate = PriorityGate(
        background_slots=settings.LLM_BACKGROUND_SLOTS, max_wait=settings.LLM_BACKGROUND_MAX_WAIT
    )

    @classmethod
    def engine(cls) -> LocalEngine:
        if cls._engine is None:
            with cls._lock:
                if cls._engine is None:
                    cls._engine = load_engine(settings.LLM_ENGINE)
        return cls._engine

    @classmethod
    def loaded(cls) -> bool:
        return cls._engine is not None

    async def prompt_ids(self, messages: list[dict[str, str]]) -> list[int]:
        """The prompt's token ids; ContextLengthExceeded when the model cannot read it all."""
        # Loading the model takes seconds: off the event loop, so other sockets keep flowing.
        engine = self._engine
        if engine is None:
            engine = await asyncio.to_thread(self.engine)
        ids = engine.chat_prompt_ids(messages)
        limit = getattr(engine, "max_context", None)
        if isinstance(limit, int) and len(ids) >= limit:
            raise ContextLengthExceeded(
                f"This model's maximum context length is {limit} tokens; the messages are "
                f"{len(ids)} tokens. Shorten them."
            )
        return ids

    async def stream(
        self,
        messages: list[dict[str, str]],
        *,
        max_tokens: int,
        temperature: float,
        top_p: float,
        priority: Priority = Priority.BACKGROUND,
    ) -> AsyncIterator[str | StreamStats]:
        ids = await self.prompt_ids(messages)
        engine = self._engine
        assert engine is not None  # prompt_ids loaded it
        ticket = await self.gate.acquire(priority)
        try:
            first = True
            async for piece in engine.stream(
                ids, max_new_tokens=max_tokens, temperature=temperature, top_p=top_p
            ):
                if first:
                    first = False
                    self.gate.first_token(ticket)
                yield piece
        except EngineError as exc:
            raise InferenceError(str(exc)) from exc
        finally:
            # Also on cancellation (a client that went away): the slot goes to the next one.
            self.gate.release(ticket)


class OpenAIBackend:
    name = "openai"

    def __init__(
        self, base_url: str, *, api_key: str = "", model: str = "", timeout: float = 60
    ) -> None:
        if not base_url:
            raise InferenceError(
                "LLM_BACKEND=openai needs LLM_BASE_URL (e.g. http://127.0.0.1:8001/v1)."
            )
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.model = model
        self.timeout = timeout

    async def stream(
        self,
        messages: list[dict[str, str]],
        *,
        max_tokens: int,
        temperature: float,
        top_p: float,
        priority: Priority = Priority.BACKGROUND,
    ) -> AsyncIterator[str | StreamStats]:
        import httpx

        body = {
            "model": self.model,
            "messages": messages,
            "max_tokens": max_tokens,
            "temperature": temperature,
            "top_p": top_p,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        headers = {PRIORITY_HEADER: str(priority)}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        timeout = httpx.Timeout(self.timeout, connect=5)
        finish, usage = "stop", {"prompt_tokens": 0, "completion_tokens": 0}
        try:
            async with (
                httpx.AsyncClient(timeout=timeout) as client,
                client.stream(
                    "POST", f"{self.base_url}/chat/completions", json=body, headers=headers
                ) as response,
            ):
                if response.status_code != 200:
                    raise _server_error(response.status_code, await response.aread())
                async for line in response.aiter_lines():
                    if not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    if data == "[DONE]":
                        break
                    event: dict[str, Any] = json.loads(data)
                    if isinstance(event.get("error"), dict):  # failed after the stream began
                        raise InferenceError(
                            _("The model server failed: %(message)s")
                            % {"message": event["error"].get("message", "")}
                        )
                    usage = event.get("usage") or usage
                    for choice in event.get("choices", []):
                        text = (choice.get("delta") or {}).get("content")
                        if text:
                            yield text
                        finish = choice.get("finish_reason") or finish
        except httpx.TimeoutException as exc:
            raise InferenceError(
                _("The model server at %(url)s did not answer within %(seconds)s s.")
                % {"url": self.base_url, "seconds": f"{self.timeout:.0f}"}
            ) from exc
        except httpx.TransportError as exc:
            raise InferenceError(
                _("The model server at %(url)s cannot be reached (%(error)s). Is it running?")
                % {"url": self.base_url, "error": exc.__class__.__name__}
            ) from exc
        yield StreamStats(usage.get("prompt_tokens", 0), usage.get("completion_tokens", 0), finish)


def _server_error(status: int, body: bytes) -> InferenceError:
    detail = body.decode(errors="replace")[:300]
    try:
        error = json.loads(body).get("error") or {}
    except (ValueError, AttributeError):
        error = {}
    if isinstance(error, dict) and error.get("code") == "context_length_exceeded":
        return ContextLengthExceeded(str(error.get("message", detail)))
    return InferenceError(
        _("The model server answered %(status)s: %(detail)s") % {"status": status, "detail": detail}
    )


_backend: Backend | None = None


def get_backend() -> Backend:
    global _backend
    if _backend is None:
        if settings.LLM_BACKEND == "openai":
            _backend = OpenAIBackend(
                settings.LLM_BASE_URL,
                api_key=settings.LLM_API_KEY,
                model=settings.LLM_REMOTE_MODEL,
                timeout=settings.LLM_TIMEOUT,
            )
        elif settings.LLM_BACKEND == "local":
            _backend = LocalBackend()
        else:
            raise InferenceError(f"LLM_BACKEND={settings.LLM_BACKEND!r}: use local or openai.")
    return _backend


def reset_backend() -> None:
    """Forget the chosen backend (tests switch settings)."""
    global _backend
    _backend = None
