"""Project-wide REST API glue: the error format every endpoint shares, the per-address throttle."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import DomainError


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, plus domain errors as 409 `{"detail": ...}`."""
    if isinstance(exc, DomainError):
        return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
    return drf_exception_handler(exc, context)


def not_found_json(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"detail": _("Nothing at %(path)s.") % {"path": request.path}}, status=404)


class AddressRateThrottle(SimpleRateThrottle):
    """Requests per client address, signed in or not (DRF's own throttles count anonymous
    callers by address and signed-in ones by user: many accounts from one address add up here)."""

    scope = "address"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
