"""Request bodies over the largest upload the site accepts are refused before they are read.

Django's ASGI handler spools the whole body to a temporary file before any middleware runs, so
the check that matters sits in front of it (`BodyLimitASGI`): a declared Content-Length over
the limit gets 413 at once, and a body without one (chunked) is cut off as soon as it passes the
limit. `BodyLimitMiddleware` is the same check for WSGI and the test client, where the body is
only read when a view asks for it.

The limit is the material upload limit (KB_MAX_UPLOAD_MB, the largest legitimate body) plus a
megabyte for the multipart envelope; REQUEST_MAX_BODY_MB overrides it.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import translation

from core.i18n import language_from_scope

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[..., Awaitable[None]]  # Django's handler types its arguments more narrowly


def max_body_bytes() -> int:
    return int(settings.REQUEST_MAX_BODY_MB * 1024 * 1024)


def too_large_message() -> str:
    return translation.gettext(
        "The request is too large: the limit is %(limit)s MB "
        "(course material files up to %(upload)s MB)."
    ) % {"limit": settings.REQUEST_MAX_BODY_MB, "upload": settings.KB_MAX_UPLOAD_MB}


def _declared_length(headers: list[tuple[bytes, bytes]]) -> int | None:
    for name, value in headers:
        if name.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class BodyLimitASGI:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = max_body_bytes()
        declared = _declared_length(scope.get("headers", []))
        if declared is not None and declared > limit:
            await self._refuse(scope, send)
            return
        received = 0
        cut_off = False
        started = False

        async def limited_receive() -> Message:
            nonlocal received, cut_off
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # Django stops reading on a disconnect and sends nothing; we answer below.
                    cut_off = True
                    return {"type": "http.disconnect"}
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        await self.app(scope, limited_receive, tracked_send)
        if cut_off and not started:
            await self._refuse(scope, send)

    @staticmethod
    async def _refuse(scope: Scope, send: Send) -> None:
        # In front of Django's middleware: the caller's Accept-Language picks the language here.
        with translation.override(language_from_scope(dict(scope))):
            body = json.dumps({"detail": too_large_message()}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


class BodyLimitMiddleware:
    """The Content-Length check for WSGI and the test client (ASGI has refused it already)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > max_body_bytes():
            # First in MIDDLEWARE, before LocaleMiddleware: the language is looked up here.
            with translation.override(translation.get_language_from_request(request)):
                return JsonResponse({"detail": too_large_message()}, status=413)
        return self.get_response(request)
