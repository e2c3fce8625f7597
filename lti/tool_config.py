"""PyLTI1p3 plumbing: where it finds registrations and deployments, and a stricter launch.

django-lti's own tool config creates a deployment the first time it sees an unknown deployment
id; here an unknown or inactive deployment is refused, so only what an admin (or a dynamic
registration) added can launch.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from lti_tool.models import LtiDeployment
from lti_tool.utils import DjangoToolConfig
from pylti1p3.contrib.django import DjangoCacheDataStorage, DjangoMessageLaunch
from pylti1p3.deployment import Deployment
from pylti1p3.exception import LtiException


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


class MessageLaunch(DjangoMessageLaunch):
    """A launch whose nonce is spent once it is accepted: a replayed id_token is refused."""

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
    launch = MessageLaunch(
        request, ToolConfig(), launch_data_storage=DjangoCacheDataStorage(cache_name="default")
    )
    launch.validate()
    launch.nonce_spend()
    return launch
