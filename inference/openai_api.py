"""The local engine as an OpenAI-compatible HTTP API (`manage.py serve_inference`).

    GET  /v1/models
    POST /v1/chat/completions   {messages, max_tokens, temperature, top_p, stream}
    POST /v1/embeddings         {input: str | [str]}

Only mounted when INFERENCE_SERVER is on (the serve_inference command turns it on), so the web
app never exposes a free model endpoint by accident. With INFERENCE_API_KEY set, requests need
`Authorization: Bearer <key>`.
"""

from __future__ import annotations

import json
import secrets
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.views.decorators.csrf import csrf_exempt

from inference.backends import InferenceError, LocalBackend
from inference.engine import StreamStats

MAX_BODY = 1_000_000


def _error(message: str, status: int, kind: str = "invalid_request_error") -> JsonResponse:
    return JsonResponse({"error": {"message": message, "type": kind}}, status=status)


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


def _options(body: dict[str, Any]) -> dict[str, Any] | str:
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
        return "messages must be a non-empty list of {role, content} objects."
    try:
        max_tokens = int(body.get("max_tokens") or settings.LLM_MAX_NEW_TOKENS)
        temperature = float(body.get("temperature", 0.0) or 0.0)
        top_p = float(body.get("top_p", 1.0) or 1.0)
    except (TypeError, ValueError):
        return "max_tokens, temperature and top_p must be numbers."
    if not 1 <= max_tokens <= 4096:
        return "max_tokens must be between 1 and 4096."
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
    options = _options(body)
    if isinstance(options, str):
        return _error(options, 400)
    backend = LocalBackend()
    completion_id = f"chatcmpl-{uuid.uuid4().hex}"
    created = int(time.time())
    model = settings.LLM_REMOTE_MODEL

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
                yield f"data: {json.dumps({'error': {'message': str(error)}})}\n\n"
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
