"""`load_demo` on a database with real users: a real user who has a demo classmate's name
keeps their account as it was. (Apart from tests/learning/test_demo.py, whose tests share one
loaded demo: this one needs the user to exist before the demo is loaded.)"""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from accounts.models import User
from learning.models import Observation

pytestmark = pytest.mark.django_db


def test_loading_the_demo_leaves_a_real_user_with_a_classmates_name_alone(settings) -> None:
    settings.DEBUG = True
    real = User.objects.create_user("demo-tom", email="tom@school.example", password="x" * 20)
    call_command("load_demo", stdout=io.StringIO())
    real.refresh_from_db()
    assert not real.enrollments.exists()
    assert not Observation.objects.filter(student=real).exists()
    assert real.first_name == "" and real.has_usable_password()
