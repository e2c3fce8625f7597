"""The API token endpoint, behind the same sign-in lockout as the sign-in page."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.lockout import lockout_message


class ObtainAuthTokenApi(ObtainAuthToken):
    # DRF's token view turns throttling off; this door is metered like every other.
    throttle_classes = APIView.throttle_classes  # the project's defaults (settings)

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        try:
            return super().post(request, *args, **kwargs)
        except serializers.ValidationError:
            # django-axes marks the request it was given: DRF's wrapper, which AxesMiddleware
            # (looking at Django's request) never sees. Answer the lockout here instead.
            if getattr(request, "axes_locked_out", False):
                return Response({"detail": lockout_message()}, status=429)
            raise


obtain_auth_token = ObtainAuthTokenApi.as_view()
