"""Dynamic Registration, tool keys and rotation."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.management import call_command
from lti_tool.models import Key, LtiDeployment, LtiRegistration

from lti.registration import key_rotate, registration_url_make
from tests.lti import platform
from tests.lti.platform import Lms


@pytest.fixture
def bare_lms(db) -> Iterator[Lms]:
    """An LMS that does not know LLMasOS yet."""
    private, public = platform.rsa_pem_pair()
    lms = Lms(private_key=private, public_key=public)
    stop = platform.start(lms)
    yield lms
    stop()


def register(client, lms: Lms, *, token: str | None = None, **query: str):
    url = token or registration_url_make(base_url="http://testserver", name="LLMasOS")
    params = {
        "openid_configuration": f"{lms.issuer}/.well-known/openid-configuration",
        "registration_token": "reg-token-1",
        **query,
    }
    return client.get(url.removeprefix("http://testserver"), params)


def test_dynamic_registration_stores_the_platform_and_its_deployment(client, bare_lms):
    response = register(client, bare_lms)
    assert response.status_code == 200 and "LLMasOS is registered" in response.content.decode()
    registration = LtiRegistration.objects.get()
    assert registration.issuer == bare_lms.issuer and registration.client_id == "dyn-client"
    assert registration.token_url == f"{bare_lms.issuer}/token"
    assert LtiDeployment.objects.get().deployment_id == "dyn-deployment"
    (sent,) = bare_lms.registrations
    assert sent["token"] == "Bearer reg-token-1"
    assert sent["jwks_uri"] == "http://testserver/lti/jwks/"
    assert sent["initiate_login_uri"] == "http://testserver/lti/login/"
    assert sent["redirect_uris"] == ["http://testserver/lti/launch/"]
    assert "https://purl.imsglobal.org/spec/lti-ags/scope/score" in sent["scope"]
    tool = sent["https://purl.imsglobal.org/spec/lti-tool-configuration"]
    assert tool["messages"][0]["type"] == "LtiDeepLinkingRequest"
    # The page closes itself (static JS posts org.imsglobal.lti.close to the LMS).
    assert "lti-registered.js" in response.content.decode()
    assert f"frame-ancestors {bare_lms.issuer}" in response["Content-Security-Policy"]
    # A key exists for the JWKS the LMS will fetch.
    assert len(client.get("/lti/jwks/").json()["keys"]) == 1


def test_a_launch_works_after_dynamic_registration(client, bare_lms, course, monkeypatch):
    from tests.lti.conftest import full_launch
    from tests.lti.platform import LEARNER
    from tests.lti.test_launch import token_for

    register(client, bare_lms)
    bare_lms.registration.set_iss(bare_lms.issuer).set_client_id("dyn-client").set_deployment_id(
        "dyn-deployment"
    ).set_launch_url("http://testserver/lti/launch/").set_platform_public_key(
        bare_lms.public_key
    ).set_platform_private_key(bare_lms.private_key)
    bare_lms.registration.set_tool_key_set(client.get("/lti/jwks/").json())
    import tests.lti.conftest as helpers

    monkeypatch.setattr(helpers, "CLIENT_ID", "dyn-client")
    monkeypatch.setattr(helpers, "DEPLOYMENT_ID", "dyn-deployment")
    response = full_launch(
        client, bare_lms, user_id="s-1", roles=[LEARNER], custom=token_for(course)
    )
    assert response.status_code == 200, response.content


def test_a_forged_or_expired_registration_link_registers_nothing(client, bare_lms, settings):
    response = register(client, bare_lms, token="/lti/register/forged/")
    assert response.status_code == 400 and "not valid" in response.content.decode()
    url = registration_url_make(base_url="http://testserver", name="LLMasOS")
    import time_machine

    with time_machine.travel("2099-01-01"):
        assert register(client, bare_lms, token=url).status_code == 400
    assert not LtiRegistration.objects.exists() and bare_lms.registrations == []


def test_a_configuration_from_another_issuer_is_refused(client, bare_lms):
    bare_lms.config_issuer = "https://lms.other.example"
    response = register(client, bare_lms)
    assert (
        response.status_code == 400 and "does not come from its issuer" in response.content.decode()
    )
    assert not LtiRegistration.objects.exists()


def test_the_registration_link_opened_outside_the_lms_explains_itself(client, bare_lms):
    url = registration_url_make(base_url="http://testserver", name="LLMasOS")
    response = client.get(url.removeprefix("http://testserver"))
    assert response.status_code == 400 and "dynamic registration" in response.content.decode()


def test_the_registration_url_command_prints_a_working_link(capsys, db):
    call_command("lti_registration_url", "https://llmasos.school.edu")
    assert capsys.readouterr().out.startswith("https://llmasos.school.edu/lti/register/")


def test_rotating_keys_publishes_the_new_key_and_signs_with_it(client, db):
    old = Key.objects.generate()
    new = key_rotate(retire=[old])
    kids = [key["kid"] for key in client.get("/lti/jwks/").json()["keys"]]
    assert kids == [new.as_jwk()["kid"]]
    registration = LtiRegistration(
        name="x",
        issuer="https://lms.example",
        client_id="c",
        auth_url="https://lms.example/a",
        token_url="https://lms.example/t",
        keyset_url="https://lms.example/k",
    )
    assert registration.to_registration().get_kid() == new.as_jwk()["kid"]


def test_django_lti_rotate_keys_keeps_the_old_key_published_for_a_grace_period(client, db):
    Key.objects.generate()
    call_command("rotate_keys")  # django-lti's: old keys leave the JWKS after 7 days
    assert len(client.get("/lti/jwks/").json()["keys"]) == 2
