"""Auto-grading throughput: plain `python3 -m unittest` against the bubblewrap sandbox.

    .venv/bin/python bench/grading.py [--submissions 40]

A 10-test unittest exercise (run-length encoding) and a correct solution, graded N times:

1. raw: the two files in a temp directory and `/usr/bin/python3 -m unittest` as a subprocess —
   the same interpreter the sandbox runs, with no isolation at all;
2. sandboxed: `sandbox.run_tests` with the settings' limits;
3. celery: submissions created through the service, graded by a real prefork worker (2 processes)
   through the broker, on a private database under var/bench-grading;

each one submission at a time and two at a time (threads). Prints JSON: submissions/s, p50/p95
latency, and the sandbox's overhead (1 - sandboxed rate / raw rate). Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "var" / "bench-grading"
sys.path.insert(0, str(ROOT))


def _private_env(broker: str) -> dict[str, str]:
    """A database, broker and channel outbox of the bench's own, never the developer's."""
    return {
        "DJANGO_SETTINGS_MODULE": "llmasos.settings",
        "DATABASE_URL": f"sqlite:///{WORK / 'db.sqlite3'}",
        "CELERY_BROKER_URL": broker or f"sqla+sqlite:///{WORK / 'broker.sqlite3'}",
        "CHANNEL_OUTBOX_DIR": str(WORK / "outbox"),
        "GRADING_FEEDBACK": "false",  # AI feedback is a separate task; this measures grading
        "REDIS_URL": "",
    }


def _django(broker: str) -> None:
    WORK.mkdir(parents=True, exist_ok=True)
    os.environ.update(_private_env(broker))
    import django

    django.setup()


PYTHON = "/usr/bin/python3"
WARM_UP = 3

TESTS = """\
import unittest

from solution import encode


class TestEncode(unittest.TestCase):
    def test_empty(self):
        self.assertEqual(encode(""), "")

    def test_single(self):
        self.assertEqual(encode("a"), "a")

    def test_pair(self):
        self.assertEqual(encode("aa"), "a2")

    def test_runs(self):
        self.assertEqual(encode("aaabcc"), "a3bc2")

    def test_no_runs(self):
        self.assertEqual(encode("abc"), "abc")

    def test_long_run(self):
        self.assertEqual(encode("z" * 12), "z12")

    def test_digits(self):
        self.assertEqual(encode("1112"), "132")

    def test_spaces(self):
        self.assertEqual(encode("a  b"), "a 2b")

    def test_unicode(self):
        self.assertEqual(encode("ééé"), "é3")

    def test_alternating(self):
        self.assertEqual(encode("abab"), "abab")
"""

SOLUTION = '''\
from itertools import groupby


def encode(text):
    """Run-length encoding: a run of n > 1 equal characters becomes the character and n."""
    parts = []
    for char, run in groupby(text):
        count = len(list(run))
        parts.append(char if count == 1 else f"{char}{count}")
    return "".join(parts)
'''


def grade_raw() -> bool:
    with tempfile.TemporaryDirectory(prefix="llmasos-bench-raw-") as work:
        Path(work, "solution.py").write_text(SOLUTION)
        Path(work, "test_solution.py").write_text(TESTS)
        completed = subprocess.run(
            [PYTHON, "-m", "unittest", "-q", "test_solution"],
            cwd=work,
            capture_output=True,
            timeout=60,
        )
    return completed.returncode == 0


def grade_sandboxed(limits: Any) -> bool:
    from sandbox import Verdict, run_tests

    result = run_tests(solution=SOLUTION, test_source=TESTS, limits=limits)
    return result.verdict == Verdict.PASSED and len(result.tests) == 10


def measure(grade: Callable[[], bool], submissions: int, parallel: int) -> dict:
    for _ in range(WARM_UP):
        if not grade():
            raise SystemExit(f"{grade.__name__}: the correct solution did not pass")
    latencies: list[float] = []

    def one(_: int) -> bool:
        start = time.perf_counter()
        passed = grade()
        latencies.append((time.perf_counter() - start) * 1000)
        return passed

    started = time.perf_counter()
    with ThreadPoolExecutor(parallel) as pool:
        passed = sum(pool.map(one, range(submissions)))
    elapsed = time.perf_counter() - started
    ordered = sorted(latencies)
    return {
        "submissions": submissions,
        "parallel": parallel,
        "passed": passed,
        "submissions_per_s": round(submissions / elapsed, 1),
        "p50_ms": round(statistics.median(ordered), 1),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))], 1),
    }


def measure_raw(submissions: int, parallel: int) -> dict:
    return measure(grade_raw, submissions, parallel)


def measure_sandboxed(submissions: int, parallel: int) -> dict:
    from sandbox import Limits

    limits = Limits.from_settings()
    return measure(lambda: grade_sandboxed(limits), submissions, parallel)


def overhead(raw: dict, sandboxed: dict) -> float:
    """The share of the raw rate the sandbox costs (0.25 = a quarter slower)."""
    return round(1 - sandboxed["submissions_per_s"] / raw["submissions_per_s"], 3)


def _celery_setup(submissions: int) -> tuple[Any, list[Any]]:
    from django.core.management import call_command

    from accounts.models import Role, User
    from courses import services as course_services
    from grading.services import assignment_create
    from sandbox import test_names

    for name in ("db.sqlite3", "broker.sqlite3"):
        (WORK / name).unlink(missing_ok=True)
    call_command("migrate", verbosity=0)
    teacher = User.objects.create_user("bench-teacher", role=Role.TEACHER)
    course = course_services.course_create(
        author=teacher, title="Bench", slug="bench", summary="Grading bench."
    )
    module = course_services.module_create(course=course, title="M")
    course_services.lesson_create(module=module, title="L", slug="l", body="Lesson.")
    course_services.course_set_published(course=course, published=True)
    assignment = assignment_create(
        course=course,
        created_by=teacher,
        title="Run-length encoding",
        kind="code",
        instructions="Write `encode`.",
        test_code=TESTS,
        test_names=test_names(TESTS),
        max_attempts=0,
    )
    students = []
    for index in range(submissions + WARM_UP):
        student = User.objects.create_user(f"bench-student-{index}", role=Role.STUDENT)
        course_services.enrollment_create(user=student, course=course)
        students.append(student)
    return assignment, students


def _wait_graded(ids: list[int], timeout: float) -> None:
    from grading.models import Status, Submission

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = Submission.objects.filter(
            pk__in=ids, status__in=[Status.GRADED, Status.INTERNAL_ERROR]
        ).count()
        if done == len(ids):
            return
        time.sleep(0.05)
    raise SystemExit(f"only {done} of {len(ids)} submissions graded in {timeout} s")


def measure_celery(submissions: int, concurrency: int, broker: str) -> dict:
    """Submissions through the real path: service -> broker -> prefork worker -> sandbox -> DB."""
    from grading.models import Submission
    from grading.services import submission_create

    assignment, students = _celery_setup(submissions)
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "llmasos",
            "worker",
            "--pool=prefork",
            f"--concurrency={concurrency}",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-l",
            "WARNING",
        ],
        cwd=ROOT,
        env={**os.environ, **_private_env(broker)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        warm = [
            submission_create(assignment=assignment, student=s, code=SOLUTION).pk
            for s in students[:WARM_UP]
        ]
        _wait_graded(warm, timeout=120)  # includes the worker's start-up
        started = time.perf_counter()
        ids = [
            submission_create(assignment=assignment, student=s, code=SOLUTION).pk
            for s in students[WARM_UP:]
        ]
        _wait_graded(ids, timeout=600)
        elapsed = time.perf_counter() - started
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    rows = Submission.objects.filter(pk__in=ids)
    latencies = sorted((s.graded_at - s.created_at).total_seconds() * 1000 for s in rows)
    return {
        "broker": broker or "embedded (SQLite via SQLAlchemy)",
        "worker_concurrency": concurrency,
        "submissions": len(ids),
        "passed": rows.filter(verdict="passed").count(),
        "graded_per_s": round(len(ids) / elapsed, 1),
        "submit_to_graded_p50_ms": round(statistics.median(latencies), 1),
        "submit_to_graded_p95_ms": round(latencies[int(0.95 * (len(latencies) - 1))], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=40)
    parser.add_argument("--celery-submissions", type=int, default=100)
    parser.add_argument("--broker", default="", help="e.g. redis://127.0.0.1:6379/13")
    args = parser.parse_args()
    _django(args.broker)
    report: dict[str, object] = {"cpus": os.cpu_count(), "tests_per_submission": 10}
    for parallel in (1, 2):
        raw = measure_raw(args.submissions, parallel)
        sandboxed = measure_sandboxed(args.submissions, parallel)
        report[f"parallel_{parallel}"] = {
            "raw": raw,
            "sandboxed": sandboxed,
            "overhead": overhead(raw, sandboxed),
        }
    report["celery"] = measure_celery(args.celery_submissions, 2, args.broker)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
