"""Password guessing is locked out (django-axes) on every sign-in door: the sign-in page, the
admin's and the API token endpoint. 20 wrong passwords in a row, then the right one is refused."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

GUESSES = 20


def _guess_then_sign_in(post, username: str) -> tuple[list[int], Any]:
    statuses = [post(username, f"guess-{n}").status_code for n in range(GUESSES)]
    return statuses, post(username, PASSWORD)


def test_the_sign_in_page_locks_out_a_password_guesser(client, student, settings):
    def post(username, password):
        return client.post(reverse("accounts:login"), {"username": username, "password": password})

    statuses, right = _guess_then_sign_in(post, "alice")
    assert statuses[0] == 200 and statuses[-1] == 429
    assert right.status_code == 429  # the right password, refused while locked
    assert "Too many failed sign-ins" in right.content.decode()
    assert "_auth_user_id" not in client.session
    # Another address is not locked out of the same account.
    other = client.post(
        reverse("accounts:login"),
        {"username": "alice", "password": PASSWORD},
        REMOTE_ADDR="10.0.0.9",
    )
    assert other.status_code == 302


def test_the_admin_sign_in_locks_out_too(client, admin_user):
    def post(username, password):
        return client.post(reverse("admin:login"), {"username": username, "password": password})

    statuses, right = _guess_then_sign_in(post, admin_user.username)
    assert statuses[-1] == 429 and right.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_api_token_endpoint_locks_out_too(student):
    api = APIClient()

    def post(username, password):
        return api.post(reverse("api-token"), {"username": username, "password": password})

    statuses, right = _guess_then_sign_in(post, "alice")
    assert statuses[0] == 400 and statuses[-1] == 429
    assert right.status_code == 429
    assert "Too many failed sign-ins" in right.json()["detail"]
    assert "token" not in right.json()


def test_a_few_typos_do_not_lock_anyone_out(client, student):
    for _ in range(3):
        client.post(reverse("accounts:login"), {"username": "alice", "password": "typo"})
    response = client.post(reverse("accounts:login"), {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302
