import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_a_user_creates_and_regenerates_a_token_in_the_browser(client, student):
    client.force_login(student)
    client.post(reverse("accounts:api_token_regenerate"))
    first = Token.objects.get(user=student).key
    assert first in client.get(reverse("accounts:api_token")).content.decode()
    client.post(reverse("accounts:api_token_regenerate"))
    second = Token.objects.get(user=student).key
    assert second != first
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {first}")
    assert api.get(reverse("api-course-enroll", args=["x"])).status_code == 401


def test_revoking_the_token_locks_programs_out(client, student):
    client.force_login(student)
    client.post(reverse("accounts:api_token_regenerate"))
    key = Token.objects.get(user=student).key
    client.post(reverse("accounts:api_token_revoke"))
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.post(reverse("api-courses"), {}).status_code == 401


def test_token_endpoint_exchanges_credentials_for_a_token(student):
    response = APIClient().post(reverse("api-token"), {"username": "alice", "password": PASSWORD})
    assert response.status_code == 200
    assert response.json()["token"] == Token.objects.get(user=student).key


def test_token_endpoint_rejects_bad_credentials(student):
    response = APIClient().post(reverse("api-token"), {"username": "alice", "password": "x"})
    assert response.status_code == 400


def test_token_pages_reject_get_for_changes(client, student):
    client.force_login(student)
    assert client.get(reverse("accounts:api_token_regenerate")).status_code == 405
    assert client.get(reverse("accounts:api_token_revoke")).status_code == 405
