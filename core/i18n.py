"""The language of a websocket: HTTP requests get it from LocaleMiddleware and the user's profile
(accounts.middleware), a socket has neither, so its consumer asks here once per frame."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import get_supported_language_variant
from django.utils.translation.trans_real import parse_accept_lang_header


def scope_language(scope: dict[str, Any]) -> str:
    """The profile's language, else the language cookie, else Accept-Language, else the default
    (the order LocaleMiddleware and UserLanguageMiddleware give a page)."""
    user = scope.get("user")
    chosen = getattr(user, "language", "") if user is not None and user.is_authenticated else ""
    candidates = [chosen, scope.get("cookies", {}).get(settings.LANGUAGE_COOKIE_NAME, "")]
    for name, value in scope.get("headers", []):
        if name == b"accept-language":
            header = value.decode("latin-1")
            candidates += [code for code, _ in parse_accept_lang_header(header) if code != "*"]
    for candidate in candidates:
        if not candidate:
            continue
        try:
            return get_supported_language_variant(candidate)
        except LookupError:
            continue
    return settings.LANGUAGE_CODE
