"""The interface in Chinese: a page of each app, messages, form errors, API error details,
websocket frames, dates and relative times, and the sandbox's verdict sentences. Teachers' own
content (titles, lessons) is never translated."""

from __future__ import annotations

import re

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.urls import reverse
from django.utils import translation
from rest_framework.authtoken.models import Token

from accounts.models import User
from courses.models import Course
from llmasos.asgi import application
from notifications.services import notification_create
from tests.conftest import api_client_for

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


def _chinese(user: User) -> User:
    User.objects.filter(pk=user.pk).update(language="zh-hans")
    user.refresh_from_db()
    return user


@pytest.fixture
def zh_student(enrolled_student):
    return _chinese(enrolled_student)


@pytest.fixture
def zh_teacher(teacher):
    return _chinese(teacher)


def _page(client, url: str, **extra) -> str:
    response = client.get(url, **extra)
    assert response.status_code == 200, url
    return response.content.decode()


def test_the_student_pages_are_in_chinese(client, zh_student, course):
    client.force_login(zh_student)
    dashboard = _page(client, reverse("dashboard"))
    assert "你好，Alice" in dashboard and "已完成 0 / 3 节课" in dashboard
    assert "开始学习：Queries and keys" in dashboard  # the teacher's title stays as written
    detail = _page(client, course.get_absolute_url())
    assert "向助教提问" in detail and "退出课程" in detail and "Ask the tutor" not in detail
    lesson = _page(client, reverse("courses:lesson", args=[course.slug, "queries"]))
    assert "第 1 课，共 3 课" in lesson and "标记为已完成并继续" in lesson
    assert "A query meets a key." in lesson
    catalog = _page(client, reverse("courses:catalog"))
    assert "3 节课 · 1 名学生" in catalog
    assert "还没有通知。" in _page(client, reverse("notifications:list"))
    assert "你还没有 API 令牌。" in _page(client, reverse("accounts:api_token"))
    assert "你还没有向 AI 提过问题。" in _page(client, reverse("assist:my_usage"))
    search = _page(client, reverse("knowledge:search", args=[course.slug]))
    assert 'placeholder="搜索课文和资料"' in search


def test_the_teacher_pages_are_in_chinese(client, zh_teacher, course, kb_dirs):
    client.force_login(zh_teacher)
    edit = _page(client, reverse("courses:edit", args=[course.slug]))
    assert "编辑“Attention basics”" in edit
    assert 'for="id_title">标题' in edit
    assert "一句话简介，显示在课程目录中。" in edit
    materials = _page(client, reverse("knowledge:materials", args=[course.slug]))
    assert "<h1>课程资料" in materials and ">上传</button>" in materials
    ai = _page(client, reverse("assist:settings", args=[course.slug]))
    assert "<h2>考试</h2>" in ai and "完全辅助" in ai  # the mode choices are translated too
    students = _page(client, reverse("courses:students", args=[course.slug]))
    assert "共 0 名学生选修。" in students
    lms = _page(client, reverse("lti:course", args=[course.slug]))
    assert "还没有关联学习管理系统中的课程。" in lms


def test_messages_and_form_errors_are_in_chinese(client, zh_teacher, course):
    client.force_login(zh_teacher)
    response = client.post(
        reverse("courses:publish", args=[course.slug]), {"publish": "0"}, follow=True
    )
    assert "课程已改回草稿。" in response.content.decode()
    response = client.post(
        reverse("courses:create"),
        {"title": "Other", "slug": "attention", "summary": "x", "description": "[a](javascript:x)"},
    )
    html = response.content.decode()
    assert "已有其他课程使用这个网址。" in html
    assert "第 1 行：链接“javascript:x”使用了“javascript:”协议" in html
    # Django's own form messages come from Django's catalogue.
    response = client.post(reverse("courses:create"), {"title": "", "summary": ""})
    assert "该字段是必填项。" in response.content.decode()


def test_a_chinese_course_title_gets_an_address(client, teacher):
    client.force_login(teacher)
    response = client.post(
        reverse("courses:create"), {"title": "大语言模型", "summary": "从零开始了解大语言模型。"}
    )
    course = Course.objects.get(title="大语言模型")
    assert response.status_code == 302 and response["Location"] == course.get_absolute_url()
    assert re.fullmatch(r"c-[0-9a-f]{10}", course.slug)
    assert "大语言模型" in client.get(course.get_absolute_url()).content.decode()


def test_error_pages_are_in_chinese(client, db):
    response = client.get("/courses/no-such-course/", **ZH)
    assert response.status_code == 404
    html = response.content.decode()
    assert "<h1>页面不存在</h1>" in html and "返回首页" in html


def test_api_error_details_follow_accept_language(teacher, student, course):
    api = api_client_for(student)
    response = api.post(
        "/api/courses/",
        {"title": "x", "summary": "y"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 403
    assert response.json() == {"detail": "只有教师才能创建课程。"}
    # A refused service call (a domain error, 409) and the API's own 404.
    response = api_client_for(teacher).post(
        f"/api/courses/{course.slug}/enroll/", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert response.status_code == 409
    assert response.json() == {"detail": "你是本课程的教师，已经可以访问本课程。"}
    assert api.get("/api/nothing-here/", HTTP_ACCEPT_LANGUAGE="zh-hans").json() == {
        "detail": "/api/nothing-here/ 没有内容。"
    }
    # Without the header the API stays English.
    response = api.post("/api/courses/", {"title": "x", "summary": "y"}, format="json")
    assert response.json() == {"detail": "Only teachers can create courses."}


def test_validation_errors_in_the_api_are_in_chinese(teacher):
    response = api_client_for(teacher).post(
        "/api/courses/",
        {"title": "x", "summary": "y", "slug": "new"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 400
    assert response.json()["slug"] == ["“new”是保留字，请换一个网址。"]


def test_dates_follow_the_language(client, student):
    Token.objects.create(user=student)
    client.force_login(student)
    english = _page(client, reverse("accounts:api_token"))
    assert re.search(r"Created \d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d\.", english)
    _chinese(student)
    chinese = _page(client, reverse("accounts:api_token"))
    assert re.search(r"创建于 \d{4}年\d{1,2}月\d{1,2}日 \d\d:\d\d。", chinese)


def test_relative_times_follow_the_language(client, student):
    from datetime import timedelta

    from django.utils import timezone

    from notifications.models import Notification

    notification_create(user_id=student.pk, title="Graded")
    Notification.objects.update(created_at=timezone.now() - timedelta(minutes=5))
    client.force_login(student)
    assert re.search(r"5\sminutes ago</time>", _page(client, reverse("notifications:list")))
    _chinese(student)
    html = _page(client, reverse("notifications:list"))
    assert "ago" not in html and "5分钟之前</time>" in html


def _socket(token: str, *, html: bool = False, accept_language: str = "") -> WebsocketCommunicator:
    headers = [(b"authorization", f"Token {token}".encode())]
    if accept_language:
        headers.append((b"accept-language", accept_language.encode()))
    path = "/ws/notifications/" + ("?format=html" if html else "")
    return WebsocketCommunicator(application, path, headers=headers)


def _token_of(user: User) -> str:
    return Token.objects.get_or_create(user=user)[0].key


@pytest.mark.django_db(transaction=True)
async def test_websocket_error_frames_are_in_the_users_language(student):
    token = await database_sync_to_async(_token_of)(student)
    socket = _socket(token)
    assert (await socket.connect())[0]
    await socket.send_to(text_data="not json")
    assert (await socket.receive_json_from(timeout=5))["message"].startswith("Unknown frame")
    await socket.disconnect()

    await database_sync_to_async(_chinese)(student)
    socket = _socket(token)
    assert (await socket.connect())[0]
    await socket.send_to(text_data="not json")
    frame = await socket.receive_json_from(timeout=5)
    assert frame == {"type": "error", "message": '无法识别的帧；请发送 {"type": "ping"}。'}
    await socket.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_websocket_frames_follow_accept_language_without_a_choice(student):
    socket = _socket(await database_sync_to_async(_token_of)(student), accept_language="zh-CN")
    assert (await socket.connect())[0]
    await socket.send_to(text_data="[]")
    assert (await socket.receive_json_from(timeout=5))["message"].startswith("无法识别的帧")
    await socket.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_a_live_notification_is_rendered_in_the_recipients_language(student, teacher):
    # The toast is rendered by the recipient's socket, not by whoever sent the notification.
    await database_sync_to_async(_chinese)(student)
    socket = _socket(await database_sync_to_async(_token_of)(student), html=True)
    assert (await socket.connect())[0]
    await database_sync_to_async(notification_create)(
        user_id=student.pk, title="Attention basics: exam moved", url="/courses/attention/"
    )
    html = await socket.receive_from(timeout=5)
    assert "Attention basics: exam moved" in html
    assert '<a href="/courses/attention/">打开</a>' in html
    await socket.disconnect()


def test_sandbox_verdict_sentences_are_translated():
    from sandbox.discovery import TestFileError, test_names
    from sandbox.isolation import Limits, over_cap

    with translation.override("zh-hans"):
        _, sentence = over_cap("processes", Limits(processes=16)) or (None, "")
        assert sentence == "你的代码启动的进程数超过了上限（16 个）。"
        with pytest.raises(TestFileError, match="第 1 行有语法错误"):
            test_names("def test_x(:\n    pass\n")
    with pytest.raises(TestFileError, match="syntax error on line 1"):
        test_names("def test_x(:\n    pass\n")


def test_a_passage_location_is_translated_for_citations(course, kb_dirs):
    from knowledge.models import Chunk

    chunk = Chunk(course=course, page=3, heading="Dot products", text="x", ordinal=0)
    assert chunk.location == "page 3, Dot products"
    with translation.override("zh-hans"):
        assert chunk.location == "第 3 页，Dot products"
        assert Chunk(course=course, text="x", ordinal=0).location == "开头"


def test_an_announcement_reaches_each_student_in_their_own_language(
    course, teacher, enrolled_student, other_student, django_capture_on_commit_callbacks
):
    from courses import services
    from notifications.models import Notification

    services.enrollment_create(user=_chinese(other_student), course=course)
    # Delivered by the task (eager here), where no request says which language to use.
    with django_capture_on_commit_callbacks(execute=True):
        services.announcement_create(
            course=course, author=teacher, title="Quiz on Friday", body="…"
        )
    titles = dict(Notification.objects.values_list("user__username", "title"))
    assert titles == {
        enrolled_student.username: "Attention basics: Quiz on Friday",
        other_student.username: "Attention basics：Quiz on Friday",
    }


def test_text_for_another_user_is_made_in_their_language(student, other_student):
    from django.template.loader import render_to_string

    from accounts.services import language_of

    _chinese(other_student)
    event = {"type": "notification", "title": "Graded", "url": "/x/", "level": "info"}
    with translation.override("en"):
        with language_of(user=other_student):
            chinese = render_to_string("notifications/_live_event.html", {"event": event})
        with language_of(user=student):  # no choice made: the site's default
            english = render_to_string("notifications/_live_event.html", {"event": event})
    assert '<a href="/x/">打开</a>' in chinese and '<a href="/x/">Open</a>' in english


def test_a_program_gets_its_owners_chosen_language_without_asking(student):
    # Token users are known only inside DRF; their profile's language applies there too.
    api = api_client_for(_chinese(student))
    response = api.post("/api/courses/", {"title": "x", "summary": "y"}, format="json")
    assert response.json() == {"detail": "只有教师才能创建课程。"}
