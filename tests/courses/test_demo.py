import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from accounts.models import Role, User
from courses.demo import DEMO_ACCOUNTS, demo_load
from courses.markdown import markdown_errors
from courses.models import Course, Enrollment, Lesson

pytestmark = pytest.mark.django_db
HAN = re.compile(r"[\u4e00-\u9fff]")


def _words(text: str) -> int:
    """Words of English; Chinese has no spaces, so two Han characters count as one word."""
    return len(text.split()) + len(HAN.findall(text)) // 2


def test_the_demo_has_three_real_courses_and_three_accounts(settings):
    settings.DEBUG = True
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    llm = Course.objects.get(slug="llm-how-they-work")
    python = Course.objects.get(slug="python-basics")
    chinese = Course.objects.get(slug="llm-zh")
    assert llm.title == "Large Language Models: how they work"
    assert chinese.title == "大语言模型"
    assert llm.lessons.count() >= 8 and python.lessons.count() >= 6
    assert chinese.lessons.count() >= 8
    assert llm.is_published and python.is_published and chinese.is_published
    for lesson in Lesson.objects.all():
        assert _words(lesson.body) > 400, f"{lesson.slug} is too thin to teach from"
        assert markdown_errors(lesson.body) == []
    signs_in = {u.username: u.role for u in User.objects.all() if u.has_usable_password()}
    assert signs_in == {"student": Role.STUDENT, "teacher": Role.TEACHER, "admin": Role.ADMIN}
    # The rest are the demo student's classmates: students nobody can sign in as.
    assert set(User.objects.filter(password__startswith="!").values_list("role", flat=True)) == {
        Role.STUDENT
    }


def test_the_llm_course_covers_the_outline():
    demo_load()
    titles = " ".join(
        Lesson.objects.filter(course__slug="llm-how-they-work").values_list("title", flat=True)
    ).lower()
    for topic in ("attention", "pretraining", "fine-tuning", "prompting", "inference", "safety"):
        assert (
            topic in titles
            or Lesson.objects.filter(
                course__slug="llm-how-they-work", body__icontains=topic
            ).count()
            >= 2
        ), topic


def test_loading_twice_changes_nothing_and_keeps_enrollments():
    demo_load()
    student = User.objects.get(username="student")
    llm = Course.objects.get(slug="llm-how-they-work")
    Enrollment.objects.create(user=student, course=llm)
    counts = (Course.objects.count(), Lesson.objects.count(), User.objects.count())
    demo_load()
    assert (Course.objects.count(), Lesson.objects.count(), User.objects.count()) == counts
    # Python basics and 大语言模型 from the demo, the English LLM course enrolled above.
    assert Enrollment.objects.filter(user=student).count() == 3


def test_the_demo_logins_work(client):
    demo_load()
    for account in DEMO_ACCOUNTS:
        assert client.login(username=account.username, password=account.password)
    client.login(username="teacher", password="teach-with-llmasos")
    assert client.get(reverse("courses:edit", args=["python-basics"])).status_code == 200


def test_it_refuses_public_demo_passwords_with_debug_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="Refusing"):
        call_command("load_demo")
    assert not User.objects.exists()
