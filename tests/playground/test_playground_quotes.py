"""Playground help quotes the course material where it applies: help on a course's assignment."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from courses.models import Lesson
from knowledge.ingest import lesson_ingest
from tests.playground.conftest import connected, frames_until

pytestmark = pytest.mark.django_db(transaction=True)

LESSON = """## Counting with range()

range() produces a sequence of integers, which makes it the usual way to repeat something a
fixed number of times. range(stop) counts from 0 up to, but not including, stop.
"""


def _assignment(course, teacher):
    from grading.services import assignment_create

    lesson = Lesson.objects.get(course=course, slug="values")
    lesson.body = LESSON
    lesson.save()
    lesson_ingest(lesson_id=lesson.pk)
    return assignment_create(
        course=course,
        created_by=teacher,
        title="Count to n with range",
        kind="code",
        instructions="Write count(n) returning the list of integers from 0 up to n using range().",
        test_code="from solution import count\n\ndef test_it():\n    assert count(2) == [0, 1]\n",
        test_names=["test_it"],
    )


async def test_help_on_an_assignment_starts_with_the_courses_own_sentences(
    enrolled_student, teacher, course, kb_dirs, scripted
):
    assignment = await database_sync_to_async(_assignment)(course, teacher)
    socket = await connected(enrolled_student)
    await socket.send_json_to(
        {
            "type": "help",
            "kind": "explain",
            "code": "def count(n): pass",
            "assignment": assignment.pk,
        }
    )
    _, frames = await frames_until(socket, "help.done")
    start = next(f for _, f in frames if f["type"] == "help.start")
    assert start["quotes"] and all(q["text"] in LESSON for q in start["quotes"])
    assert start["quotes"][0]["url"].startswith("/courses/attention/lessons/values/")
    kinds = [f["type"] for _, f in frames]
    assert kinds.index("help.start") < kinds.index("help.token")
    await socket.disconnect()


async def test_free_playground_code_belongs_to_no_course_and_gets_no_quotes(student, scripted):
    socket = await connected(student)
    await socket.send_json_to({"type": "help", "kind": "explain", "code": "print(1)"})
    _, frames = await frames_until(socket, "help.done")
    assert next(f for _, f in frames if f["type"] == "help.start")["quotes"] == []
    await socket.disconnect()
