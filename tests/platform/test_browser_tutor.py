"""The tutor in a real browser: the demo student asks about a demo lesson on its page, the
answer streams in from the real packaged model, and a citation opens the source."""

from __future__ import annotations

import pytest
from django.conf import global_settings
from playwright.sync_api import expect

from accounts.models import User
from courses.demo import DEMO_ACCOUNTS, demo_load
from courses.models import Course
from courses.services import enrollment_create
from tests.platform.conftest import (
    BROWSER_MARKS,
    TUTOR_SOCKET,
    tutor_lessons_index,
    wait_for_socket,
)

pytestmark = BROWSER_MARKS

LESSON = "/courses/llm-how-they-work/lessons/making-inference-fast/"


@pytest.fixture
def _short_answers(monkeypatch):
    # The server process reads these at start-up: short answers keep the test quick on CPU.
    monkeypatch.setenv("TUTOR_MAX_TOKENS", "40")
    monkeypatch.setenv("LLM_BACKEND", "local")


@pytest.fixture
def tutor_site(_short_answers, transactional_db, asgi_server, settings):
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS
    demo_load()
    course = Course.objects.get(slug="llm-how-they-work")
    tutor_lessons_index(course)
    enrollment_create(user=User.objects.get(username="student"), course=course)
    return asgi_server


def _sign_in(page, base: str) -> None:
    account = next(a for a in DEMO_ACCOUNTS if a.username == "student")
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(account.username)
    page.get_by_label("Password").fill(account.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Hello, Sam Student")).to_be_visible()


def test_the_demo_student_gets_a_streamed_cited_answer_on_a_lesson_page(tutor_site, page):
    _sign_in(page, tutor_site)
    page.goto(f"{tutor_site}{LESSON}")
    panel = page.get_by_role("region", name="Ask about this lesson")
    expect(panel).to_be_visible()
    expect(panel.get_by_text("10 of 10 questions left")).to_be_visible()
    wait_for_socket(page, TUTOR_SOCKET)
    # Count how often the answer's text changes: streamed, it changes many times.
    page.evaluate(
        """() => {
          window.answerUpdates = 0;
          new MutationObserver(() => window.answerUpdates++).observe(
            document.getElementById('tutor-log'), {subtree: true, childList: true});
        }"""
    )
    question = panel.get_by_label("Your question")
    question.fill("What does the KV cache store?")
    question.press("Enter")

    expect(question).to_have_value("")
    # The first question in a fresh server also loads the embedder, the index and the model.
    expect(panel.locator(".tutor-msg-student")).to_contain_text(
        "What does the KV cache store?", timeout=60_000
    )
    answer = panel.locator(".tutor-msg-tutor").last
    expect(answer).to_have_attribute("aria-busy", "false", timeout=120_000)
    assert page.evaluate("window.answerUpdates") >= 3
    assert len(answer.locator(".tutor-body").inner_text().split()) >= 5
    expect(panel.get_by_text("9 of 10 questions left")).to_be_visible()
    expect(panel.get_by_role("button", name="Stop")).to_have_count(0)

    source = answer.locator(".citations a").first
    expect(source).to_have_text("Making inference fast and cheap")
    href = source.get_attribute("href")
    assert href.startswith(LESSON + "#")
    source.click()
    page.wait_for_url(f"**{href}")
    anchor = href.split("#", 1)[1]
    expect(page.locator(f"[id='{anchor}']")).to_be_visible()


def test_the_stop_button_ends_an_answer_and_ratings_are_saved(tutor_site, page):
    _sign_in(page, tutor_site)
    page.goto(f"{tutor_site}/courses/llm-how-they-work/tutor/")
    wait_for_socket(page, TUTOR_SOCKET)
    question = page.get_by_label("Your question")
    question.fill("How does batching make inference faster?")
    page.get_by_role("button", name="Ask").click()
    page.get_by_role("button", name="Stop").click()
    answer = page.locator(".tutor-msg-tutor").last
    expect(answer).to_have_attribute("aria-busy", "false", timeout=60_000)
    expect(answer.get_by_text("Stopped.")).to_be_visible()

    question.fill("What is quantisation?")
    question.press("Enter")
    answer = page.locator(".tutor-msg-tutor").last
    expect(answer.get_by_role("button", name="Not helpful")).to_be_visible(timeout=120_000)
    answer.get_by_label("Comment on this answer").fill("Needs an example")
    answer.get_by_role("button", name="Not helpful").click()
    expect(answer.get_by_text("You rated this")).to_contain_text("not helpful")
