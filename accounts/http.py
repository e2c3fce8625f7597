"""Request types for views: what the middleware guarantees, spelled out for the type checker."""

from __future__ import annotations

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from accounts.models import User


class HtmxRequest(HttpRequest):
    """Any request: `django_htmx`'s middleware adds `htmx` to every one."""

    htmx: HtmxDetails


class AuthenticatedRequest(HtmxRequest):
    """A request that passed `login_required` (or an API permission): its user is signed in."""

    user: User
