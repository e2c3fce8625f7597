"""LTI Dynamic Registration (IMS LTI Dynamic Registration 1.0) and the tool's keys.

An admin hands the LMS a registration URL (made by `manage.py lti_registration_url`, signed and
time-limited, since the LMS opens it in a frame where the admin's session cookie may not
travel). The LMS opens it with `openid_configuration` and `registration_token`; the tool reads
the platform's configuration, posts its own (URLs, keys, scopes, deep linking) and stores the
registration and deployment it gets back. PyLTI1p3 and django-lti have no dynamic registration,
so this is the one part of the LTI handshake written here; it signs and verifies nothing.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import requests
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext
from lti_tool.models import Key, LtiDeployment, LtiRegistration

REGISTER_SALT = "lti.register"
TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"
PLATFORM_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-platform-configuration"
SCOPES = [
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
    "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
]
TIMEOUT = 10


class RegistrationFailed(Exception):
    pass


def tool_key_ensure() -> Key:
    """The newest active signing key, made on first use so a fresh install has a JWKS."""
    key = Key.objects.active().order_by("-datetime_created").first()
    return key or Key.objects.generate()


@transaction.atomic
def key_rotate(*, retire: Any = None) -> Key:
    """A new signing key (the newest active key signs); the keys in `retire` leave the JWKS."""
    key = Key.objects.generate()
    if retire is not None:
        Key.objects.filter(pk__in=[k.pk for k in retire]).exclude(pk=key.pk).update(is_active=False)
    return key


def registration_url_make(*, base_url: str, name: str) -> str:
    token = signing.dumps({"name": name}, salt=REGISTER_SALT)
    return base_url.rstrip("/") + reverse("lti:register", args=[token])


def registration_token_check(token: str, *, max_age_days: int) -> str:
    try:
        data = signing.loads(token, salt=REGISTER_SALT, max_age=max_age_days * 86400)
    except signing.BadSignature as error:
        raise RegistrationFailed(
            gettext("This registration link is not valid or has expired.")
        ) from error
    return str(data["name"])


def tool_configuration(*, base_url: str, name: str) -> dict[str, Any]:
    """What the tool tells the LMS about itself (the client registration request)."""
    launch = base_url + reverse("lti:launch")
    return {
        "application_type": "web",
        "response_types": ["id_token"],
        "grant_types": ["implicit", "client_credentials"],
        "initiate_login_uri": base_url + reverse("lti:login"),
        "redirect_uris": [launch],
        "client_name": name,
        "jwks_uri": base_url + reverse("lti:jwks"),
        "token_endpoint_auth_method": "private_key_jwt",
        "scope": " ".join(SCOPES),
        TOOL_CONFIGURATION: {
            "domain": urlsplit(base_url).netloc,
            "target_link_uri": launch,
            "claims": ["iss", "sub", "name", "given_name", "family_name", "email"],
            "messages": [
                {"type": "LtiDeepLinkingRequest", "target_link_uri": launch, "label": name},
                {"type": "LtiResourceLinkRequest", "target_link_uri": launch, "label": name},
            ],
        },
    }


def platform_register(
    *, openid_configuration: str, registration_token: str, base_url: str, name: str
) -> LtiRegistration:
    headers = {"Authorization": f"Bearer {registration_token}"} if registration_token else {}
    try:
        config = requests.get(openid_configuration, headers=headers, timeout=TIMEOUT).json()
    except (requests.RequestException, ValueError) as error:
        raise RegistrationFailed(
            gettext("The LMS configuration could not be read: %(error)s") % {"error": error}
        ) from error
    issuer = str(config.get("issuer") or "")
    # The spec's check: the configuration must come from the issuer it names, or any site
    # could register itself as another LMS.
    if not issuer or not openid_configuration.startswith(issuer):
        raise RegistrationFailed(gettext("The LMS configuration does not come from its issuer."))
    for needed in ("authorization_endpoint", "token_endpoint", "jwks_uri", "registration_endpoint"):
        if not config.get(needed):
            raise RegistrationFailed(
                gettext("The LMS configuration lacks %(needed)s.") % {"needed": needed}
            )
    tool_key_ensure()
    try:
        answer = requests.post(
            config["registration_endpoint"],
            json=tool_configuration(base_url=base_url, name=name),
            headers=headers,
            timeout=TIMEOUT,
        )
        answer.raise_for_status()
        client = answer.json()
    except (requests.RequestException, ValueError) as error:
        raise RegistrationFailed(
            gettext("The LMS refused the registration: %(error)s") % {"error": error}
        ) from error
    if not client.get("client_id"):
        raise RegistrationFailed(gettext("The LMS answered without a client id."))
    platform_name = str(
        (config.get(PLATFORM_CONFIGURATION) or {}).get("product_family_code") or issuer
    )
    with transaction.atomic():
        registration, _ = LtiRegistration.objects.update_or_create(
            issuer=issuer,
            client_id=str(client["client_id"]),
            defaults={
                "name": platform_name[:255],
                "auth_url": config["authorization_endpoint"],
                "token_url": config["token_endpoint"],
                "keyset_url": config["jwks_uri"],
                "audience": str(config.get("authorization_server") or ""),
                "is_active": True,
            },
        )
        deployment_id = (client.get(TOOL_CONFIGURATION) or {}).get("deployment_id")
        if deployment_id:
            LtiDeployment.objects.update_or_create(
                registration=registration,
                deployment_id=str(deployment_id),
                defaults={"is_active": True},
            )
    return registration
