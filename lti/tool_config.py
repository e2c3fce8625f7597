"""PyLTI1p3 plumbing: where it finds registrations and deployments, and a stricter launch.

django-lti's own tool config creates a deployment the first time it sees an unknown deployment
id; here an unknown or inactive deployment is refused, so only what an admin (or a dynamic
registration) added can launch.
"""

from __future__ import annotations

import hashlib
from typing import Any

import requests
from django.db import IntegrityError, transaction
from lti_tool.models import LtiDeployment
from lti_tool.utils import DjangoToolConfig
from pylti1p3.contrib.django import DjangoCacheDataStorage, DjangoMessageLaunch
from pylti1p3.deployment import Deployment
from pylti1p3.exception import LtiException
from pylti1p3.launch_data_storage.base import DisableSessionId

LMS_TIMEOUT = 10  # seconds for any call to an LMS
JWKS_CACHE_SECONDS = 3600


def _key_set_cache_key(key_set_url: str) -> str:
    # PyLTI1p3's own key for a cached JWKS (MessageLaunch.fetch_public_key).
    return "key-set-url-" + hashlib.md5(key_set_url.encode()).hexdigest()  # noqa: S324


class ToolConfig(DjangoToolConfig):
    def find_deployment(self, iss: str, deployment_id: str) -> Deployment | None:
        return self.find_deployment_by_params(iss, deployment_id, None)

    def find_deployment_by_params(
        self, iss: str, deployment_id: str, client_id: str | None, *args: Any, **kwargs: Any
    ) -> Deployment | None:
        lookups: dict[str, Any] = {
            "registration__issuer": iss,
            "registration__is_active": True,
            "deployment_id": deployment_id,
            "is_active": True,
        }
        if client_id is not None:
            lookups["registration__client_id"] = client_id
        if self.registration_uuid is not None:
            lookups["registration__uuid"] = self.registration_uuid
        self.deployment = LtiDeployment.objects.filter(**lookups).first()
        if self.deployment is None:
            return None
        return Deployment().set_deployment_id(self.deployment.deployment_id)


class TimeoutSession(requests.Session):
    """PyLTI1p3 calls the LMS (JWKS, token, AGS, NRPS) without a timeout: a hung LMS would
    hold a web worker or a Celery worker for ever."""

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", LMS_TIMEOUT)
        return super().request(*args, **kwargs)


def lms_session() -> requests.Session:
    return TimeoutSession()


class MessageLaunch(DjangoMessageLaunch):
    """A launch whose nonce is spent once it is accepted: a replayed id_token is refused.

    The platform's JWKS is cached (a fetch per launch is most of a launch's time); a key id
    missing from the cached set fetches it afresh once, so a platform's key rotation works.
    """

    def get_public_key(self) -> tuple[str, str]:
        try:
            return super().get_public_key()
        except LtiException:
            storage = self._public_key_cache_data_storage
            key_set_url = self._registration.get_key_set_url() if self._registration else None
            if storage is None or not key_set_url:
                raise
            with DisableSessionId(storage):
                storage.set_value(_key_set_cache_key(key_set_url), None, 1)
            assert self._registration is not None
            self._registration.set_key_set(None)
            return super().get_public_key()

    def nonce_spend(self) -> None:
        from lti.models import UsedNonce

        nonce = self._get_jwt_body().get("nonce")
        try:
            with transaction.atomic():
                UsedNonce.objects.create(nonce=str(nonce))
        except IntegrityError as error:
            raise LtiException("This launch was already used (replayed nonce).") from error


def message_launch(request: Any) -> MessageLaunch:
    """Validate the platform's POST (state, signature, nonce, audience, deployment, message)."""
    storage = DjangoCacheDataStorage(cache_name="default")
    launch = MessageLaunch(
        request, ToolConfig(), launch_data_storage=storage, requests_session=lms_session()
    )
    launch.set_public_key_caching(DjangoCacheDataStorage(cache_name="default"), JWKS_CACHE_SECONDS)
    launch.validate()
    launch.nonce_spend()
    return launch
