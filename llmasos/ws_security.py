"""Websocket authentication and origin checks, applied to every socket in llmasos/asgi.py."""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from channels.security.websocket import OriginValidator
from django.conf import settings
from django.contrib.auth.models import AnonymousUser


@database_sync_to_async
def _user_for_token(key: str) -> Any:
    from rest_framework.authtoken.models import Token

    token = Token.objects.select_related("user").filter(key=key).first()
    if token is None or not token.user.is_active:
        return AnonymousUser()
    return token.user


class TokenAuthMiddleware(BaseMiddleware):
    """Lets programs authenticate a socket with `Authorization: Token <key>`, like the REST API.

    Runs after the session middleware, so a browser's session wins when both are present.
    """

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        user = scope.get("user")
        if user is None or not user.is_authenticated:
            headers = dict(scope.get("headers", []))
            auth = headers.get(b"authorization", b"").decode("latin-1")
            if auth.lower().startswith("token "):
                scope = dict(scope, user=await _user_for_token(auth[6:].strip()))
        return await super().__call__(scope, receive, send)


class BrowserOriginValidator(OriginValidator):
    """Refuse sockets whose Origin is not one of our hosts (cross-site websocket hijacking).

    Browsers always send Origin on a websocket handshake; programs usually do not, and they
    authenticate with a token rather than an ambient cookie, so a missing Origin is let through.
    """

    def valid_origin(self, parsed_origin: Any) -> bool:
        if parsed_origin is None:
            return True
        return super().valid_origin(parsed_origin)


def origin_validated(application: Any) -> BrowserOriginValidator:
    hosts = list(settings.ALLOWED_HOSTS)
    if settings.DEBUG:
        hosts += [".localhost", "127.0.0.1", "[::1]"]
    return BrowserOriginValidator(application, hosts)
