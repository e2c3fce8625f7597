"""Project-wide REST API glue: the error format every endpoint shares."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import DomainError


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, plus domain errors as 409 `{"detail": ...}`."""
    if isinstance(exc, DomainError):
        return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
    return drf_exception_handler(exc, context)


def not_found_json(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"detail": f"Nothing at {request.path}."}, status=404)
