"""The playground socket: live output, input, stop, limits, one program per student, AI help."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from channels.db import database_sync_to_async

from assist.guards import WITHHELD
from tests.playground.conftest import connected, frames_until, playground_socket, printed

pytestmark = pytest.mark.django_db(transaction=True)

TICKER = "import time\nfor i in range(3):\n    print('tick', i)\n    time.sleep(0.7)\n"


async def test_anonymous_sockets_are_refused():
    socket = await playground_socket()
    ok, code = await socket.connect()
    assert not ok and code == 4401


async def test_lines_arrive_while_the_program_is_still_running(student):
    socket = await connected(student)
    await socket.send_json_to({"type": "run", "code": TICKER})
    exit_frame, frames = await frames_until(socket, "exit")
    ended = time.monotonic()
    assert frames[0][1]["type"] == "started"
    ticks = [(at, f) for at, f in frames if f["type"] == "output"]
    assert ticks[0][1]["text"].startswith("tick")  # print() may write "tick" and " 0" apart
    assert ended - ticks[0][0] > 1.0  # the first line came well before the end
    assert printed(frames) == "tick 0\ntick 1\ntick 2\n"
    assert exit_frame["verdict"] == "passed" and exit_frame["exit_code"] == 0
    await socket.disconnect()


async def test_the_student_types_input_while_it_runs(student):
    socket = await connected(student)
    code = 'name = input("Name? ")\nprint("Hello,", name)\n'
    await socket.send_json_to({"type": "run", "code": code})
    prompt = await socket.receive_json_from(timeout=10)
    while prompt["type"] != "output":
        prompt = await socket.receive_json_from(timeout=10)
    assert prompt["text"] == "Name? "
    await socket.send_json_to({"type": "input", "text": "Ada"})
    exit_frame, frames = await frames_until(socket, "exit")
    assert "Hello, Ada" in printed(frames)
    assert exit_frame["verdict"] == "passed"
    await socket.disconnect()


async def test_stop_kills_a_runaway_loop(student):
    socket = await connected(student)
    await socket.send_json_to({"type": "run", "code": "while True:\n    pass\n"})
    await frames_until(socket, "started")
    await asyncio.sleep(0.3)
    stopped_at = time.monotonic()
    await socket.send_json_to({"type": "stop"})
    exit_frame, _ = await frames_until(socket, "exit")
    assert time.monotonic() - stopped_at < 1.5
    assert exit_frame["stopped"] is True
    await socket.disconnect()


async def test_a_silent_sleeper_ends_at_the_wall_limit(student, settings):
    settings.PLAYGROUND_WALL_SECONDS = 2
    socket = await connected(student)
    await socket.send_json_to({"type": "run", "code": "import time\ntime.sleep(60)\n"})
    exit_frame, _ = await frames_until(socket, "exit", timeout=6)
    assert exit_frame["verdict"] == "timeout"
    await socket.disconnect()


async def test_output_is_capped_with_a_clear_notice(student):
    socket = await connected(student)
    await socket.send_json_to({"type": "run", "code": "while True:\n    print('x' * 100)\n"})
    exit_frame, frames = await frames_until(socket, "exit", timeout=10)
    assert exit_frame["verdict"] == "output_limit"
    assert "Output limit" in exit_frame["problem"]
    assert len(printed(frames)) <= 80 * 1024
    await socket.disconnect()


async def test_an_error_reports_the_students_line(student):
    socket = await connected(student)
    await socket.send_json_to({"type": "run", "code": "x = 1\nprint(x / 0)\n"})
    exit_frame, frames = await frames_until(socket, "exit")
    errors = printed(frames, "stderr")
    assert "ZeroDivisionError" in errors and "line 2" in errors
    assert "harness" not in errors
    assert exit_frame["verdict"] == "error" and exit_frame["exit_code"] == 1
    await socket.disconnect()


async def test_a_second_run_in_another_tab_stops_the_first(student):
    first = await connected(student)
    second = await connected(student)
    await first.send_json_to({"type": "run", "code": "while True:\n    pass\n"})
    await frames_until(first, "started")
    await second.send_json_to({"type": "run", "code": "print('second')\n"})
    preempted, _ = await frames_until(first, "error")
    assert preempted["code"] == "preempted"
    exit_frame, _ = await frames_until(first, "exit")
    assert exit_frame["stopped"] is True
    _, frames = await frames_until(second, "exit")
    assert printed(frames) == "second\n"
    await first.disconnect()
    await second.disconnect()


async def test_a_disconnect_kills_the_program_within_a_second(student, monkeypatch):
    import sandbox
    from tests.sandbox.hostile import processes_of_uid

    runs: list[sandbox.ProgramRun] = []
    start = sandbox.ProgramRun.start.__func__  # type: ignore[attr-defined]

    async def spy(cls, **kwargs):
        run = await start(cls, **kwargs)
        runs.append(run)
        return run

    monkeypatch.setattr(sandbox.ProgramRun, "start", classmethod(spy))
    socket = await connected(student)
    await socket.send_json_to({"type": "run", "code": "while True:\n    pass\n"})
    await frames_until(socket, "started")
    disconnected = time.monotonic()
    await socket.disconnect()
    assert time.monotonic() - disconnected < 1.5
    assert runs and runs[0].run_uid is not None
    assert processes_of_uid(runs[0].run_uid) == []  # nothing of the run is left


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ({"type": "run", "code": ""}, "bad_code"),
        ({"type": "run", "code": "x = 1\n" * 20_000}, "bad_code"),
        ({"type": "run"}, "bad_code"),
        ({"type": "input", "text": "hi"}, "not_running"),
        ({"type": "stop"}, "not_running"),
        ({"type": "help", "kind": "poem", "code": "x = 1"}, "bad_help"),
        ({"type": "tests", "code": "x = 1", "assignment": 999999}, "bad_assignment"),
        ({"type": "dance"}, "bad_frame"),
        ({"no": "type"}, "bad_frame"),
    ],
)
async def test_bad_frames_get_an_error_and_the_socket_stays_open(student, frame, code):
    socket = await connected(student)
    await socket.send_json_to(frame)
    error = await socket.receive_json_from(timeout=5)
    assert error["type"] == "error" and error["code"] == code, error
    await socket.send_json_to({"type": "ping"})
    assert (await socket.receive_json_from(timeout=5))["type"] == "pong"
    await socket.disconnect()


async def test_malformed_json_is_answered_not_fatal(student):
    socket = await connected(student)
    await socket.send_to(text_data="{not json")
    assert (await socket.receive_json_from())["code"] == "bad_frame"
    await socket.disconnect()


async def test_a_huge_frame_closes_the_socket(student):
    socket = await connected(student)
    await socket.send_to(text_data=json.dumps({"type": "run", "code": "x" * 300_000}))
    assert (await socket.receive_output(timeout=5))["type"] == "websocket.close"


async def test_explain_streams_an_answer_from_the_model(student, scripted):
    scripted.answer = "This program asks for your name and greets you."
    socket = await connected(student)
    await socket.send_json_to(
        {"type": "help", "kind": "explain", "code": "name = input()\nprint(name)\n"}
    )
    _, frames = await frames_until(socket, "help.done")
    tokens = [f["text"] for _, f in frames if f["type"] == "help.token"]
    assert len(tokens) > 3 and "".join(tokens) == scripted.answer
    assert "<code>\nname = input()" in scripted.calls[0][-1]["content"]
    await socket.disconnect()


async def test_why_does_it_fail_sends_the_last_error_output(student, scripted):
    socket = await connected(student)
    await socket.send_json_to(
        {"type": "help", "kind": "why", "code": "print(1/0)", "output": "ZeroDivisionError"}
    )
    await frames_until(socket, "help.done")
    assert "<output>\nZeroDivisionError\n</output>" in scripted.calls[0][-1]["content"]
    await socket.disconnect()


async def test_help_on_an_assignment_follows_the_hint_rules(
    enrolled_student, teacher, course, scripted
):
    from grading.services import assignment_create

    assignment = await database_sync_to_async(assignment_create)(
        course=course,
        created_by=teacher,
        title="Add",
        kind="code",
        instructions="Write add(a, b).",
        test_code="from solution import add\n\ndef test_add():\n    assert add(1, 2) == 3\n",
        test_names=["test_add"],
    )
    scripted.answer = "Think about +. ```python\ndef add(a, b):\n    return a + b\n``` Done?"
    socket = await connected(enrolled_student)
    await socket.send_json_to(
        {
            "type": "help",
            "kind": "improve",
            "code": "def add(a, b): pass",
            "assignment": assignment.pk,
        }
    )
    _, frames = await frames_until(socket, "help.done")
    text = "".join(f["text"] for _, f in frames if f["type"] == "help.token")
    assert "return a + b" not in text and WITHHELD.strip() in text
    assert "Never write the solution" in scripted.calls[0][0]["content"]
    await socket.disconnect()


async def test_visible_tests_run_from_the_playground_and_hidden_ones_stay_hidden(
    enrolled_student, teacher, course
):
    from grading.models import Submission
    from grading.services import assignment_create

    tests = (
        "from solution import add\n\n\ndef test_small():\n    assert add(1, 2) == 3\n\n\n"
        "def test_secret():\n    assert add(-1, -1) == -2\n"
    )
    assignment = await database_sync_to_async(assignment_create)(
        course=course,
        created_by=teacher,
        title="Add",
        kind="code",
        instructions="Write add(a, b).",
        test_code=tests,
        test_names=["test_small", "test_secret"],
        hidden_tests=["test_secret"],
    )
    socket = await connected(enrolled_student)
    await socket.send_json_to(
        {"type": "tests", "code": "def add(a, b):\n    return a + b\n", "assignment": assignment.pk}
    )
    result, _ = await frames_until(socket, "tests")
    assert [t["name"] for t in result["tests"]] == ["test_small"]
    assert result["verdict"] == "passed" and result["hidden"] == 1
    assert await database_sync_to_async(Submission.objects.count)() == 0  # nothing graded
    await socket.disconnect()


async def test_a_late_stop_request_from_an_older_run_does_not_stop_a_newer_one(student):
    from channels.layers import get_channel_layer

    from playground.consumers import user_group

    socket = await connected(student)
    await socket.send_json_to({"type": "run", "code": TICKER})
    await frames_until(socket, "started")
    # Another tab's run that began before this one; its message arrives only now.
    await get_channel_layer().group_send(
        user_group(student.pk),
        {"type": "playground.preempt", "sender": "another-tab", "at": time.time() - 5},
    )
    exit_frame, frames = await frames_until(socket, "exit")
    assert exit_frame["stopped"] is False and exit_frame["verdict"] == "passed"
    assert printed(frames) == "tick 0\ntick 1\ntick 2\n"
    assert not [f for _, f in frames if f.get("code") == "preempted"]
    await socket.disconnect()


async def test_concurrent_runs_are_limited_per_student_across_socket_and_api(student, settings):
    """Programs running at once are capped per student: the socket holds a slot while its
    program waits for input; the API refuses another run until it ends."""
    from tests.conftest import api_client_for

    settings.PLAYGROUND_MAX_CONCURRENT_RUNS = 1
    socket = await connected(student)
    await socket.send_json_to({"type": "run", "code": "input()\n"})
    await frames_until(socket, "started")

    def api_run():
        client = api_client_for(student)
        return client.post("/api/playground/run/", {"code": "print(1)"}, format="json")

    refused = await database_sync_to_async(api_run)()
    assert refused.status_code == 429
    assert "already have 1 programs running" in refused.json()["detail"]
    await socket.send_json_to({"type": "input", "text": "done"})
    await frames_until(socket, "exit")
    assert (await database_sync_to_async(api_run)()).status_code == 200
    await socket.send_json_to({"type": "run", "code": "print(2)\n"})
    await frames_until(socket, "exit")
    await socket.disconnect()


async def test_the_socket_refuses_runs_over_the_rate_with_an_error_frame(
    student, settings, one_clock_minute
):
    settings.PLAYGROUND_RUNS_PER_MINUTE = 1
    socket = await connected(student)
    await socket.send_json_to({"type": "run", "code": "print(1)\n"})
    await frames_until(socket, "exit")
    await socket.send_json_to({"type": "run", "code": "print(2)\n"})
    error, _ = await frames_until(socket, "error")
    assert error["code"] == "rate_limited" and "wait" in error["message"]
    await socket.disconnect()


async def test_a_deactivated_students_running_program_is_stopped(student, settings):
    from playground import metering

    settings.WS_ACCOUNT_CHECK_SECONDS = 0.2
    settings.PLAYGROUND_MAX_CONCURRENT_RUNS = 1
    socket = await connected(student)
    await socket.send_json_to({"type": "run", "code": "input()\n"})
    await frames_until(socket, "started")
    student.is_active = False
    await database_sync_to_async(student.save)(update_fields=["is_active"])
    while (frame := await socket.receive_output(timeout=5))["type"] != "websocket.close":
        pass
    assert frame["code"] == 4401
    # The program ends with the socket (without waiting for the client to acknowledge the
    # close): its run slot comes free.
    for _ in range(50):
        try:
            slot = await database_sync_to_async(metering.run_admit)(user=student)
        except metering.PlaygroundError:
            await asyncio.sleep(0.1)
        else:
            metering.run_release(slot=slot)
            break
    else:
        pytest.fail("the program kept running after its account was deactivated")
    await socket.disconnect()
