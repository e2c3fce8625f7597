"""API authentication. Its own module: DRF imports it while building its settings, so it must
not import DRF's views (which read those settings)."""

from __future__ import annotations

from typing import Any

from django.utils import translation
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.request import Request


class LanguageTokenAuthentication(TokenAuthentication):
    """Token authentication that also speaks the token owner's chosen language.

    A page's language comes from the profile through `UserLanguageMiddleware`; a program with a
    token is only known once DRF authenticates it, inside the view, so the language is activated
    here (before the view raises anything). Without a choice, Accept-Language decides.
    """

    def authenticate(self, request: Request) -> tuple[Any, Token] | None:
        result = super().authenticate(request)
        language = str(getattr(result[0], "language", None) or "") if result else ""
        if language:
            translation.activate(language)
        return result
