"""Auto-grading throughput: plain `python3 -m unittest` against the bubblewrap sandbox.

    .venv/bin/python bench/grading.py [--submissions 40]

A 10-test unittest exercise (run-length encoding) and a correct solution, graded N times:

1. raw: the two files in a temp directory and `/usr/bin/python3 -m unittest` as a subprocess —
   the same interpreter the sandbox runs, with no isolation at all;
2. sandboxed: `grading.sandbox.run_tests` with the settings' limits;

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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "llmasos.settings")

import django

django.setup()

from grading.sandbox import Limits, Verdict, run_tests

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


def grade_sandboxed(limits: Limits) -> bool:
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
    limits = Limits.from_settings()
    return measure(lambda: grade_sandboxed(limits), submissions, parallel)


def overhead(raw: dict, sandboxed: dict) -> float:
    """The share of the raw rate the sandbox costs (0.25 = a quarter slower)."""
    return round(1 - sandboxed["submissions_per_s"] / raw["submissions_per_s"], 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=40)
    args = parser.parse_args()
    report: dict[str, object] = {"cpus": os.cpu_count(), "tests_per_submission": 10}
    for parallel in (1, 2):
        raw = measure_raw(args.submissions, parallel)
        sandboxed = measure_sandboxed(args.submissions, parallel)
        report[f"parallel_{parallel}"] = {
            "raw": raw,
            "sandboxed": sandboxed,
            "overhead": overhead(raw, sandboxed),
        }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
