"""The LLM lab in a real browser against uvicorn and the real packaged models: the demo student
drives every instrument on its page, then the next-token instrument and its exercise inside the
decoding lesson."""

from __future__ import annotations

import pytest
from django.conf import global_settings
from playwright.sync_api import expect

from courses.demo import DEMO_ACCOUNTS, demo_load
from courses.models import Course, Enrollment
from tests.platform.conftest import BROWSER_MARKS

pytestmark = BROWSER_MARKS
# The first call loads the model in the server process; sampling and the speed measurement
# generate tokens, which takes long on a machine other work loads.
MODEL_TIMEOUT = 180_000


@pytest.fixture
def lab_site(transactional_db, asgi_server, settings):
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS
    demo_load()
    return asgi_server


def _sign_in(page, base: str) -> None:
    account = next(a for a in DEMO_ACCOUNTS if a.username == "student")
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(account.username)
    page.get_by_label("Password").fill(account.password)
    page.get_by_role("button", name="Sign in").click()


def _open(page, link) -> None:
    """Follow a link to a lab page and wait until htmx has wired its forms up.

    htmx and lab.js load deferred and htmx takes over the forms on DOMContentLoaded: a click
    before that submits the plain form, a full page load that computes the result (seconds
    on a busy machine) instead of the fragment the test waits for."""
    link.click()
    _htmx_ready(page)


def _htmx_ready(page) -> None:
    page.wait_for_function(
        "() => document.readyState === 'complete' && window.htmx && window.llmasosLab"
    )


def _answered(result) -> None:
    """Wait for the model's answer to land in `result`: a refusal (busy, rate) fails the test
    with the refusal's text in the message, not as a timeout on a missing element."""
    expect(result).not_to_be_empty(timeout=MODEL_TIMEOUT)
    refusals = result.locator(".lab-refusal")
    assert refusals.count() == 0, refusals.all_inner_texts()


def _chart_drawn(page, scope: str = "body") -> None:
    page.wait_for_function(
        "(scope) => [...document.querySelectorAll(scope + ' canvas')]"
        ".some((c) => window.Chart && Chart.getChart(c))",
        arg=scope,
    )


def test_the_student_drives_every_instrument(lab_site, page):
    base = lab_site
    _sign_in(page, base)
    page.get_by_role("link", name="Lab", exact=True).click()
    expect(page.get_by_role("heading", name="LLM lab")).to_be_visible()

    # Tokenizer: English against Chinese, coloured tokens.
    _open(page, page.get_by_role("link", name="Tokenizer").first)
    page.get_by_role("button", name="Tokenize").click()
    result = page.locator(".lab-result")
    expect(result.locator(".lab-compare")).to_be_visible(timeout=MODEL_TIMEOUT)
    assert result.locator(".token-strip").first.locator(".token").count() >= 7

    # Next token: the chart, the sliders redraw without a request, a click appends.
    _open(page, page.locator(".lab-nav").get_by_role("link", name="Next token"))
    page.get_by_role("button", name="Predict the next token").click()
    expect(page.locator(".lab-candidates")).to_contain_text("Paris", timeout=MODEL_TIMEOUT)
    _chart_drawn(page, ".lab-next")
    survivors = page.locator(".lab-survivors")
    expect(survivors).to_contain_text("50 of the top 50")
    page.locator('input[name="top_k"]').fill("5")
    expect(survivors).to_contain_text("5 of the top 50")
    page.locator(".lab-candidates .token-choice").first.click()
    expect(page.locator(".lab-prompt")).to_have_text(
        "The capital of France is Paris", timeout=MODEL_TIMEOUT
    )
    page.get_by_role("button", name="Sample 20 times").click()
    expect(page.locator(".lab-samples li").first).to_be_visible(timeout=MODEL_TIMEOUT)

    # Attention: a heatmap with the tokens on both axes; hovering a row reads it out.
    _open(page, page.locator(".lab-nav").get_by_role("link", name="Attention"))
    page.get_by_label("Head (of 9)").select_option(label="Head 2")
    page.get_by_role("button", name="Show attention").click()
    heatmap = page.locator(".attention-map")
    expect(heatmap).to_be_visible(timeout=MODEL_TIMEOUT)
    heatmap.locator("tbody tr").nth(5).hover()
    expect(page.locator(".lab-attention-focus")).to_contain_text("looks most at")
    expect(heatmap.locator("tbody tr").first.locator("td").first).to_have_class("w10")

    # Embeddings: a scatter plot and the query's neighbours.
    _open(page, page.locator(".lab-nav").get_by_role("link", name="Embeddings"))
    page.get_by_label("Query").fill("a king and his wife")
    page.get_by_role("button", name="Map").click()
    expect(page.locator(".lab-neighbours")).to_contain_text("queen", timeout=MODEL_TIMEOUT)
    _chart_drawn(page, ".lab-embeddings")

    # Speed and memory, measured on the spot.
    _open(page, page.locator(".lab-nav").get_by_role("link", name="Speed and memory"))
    page.get_by_role("button", name="Measure").click()
    expect(page.locator(".lab-throughput")).to_contain_text("Batch of 8", timeout=2 * MODEL_TIMEOUT)
    _chart_drawn(page, ".lab-speed")


def test_the_decoding_lesson_embeds_the_instrument_and_checks_its_exercise(lab_site, page):
    from accounts.models import User

    student = User.objects.get(username="student")
    course = Course.objects.get(slug="llm-how-they-work")
    Enrollment.objects.get_or_create(user=student, course=course)
    _sign_in(page, lab_site)
    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    page.goto(f"{lab_site}/courses/llm-how-they-work/lessons/decoding-and-sampling/")
    embed = page.locator(".lab-embed")
    expect(embed.get_by_text("Lab · Next token")).to_be_visible()
    _htmx_ready(page)
    embed.get_by_role("button", name="Predict the next token").click()
    _answered(embed.locator(".lab-result"))
    expect(embed.locator(".lab-candidates")).to_contain_text("Paris", timeout=MODEL_TIMEOUT)
    _chart_drawn(page, ".lab-embed")

    exercise = embed.locator(".lab-exercise")
    exercise.get_by_role("button", name="Check my prompt").click()
    outcome = embed.locator(".lab-exercise-result")
    expect(outcome).to_contain_text("Not yet", timeout=MODEL_TIMEOUT)
    exercise.get_by_label("Your prompt").fill("The capital of the United Kingdom is")
    exercise.get_by_role("button", name="Check my prompt").click()
    expect(outcome).to_contain_text("Well done", timeout=MODEL_TIMEOUT)
