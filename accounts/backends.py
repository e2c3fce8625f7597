"""The sign-in lockout as the first authentication backend (django-axes)."""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend
from django.http import HttpRequest


class LockoutBackend(AxesStandaloneBackend):
    """django-axes' check, for authentication that comes with a request.

    Every door a guesser can reach (sign-in page, admin, API token) passes its request. Code that
    authenticates without one (Django's test `Client.login`, a shell) is no door: axes would raise
    there, and this skips it instead.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)
