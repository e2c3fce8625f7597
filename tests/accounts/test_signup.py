import pytest
from django.urls import reverse

from accounts.models import Role, User

pytestmark = pytest.mark.django_db


def _form(**overrides):
    data = {
        "username": "newbie",
        "first_name": "New",
        "last_name": "Bie",
        "email": "newbie@example.org",
        "password1": "a-long-unusual-pass-42",
        "password2": "a-long-unusual-pass-42",
    }
    data.update(overrides)
    return data


def test_it_creates_a_student_and_signs_them_in(client):
    response = client.post(reverse("accounts:signup"), _form())
    assert response.status_code == 302
    user = User.objects.get(username="newbie")
    assert user.role == Role.STUDENT
    assert client.get(reverse("dashboard")).status_code == 200


def test_it_cannot_be_used_to_become_a_teacher(client):
    client.post(reverse("accounts:signup"), _form(role="teacher"))
    assert User.objects.get(username="newbie").role == Role.STUDENT


def test_it_rejects_mismatched_passwords(client):
    response = client.post(reverse("accounts:signup"), _form(password2="something-else-9"))
    assert response.status_code == 200
    assert "password fields didn\u2019t match" in response.content.decode()
    assert not User.objects.filter(username="newbie").exists()


def test_it_rejects_an_email_already_in_use(client, student):
    response = client.post(reverse("accounts:signup"), _form(email=student.email.upper()))
    assert "already exists" in response.content.decode()


def test_it_rejects_a_taken_username(client, student):
    response = client.post(reverse("accounts:signup"), _form(username=student.username))
    assert "already exists" in response.content.decode()
    assert User.objects.filter(username=student.username).count() == 1
