"""The tutor in Simplified Chinese: its page, its socket's frames (JSON and HTML) and the
streamed answer's interface text follow the browser's language; English stays the default."""

from __future__ import annotations

import json

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.urls import reverse

from llmasos.asgi import application
from tests.tutor.sockets import ask, connected, token_for, tutor_socket, until

QUESTION = "How do several attention heads work together?"


@pytest.mark.django_db
def test_the_tutor_page_speaks_chinese_to_a_chinese_browser(client, tutor_course, enrolled_student):
    client.force_login(enrolled_student)
    url = reverse("tutor:course", args=[tutor_course.slug])
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9").content.decode()
    assert "向助教提问" in page and "你的问题" in page
    assert "还可提问 10 次（共 10 次）。" in page
    assert ">提问</button>" in page
    # The modes are the model's choices, translated where the page renders them.
    assert "讲解" in page and "提示（苏格拉底式）" in page and "考考我" in page
    assert "Ask the tutor" not in page and "Your question" not in page

    english = client.get(url).content.decode()
    assert "Ask the tutor" in english and "10 of 10 questions left." in english
    assert "向助教提问" not in english


@pytest.mark.django_db
def test_an_answer_page_labels_sources_and_uncovered_questions_in_chinese(
    client, tutor_course, enrolled_student, scripted
):
    client.force_login(enrolled_student)
    ask_url = reverse("tutor:ask", args=[tutor_course.slug])
    zh = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
    answer = client.post(ask_url, {"question": QUESTION, "mode": "explain"}, **zh)
    page = client.get(answer.url, **zh).content.decode()
    assert "来源（" in page  # the citations' summary
    assert ">有帮助</button>" in page and ">没有帮助</button>" in page
    assert "<strong>你</strong>" in page and "<strong>助教</strong>" in page

    other = client.post(ask_url, {"question": "Best banana bread recipe?", "mode": "explain"}, **zh)
    uncovered = client.get(other.url, **zh).content.decode()
    assert "课程材料中没有找到相关内容。" in uncovered


async def _socket_with(user, headers: list[tuple[bytes, bytes]]) -> WebsocketCommunicator:
    token = await token_for(user)
    socket = WebsocketCommunicator(
        application,
        "/ws/courses/attention/tutor/",
        headers=[(b"authorization", f"Token {token}".encode()), *headers],
    )
    ok, code = await socket.connect()
    assert ok, code
    assert (await socket.receive_json_from())["type"] == "ready"
    return socket


@pytest.mark.django_db(transaction=True)
async def test_the_sockets_error_frames_follow_the_browser_language(tutor_course, enrolled_student):
    socket = await _socket_with(enrolled_student, [(b"accept-language", b"zh-CN,zh;q=0.9")])
    await ask(socket, "   ")
    error, _ = await until(socket, "error")
    assert error == {"type": "error", "code": "empty_question", "message": "请先输入问题。"}
    await socket.send_to(text_data="{not json")
    error, _ = await until(socket, "error")
    assert error["code"] == "bad_frame"
    assert error["message"] == "每个帧都应是带有 type 字段的 JSON 对象：ask、stop 或 ping。"
    await ask(socket, "x" * 2001)
    error, _ = await until(socket, "error")
    assert error["message"] == "问题最多 2000 个字符，这个问题有 2001 个。"
    await socket.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_the_language_cookie_wins_and_english_stays_the_default(
    tutor_course, enrolled_student
):
    chosen = await _socket_with(
        enrolled_student,
        [(b"cookie", b"django_language=zh-hans"), (b"accept-language", b"en-GB,en")],
    )
    await ask(chosen, "")
    error, _ = await until(chosen, "error")
    assert error["message"] == "请先输入问题。"
    await chosen.disconnect()

    plain = await connected(enrolled_student)
    await ask(plain, "")
    error, _ = await until(plain, "error")
    assert error["message"] == "Type a question first."
    await plain.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_the_browser_pages_socket_streams_chinese_fragments(
    client, tutor_course, enrolled_student, scripted
):
    await database_sync_to_async(client.force_login)(enrolled_student)
    cookie = f"sessionid={client.cookies['sessionid'].value}; django_language=zh-hans"
    socket = await tutor_socket(None, query="format=html", cookie=cookie, origin="http://localhost")
    assert (await socket.connect())[0]
    assert "还可提问 10 次（共 10 次）" in await socket.receive_from()
    form = {"type": "ask", "conversation": "", "question": QUESTION, "mode": "explain"}
    await socket.send_to(text_data=json.dumps(form))
    started = await socket.receive_from(timeout=10)
    assert "助教正在回答……" in started and ">停止</button>" in started
    frames: list[str] = []
    while 'class="tutor-msg tutor-msg-tutor"' not in (frames[-1] if frames else ""):
        frames.append(await socket.receive_from(timeout=10))
    final = frames[-1]
    assert "来源（" in final and ">有帮助</button>" in final
    assert "The tutor is answering" not in final and "Helpful" not in final

    await socket.send_to(text_data=json.dumps({**form, "question": " "}))
    status = await socket.receive_from(timeout=10)
    while "tutor-error" not in status:
        status = await socket.receive_from(timeout=10)
    assert 'role="alert">请先输入问题。</p>' in status
    await socket.disconnect()
