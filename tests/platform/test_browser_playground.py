"""The playground in a real browser against uvicorn, the real sandbox and the real packaged
model: the demo student writes and runs an interactive program, stops a runaway loop, and gets a
streamed explanation of an error."""

from __future__ import annotations

import pytest
from django.conf import global_settings
from playwright.sync_api import expect

from courses.demo import DEMO_ACCOUNTS, demo_load
from tests.platform.conftest import BROWSER_MARKS

pytestmark = BROWSER_MARKS


@pytest.fixture
def _short_help(monkeypatch):
    monkeypatch.setenv("LLM_BACKEND", "local")
    monkeypatch.setenv("PLAYGROUND_WALL_SECONDS", "20")
    monkeypatch.setenv("PLAYGROUND_HELP_MAX_TOKENS", "40")


@pytest.fixture
def playground_site(_short_help, transactional_db, asgi_server, settings):
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS
    demo_load()
    return asgi_server


def _type_code(page, code: str) -> None:
    page.wait_for_function("() => window.llmasosEditors?.has('id_code')")
    page.evaluate("(code) => window.llmasosEditors.get('id_code').setValue(code)", code)


def test_write_run_stop_and_ask_why(playground_site, page):
    base = playground_site
    account = next(a for a in DEMO_ACCOUNTS if a.username == "student")
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(account.username)
    page.get_by_label("Password").fill(account.password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Playground").click()
    expect(page.get_by_role("heading", name="Playground")).to_be_visible()
    page.wait_for_selector("#playground[data-connected]")

    output = page.locator("#output")
    _type_code(page, 'name = input("Your name? ")\nprint(f"Hello, {name}!")\n')
    page.get_by_role("button", name="Run").click()
    expect(output).to_have_text("Your name? ", timeout=15_000)
    page.get_by_label("Input for the running program").fill("Ada")
    page.get_by_label("Input for the running program").press("Enter")
    expect(output).to_contain_text("Hello, Ada!")
    expect(page.locator("#run-status")).to_contain_text("Finished · exit code 0")

    answer = page.locator("#help-answer")
    page.get_by_role("button", name="Explain this code").click()
    expect(answer).to_have_attribute("aria-busy", "true", timeout=30_000)
    expect(answer).to_have_attribute("aria-busy", "false", timeout=120_000)
    explanation = answer.inner_text()
    assert len(explanation.split()) >= 5

    _type_code(page, "n = 0\nwhile True:\n    n += 1\n")
    page.locator("#id_code + .CodeMirror textarea, .CodeMirror [contenteditable]").first.press(
        "Control+Enter"
    )
    expect(page.locator("#run-status")).to_have_text("Running…")
    page.get_by_role("button", name="Stop").click()
    expect(page.locator("#run-status")).to_contain_text("Stopped", timeout=5_000)

    _type_code(page, "scores = [3, 5]\nprint(scores[2])\n")
    page.get_by_role("button", name="Run").click()
    expect(output).to_contain_text("IndexError")
    page.get_by_role("button", name="Why does it fail?").click()
    expect(answer).not_to_have_text(explanation, timeout=30_000)
    expect(answer).to_have_attribute("aria-busy", "false", timeout=120_000)
    assert len(answer.inner_text().split()) >= 5
