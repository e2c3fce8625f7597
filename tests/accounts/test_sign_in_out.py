import pytest
from django.urls import reverse

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_it_signs_in_and_lands_on_the_dashboard(client, student):
    response = client.post(
        reverse("accounts:login"), {"username": "alice", "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("dashboard")
    assert "Hello, Alice" in response.content.decode()


def test_it_says_when_the_password_is_wrong(client, student):
    response = client.post(reverse("accounts:login"), {"username": "alice", "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()


def test_sign_out_needs_post(client, student):
    client.force_login(student)
    assert client.get(reverse("accounts:logout")).status_code == 405
    client.post(reverse("accounts:logout"))
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302 and reverse("accounts:login") in response.url


def test_password_change_works_and_old_password_stops_working(client, student):
    client.force_login(student)
    response = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "brand-new-secret-77",
            "new_password2": "brand-new-secret-77",
        },
    )
    assert response.status_code == 302
    student.refresh_from_db()
    assert student.check_password("brand-new-secret-77")
    assert not student.check_password(PASSWORD)


def test_password_change_needs_the_old_password(client, student):
    client.force_login(student)
    response = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": "wrong",
            "new_password1": "brand-new-secret-77",
            "new_password2": "brand-new-secret-77",
        },
    )
    assert response.status_code == 200
    student.refresh_from_db()
    assert student.check_password(PASSWORD)


def test_anonymous_users_are_sent_to_sign_in(client):
    for name in (
        "dashboard",
        "accounts:password_change",
        "accounts:api_token",
        "notifications:list",
    ):
        response = client.get(reverse(name))
        assert response.status_code == 302, name
        assert response.url.startswith(reverse("accounts:login")), name
