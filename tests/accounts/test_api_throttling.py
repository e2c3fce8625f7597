"""Every API endpoint is metered per user and per address: over the rate, a clear 429."""

from __future__ import annotations

import pytest
from rest_framework.throttling import SimpleRateThrottle

from tests.conftest import api_client_for

pytestmark = pytest.mark.django_db

URL = "/api/courses/"


def test_a_user_over_the_rate_gets_429_and_others_go_on(monkeypatch, student, other_student):
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "user", "3/min")
    client = api_client_for(student)
    assert [client.get(URL).status_code for _ in range(3)] == [200, 200, 200]
    response = client.get(URL)
    assert response.status_code == 429
    assert "Request was throttled" in response.json()["detail"]
    assert int(response["Retry-After"]) > 0
    assert api_client_for(other_student).get(URL).status_code == 200


def test_many_accounts_from_one_address_share_its_rate(monkeypatch, student, other_student):
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "address", "4/min")
    for _ in range(2):
        assert api_client_for(student).get(URL).status_code == 200
        assert api_client_for(other_student).get(URL).status_code == 200
    assert api_client_for(other_student).get(URL).status_code == 429
    elsewhere = api_client_for(other_student).get(URL, REMOTE_ADDR="10.0.0.7")
    assert elsewhere.status_code == 200


def test_anonymous_callers_are_metered_by_address(monkeypatch):
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "anon", "2/min")
    client = api_client_for(None)
    statuses = [client.post("/api/auth/token/", {}).status_code for _ in range(3)]
    assert statuses == [400, 400, 429]  # the token endpoint too (DRF leaves it unthrottled)
