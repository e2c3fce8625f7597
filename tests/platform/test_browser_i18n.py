"""The main journeys in Chinese, in a real browser (Debian's chromium, driven by Playwright)
against the real ASGI server: the demo student switches to 中文 and studies; the demo teacher
edits a course and opens its material page."""

from __future__ import annotations

import pytest
from django.conf import global_settings
from playwright.sync_api import expect

from accounts.models import User
from courses.demo import DEMO_ACCOUNTS, demo_load
from courses.models import LessonCompletion
from tests.platform.conftest import BROWSER_MARKS

pytestmark = BROWSER_MARKS


@pytest.fixture
def demo_site(transactional_db, asgi_server, settings):
    # The server process checks passwords with the real hashers, so hash them that way here.
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS
    demo_load()
    return asgi_server


def _sign_in(page, site: str, username: str) -> None:
    account = next(a for a in DEMO_ACCOUNTS if a.username == username)
    page.goto(f"{site}/accounts/login/")
    page.get_by_label("Username").fill(account.username)
    page.get_by_label("Password").fill(account.password)
    page.get_by_role("button", name="Sign in").click()


def test_the_demo_student_studies_in_chinese(demo_site, page):
    _sign_in(page, demo_site, "student")
    expect(page.get_by_role("heading", name="Hello, Sam Student")).to_be_visible()

    # The switcher is a button named in its own language; the choice is kept on the profile.
    page.get_by_role("button", name="简体中文").click()
    expect(page.get_by_role("heading", name="你好，Sam Student")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.get_by_role("heading", name="我的课程")).to_be_visible()
    assert User.objects.get(username="student").language == "zh-hans"

    page.get_by_role("link", name="Python programming basics").first.click()
    expect(page.get_by_text("已完成 0 / 10 节课")).to_be_visible()
    # (The course page's links are styled as buttons: role="button".)
    expect(page.get_by_role("button", name="向助教提问")).to_be_visible()
    page.get_by_role("button", name="开始学习：First steps with Python").click()

    expect(page.get_by_text("第 1 课，共 10 课")).to_be_visible()
    # The lesson itself is the teacher's text, in the language it was written in.
    expect(page.get_by_role("heading", name="First steps with Python", level=1)).to_be_visible()
    page.get_by_role("button", name="标记为已完成并继续").click()
    done = "已将“First steps with Python”标记为完成。下一节：Values, variables and types。"
    expect(page.get_by_text(done)).to_be_visible()
    expect(page.get_by_text("第 2 课，共 10 课")).to_be_visible()
    assert LessonCompletion.objects.filter(user__username="student").count() == 1

    page.get_by_role("link", name="我的主页").click()
    expect(page.get_by_text("已完成 1 / 10 节课")).to_be_visible()
    expect(page.get_by_role("button", name="继续学习：Values, variables and types")).to_be_visible()


def test_the_demo_teacher_edits_a_course_and_opens_its_material_in_chinese(demo_site, page):
    User.objects.filter(username="teacher").update(language="zh-hans")
    _sign_in(page, demo_site, "teacher")
    # The profile's language, whatever the browser asks for.
    expect(page.get_by_role("heading", name="我任教的课程")).to_be_visible()
    page.get_by_role("link", name="Python programming basics").first.click()

    page.get_by_role("button", name="编辑课程").click()
    expect(page.get_by_role("heading", name="编辑“Python programming basics”")).to_be_visible()
    page.get_by_label("简介").fill("用 Python 迈出编程的第一步。")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("课程已保存。")).to_be_visible()
    expect(page.get_by_text("用 Python 迈出编程的第一步。")).to_be_visible()

    page.get_by_role("button", name="课程资料").click()
    expect(page.get_by_role("heading", name="课程资料")).to_be_visible()
    expect(page.get_by_role("button", name="上传")).to_be_visible()
    expect(page.get_by_text("还没有资料。")).to_be_visible()
    # Uploading nothing is refused with a Chinese message (the browser's own `required` check
    # is bypassed by submitting the form directly).
    page.locator("form[enctype='multipart/form-data']").evaluate("form => form.submit()")
    expect(page.get_by_text("请至少选择一个文件上传。")).to_be_visible()
