"""Answers sent at the same moment: one student's writes are serialised (PostgreSQL only).

SQLite takes one writer at a time for the whole database, so the race this guards against
exists only where rows are locked one by one.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections

from learning.models import Mastery, Observation
from learning.services import practice

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks matter on PostgreSQL"),
]


def test_the_same_answer_sent_twice_at_once_counts_once(enrolled_student, choice_question) -> None:
    start = threading.Barrier(2)

    def send() -> bool:
        try:
            start.wait(timeout=10)
            return practice.practice_answer_submit(
                question=choice_question,
                student=enrolled_student,
                response=str(choice_question.answer_index),
            ).counted
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=2) as pool:
        counted = sorted(pool.map(lambda _: send(), range(2)))

    assert counted == [False, True]
    assert Observation.objects.filter(student=enrolled_student).count() == 1
    mastery = Mastery.objects.get(student=enrolled_student, concept=choice_question.concept)
    assert mastery.attempts == 1
