"""The local engine as an OpenAI-compatible HTTP API (`manage.py serve_inference`).

    GET  /v1/health             200 once the model is loaded, 503 before (the supervisor waits)
    GET  /v1/models
    POST /v1/chat/completions   {model, messages, max_tokens, temperature, top_p, n, stream}
    POST /v1/embeddings         {input: str | [str]}

Only mounted when INFERENCE_SERVER is on (the serve_inference command turns it on), so the web
app never exposes a free model endpoint by accident. With INFERENCE_API_KEY set, requests need
`Authorization: Bearer <key>`. Errors have OpenAI's shape and status codes (400 bad parameters
and `context_length_exceeded`, 401 key, 404 unknown model, 503 our outage), so the official
client raises its usual exception classes. A request states its priority in the
X-LLMasOS-Priority header (interactive | background; anything else is background): the
priority gate in front of the engine (inference/scheduling.py) serves students first.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import threading
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.views.decorators.csrf import csrf_exempt

from inference.backends import (
    PRIORITY_HEADER,
    ContextLengthExceeded,
    InferenceError,
    LocalBackend,
)
from inference.engine import StreamStats
from inference.scheduling import Priority

log = logging.getLogger(__name__)
MAX_BODY = 1_000_000
# Why the model failed to load at start-up, for /v1/health.
load_problem: str = ""


def start_loading() -> threading.Thread:
    """Load the generation model now, in a thread, and run one token through it (the first
    step pays one-off costs): the server answers /v1/health ("loading") meanwhile, and says
    "ready" only after. serve_inference's ASGI module calls this at import."""

    def load() -> None:
        global load_problem
        try:
            backend = LocalBackend()
            backend.engine()

            async def first_token() -> None:
                async for _ in backend.stream(
                    [{"role": "user", "content": "Hi"}], max_tokens=1, temperature=0, top_p=1
                ):
                    pass

            asyncio.run(first_token())
        except Exception as error:  # shown by /v1/health and by the supervisor
            load_problem = f"{error.__class__.__name__}: {error}"
            LocalBackend._engine = None
            log.exception("Loading the generation model failed")

    thread = threading.Thread(target=load, name="llm-load", daemon=True)
    thread.start()
    return thread


def _error(
    message: str,
    status: int,
    kind: str = "invalid_request_error",
    *,
    code: str | None = None,
    param: str | None = None,
) -> JsonResponse:
    return JsonResponse(
        {"error": {"message": message, "type": kind, "param": param, "code": code}},
        status=status,
    )


@csrf_exempt
async def health(request: HttpRequest) -> HttpResponse:
    """Ready only once the generation model is in memory: `make run` starts the web and the
    workers after this answers 200, so the first student never waits for a load."""
    if request.method != "GET":
        return _error("Use GET.", 405)
    engine = LocalBackend._engine
    if engine is not None:
        # The load figures the bench and the tests read: streams in the engine, the gate's state.
        return JsonResponse(
            {
                "status": "ready",
                "model": settings.LLM_REMOTE_MODEL,
                "engine_active_requests": getattr(engine, "active_requests", None),
                "scheduler": LocalBackend.gate.snapshot(),
            }
        )
    if load_problem:
        # The load thread logged the failure once, with its traceback.
        return _expected_503({"status": "failed", "detail": load_problem})
    log.debug("health: the model is still loading")
    return _expected_503({"status": "loading"})


def _expected_503(payload: dict[str, str]) -> JsonResponse:
    """A 503 the supervisor polls for every 0.2 s during the load: an expected state, not a
    server error, so Django's request logger must not report each poll at ERROR level."""
    response = JsonResponse(payload, status=503)
    response._has_been_logged = True  # type: ignore[attr-defined]  # django.utils.log.log_response
    return response


def _check(request: HttpRequest, method: str) -> JsonResponse | None:
    if request.method != method:
        return _error(f"Use {method}.", 405)
    key = settings.INFERENCE_API_KEY
    if key:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not secrets.compare_digest(given, key):
            return _error("Missing or wrong API key.", 401, "authentication_error")
    return None


def _json_body(request: HttpRequest) -> dict[str, Any] | JsonResponse:
    if len(request.body) > MAX_BODY:
        return _error("The request body is too large.", 413)
    try:
        body = json.loads(request.body)
    except ValueError:
        return _error("The body must be JSON.", 400)
    return body if isinstance(body, dict) else _error("The body must be a JSON object.", 400)


async def models(request: HttpRequest) -> HttpResponse:
    if problem := _check(request, "GET"):
        return problem
    name = settings.LLM_REMOTE_MODEL
    return JsonResponse(
        {
            "object": "list",
            "data": [{"id": name, "object": "model", "created": 0, "owned_by": "llmasos"}],
        }
    )


class BadRequest(ValueError):
    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.param = param


def _number(body: dict[str, Any], name: str, default: float, low: float, high: float) -> float:
    value = body.get(name)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadRequest(f"{name} must be a number.", name)
    if not low <= value <= high:
        raise BadRequest(f"{name} must be between {low:g} and {high:g}.", name)
    return float(value)


def _options(body: dict[str, Any]) -> dict[str, Any]:
    """The engine's options from an OpenAI request body; BadRequest names the bad field."""
    messages = body.get("messages")
    if (
        not isinstance(messages, list)
        or not messages
        or not all(
            isinstance(m, dict)
            and isinstance(m.get("content"), str)
            and m.get("role") in ("system", "user", "assistant")
            for m in messages
        )
    ):
        raise BadRequest(
            "messages must be a non-empty list of {role, content} objects.", "messages"
        )
    limit = body.get("max_completion_tokens", body.get("max_tokens"))
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)):
        raise BadRequest("max_tokens must be an integer.", "max_tokens")
    max_tokens = limit if limit is not None else settings.LLM_MAX_NEW_TOKENS
    if not 1 <= max_tokens <= 4096:
        raise BadRequest("max_tokens must be between 1 and 4096.", "max_tokens")
    temperature = _number(body, "temperature", 0.0, 0.0, 2.0)
    top_p = _number(body, "top_p", 1.0, 0.0, 1.0)
    if body.get("n", 1) != 1:
        raise BadRequest("Only n=1 is supported.", "n")
    if not isinstance(body.get("stream", False), bool):
        raise BadRequest("stream must be true or false.", "stream")
    return {
        "messages": [{"role": m["role"], "content": m["content"]} for m in messages],
        "max_tokens": max_tokens,
        "temperature": temperature,
        "top_p": top_p,
    }


@csrf_exempt
async def chat_completions(request: HttpRequest) -> HttpResponseBase:
    if problem := _check(request, "POST"):
        return problem
    body = _json_body(request)
    if isinstance(body, JsonResponse):
        return body
    try:
        options = _options(body)
    except BadRequest as bad:
        return _error(str(bad), 400, param=bad.param)
    model = settings.LLM_REMOTE_MODEL
    asked = body.get("model")
    if asked not in (None, "", model):
        return _error(
            f"The model {asked!r} does not exist; this server serves {model!r}.",
            404,
            code="model_not_found",
            param="model",
        )
    backend = LocalBackend()
    try:
        # Checked before the stream starts: afterwards the status is already 200.
        await backend.prompt_ids(options["messages"])
    except ContextLengthExceeded as too_long:
        return _error(str(too_long), 400, code="context_length_exceeded", param="messages")
    except InferenceError as outage:
        return _error(str(outage), 503, "server_error")
    options["priority"] = Priority.parse(request.headers.get(PRIORITY_HEADER))
    completion_id = f"chatcmpl-{uuid.uuid4().hex}"
    created = int(time.time())

    def chunk(delta: dict[str, str], finish: str | None = None, usage: dict | None = None) -> str:
        payload: dict[str, Any] = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }
        if usage is not None:
            payload["usage"] = usage
        return f"data: {json.dumps(payload)}\n\n"

    if body.get("stream"):

        async def events() -> AsyncIterator[str]:
            yield chunk({"role": "assistant"})
            try:
                async for piece in backend.stream(**options):
                    if isinstance(piece, StreamStats):
                        yield chunk(
                            {},
                            piece.finish_reason,
                            {
                                "prompt_tokens": piece.prompt_tokens,
                                "completion_tokens": piece.completion_tokens,
                                "total_tokens": piece.prompt_tokens + piece.completion_tokens,
                            },
                        )
                    else:
                        yield chunk({"content": piece})
            except InferenceError as error:
                problem = {"message": str(error), "type": "server_error", "code": None}
                yield f"data: {json.dumps({'error': problem})}\n\n"
            yield "data: [DONE]\n\n"

        response = StreamingHttpResponse(events(), content_type="text/event-stream")
        response["Cache-Control"] = "no-cache"
        response["X-Accel-Buffering"] = "no"  # let proxies pass tokens through as they come
        return response

    parts, stats = [], StreamStats(0, 0, "stop")
    try:
        async for piece in backend.stream(**options):
            if isinstance(piece, StreamStats):
                stats = piece
            else:
                parts.append(piece)
    except InferenceError as error:
        return _error(str(error), 503, "server_error")
    return JsonResponse(
        {
            "id": completion_id,
            "object": "chat.completion",
            "created": created,
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": "".join(parts)},
                    "finish_reason": stats.finish_reason,
                }
            ],
            "usage": {
                "prompt_tokens": stats.prompt_tokens,
                "completion_tokens": stats.completion_tokens,
                "total_tokens": stats.prompt_tokens + stats.completion_tokens,
            },
        }
    )


@csrf_exempt
async def embeddings(request: HttpRequest) -> HttpResponse:
    from inference.embeddings import embed_texts

    if problem := _check(request, "POST"):
        return problem
    body = _json_body(request)
    if isinstance(body, JsonResponse):
        return body
    texts = body.get("input")
    if isinstance(texts, str):
        texts = [texts]
    if not isinstance(texts, list) or not texts or not all(isinstance(t, str) for t in texts):
        return _error("input must be a string or a non-empty list of strings.", 400)
    if len(texts) > 256:
        return _error("At most 256 inputs per request.", 400)
    vectors = await sync_to_async(embed_texts)(texts)
    return JsonResponse(
        {
            "object": "list",
            "model": "all-MiniLM-L6-v2",
            "data": [
                {"object": "embedding", "index": i, "embedding": v.tolist()}
                for i, v in enumerate(vectors)
            ],
            "usage": {"prompt_tokens": 0, "total_tokens": 0},
        }
    )
