from __future__ import annotations

import html
import re
import typing as t
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from django.test import Client
from lti_tool.models import Key, LtiDeployment, LtiRegistration

from tests.lti import platform
from tests.lti.platform import CLIENT_ID, DEPLOYMENT_ID, DictRequest, Launch, Lms

TOOL = "http://testserver"


@pytest.fixture
def lms(db, client: Client) -> Iterator[Lms]:
    """A running LMS registered with LLMasOS, and LLMasOS registered with it."""
    private, public = platform.rsa_pem_pair()
    lms = Lms(private_key=private, public_key=public)
    stop = platform.start(lms)
    Key.objects.generate()
    lms.registration.set_iss(lms.issuer).set_client_id(CLIENT_ID).set_deployment_id(
        DEPLOYMENT_ID
    ).set_oidc_login_url(f"{TOOL}/lti/login/").set_launch_url(
        f"{TOOL}/lti/launch/"
    ).set_deeplink_launch_url(f"{TOOL}/lti/launch/").set_platform_public_key(
        public
    ).set_platform_private_key(private)
    # The platform fetches the tool's keys from its JWKS URL.
    lms.registration.set_tool_key_set(client.get("/lti/jwks/").json())
    registration = LtiRegistration.objects.create(
        name="Test LMS",
        issuer=lms.issuer,
        client_id=CLIENT_ID,
        auth_url=f"{lms.issuer}/auth",
        token_url=f"{lms.issuer}/token",
        keyset_url=f"{lms.issuer}/jwks",
    )
    LtiDeployment.objects.create(
        registration=registration, deployment_id=DEPLOYMENT_ID, is_active=True
    )
    yield lms
    stop()


def oidc_login(
    client: Client, lms: Lms, *, user_id: str = "lms-user", secure: bool = False
) -> dict[str, str]:
    """The LMS starts a login; the tool answers with its cookie-check page naming the auth URL."""
    response = client.get(
        "/lti/login/",
        {
            "iss": lms.issuer,
            "login_hint": user_id,
            "target_link_uri": f"{TOOL}/lti/launch/",
            "lti_message_hint": "hint",
            "client_id": CLIENT_ID,
            "lti_deployment_id": DEPLOYMENT_ID,
        },
        secure=secure,
    )
    assert response.status_code == 200, response.content
    match = re.search(r'data-auth-url="([^"]+)"', response.content.decode())
    assert match
    return platform.auth_params(html.unescape(match.group(1)))


def platform_launch(
    lms: Lms,
    preflight: dict[str, str],
    *,
    user_id: str,
    roles: list[str],
    link_id: str = "rl-1",
    custom: dict[str, str] | None = None,
    lineitem: str | None = None,
    deep_link_return: str | None = None,
    name: str = "Lee Student",
    document_target: str = "iframe",
    expires_in: int = 300,
) -> dict[str, t.Any]:
    launch = Launch(DictRequest({"get": preflight}), lms.config())
    launch.set_id_token_expiration(expires_in)
    launch.set_user_data(user_id, roles, full_name=name, email_address=f"{user_id}@lms.test")
    launch.set_launch_context_claim("course-42", context_title="CS 101")
    launch.set_launch_presentation_claim(
        document_target=document_target, return_url=f"{lms.issuer}/course/42"
    )
    if deep_link_return:
        launch.set_dl(deep_link_return, title="LLMasOS")
    else:
        launch.set_resource_link_claim(link_id, title="Week 1")
    if custom:
        launch.set_custom_parameters_claim(custom)
    if lineitem:
        launch.set_ags(
            lineitems_url=f"{lms.issuer}/lineitems",
            lineitem_url=f"{lms.issuer}/lineitems/{lineitem}",
        )
    launch.set_nrps(f"{lms.issuer}/memberships")
    return launch.lti_launch()


def post_launch(client: Client, data: dict[str, t.Any], *, secure: bool = False) -> t.Any:
    return client.post(
        urlsplit(data["launch_url"]).path,
        {"id_token": data["id_token"], "state": data["state"]},
        secure=secure,
    )


def full_launch(client: Client, lms: Lms, *, secure: bool = False, **kwargs: t.Any) -> t.Any:
    preflight = oidc_login(client, lms, user_id=kwargs["user_id"], secure=secure)
    return post_launch(client, platform_launch(lms, preflight, **kwargs), secure=secure)
