"""Real-browser fixtures: Debian's chromium driven by Playwright (no browser download)."""

from __future__ import annotations

import os
import shutil

import pytest
from django.db import connections
from playwright.sync_api import sync_playwright

from courses.models import Course
from courses.services import lesson_reindex

# The lessons of the demo course "llm-how-they-work" that the tutor journeys ask about (the KV
# cache, batching, quantisation), with two neighbours for retrieval to choose between. Embedding
# all 16 lessons took ~90 s of each pass. That `load_demo` queues every lesson is tested in
# tests/courses/test_demo_zh.py, and that a queued lesson reaches the index in
# tests/knowledge/test_lesson_sync.py.
TUTOR_LESSONS = (
    "making-inference-fast",
    "decoding-and-sampling",
    "retrieval-augmented-generation-and-tools",
)
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
BROWSER_MARKS = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian chromium is not installed"),
]
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def page(monkeypatch):
    # Playwright's sync API runs an event loop in this thread; the ORM calls made by the test
    # itself are still plain synchronous ones.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.set_default_timeout(15_000)
        try:
            yield page
        finally:
            browser.close()
            # The ORM calls the test made ran inside Playwright's greenlet, whose database
            # connections pytest-django cannot see; left open they block dropping the test database.
            connections.close_all()


NOTIFICATION_SOCKET = '[ws-connect^="/ws/notifications/"]'
TUTOR_SOCKET = ".tutor-panel"


def wait_for_socket(page, selector: str) -> None:
    """Until the HTMX websocket opened by the element at `selector` is connected.

    htmx loads deferred, so the predicate must hold (not throw) before it exists.
    """
    page.wait_for_function(
        "(selector) => { const element = window.htmx && htmx.find(selector);"
        " const socket = element?.['htmx-internal-data']?.webSocket?.socket;"
        " return socket?.readyState === 1; }",
        arg=selector,
    )


def tutor_lessons_index(course: Course) -> None:
    """Index TUTOR_LESSONS of `course` as `load_demo` does (eager Celery in tests)."""
    lessons = list(course.lessons.filter(slug__in=TUTOR_LESSONS))
    assert len(lessons) == len(TUTOR_LESSONS), "a tutor lesson of the demo course was renamed"
    for lesson in lessons:
        lesson_reindex(lesson=lesson)
