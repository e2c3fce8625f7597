"""The sandbox runner and its in-sandbox harness, against the real bubblewrap (no doubles)."""

from __future__ import annotations

import os
import tempfile
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from sandbox import (
    Limits,
    SandboxResult,
    TestFileError,
    Verdict,
    isolation,
    run_tests,
    test_names,
)

FAST = Limits(cpu_seconds=2, wall_seconds=5, memory_mb=128)

PYTEST_STYLE = """\
from solution import add


def test_small():
    assert add(2, 3) == 5


def test_negative():
    assert add(-4, 1) == -3
"""

UNITTEST_STYLE = """\
import unittest

from solution import add


class TestAdd(unittest.TestCase):
    def test_small(self):
        self.assertEqual(add(2, 3), 5)

    def test_negative(self):
        self.assertEqual(add(-4, 1), -3)
"""

RIGHT = "def add(a, b):\n    return a + b\n"
WRONG = "def add(a, b):\n    return a - b\n"


def run(
    solution: str, tests: str, *, module_name: str = "solution", limits: Limits = FAST
) -> SandboxResult:
    return run_tests(
        solution=textwrap.dedent(solution),
        test_source=textwrap.dedent(tests),
        module_name=module_name,
        limits=limits,
    )


def outcomes(result: SandboxResult) -> dict[str, str]:
    return {test.name: test.outcome for test in result.tests}


# --- static discovery -----------------------------------------------------------------------------


def test_it_finds_tests_of_both_styles_in_file_order() -> None:
    source = """\
import unittest


def helper():
    return 1


def test_first():
    assert helper() == 1


class Base(unittest.TestCase):
    def test_shared(self):
        pass


class TestMore(Base):
    def setUp(self):
        pass

    def test_own(self):
        pass

    def _hidden(self):
        pass


class NotATestCase:
    def test_ignored(self):
        pass


def test_last(value=3):
    assert value
"""
    assert test_names(source) == [
        "test_first",
        "Base.test_shared",
        "TestMore.test_shared",
        "TestMore.test_own",
        "test_last",
    ]


def test_a_syntax_error_in_the_test_file_names_the_line() -> None:
    with pytest.raises(TestFileError, match="syntax error on line 2"):
        test_names("def test_x():\n    assert (\n")


def test_a_file_without_tests_is_rejected() -> None:
    with pytest.raises(TestFileError, match="No tests found"):
        test_names("def helper():\n    return 1\n")


def test_a_test_that_needs_fixtures_is_rejected() -> None:
    with pytest.raises(TestFileError, match="takes arguments"):
        test_names("def test_x(tmp_path):\n    pass\n")


# --- verdicts -------------------------------------------------------------------------------------


def test_a_correct_solution_passes() -> None:
    result = run(RIGHT, PYTEST_STYLE)

    assert result.verdict == Verdict.PASSED
    assert result.problem == ""
    assert outcomes(result) == {"test_small": "passed", "test_negative": "passed"}
    assert all(test.message == "" for test in result.tests)
    assert result.exit_code == 0


def test_the_standard_library_is_available() -> None:
    solution = """\
        import bisect, collections, dataclasses, datetime, decimal, fractions, functools, heapq
        import itertools, json, math, random, re, statistics, string, typing


        @dataclasses.dataclass
        class Point:
            x: int


        def add(a, b):
            counts = collections.Counter(itertools.chain([a], [b]))
            assert json.loads(json.dumps([a])) == [a] and re.match(r"-?\\d+", str(a))
            assert math.isfinite(statistics.mean([a, b])) and Point(a).x == a
            assert fractions.Fraction(a, 1) == decimal.Decimal(a) == a
            assert heapq.nsmallest(1, [b, a]) == [min(a, b)] and bisect.bisect([a], a) == 1
            assert isinstance(datetime.date.today(), datetime.date) and string.digits
            assert random.Random(a).random() < 1 and typing.cast(int, a) == a
            return functools.reduce(lambda x, y: x + y, sorted(counts.elements()))
    """
    assert run(solution, PYTEST_STYLE).verdict == Verdict.PASSED


def test_a_wrong_solution_fails_with_the_assert_and_its_values() -> None:
    result = run(WRONG, PYTEST_STYLE)

    assert result.verdict == Verdict.FAILED
    assert result.problem == ""
    small = result.tests[0]
    assert small.outcome == "failed"
    assert "assert add(2, 3) == 5" in small.message
    assert "left side:  -1" in small.message
    assert "right side: 5" in small.message
    assert 'File "test_solution.py", line 5, in test_small' in small.message


def test_unittest_failures_and_errors_show_only_the_tests_and_the_students_frames() -> None:
    solution = """\
        def add(a, b):
            if a < 0:
                return {}[a]
            return a - b
    """
    result = run(solution, UNITTEST_STYLE)

    assert result.verdict == Verdict.ERROR
    small, negative = result.tests
    assert (small.name, small.outcome) == ("TestAdd.test_small", "failed")
    assert "AssertionError: -1 != 5" in small.message
    assert (negative.name, negative.outcome) == ("TestAdd.test_negative", "error")
    assert 'File "solution.py", line 3, in add' in negative.message
    assert "KeyError: -4" in negative.message
    for test in result.tests:
        assert "unittest" not in test.message.replace("test_solution", "")
        assert "harness" not in test.message


def test_unittest_fixtures_are_honoured() -> None:
    tests = """\
        import unittest

        from solution import add

        CALLS = []


        class TestAdd(unittest.TestCase):
            @classmethod
            def setUpClass(cls):
                CALLS.append("class")

            def setUp(self):
                self.base = add(1, 1)

            def tearDown(self):
                CALLS.append("down")

            def test_one(self):
                self.assertEqual(self.base, 2)

            def test_two(self):
                self.assertEqual(CALLS, ["class", "down"])


        class TestBroken(unittest.TestCase):
            @classmethod
            def setUpClass(cls):
                raise RuntimeError("no database here")

            def test_never(self):
                pass
    """
    result = run(RIGHT, tests)

    assert outcomes(result) == {
        "TestAdd.test_one": "passed",
        "TestAdd.test_two": "passed",
        "TestBroken.test_never": "error",
    }
    assert "setUpClass failed" in result.tests[2].message
    assert "RuntimeError: no database here" in result.tests[2].message


def test_sub_tests_skips_and_expected_failures() -> None:
    tests = """\
        import unittest

        from solution import add


        class TestAdd(unittest.TestCase):
            def test_table(self):
                for a, b in [(1, 1), (2, -5)]:
                    with self.subTest(a=a, b=b):
                        self.assertEqual(add(a, b), abs(a + b))

            @unittest.skip("not graded yet")
            def test_skipped(self):
                pass

            @unittest.expectedFailure
            def test_known_bug(self):
                self.assertEqual(add(1, 1), 3)
    """
    result = run(RIGHT, tests)

    assert outcomes(result) == {
        "TestAdd.test_table": "failed",
        "TestAdd.test_skipped": "skipped",
        "TestAdd.test_known_bug": "passed",
    }
    assert "(a=2, b=-5)" in result.tests[0].message
    assert result.tests[1].message == "Skipped: not graded yet"
    assert result.verdict == Verdict.FAILED  # test_table failed; a skip counts for nothing


def test_pytest_raises_and_approx_work_without_pytest_installed() -> None:
    tests = """\
        import pytest

        from solution import divide


        def test_by_zero():
            with pytest.raises(ZeroDivisionError, match="division"):
                divide(1, 0)


        def test_third():
            assert divide(1, 3) == pytest.approx(0.3333333)
    """
    solution = "def divide(a, b):\n    return a / b\n"
    assert run(solution, tests).verdict == Verdict.PASSED


def test_results_before_a_timeout_survive_it() -> None:
    tests = """\
        import time

        from solution import add


        def test_passes():
            assert add(1, 1) == 2


        def test_fails():
            assert add(1, 1) == 3


        def test_hangs():
            time.sleep(60)


        def test_after():
            assert True
    """
    result = run(RIGHT, tests, limits=Limits(cpu_seconds=2, wall_seconds=1.5))

    assert result.verdict == Verdict.TIMEOUT
    assert outcomes(result) == {
        "test_passes": "passed",
        "test_fails": "failed",
        "test_hangs": "timeout",
        "test_after": "not_run",
    }
    assert result.problem == "The test test_hangs did not finish within 1.5 s."
    assert 1000 < result.tests[2].duration_ms < 2500
    assert result.time_ms < 2500


def test_a_test_calling_sys_exit_is_an_error() -> None:
    solution = "import sys\n\n\ndef add(a, b):\n    sys.exit(0)\n"
    result = run(solution, PYTEST_STYLE)

    assert result.verdict == Verdict.ERROR
    assert outcomes(result) == {"test_small": "error", "test_negative": "error"}
    assert "sys.exit()" in result.tests[0].message


def test_memory_error_at_import_is_a_memory_limit() -> None:
    result = run("hog = bytearray(512 * 1024 * 1024)\n", PYTEST_STYLE)

    assert result.verdict == Verdict.MEMORY_LIMIT
    assert result.problem == "Your code used more than 128 MB of memory."
    assert set(outcomes(result).values()) == {"not_run"}


def test_output_is_captured_and_capped() -> None:
    solution = """\
        import sys

        print("hello from stdout")
        print("hello from stderr", file=sys.stderr)


        def add(a, b):
            return a + b
    """
    result = run(solution, PYTEST_STYLE)
    assert result.stdout == "hello from stdout\n"
    assert result.stderr == "hello from stderr\n"

    result = run("print('x' * 5000)\n" + RIGHT, PYTEST_STYLE, limits=Limits(output_kb=2))
    assert result.verdict == Verdict.OUTPUT_LIMIT
    assert result.stdout == "x" * 2048 + "\n[output truncated at 2 KB]"


def test_long_messages_are_trimmed() -> None:
    tests = (
        "from solution import add\n\n\ndef test_long():\n    assert add(1, 1) == 3, 'y' * 10000\n"
    )
    result = run(RIGHT, tests)

    message = result.tests[0].message
    assert 1500 < len(message) < 2100
    assert "characters cut" in message


def test_hashing_is_repeatable_between_runs() -> None:
    solution = "print(list({'apple', 'pear', 'plum', 'fig'}))\n" + RIGHT
    first = run(solution, PYTEST_STYLE).stdout
    assert first == run(solution, PYTEST_STYLE).stdout


# --- loading problems -----------------------------------------------------------------------------


def test_a_test_file_with_a_syntax_error_is_a_clear_problem() -> None:
    result = run(RIGHT, "def test_x():\n    assert (\n")

    assert result.verdict == Verdict.ERROR
    assert result.tests == []
    assert "syntax error on line 2" in result.problem


@pytest.mark.parametrize(
    ("solution", "problem"),
    [
        (
            "def add(a, b)\n    return a + b\n",
            "Your code has a syntax error on line 1: expected ':'.",
        ),
        ("def plus(a, b):\n    return a + b\n", "The tests could not import from your module"),
        ("import numpy\n", "Your code imports numpy, which is not available here (line 1)"),
        ("x = 1\ny = x / 0\n", "Your code raised ZeroDivisionError on line 2 while loading"),
        ("import sys\nsys.exit(0)\n", "Your code exited (sys.exit) before the tests finished."),
    ],
    ids=["syntax", "missing-name", "third-party", "exception", "exit"],
)
def test_a_module_that_does_not_load_is_an_error_with_the_reason(
    solution: str, problem: str
) -> None:
    result = run(solution, PYTEST_STYLE)

    assert result.verdict == Verdict.ERROR
    assert result.problem.startswith(problem)
    assert outcomes(result) == {"test_small": "not_run", "test_negative": "not_run"}
    assert all(test.message == "Not run: the tests could not be loaded." for test in result.tests)


def test_the_module_name_is_respected() -> None:
    tests = "from mymod import f\n\n\ndef test_f():\n    assert f() == 42\n"
    result = run("def f():\n    return 42\n", tests, module_name="mymod")
    assert result.verdict == Verdict.PASSED

    result = run("def f():\n    return 42\n", tests)  # saved as solution.py
    assert result.verdict == Verdict.ERROR


def test_a_module_named_like_a_module_the_harness_uses_still_loads() -> None:
    tests = "import json\n\n\ndef test_mine():\n    assert json.MINE == 1\n"
    assert run("MINE = 1\n", tests, module_name="json").verdict == Verdict.PASSED


def test_an_invalid_module_name_is_refused() -> None:
    with pytest.raises(ValueError, match="not a valid Python module name"):
        run_tests(solution=RIGHT, test_source=PYTEST_STYLE, module_name="my-mod")


def test_runs_in_parallel_do_not_interfere() -> None:
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda code: run(code, PYTEST_STYLE), [RIGHT, WRONG] * 2))

    assert [result.verdict for result in results] == [Verdict.PASSED, Verdict.FAILED] * 2
    assert len({result.run_uid for result in results}) == 4


# --- limits from settings -------------------------------------------------------------------------


def test_limits_come_from_settings_and_overrides_win(settings) -> None:
    settings.SANDBOX_CPU_SECONDS = 3.0
    settings.SANDBOX_OUTPUT_KB = 16

    limits = Limits.from_settings(cpu_seconds=None, memory_mb=64)

    assert limits.cpu_seconds == 3.0
    assert limits.output_kb == 16
    assert limits.memory_mb == 64
    with pytest.raises(TypeError, match="Unknown sandbox limits: gpus"):
        Limits.from_settings(gpus=1)
    with pytest.raises(ValueError, match="positive"):
        Limits(wall_seconds=0)


def test_limits_may_be_floats_as_an_assignment_stores_them() -> None:
    limits = Limits(cpu_seconds=1.5, memory_mb=100.0, processes=16.0, output_kb=8.0, tmp_mb=16.0)

    assert run(RIGHT, PYTEST_STYLE, limits=limits).verdict == Verdict.PASSED


def test_run_directories_left_by_a_killed_worker_are_removed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stale = Path(tempfile.mkdtemp(prefix=isolation.RUN_DIR_PREFIX, dir=isolation.run_root()))
    (stale / "solution.py").write_text(RIGHT)
    stale.chmod(0o500)
    an_hour_ago = time.time() - isolation.STALE_RUN_DIR_SECONDS - 60
    os.utime(stale, (an_hour_ago, an_hour_ago))
    fresh = Path(tempfile.mkdtemp(prefix=isolation.RUN_DIR_PREFIX, dir=isolation.run_root()))
    monkeypatch.setattr(isolation, "_last_sweep", 0.0)

    try:
        assert run(RIGHT, PYTEST_STYLE).verdict == Verdict.PASSED

        assert not stale.exists()
        assert fresh.exists()
    finally:
        fresh.rmdir()
