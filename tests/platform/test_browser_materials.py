"""A teacher uploads a PDF and an HTML page in a real browser, watches both reach Ready live
(Celery worker → channel layer → the page's websocket), then searches and opens a citation."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from accounts.models import Role, User
from courses import services
from tests.knowledge.pdfs import pdf_with_pages
from tests.platform.conftest import BROWSER_MARKS, NOTIFICATION_SOCKET, wait_for_socket

pytestmark = BROWSER_MARKS
PASSWORD = "a-long-teacher-password-1"


@pytest.fixture
def teacher_site(transactional_db, asgi_server, worker_process, settings):
    from django.conf import global_settings

    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS
    teacher = User.objects.create_user("tina", password=PASSWORD, role=Role.TEACHER)
    course = services.course_create(
        author=teacher, title="Transformers", slug="transformers", summary="How they work."
    )
    return asgi_server, course


def test_a_teacher_uploads_material_watches_it_become_ready_and_searches(
    teacher_site, page, tmp_path
):
    base, course = teacher_site
    pdf = tmp_path / "kv-cache.pdf"
    pdf.write_bytes(
        pdf_with_pages(
            [
                "Tokens are subword units.",
                "The KV cache keeps the keys and values of earlier tokens.",
            ]
        )
    )
    html = tmp_path / "heads.html"
    html.write_text(
        "<html><body><nav>site menu</nav><h1>Multi-head attention</h1><p>Several "
        "heads attend in parallel and their outputs are concatenated.</p>"
        "<script>alert(1)</script></body></html>"
    )

    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill("tina")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{base}/courses/{course.slug}/")
    page.get_by_role("button", name="Material").click()  # a link styled (and announced) as a button
    wait_for_socket(page, NOTIFICATION_SOCKET)
    page.get_by_label("Files").set_input_files([str(pdf), str(html)])
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_text("2 files uploaded")).to_be_visible()

    # No reload from here on: the rows turn Ready when the worker's status arrives.
    rows = page.locator("#materials tr")
    expect(rows.filter(has_text="kv-cache.pdf").get_by_text("Ready")).to_be_visible(timeout=90_000)
    expect(rows.filter(has_text="heads.html").get_by_text("Ready")).to_be_visible(timeout=90_000)
    # A row that turned Ready live can still be deleted (its form came over the websocket).
    page.get_by_role("button", name="Delete heads.html").click()
    expect(page.get_by_text("“heads.html” and its passages were removed.")).to_be_visible()
    expect(rows.filter(has_text="heads.html")).to_have_count(0)
    expect(rows.filter(has_text="kv-cache.pdf")).to_have_count(1)

    page.get_by_role("link", name="Search the course material").click()
    page.get_by_role("searchbox").fill("what does the KV cache keep?")
    page.get_by_role("button", name="Search").click()
    first = page.locator("#results article").first
    expect(first).to_contain_text("page 2", timeout=60_000)  # the server loads the embedder
    expect(first).to_contain_text("keeps the keys and values")
    with page.expect_response(lambda r: "/materials/" in r.url) as opened:
        first.get_by_role("link", name="kv-cache.pdf").click()
    assert opened.value.status == 200
    assert opened.value.headers["content-type"] == "application/pdf"
