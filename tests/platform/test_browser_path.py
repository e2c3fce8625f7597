""" "My path" in a real browser, with a real Celery worker and the real sandbox: the demo
student sees a review due and answers it, then submits a wrong and a right solution to a demo
assignment and watches the path change; the demo teacher sees the class heatmap."""

from __future__ import annotations

import re

import pytest
from django.conf import global_settings
from playwright.sync_api import expect

from courses.demo import demo_load
from courses.models import Course
from grading.demo import DEMO_ASSIGNMENTS_DIR, demo_assignments_load
from grading.models import Assignment
from learning.demo import demo_concepts_load, demo_history_load
from tests.platform.conftest import BROWSER_MARKS, NOTIFICATION_SOCKET, wait_for_socket
from tests.platform.test_browser_grading import _sign_in, _type_code

pytestmark = BROWSER_MARKS

HEADLINE = DEMO_ASSIGNMENTS_DIR / "python-basics" / "01-trim-a-headline"


@pytest.fixture
def path_site(transactional_db, asgi_server, monkeypatch, settings):
    monkeypatch.setenv("GRADING_FEEDBACK", "false")  # read by the worker at start-up
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS
    demo_load()
    course = Course.objects.get(slug="python-basics")
    demo_assignments_load(course=course)
    demo_concepts_load(course=course)
    demo_history_load(course=course)
    return asgi_server


def _slicing_mastery(page, base: str) -> int:
    page.goto(f"{base}/courses/python-basics/path/")
    cell = page.get_by_test_id("mastery-slicing")
    return int(re.sub(r"\D", "", cell.text_content() or ""))


def test_my_path_moves_with_reviews_and_submissions(path_site, worker_process, page):
    base = path_site
    _sign_in(page, base, "student")
    # The dashboard headlines the path before the student opens it.
    # The demo student is enrolled in two courses: this is the Python course's card.
    summary = page.get_by_test_id("path-summary").filter(
        has=page.locator('a[href$="/courses/python-basics/path/"]')
    )
    expect(summary).to_have_text("My path: 4 of 32 concepts mastered · 1 review due today")
    summary.get_by_role("link", name="My path").click()
    expect(page.get_by_role("heading", name="My path")).to_be_visible()
    expect(page.get_by_test_id("mastered-count")).to_have_text("4 of 32")
    expect(page.get_by_test_id("next-step")).to_contain_text("builds on")
    expect(page.get_by_role("img", name=re.compile("Mastery per concept"))).to_be_visible()

    # A concept mastered three days ago is due for review; answering it right is the review.
    review = page.get_by_test_id("review-due").filter(has_text="type conversion")
    expect(review).to_be_visible()
    review.get_by_role("link", name="Review now").click()
    expect(
        page.get_by_role("heading", name=re.compile("Practice: Types and type conversion"))
    ).to_be_visible()
    question = page.locator("fieldset label, input[name=answer]")
    expect(question.first).to_be_visible()
    # The demo's questions are in the import file; answer with the right option or text.
    from learning.models import PracticeQuestion

    question_id = int(page.url.rstrip("/").split("/")[-1])
    asked = PracticeQuestion.objects.get(pk=question_id)
    if asked.kind == "choice":
        page.get_by_label(asked.choices[asked.answer_index], exact=True).check()
    else:
        page.get_by_label("Your answer").fill(asked.accepted_answers[0])
    page.get_by_role("button", name="Check my answer").click()
    expect(page.get_by_test_id("practice-result")).to_contain_text("Right!")
    expect(page.get_by_test_id("practice-result")).to_contain_text("Next review")
    page.get_by_role("button", name="Back to my path").click()
    expect(page.get_by_test_id("review-due").filter(has_text="type conversion")).to_have_count(0)
    page.goto(f"{base}/")
    expect(summary).to_have_text("My path: 4 of 32 concepts mastered")

    # A wrong submission lowers slicing; a right one raises it.
    before = _slicing_mastery(page, base)
    assignment = Assignment.objects.get(course__slug="python-basics", title="Trim a headline")
    for code, verdict in (
        ("def shorten(text, width):\n    return text\n", "Failed"),  # never cuts
        ((HEADLINE / "reference.py").read_text(), "Passed"),
    ):
        page.goto(f"{base}{assignment.get_absolute_url()}")
        wait_for_socket(page, NOTIFICATION_SOCKET)
        _type_code(page, "id_code", code)
        page.get_by_role("button", name="Submit for grading").click()
        expect(page.locator("#latest-result .submission-result")).to_contain_text(
            verdict, timeout=60_000
        )
        after = _slicing_mastery(page, base)
        if verdict == "Failed":
            assert after < before, (before, after)
            low = after
        else:
            assert after > low, (low, after)

    # The teacher sees the class heatmap with the demo student's row.
    _sign_in(page, base, "teacher")
    page.goto(f"{base}/courses/python-basics/")
    page.get_by_role("button", name="Class view").click()
    heatmap = page.get_by_test_id("heatmap")
    expect(heatmap).to_be_visible()
    expect(heatmap.get_by_role("link", name="Sam Student")).to_be_visible()
    heatmap.get_by_role("link", name="Sam Student").click()
    expect(page.get_by_role("heading", name="Learning path of Sam Student")).to_be_visible()
