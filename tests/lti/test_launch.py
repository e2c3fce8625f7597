"""Launches from a real LTI 1.3 platform (lti1p3platform): login, launch, linking, roles."""

from __future__ import annotations

import re

import pytest
from lti_tool.models import LtiDeployment, LtiUser

from accounts.models import Role, User
from courses.models import Enrollment
from lti.launch import PLACEMENT_PARAM, placement_token
from lti.models import Placement, Target, UsedNonce
from tests.lti.conftest import full_launch, oidc_login, platform_launch, post_launch
from tests.lti.platform import INSTRUCTOR, LEARNER


def token_for(course, *, target=Target.COURSE, pk=None) -> dict[str, str]:
    deployment = LtiDeployment.objects.get()
    token = placement_token(
        deployment=deployment, context_id="course-42", target=target, pk=pk or course.pk
    )
    return {PLACEMENT_PARAM: token}


def enter_link(response) -> str:
    match = re.search(r'href="(/lti/enter/[^"]+)"', response.content.decode())
    assert match, response.content
    return match.group(1)


def test_the_jwks_publishes_the_tools_active_keys(client, lms):
    keys = client.get("/lti/jwks/").json()["keys"]
    assert len(keys) == 1 and keys[0]["alg"] == "RS256" and keys[0]["kid"]


def test_a_learner_launch_links_an_account_enrolls_it_and_opens_the_lesson(client, lms, course):
    lesson = course.lessons.get(slug="values")
    custom = token_for(course, target=Target.LESSON, pk=lesson.pk)
    response = full_launch(client, lms, user_id="s-1", roles=[LEARNER], custom=custom)

    assert response.status_code == 200
    assert "Open in LLMasOS" in response.content.decode()
    lti_user = LtiUser.objects.get(sub="s-1")
    user = lti_user.auth_user
    assert user.role == Role.STUDENT and user.display_name == "Lee Student"
    assert Enrollment.objects.filter(user=user, course=course).exists()
    # The page may be framed by the platform only; the rest of the site stays DENY.
    csp = response["Content-Security-Policy"]
    assert f"frame-ancestors {lms.issuer}" in csp and "X-Frame-Options" not in response
    assert "'none'" in client.get("/")["Content-Security-Policy"].split("frame-ancestors")[1]

    # The new window signs in as the LMS user and lands on the lesson, once.
    link = enter_link(response)
    fresh = type(client)()
    landed = fresh.get(link)
    assert landed.status_code == 302 and landed.url == lesson.get_absolute_url()
    assert fresh.get(lesson.get_absolute_url()).status_code == 200
    again = type(client)().get(link)
    assert again.status_code == 403 and "already used" in again.content.decode()


def test_the_same_lms_subject_finds_the_same_account(client, lms, course):
    full_launch(client, lms, user_id="s-1", roles=[LEARNER], custom=token_for(course))
    full_launch(client, lms, user_id="s-1", roles=[LEARNER], link_id="rl-1")
    assert User.objects.filter(lti_users__sub="s-1").count() == 1
    assert Placement.objects.count() == 1


def test_an_instructor_launch_makes_a_teacher_of_the_course(client, lms, course):
    response = full_launch(client, lms, user_id="t-1", roles=[INSTRUCTOR], custom=token_for(course))
    assert response.status_code == 200
    user = LtiUser.objects.get(sub="t-1").auth_user
    assert user.role == Role.TEACHER
    assert course.teachers.filter(pk=user.pk).exists()
    assert not Enrollment.objects.filter(user=user).exists()


def test_a_window_launch_signs_in_and_goes_straight_to_the_course(client, lms, course):
    response = full_launch(
        client,
        lms,
        user_id="s-1",
        roles=[LEARNER],
        custom=token_for(course),
        document_target="window",
    )
    assert response.status_code == 302 and response.url == course.get_absolute_url()
    assert client.get(course.get_absolute_url()).context["user"].lti_users.get().sub == "s-1"


def test_a_link_without_a_placement_is_refused_with_a_clear_page(client, lms, course):
    response = full_launch(client, lms, user_id="s-1", roles=[LEARNER])
    assert response.status_code == 403
    assert "does not point at anything" in response.content.decode()
    assert not LtiUser.objects.exists() and not Placement.objects.exists()


def test_a_forged_placement_token_is_refused(client, lms, course):
    custom = {PLACEMENT_PARAM: token_for(course)[PLACEMENT_PARAM] + "x"}
    response = full_launch(client, lms, user_id="t-1", roles=[INSTRUCTOR], custom=custom)
    assert response.status_code == 403
    assert not course.teachers.exclude(username="tara").exists()


def test_a_role_other_than_teacher_or_learner_gets_no_access(client, lms, course):
    mentor = "http://purl.imsglobal.org/vocab/lis/v2/membership#Mentor"
    response = full_launch(client, lms, user_id="m-1", roles=[mentor], custom=token_for(course))
    assert response.status_code == 403 and "role" in response.content.decode()
    assert not LtiUser.objects.exists()


# --- Third-party cookies blocked: the new-window fallback ---------------------------------------


def test_the_login_page_offers_a_new_window_when_cookies_are_blocked(client, lms):
    response = client.get(
        "/lti/login/",
        {
            "iss": lms.issuer,
            "login_hint": "s-1",
            "target_link_uri": "http://testserver/lti/launch/",
            "client_id": "llmasos-client",
            "lti_deployment_id": "deployment-1",
        },
    )
    page = response.content.decode()
    assert 'target="_blank"' in page and "lti1p3_new_window=1" in page
    assert "<script>" not in page  # the check is static/js/lti-login.js (CSP: no inline script)
    assert f"frame-ancestors {lms.issuer}" in response["Content-Security-Policy"]


def test_the_new_window_login_redirects_to_the_platform_and_the_launch_works(client, lms, course):
    response = client.get(
        "/lti/login/",
        {
            "iss": lms.issuer,
            "login_hint": "s-1",
            "target_link_uri": "http://testserver/lti/launch/",
            "client_id": "llmasos-client",
            "lti_deployment_id": "deployment-1",
            "lti1p3_new_window": "1",
        },
    )
    assert response.status_code == 302 and response.url.startswith(f"{lms.issuer}/auth?")
    from tests.lti.platform import auth_params

    data = platform_launch(
        lms, auth_params(response.url), user_id="s-1", roles=[LEARNER], custom=token_for(course)
    )
    assert post_launch(client, data).status_code == 200


def test_over_https_the_login_cookies_can_travel_in_the_lms_frame(client, lms, course):
    preflight = oidc_login(client, lms, user_id="s-1", secure=True)
    lti_cookies = {name: c for name, c in client.cookies.items() if name.startswith("lti1p3-")}
    # The state cookie and PyLTI1p3's session-id cookie (its cache key under HTTPS).
    assert len(lti_cookies) == 2
    for cookie in lti_cookies.values():
        assert cookie["samesite"] == "None" and cookie["secure"] and cookie["httponly"]
    data = platform_launch(lms, preflight, user_id="s-1", roles=[LEARNER], custom=token_for(course))
    assert post_launch(client, data, secure=True).status_code == 200


def test_over_https_a_launch_without_the_lms_cookies_is_refused(client, lms, course):
    preflight = oidc_login(client, lms, user_id="s-1", secure=True)
    data = platform_launch(lms, preflight, user_id="s-1", roles=[LEARNER], custom=token_for(course))
    client.cookies.clear()
    response = post_launch(client, data, secure=True)
    assert response.status_code == 403 and "cookie" in response.content.decode()
    assert not LtiUser.objects.exists()


def test_a_launch_without_the_state_cookie_is_refused(client, lms, course):
    preflight = oidc_login(client, lms, user_id="s-1")
    data = platform_launch(lms, preflight, user_id="s-1", roles=[LEARNER], custom=token_for(course))
    client.cookies.clear()  # what a browser blocking third-party cookies sends
    response = post_launch(client, data)
    assert response.status_code == 403 and "State not found" in response.content.decode()


def test_login_from_an_unregistered_platform_is_refused(client, lms):
    response = client.get(
        "/lti/login/",
        {
            "iss": "https://unknown.example",
            "login_hint": "x",
            "client_id": "nope",
            "target_link_uri": "http://testserver/lti/launch/",
        },
    )
    assert response.status_code == 400 and "not registered" in response.content.decode()


@pytest.mark.parametrize("method", ["put", "delete"])
def test_the_login_endpoint_refuses_other_methods(client, lms, method):
    assert getattr(client, method)("/lti/login/").status_code == 405


def test_the_launch_endpoint_refuses_get(client, lms):
    assert client.get("/lti/launch/").status_code == 405


# --- Bad tokens: a clear error page and nothing created -----------------------------------------


def assert_refused(response, fragment: str) -> None:
    assert response.status_code == 403
    page = response.content.decode()
    assert "could not open this link" in page and fragment in page
    assert not LtiUser.objects.exists()
    assert not User.objects.filter(username__startswith="lti-").exists()
    assert not Placement.objects.exists() and not Enrollment.objects.exists()


def test_a_token_with_a_wrong_signature_is_refused(client, lms, course):
    from tests.lti.platform import rsa_pem_pair

    preflight = oidc_login(client, lms, user_id="s-1")
    other_private, _ = rsa_pem_pair()
    real_private = lms.registration.get_platform_private_key()
    # Signed by another key under the platform's key id: the signature check must fail.
    kid = lms.registration.get_kid()
    lms.registration.set_platform_private_key(other_private)
    lms.registration.get_kid = lambda: kid
    data = platform_launch(lms, preflight, user_id="s-1", roles=[LEARNER], custom=token_for(course))
    lms.registration.set_platform_private_key(real_private)
    assert_refused(post_launch(client, data), "Signature verification failed")


def test_an_expired_token_is_refused(client, lms, course):
    preflight = oidc_login(client, lms, user_id="s-1")
    data = platform_launch(
        lms, preflight, user_id="s-1", roles=[LEARNER], custom=token_for(course), expires_in=-60
    )
    assert_refused(post_launch(client, data), "expired")


def test_a_replayed_launch_is_refused(client, lms, course):
    preflight = oidc_login(client, lms, user_id="s-1")
    data = platform_launch(lms, preflight, user_id="s-1", roles=[LEARNER], custom=token_for(course))
    assert post_launch(client, data).status_code == 200
    users = User.objects.count()
    replay = post_launch(client, data)
    assert replay.status_code == 403 and "replayed nonce" in replay.content.decode()
    assert User.objects.count() == users and UsedNonce.objects.count() == 1


def test_an_unknown_deployment_is_refused(client, lms, course):
    preflight = oidc_login(client, lms, user_id="s-1")
    lms.registration.set_deployment_id("deployment-unknown")
    data = platform_launch(lms, preflight, user_id="s-1", roles=[LEARNER], custom=token_for(course))
    assert_refused(post_launch(client, data), "Unable to find deployment")
    assert LtiDeployment.objects.count() == 1  # django-lti would have created one


def test_an_inactive_deployment_is_refused(client, lms, course):
    preflight = oidc_login(client, lms, user_id="s-1")
    LtiDeployment.objects.update(is_active=False)
    data = platform_launch(lms, preflight, user_id="s-1", roles=[LEARNER], custom=token_for(course))
    assert_refused(post_launch(client, data), "Unable to find deployment")


def test_a_token_for_another_audience_is_refused(client, lms, course):
    preflight = oidc_login(client, lms, user_id="s-1")
    lms.registration.set_client_id("another-tool")
    preflight["client_id"] = "another-tool"
    data = platform_launch(lms, preflight, user_id="s-1", roles=[LEARNER], custom=token_for(course))
    assert_refused(post_launch(client, data), "Registration not found")


def test_a_garbage_token_is_refused(client, lms):
    preflight = oidc_login(client, lms, user_id="s-1")
    response = client.post("/lti/launch/", {"id_token": "a.b.c", "state": preflight["state"]})
    assert response.status_code == 403


def test_the_platforms_keys_are_cached_and_refetched_when_it_rotates_them(client, lms, course):
    from tests.lti.platform import rsa_pem_pair

    assert (
        full_launch(
            client, lms, user_id="s-1", roles=[LEARNER], custom=token_for(course)
        ).status_code
        == 200
    )
    full_launch(client, lms, user_id="s-2", roles=[LEARNER], link_id="rl-1")
    assert lms.jwks_fetches == 1
    private, public = rsa_pem_pair()
    lms.registration.set_platform_private_key(private).set_platform_public_key(public)
    response = full_launch(client, lms, user_id="s-3", roles=[LEARNER], link_id="rl-1")
    assert response.status_code == 200, response.content
    assert lms.jwks_fetches == 2
