"""A student in Simplified Chinese, in a real browser against uvicorn, the real sandbox and the
real packaged models: the tutor page (a question streamed and answered), the playground (a run
and its status line), "My path" (its chart and table) and the next-token lab instrument (its
chart's labels, drawn by JavaScript from the catalogue). The assertions read the interface, not
the model's words."""

from __future__ import annotations

import re

import pytest
from django.conf import global_settings
from playwright.sync_api import expect

from accounts.models import User
from courses.demo import DEMO_ACCOUNTS, demo_load
from courses.models import Course
from courses.services import enrollment_create
from learning.demo import demo_concepts_load, demo_history_load
from tests.platform.conftest import (
    BROWSER_MARKS,
    TUTOR_SOCKET,
    tutor_lessons_index,
    wait_for_socket,
)

pytestmark = [*BROWSER_MARKS]
MODEL_TIMEOUT = 180_000


@pytest.fixture
def chinese_site(monkeypatch, transactional_db, asgi_server, settings):
    # Read by the server process at start-up: short answers keep the test quick on CPU.
    monkeypatch.setenv("TUTOR_MAX_TOKENS", "40")
    monkeypatch.setenv("LLM_BACKEND", "local")
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS
    demo_load()
    llm = Course.objects.get(slug="llm-how-they-work")
    tutor_lessons_index(llm)
    enrollment_create(user=User.objects.get(username="student"), course=llm)
    basics = Course.objects.get(slug="python-basics")
    demo_concepts_load(course=basics)
    demo_history_load(course=basics)
    return asgi_server


def _sign_in_in_chinese(page, base: str) -> None:
    # Signed in on the English page, then the language cookie a switcher sets: every later
    # page and socket of this browser reads it.
    account = next(a for a in DEMO_ACCOUNTS if a.username == "student")
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(account.username)
    page.get_by_label("Password").fill(account.password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"^(?!.*/accounts/login/)"))
    page.context.add_cookies([{"name": "django_language", "value": "zh-hans", "url": base}])


def test_a_student_learns_in_chinese(chinese_site, page):
    base = chinese_site
    _sign_in_in_chinese(page, base)

    # The tutor: ask, watch the answer stream, see the sources, the quota and the rating.
    page.goto(f"{base}/courses/llm-how-they-work/tutor/")
    panel = page.get_by_role("region", name="向助教提问")
    expect(panel).to_be_visible()
    expect(panel.get_by_text("还可提问 10 次（共 10 次）。")).to_be_visible()
    expect(panel.get_by_role("group", name="模式")).to_contain_text("考考我")
    wait_for_socket(page, TUTOR_SOCKET)
    question = panel.get_by_label("你的问题")
    question.fill("What does the KV cache store?")
    question.press("Enter")
    mine = panel.locator(".tutor-msg-student").last
    expect(mine.locator("header strong")).to_have_text("你", timeout=MODEL_TIMEOUT)
    answer = panel.locator(".tutor-msg-tutor").last
    expect(answer.locator("header strong")).to_have_text("助教")
    expect(answer).to_have_attribute("aria-busy", "false", timeout=MODEL_TIMEOUT)
    expect(answer.locator(".citations summary")).to_have_text(re.compile(r"^来源（\d+）$"))
    expect(answer.get_by_role("button", name="有帮助", exact=True)).to_be_visible()
    expect(panel.get_by_text("还可提问 9 次（共 10 次）")).to_be_visible()

    # The playground: a run streamed over its socket; the status line is written by
    # playground.js with the catalogue's strings.
    page.goto(f"{base}/playground/")
    expect(page.get_by_role("heading", name="编程练习场")).to_be_visible()
    page.wait_for_selector("#playground[data-connected]")
    page.wait_for_function("() => window.llmasosEditors?.has('id_code')")
    page.evaluate("() => window.llmasosEditors.get('id_code').setValue('print(6 * 7)\\n')")
    page.get_by_role("button", name="运行", exact=True).click()
    expect(page.locator("#output")).to_have_text("42\n", timeout=30_000)
    expect(page.locator("#run-status")).to_have_text(re.compile(r"^已结束 · 退出码 0 · \d+ 毫秒$"))

    # "My path": the headline, the chart's text alternative and key, the table's states.
    page.goto(f"{base}/courses/python-basics/path/")
    expect(page.get_by_role("heading", name="我的学习路径", exact=True)).to_be_visible()
    expect(page.get_by_test_id("mastered-count")).to_have_text("4 / 32")
    expect(page.get_by_role("img", name=re.compile("^各知识点掌握度："))).to_be_visible()
    expect(page.locator(".mastery-chart figcaption")).to_contain_text("已掌握")
    page.get_by_text("以表格查看掌握度").click()
    table = page.get_by_test_id("mastery-table")
    expect(table.get_by_role("columnheader", name="掌握度")).to_be_visible()
    expect(table).to_contain_text("已掌握")
    expect(table).to_contain_text("未解锁")

    # The lab: the next-token instrument, its table and its chart's Chinese legend.
    page.goto(f"{base}/lab/next-token/")
    expect(page.get_by_role("heading", name="下一个词元")).to_be_visible()
    page.wait_for_function("() => window.htmx && window.llmasosLab && window.gettext")
    page.get_by_role("button", name="预测下一个词元").click()
    expect(page.locator(".lab-candidates")).to_contain_text("Paris", timeout=MODEL_TIMEOUT)
    expect(page.locator(".lab-survivors")).to_have_text("前 50 个词元中有 50 个未被截除。")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.lab-next canvas')].some((c) => Chart.getChart(c))"
    )
    legend = page.evaluate(
        "() => Chart.getChart(document.querySelector('.lab-next canvas'))"
        ".data.datasets.map((d) => d.label)"
    )
    assert legend == ["温度 1", "滑块调整后"]
    expect(page.get_by_role("columnheader", name="概率", exact=True)).to_be_visible()
