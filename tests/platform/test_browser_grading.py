"""Auto-grading in a real browser, with a real Celery worker, the real sandbox and the real
packaged model writing feedback: the demo teacher creates a code assignment, the demo student
submits a wrong then a right solution and watches the verdicts arrive live, and the teacher
overrides a grade in the review queue and exports the gradebook."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.conf import global_settings
from playwright.sync_api import expect

from courses.demo import DEMO_ACCOUNTS, demo_load
from courses.models import Course
from grading.demo import demo_assignments_load
from tests.platform.conftest import BROWSER_MARKS, NOTIFICATION_SOCKET, wait_for_socket

pytestmark = BROWSER_MARKS

TESTS = """import unittest
from solution import word_count


class TestWordCount(unittest.TestCase):
    def test_two_words(self):
        self.assertEqual(word_count("hello world"), 2)

    def test_extra_spaces(self):
        self.assertEqual(word_count("  many   spaces here "), 3)

    def test_empty(self):
        self.assertEqual(word_count(""), 0)
"""
REFERENCE = "def word_count(text):\n    return len(text.split())\n"
WRONG = "def word_count(text):\n    return text.count(' ') + 1\n"


@pytest.fixture
def _short_feedback(monkeypatch):
    # The worker reads these at start-up: a short feedback keeps the test quick on CPU.
    monkeypatch.setenv("GRADING_FEEDBACK_MAX_TOKENS", "24")
    monkeypatch.setenv("LLM_BACKEND", "local")


@pytest.fixture
def grading_site(_short_feedback, transactional_db, asgi_server, worker_process, settings):
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS
    demo_load()
    demo_assignments_load(course=Course.objects.get(slug="python-basics"))
    return asgi_server


def _sign_in(page, base: str, username: str) -> None:
    page.context.clear_cookies()
    account = next(a for a in DEMO_ACCOUNTS if a.username == username)
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(account.username)
    page.get_by_label("Password").fill(account.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Hello")).to_be_visible()


def _type_code(page, field_id: str, code: str) -> None:
    page.wait_for_function("(id) => window.llmasosEditors?.has(id)", arg=field_id)
    page.evaluate("([id, code]) => window.llmasosEditors.get(id).setValue(code)", [field_id, code])


def test_a_code_assignment_from_creation_to_gradebook(grading_site, page):
    base = grading_site
    # The teacher creates the assignment; the reference solution is checked in the sandbox.
    _sign_in(page, base, "teacher")
    page.goto(f"{base}/courses/python-basics/assignments/new/")
    page.get_by_label("Title").fill("Count the words")
    page.get_by_label("Instructions").fill("Write `word_count(text)`: the number of words.")
    _type_code(page, "id_starter_code", "def word_count(text):\n    pass\n")
    _type_code(page, "id_test_code", TESTS)
    _type_code(page, "id_reference_solution", WRONG)
    page.get_by_label("Hidden tests").fill("TestWordCount.test_empty")
    page.get_by_role("button", name="Create assignment").click()
    expect(page.get_by_text("does not pass every test")).to_be_visible()
    _type_code(page, "id_reference_solution", REFERENCE)
    page.get_by_role("button", name="Create assignment").click()
    expect(page.get_by_role("heading", name="Count the words")).to_be_visible()
    assignment_url = page.url

    # The student submits a wrong solution, then a right one.
    _sign_in(page, base, "student")
    page.goto(assignment_url)
    wait_for_socket(page, NOTIFICATION_SOCKET)
    expect(page.get_by_role("textbox", name="Your code")).to_be_visible()  # the code editor
    _type_code(page, "id_code", WRONG)
    page.get_by_role("button", name="Submit for grading").click()
    result = page.locator("#latest-result .submission-result")
    expect(result).to_contain_text("Attempt 1")
    expect(result).to_contain_text("Failed", timeout=60_000)  # pushed live by the worker
    expect(result.locator("tr.outcome-failed").first).to_contain_text("test_extra_spaces")
    expect(result).to_contain_text("Hidden test 1")
    expect(result.locator(".feedback")).to_contain_text("Feedback from the tutor", timeout=120_000)

    _type_code(page, "id_code", REFERENCE)
    page.get_by_role("button", name="Submit for grading").click()
    expect(result).to_contain_text("Attempt 2")
    expect(result).to_contain_text("Passed", timeout=60_000)
    expect(result.locator("[data-score]")).to_have_text("10")
    expect(page.locator("#submission-history tr")).to_have_count(2)

    # The teacher overrides the first attempt's grade and exports the gradebook.
    _sign_in(page, base, "teacher")
    page.goto(f"{base}/courses/python-basics/review/?filter=failed")
    item = page.locator(".review-item", has_text="Count the words")
    expect(item).to_contain_text("Sam Student")
    item.get_by_label("Score for Sam Student").fill("5")
    item.get_by_label("Comment for the student").fill("Right idea; split() handles spaces.")
    item.get_by_role("button", name="Override").click()
    expect(page.get_by_text("Score overridden.")).to_be_visible()

    page.goto(f"{base}/courses/python-basics/gradebook/")
    row = page.locator("tr", has_text="Sam Student")
    expect(row).to_contain_text("10")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Export CSV").click()
    text = Path(download_info.value.path()).read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    column = next(i for i, title in enumerate(rows[0]) if title.startswith("Count the words"))
    student_row = next(r for r in rows if r[0] == "student")
    assert student_row[column] == "10"  # the best attempt counts
    assert len(rows[0]) >= 2 + 9 + 1  # the demo's assignments are all there
