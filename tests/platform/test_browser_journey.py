"""The main student journey in a real browser (Debian's chromium, driven by Playwright)
against the real ASGI server: sign in, enroll, read a lesson, get a live notification."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import global_settings
from django.db import connection
from playwright.sync_api import expect

from accounts.models import User
from courses.demo import DEMO_ACCOUNTS, demo_load
from notifications.services import notification_create
from tests.platform.conftest import BROWSER_MARKS, NOTIFICATION_SOCKET, wait_for_socket

pytestmark = BROWSER_MARKS


@pytest.fixture
def demo_site(transactional_db, asgi_server, settings):
    # The server process checks passwords with the real hashers, so hash them that way here.
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS
    demo_load()
    return asgi_server


def _notify(user_id: int, title: str) -> None:
    try:
        notification_create(user_id=user_id, title=title)
    finally:
        connection.close()


def test_the_demo_student_signs_in_enrolls_and_reads_a_lesson(demo_site, page):
    student = next(a for a in DEMO_ACCOUNTS if a.username == "student")
    page.goto(f"{demo_site}/")
    page.get_by_role("link", name="Sign in").click()
    page.get_by_label("Username").fill(student.username)
    page.get_by_label("Password").fill(student.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Hello, Sam Student")).to_be_visible()

    page.get_by_role("link", name="Catalog").click()
    page.get_by_role("link", name="Large Language Models: how they work").click()
    page.get_by_role("button", name="Enroll").click()

    # Enrolling lands on the first lesson, with a success message and the outline.
    expect(page.get_by_text("You are enrolled in")).to_be_visible()
    expect(page.get_by_text("Lesson 1 of")).to_be_visible()
    first_title = page.locator("article h1").inner_text()
    page.get_by_role("link", name=" →").last.click()  # "Next lesson →"
    expect(page.get_by_text("Lesson 2 of")).to_be_visible()
    assert page.locator("article h1").inner_text() != first_title
    expect(page.locator(".lesson-body h2").first).to_be_visible()

    # The page's notification socket is live: a notification sent now appears as a toast.
    wait_for_socket(page, NOTIFICATION_SOCKET)
    user = User.objects.get(username=student.username)
    # Sent from another thread, as a worker would: this one is busy running Playwright's loop.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(_notify, user.pk, "Your homework was graded").result()
    expect(page.locator("#toasts").get_by_text("Your homework was graded")).to_be_visible()
