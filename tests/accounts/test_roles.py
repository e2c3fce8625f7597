import pytest
from django.urls import reverse

from accounts.models import Role, User

pytestmark = pytest.mark.django_db


def test_an_admin_makes_a_student_a_teacher_from_the_django_admin(client, admin_user, student):
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "make_teacher", "_selected_action": [student.pk]},
    )
    assert response.status_code == 302
    student.refresh_from_db()
    assert student.role == Role.TEACHER
    client.force_login(student)
    assert client.get(reverse("courses:create")).status_code == 200


def test_admin_role_opens_the_django_admin_and_others_cannot(client, student, teacher):
    admin = User.objects.create_user("ops", password="x-very-long-pass-1", role=Role.ADMIN)
    assert admin.is_staff
    client.force_login(admin)
    assert client.get(reverse("admin:index")).status_code == 200
    for user in (student, teacher):
        client.force_login(user)
        assert client.get(reverse("admin:index")).status_code == 302


def test_superusers_are_admins(admin_user):
    assert admin_user.role == Role.ADMIN
    assert admin_user.is_platform_admin and admin_user.can_author_courses
