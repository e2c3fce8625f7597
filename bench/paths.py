"""Learning paths: time to compute "My path" for one student and the class view for a course.

    .venv/bin/python bench/paths.py [--students 500] [--concepts 50] [--attempts 20000]
                                    [--database-url postgresql://postgres@127.0.0.1:5432/x]

Builds a private database (SQLite under var/bench-paths by default; a PostgreSQL URL is
created and dropped) with one course: a random prerequisite DAG of N concepts (1 or 2
prerequisites each, one lesson and two approved questions per concept), S enrolled students and
A practice answers spread over them, each a BKT observation with its mastery trace, the mastery
rows and the FSRS review cards of mastered concepts, as the services would have written them.

Then times, for random students, `learning.selectors.paths.student_path` (what the page and the API
compute) and the whole "My path" page through Django's test client, and the class view
(selector and page, heatmap of all students by concepts, stuck students, hardest concepts).
Prints JSON: p50/p95 in ms and the number of SQL queries. Nothing is asserted; the targets are
p50 ≤ 50 ms for My path and ≤ 1 s for the class view.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from collections import defaultdict
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "var" / "bench-paths"
sys.path.insert(0, str(ROOT))


def _django(database_url: str) -> None:
    WORK.mkdir(parents=True, exist_ok=True)
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "llmasos.settings",
            "DATABASE_URL": database_url,
            "CHANNEL_OUTBOX_DIR": str(WORK / "outbox"),
            "REDIS_URL": "",
        }
    )
    import django

    django.setup()


def _fresh_database(database_url: str) -> None:
    if database_url.startswith("sqlite"):
        (WORK / "db.sqlite3").unlink(missing_ok=True)
        return
    import psycopg

    name = database_url.rsplit("/", 1)[1]
    admin = database_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')


def _build(students: int, concepts: int, attempts: int, seed: int) -> Any:
    from django.core.management import call_command
    from django.utils import timezone

    from accounts.models import Role, User
    from courses.models import Course, Enrollment, Lesson, Module
    from grading.models import Assignment, Kind
    from learning import bkt, scheduling
    from learning.models import (
        Concept,
        Mastery,
        Observation,
        PracticeAnswer,
        PracticeQuestion,
        QuestionKind,
        QuestionStatus,
        ReviewCard,
        Source,
    )

    call_command("migrate", verbosity=0)
    rng = random.Random(seed)
    now = timezone.now()
    teacher = User.objects.create_user("bench-teacher", password="x", role=Role.TEACHER)
    course = Course.objects.create(title="Bench", slug="bench", summary=".", is_published=True)
    course.teachers.add(teacher)
    module = Module.objects.create(course=course, title="All", position=1)
    lessons = [
        Lesson(
            module=module, course=course, title=f"Lesson {i}", slug=f"l{i}", body="x", position=i
        )
        for i in range(concepts)
    ]
    Lesson.objects.bulk_create(lessons)
    graph = Concept.objects.bulk_create(
        Concept(course=course, slug=f"c{i}", name=f"Concept {i}", position=i)
        for i in range(concepts)
    )
    for index, concept in enumerate(graph):
        if index:
            concept.prerequisites.set(rng.sample(graph[:index], min(index, rng.choice((1, 2)))))
        concept.lessons.set([lessons[index]])
    questions = PracticeQuestion.objects.bulk_create(
        PracticeQuestion(
            concept=concept,
            kind=QuestionKind.SHORT,
            prompt=f"Question {n} on {concept.slug}",
            accepted_answers=["yes"],
            status=QuestionStatus.APPROVED,
        )
        for concept in graph
        for n in range(2)
    )
    for n in range(5):
        Assignment.objects.create(
            course=course,
            title=f"Assignment {n}",
            kind=Kind.TEXT,
            instructions=".",
            concepts=[c.slug for c in rng.sample(graph, 3)],
            reference_answer=".",
            rubric=[{"criterion": ".", "points": 10}],
            is_published=True,
        )
    users = User.objects.bulk_create(
        User(username=f"s{n:04}", first_name=f"Student {n}", role=Role.STUDENT, password="!")
        for n in range(students)
    )
    Enrollment.objects.bulk_create(Enrollment(user=u, course=course) for u in users)

    # Answers: each student works forward through the concepts, a few answers per concept,
    # more often right on the earlier ones, spread over the last 60 days.
    per_student = attempts // students
    answers, observations = [], []
    sequences: dict[tuple[int, int], list[tuple[bool, Any]]] = defaultdict(list)
    for user in users:
        reach = rng.randint(3, concepts)
        for step in range(per_student):
            concept_index = min(int(rng.random() * reach), concepts - 1)
            correct = rng.random() < 0.85 - 0.4 * concept_index / concepts
            at = now - timedelta(days=60) + timedelta(days=60 * step / per_student)
            question = questions[2 * concept_index + step % 2]
            answers.append(
                PracticeAnswer(
                    question=question, student=user, response="yes", correct=correct, created_at=at
                )
            )
            sequences[(user.pk, graph[concept_index].pk)].append((correct, at))
    PracticeAnswer.objects.bulk_create(answers, batch_size=2000)
    params = bkt.DEFAULT
    masteries, cards = [], []
    for (user_id, concept_id), sequence in sequences.items():
        trace = bkt.trace((c for c, _ in sequence), params)
        mastered_at = next(
            (at for (_, at), p in zip(sequence, trace, strict=True) if p >= 0.95), None
        )
        for (correct, at), p in zip(sequence, trace, strict=True):
            observations.append(
                Observation(
                    student_id=user_id,
                    concept_id=concept_id,
                    correct=correct,
                    at=at,
                    source=Source.PRACTICE,
                    mastery_after=p,
                )
            )
        masteries.append(
            Mastery(
                student_id=user_id,
                concept_id=concept_id,
                p_known=trace[-1],
                attempts=len(sequence),
                correct=sum(c for c, _ in sequence),
                last_attempt_at=sequence[-1][1],
                mastered_at=mastered_at,
            )
        )
        if mastered_at:
            card = scheduling.card_review(None, correct=True, at=mastered_at)
            cards.append(
                ReviewCard(
                    student_id=user_id,
                    concept_id=concept_id,
                    card=card,
                    due=scheduling.card_due(card),
                    last_review_at=mastered_at,
                )
            )
    Observation.objects.bulk_create(observations, batch_size=2000)
    Mastery.objects.bulk_create(masteries, batch_size=2000)
    ReviewCard.objects.bulk_create(cards, batch_size=2000)
    return course, teacher, users, {"observations": len(observations), "review_cards": len(cards)}


def _timed(function: Any, runs: int) -> dict[str, float]:
    from django.db import connection, reset_queries

    timings, queries = [], 0
    for _ in range(runs):
        reset_queries()
        start = time.perf_counter()
        function()
        timings.append((time.perf_counter() - start) * 1000)
        queries = len(connection.queries)
    timings.sort()
    return {
        "p50_ms": round(statistics.median(timings), 1),
        "p95_ms": round(timings[max(0, int(len(timings) * 0.95) - 1)], 1),
        "queries": queries,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=500)
    parser.add_argument("--concepts", type=int, default=50)
    parser.add_argument("--attempts", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", default=f"sqlite:///{WORK / 'db.sqlite3'}")
    args = parser.parse_args()
    _fresh_database(args.database_url)
    _django(args.database_url)

    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    setup_test_environment()  # the test client's response hooks; debug cursors for counting
    settings.DEBUG = True
    settings.ALLOWED_HOSTS = ["testserver"]
    connection.force_debug_cursor = True

    from learning.selectors import classroom, paths

    started = time.perf_counter()
    course, teacher, users, sizes = _build(args.students, args.concepts, args.attempts, args.seed)
    built_s = time.perf_counter() - started
    rng = random.Random(args.seed + 1)

    def one_path() -> None:
        paths.student_path(course=course, student=rng.choice(users))

    student_client = Client()

    def path_page() -> None:
        student_client.force_login(rng.choice(users))
        response = student_client.get("/courses/bench/path/")
        assert response.status_code == 200, response.status_code

    teacher_client = Client()
    teacher_client.force_login(teacher)

    def class_page() -> None:
        assert teacher_client.get("/courses/bench/class/").status_code == 200

    for warm in (one_path, path_page, class_page):
        warm()
    result = {
        "database": connection.vendor,
        "students": args.students,
        "concepts": args.concepts,
        "attempts": sizes["observations"],
        "review_cards": sizes["review_cards"],
        "build_s": round(built_s, 1),
        "my_path_selector": _timed(one_path, args.runs),
        "my_path_page": _timed(path_page, args.runs),
        "class_view_selector": _timed(
            lambda: classroom.class_view(course=course), max(5, args.runs // 3)
        ),
        "class_view_page": _timed(class_page, max(5, args.runs // 3)),
        "targets": {"my_path_p50_ms": 50, "class_view_p50_ms": 1000},
    }
    print(json.dumps(result, indent=2))
    if not args.database_url.startswith("sqlite"):
        connection.close()
        _drop(args.database_url)


def _drop(database_url: str) -> None:
    import psycopg

    name = database_url.rsplit("/", 1)[1]
    with psycopg.connect(database_url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


if __name__ == "__main__":
    main()
