"""The playground in Simplified Chinese: the page, the no-JavaScript run's status line, the
socket's error frames and its scripts' catalogue; English stays the default."""

from __future__ import annotations

import json
import re

import pytest
from channels.testing import WebsocketCommunicator
from django.urls import reverse

from llmasos.asgi import application
from tests.tutor.sockets import token_for

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


@pytest.mark.django_db
def test_the_page_and_a_run_without_javascript_read_in_chinese(client, student):
    client.force_login(student)
    page = client.get(reverse("playground:index"), **ZH).content.decode()
    assert "<h1>编程练习场</h1>" in page
    assert (
        ">运行</button>" in page
        and ">停止</button>" in page
        and '<h2 id="output-heading">输出</h2>' in page
    )
    assert "程序的输入" in page  # the form's label, translated lazily
    response = client.post(
        reverse("playground:index"), {"code": "print(6 * 7)\n", "stdin": ""}, **ZH
    )
    html = response.content.decode()
    assert re.search(r'<p id="run-status" role="status">通过 · 退出码 0 · \d+ 毫秒</p>', html)

    english = client.post(reverse("playground:index"), {"code": "print(1)\n", "stdin": ""})
    assert "passed · exit code 0 ·" in english.content.decode()


@pytest.mark.django_db
def test_a_refused_snippet_says_why_in_chinese(client, student):
    client.force_login(student)
    response = client.post(reverse("playground:index"), {"code": "   ", "stdin": ""}, **ZH)
    assert "请先写一些代码。" in response.content.decode()


@pytest.mark.django_db
def test_the_page_loads_the_javascript_catalogue_the_policy_allows(client, student):
    client.force_login(student)
    response = client.get(reverse("playground:index"), **ZH)
    catalogue = reverse("javascript-catalog")
    page = response.content.decode()
    # Before playground.js, so that its gettext() finds the strings.
    assert page.index(f'<script src="{catalogue}" defer>') < page.index("js/playground.js")
    assert "script-src 'self'" in response["Content-Security-Policy"]  # same origin


@pytest.mark.django_db
def test_the_javascript_catalogue_serves_the_scripts_chinese(client):
    chinese = client.get(reverse("javascript-catalog"), **ZH)
    assert chinese.status_code == 200
    assert chinese["Content-Type"].startswith("text/javascript")
    body = chinese.content.decode()
    found = re.search(r"const newcatalog = (\{.*?\});", body, re.S)
    assert found, body[:200]
    catalog = json.loads(found.group(1))
    assert catalog["Running…"] == "运行中……"
    assert catalog["Finished"] == "已结束"
    assert catalog["exit code %(code)s · %(ms)s ms"] == "退出码 %(code)s · %(ms)s 毫秒"
    assert catalog["Tokens per second"] == "每秒词元数"  # the lab's chart labels
    english = client.get(reverse("javascript-catalog")).content.decode()
    assert "Running…" not in english  # English needs no catalogue: the scripts' own strings


@pytest.mark.django_db(transaction=True)
async def test_the_sockets_error_frames_follow_the_language_cookie(student):
    token = await token_for(student)
    socket = WebsocketCommunicator(
        application,
        "/ws/playground/",
        headers=[
            (b"authorization", f"Token {token}".encode()),
            (b"cookie", b"django_language=zh-hans"),
        ],
    )
    assert (await socket.connect())[0]
    assert (await socket.receive_json_from())["type"] == "ready"
    await socket.send_json_to({"type": "input", "text": "Ada"})
    error = await socket.receive_json_from()
    assert error == {
        "type": "error",
        "code": "not_running",
        "message": "没有正在运行的程序来读取这条输入。",
    }
    await socket.send_json_to({"type": "dance"})
    error = await socket.receive_json_from()
    assert error["message"] == "未知的类型；请使用 run、input、stop、tests、help 或 ping。"
    await socket.disconnect()
