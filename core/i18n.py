"""The interface language of a websocket: what LocaleMiddleware decides for a page, from a scope.

A socket has no request, so LocaleMiddleware never runs for it; its frames (errors, status lines,
rendered fragments) must still speak the language of the page that opened it. The browser sends
the same cookies and Accept-Language header with the websocket handshake as with the page.
"""

from __future__ import annotations

from collections.abc import Mapping
from http.cookies import SimpleCookie
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation.trans_real import parse_accept_lang_header


def _supported(code: str | None) -> str | None:
    if not code:
        return None
    try:
        return translation.get_supported_language_variant(code)
    except LookupError:
        return None


def _cookie(scope: Mapping[str, Any], headers: dict[bytes, bytes]) -> str | None:
    name = settings.LANGUAGE_COOKIE_NAME
    cookies = scope.get("cookies")  # set by channels' CookieMiddleware (in AuthMiddlewareStack)
    if isinstance(cookies, Mapping) and name in cookies:
        return str(cookies[name])
    raw = headers.get(b"cookie")
    if raw:
        parsed: SimpleCookie = SimpleCookie()
        try:
            parsed.load(raw.decode("latin-1"))
        except Exception:  # a malformed Cookie header means no cookie, not a failed handshake
            return None
        if name in parsed:
            return parsed[name].value
    return None


def language_from_scope(scope: Mapping[str, Any]) -> str:
    """The user's chosen language (profile, then cookie), else Accept-Language, else the default.

    Always one of settings.LANGUAGES' codes.
    """
    user = scope.get("user")
    signed_in = user is not None and getattr(user, "is_authenticated", False)
    if signed_in and (chosen := _supported(getattr(user, "language", None))):
        return chosen
    headers = {bytes(k).lower(): bytes(v) for k, v in scope.get("headers", [])}
    if chosen := _supported(_cookie(scope, headers)):
        return chosen
    accept = headers.get(b"accept-language", b"").decode("latin-1")
    for code, _quality in parse_accept_lang_header(accept):
        if code == "*":
            break
        if chosen := _supported(code):
            return chosen
    return _supported(settings.LANGUAGE_CODE) or settings.LANGUAGE_CODE
