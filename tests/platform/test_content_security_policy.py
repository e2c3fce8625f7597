"""Every page carries a Content-Security-Policy: images, scripts and sockets from this site only.

A remote image in a lesson or a model's answer would be a tracking pixel and a way to send data
out; an injected inline script would run. The policy forbids both, so no page may rely on inline
script: the pages below are checked for it, as they render."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>(?!\s*</script>)|\son[a-z]+\s*=", re.I)


def _policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {d.split()[0]: d.split()[1:] for d in header.split(";") if d.strip()}


@pytest.mark.parametrize(
    ("who", "url"),
    [
        (None, "/"),
        (None, "/accounts/login/"),
        (None, "/admin/login/"),
        ("enrolled_student", "/courses/attention/"),
        ("enrolled_student", "/playground/"),
        ("enrolled_student", "/accounts/token/"),
        ("teacher", "/courses/attention/materials/"),
        ("enrolled_student", "/api/docs/"),
    ],
)
def test_pages_carry_the_policy_and_no_inline_script(request, client, course, who, url):
    if who:
        client.force_login(request.getfixturevalue(who))
    if url == "/accounts/token/":
        client.post(reverse("accounts:api_token_regenerate"))
    response = client.get(url)
    assert response.status_code == 200, url
    policy = _policy(response)
    assert policy["img-src"] == ["'self'", "data:"]
    assert policy["script-src"] == ["'self'"]
    assert policy["default-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert "ws://testserver" in policy["connect-src"]
    html = response.content.decode()
    assert not INLINE_SCRIPT.search(html), INLINE_SCRIPT.search(html)


def test_api_answers_carry_it_too(client):
    assert "img-src 'self'" in client.get("/api/nothing-here/")["Content-Security-Policy"]
