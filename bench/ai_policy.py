"""What teachers' AI rules cost per request, and how fast the usage analytics page is.

    .venv/bin/python bench/ai_policy.py [--calls 500] [--records 20000]

Sets up a private SQLite database under var/bench-ai-policy with one course, 30 students,
3 lessons and 10 assignments, a course rule, a lesson rule, an assignment rule with teacher
instructions and two exam windows (one past, one on chosen assignments in the future). Times
`assist.policy.decide` for a student (the rule lookup runs) and for the teacher (it does not),
with and without an assignment; then fills the usage log with --records rows over 12 weeks
and times the course's analytics (`assist.selectors.course_usage`) and the CSV export. Prints
JSON (p50/p95 in ms). Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "var" / "bench-ai-policy"
sys.path.insert(0, str(ROOT))


def _ms(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 3),
        "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1] * 1000, 3),
    }


def _time(fn, calls: int) -> dict[str, float]:  # type: ignore[no-untyped-def]
    fn()  # warm
    samples = []
    for _ in range(calls):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return _ms(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--records", type=int, default=20000)
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    (WORK / "db.sqlite3").unlink(missing_ok=True)
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "llmasos.settings",
            "DATABASE_URL": f"sqlite:///{WORK / 'db.sqlite3'}",
            "REDIS_URL": "",
            "CELERY_TASK_ALWAYS_EAGER": "1",
            "LOG_LEVEL": "WARNING",
        }
    )
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    from accounts.models import Role, User
    from assist import selectors
    from assist.models import UsageRecord
    from assist.policy import Purpose, decide
    from assist.services import ai_policy_set, exam_window_create
    from courses import services as course_services
    from grading.models import Assignment

    teacher = User.objects.create_user("t", password="x", role=Role.TEACHER)
    course = course_services.course_create(author=teacher, title="Bench", slug="bench", summary="b")
    module = course_services.module_create(course=course, title="M")
    lessons = [
        course_services.lesson_create(module=module, title=f"L{i}", slug=f"l{i}", body="Text.")
        for i in range(3)
    ]
    course_services.course_set_published(course=course, published=True)
    assignments = [
        Assignment.objects.create(
            course=course,
            lesson=lessons[i % 3],
            created_by=teacher,
            title=f"A{i}",
            instructions="x",
        )
        for i in range(10)
    ]
    students = []
    for i in range(30):
        student = User.objects.create_user(f"s{i}", password="x", role=Role.STUDENT)
        course_services.enrollment_create(user=student, course=course)
        students.append(student)
    now = timezone.now()
    ai_policy_set(course=course, mode="full", by=teacher)
    ai_policy_set(course=course, mode="hints", lesson=lessons[0], by=teacher)
    ai_policy_set(
        course=course, mode="", assignment=assignments[0], instructions="No recursion.", by=teacher
    )
    exam_window_create(
        course=course,
        title="Past",
        starts_at=now - timedelta(days=9),
        ends_at=now - timedelta(days=8),
        by=teacher,
    )
    exam_window_create(
        course=course,
        title="Next",
        starts_at=now + timedelta(days=1),
        ends_at=now + timedelta(days=1, hours=2),
        assignments=assignments[:3],
        by=teacher,
    )
    student = students[0]
    result: dict[str, object] = {
        "decide_student_course": _time(
            lambda: decide(user=student, purpose=Purpose.TUTOR_EXPLAIN, course=course), args.calls
        ),
        "decide_student_assignment": _time(
            lambda: decide(
                user=student, purpose=Purpose.PLAYGROUND_HELP, assignment=assignments[0]
            ),
            args.calls,
        ),
        "decide_teacher_course": _time(
            lambda: decide(user=teacher, purpose=Purpose.TUTOR_EXPLAIN, course=course), args.calls
        ),
    }
    rng = random.Random(1)
    features = ["tutor_explain", "tutor_hint", "playground_help", "rag_answer"]
    UsageRecord.objects.bulk_create(
        UsageRecord(
            user=rng.choice(students),
            course=course,
            feature=rng.choice(features),
            assignment=rng.choice([None, *assignments]),
            decision="explain",
            outcome="answered",
            prompt_tokens=rng.randint(200, 900),
            completion_tokens=rng.randint(20, 200),
            latency_ms=rng.randint(500, 5000),
        )
        for _ in range(args.records)
    )
    # Spread over 12 weeks, as a term's worth of questions would be.
    for record in UsageRecord.objects.all().only("pk").iterator():
        UsageRecord.objects.filter(pk=record.pk).update(
            created_at=now - timedelta(minutes=rng.randint(0, 12 * 7 * 24 * 60))
        )
    result["usage_rows"] = UsageRecord.objects.count()
    result["course_usage_page_data"] = _time(lambda: selectors.course_usage(course=course), 5)
    result["csv_export"] = _time(
        lambda: sum(1 for _ in selectors.course_usage_rows(course=course)), 3
    )
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
