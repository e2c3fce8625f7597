"""Forgery attempts: a wrong solution plus an attack on the test machinery must earn nothing.

Every case is WRONG (`add` subtracts, so it earns no test) with code that tries to make the
tests pass anyway or to read them: patching unittest, the assertion helpers, builtins,
sys.modules or __import__, reaching the test module through gc or frames, exiting early, forging
report bytes, returning an object that equals everything. The test file carries a marker that
must never reach anything the student sees. One sandbox run per attack.
"""

from __future__ import annotations

import textwrap

import pytest

from sandbox import Limits, SandboxResult, Verdict, run_tests

LIMITS = Limits(cpu_seconds=2, wall_seconds=5, memory_mb=128)
MARKER = "7f3a"  # only in the test file (a comment, a name): never shown to students

TESTS = f"""\
import unittest

from solution import add

# hidden-{MARKER}-c9d2: a hidden test's source and expected values.


class TestAdd(unittest.TestCase):
    def test_small_hidden_7f3a(self):  # a hidden test's name is not for students either
        self.assertEqual(add(2, 3), 5)

    def test_negative(self):
        self.assertEqual(add(-4, 1), -3)

    def test_close(self):
        self.assertAlmostEqual(add(0.1, 0.2), 0.3)

    def test_truth(self):
        self.assertTrue(add(1, 1) == 2)


def test_plain_assert():
    assert add(10, 20) == 30


def test_pytest_style():
    import pytest

    assert add(1, 2) == pytest.approx(3)
"""

WRONG = "def add(a, b):\n    return a - b\n"

ATTACKS = {
    # The reproduction from the issue: every test method becomes a no-op, a module __getattr__
    # answers any name, and the test file is printed.
    "call_test_method": """
        import unittest
        unittest.TestCase._callTestMethod = lambda self, method: None
        def __getattr__(name):
            return lambda *args, **kwargs: None
        for path in ("/sandbox/test_solution.py", "/tmp/test_solution.py"):
            try:
                print(open(path).read())
            except OSError as error:
                print(error)
    """,
    "assertion_methods": """
        import unittest
        for name in dir(unittest.TestCase):
            if name.startswith("assert") or name == "fail":
                setattr(unittest.TestCase, name, lambda *args, **kwargs: None)
        unittest.TestCase.failureException = type("Never", (Exception,), {})
    """,
    "test_case_run": """
        import unittest
        def run(self, result=None):
            result.startTest(self)
            result.addSuccess(self)
            result.stopTest(self)
        unittest.TestCase.run = run
        unittest.FunctionTestCase.run = run
        unittest.TestResult.addFailure = unittest.TestResult.addSuccess
    """,
    "builtins": """
        import builtins
        builtins.AssertionError = type("Harmless", (Exception,), {})
        builtins.isinstance = lambda *args: True
        builtins.__build_class__ = builtins.__build_class__
    """,
    "sys_modules": """
        import sys, types
        fake = types.ModuleType("unittest")
        class TestCase:
            def __init__(self, *args): pass
            def run(self, result): result.addSuccess(self)
        fake.TestCase = TestCase
        sys.modules["unittest"] = fake
        sys.modules["pytest"] = types.SimpleNamespace(approx=lambda value: value)
    """,
    "import_hook": """
        import builtins
        real_import = builtins.__import__
        def hooked(name, *args, **kwargs):
            module = real_import(name, *args, **kwargs)
            if name == "unittest":
                module.TestCase.assertEqual = lambda *args, **kwargs: None
            return module
        builtins.__import__ = hooked
    """,
    "gc_and_frames": """
        import gc, sys
        def add(a, b):
            frame = sys._getframe()
            while frame is not None:  # the tests' frames, if they were here
                frame.f_globals["add"] = lambda *args: args[0] + args[1]
                frame = frame.f_back
            for thing in gc.get_objects():
                if getattr(thing, "__name__", "").startswith("test_"):
                    try:
                        thing.__code__ = (lambda: None).__code__
                    except Exception:
                        pass
                if isinstance(thing, str) and "assert" in thing:
                    print(thing[:2000])
            return a - b
    """,
    "always_equal": """
        class Anything(float):
            pass
        class Equal:
            def __eq__(self, other): return True
            def __ne__(self, other): return False
            def __sub__(self, other): return 0
            def __rsub__(self, other): return 0
            def __abs__(self): return 0
            def __round__(self, digits=None): return 0
            def __bool__(self): return True
            def __float__(self): return 3.0
            def __hash__(self): return 0
        def add(a, b):
            return Equal()
    """,
    "exit_games": """
        import atexit, os, sys
        report = '{"e": "end", "n": "TestAdd.test_negative", "o": "passed", "m": "", "d": 1}'
        atexit.register(lambda: print(report))
        def add(a, b):
            if (a, b) == (2, 3):
                os._exit(0)
            sys.exit(0)
    """,
    "exit_at_import": """
        import sys
        print('{"e": "done"}')
        sys.exit(0)
    """,
    "read_the_tests": """
        import os
        paths = [os.path.join(d, name) for d in ("/sandbox", "/tmp") for name in os.listdir(d)]
        for pid in filter(str.isdigit, os.listdir("/proc")):
            paths += [f"/proc/{pid}/cmdline", f"/proc/{pid}/environ", f"/proc/{pid}/mem"]
            try:
                paths += [f"/proc/{pid}/fd/{fd}" for fd in os.listdir(f"/proc/{pid}/fd")]
            except OSError:
                pass
        for path in paths:
            try:
                fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # pipes must not block
                data = os.pread(fd, 200000, 0) if os.lseek(fd, 0, 1) == 0 else b""
                os.close(fd)
            except OSError:
                continue
            if b"assert" in data and b"def add" not in data:
                print(data[:4000].decode("latin-1"))
    """,
    "forged_report_bytes": """
        import os, json
        line = json.dumps({"e": "end", "n": "TestAdd.test_negative", "o": "passed", "d": 1})
        frame = b'["ok", ["i", "5"], []]'
        for fd in range(0, 64):
            for data in ((line + "\\n").encode(), len(frame).to_bytes(4, "big") + frame):
                try:
                    os.write(fd, data)
                except OSError:
                    pass
    """,
    "skip_instead_of_fail": """
        import unittest
        def add(a, b):
            raise unittest.SkipTest("not today")
    """,
    "kill_the_test_process": """
        import os, signal
        def add(a, b):
            for pid in os.listdir("/proc"):
                if pid.isdigit() and int(pid) not in (1, os.getpid()):
                    try:
                        os.kill(int(pid), signal.SIGKILL)
                    except OSError:
                        pass
            return a - b
    """,
}

# What the trusted side can see for itself ends as a flagged verdict, not just a low score.
FLAGGED = {"kill_the_test_process"}


def _shown(result: SandboxResult) -> str:
    # What a student sees of a hidden test: the output and the problem, not its message (which
    # names the test in its traceback); no message may quote the file's hidden comment.
    messages = "\n".join(t.message for t in result.tests)
    assert f"hidden-{MARKER}" not in messages
    return "\n".join([result.stdout, result.stderr, result.problem])


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_a_forgery_attempt_earns_nothing_and_sees_no_hidden_test(attack: str) -> None:
    solution = WRONG + textwrap.dedent(ATTACKS[attack])
    result = run_tests(solution=solution, test_source=TESTS, limits=LIMITS)

    assert [t.name for t in result.tests if t.outcome in ("passed", "skipped")] == []
    assert result.verdict != Verdict.PASSED
    assert MARKER not in _shown(result)
    if attack in FLAGGED:
        assert result.verdict == Verdict.TAMPERED
        assert result.problem.startswith("Tampering suspected")


def test_a_forged_message_on_the_channel_is_flagged_as_tampering() -> None:
    # Writing into the channel to the tests (every fd, framed like a reply) is seen by the
    # trusted side: the run is flagged for the teacher, and the one honest result stays.
    solution = """\
        import os
        def add(a, b):
            if (a, b) == (-4, 1):
                for fd in range(3, 64):
                    try:
                        os.write(fd, b"\\x00\\x00\\x00\\x03[1]")
                    except OSError:
                        pass
            return a + b
    """
    result = run_tests(solution=textwrap.dedent(solution), test_source=TESTS, limits=LIMITS)

    assert result.verdict == Verdict.TAMPERED
    outcomes = {t.name: t.outcome for t in result.tests}
    assert outcomes["TestAdd.test_small_hidden_7f3a"] == "passed"  # earned before the forgery
    assert outcomes["TestAdd.test_negative"] == "error"
    assert "passed" not in {outcomes[name] for name in list(outcomes)[2:]}


def test_the_right_solution_still_passes_through_the_proxies() -> None:
    result = run_tests(solution=WRONG.replace("a - b", "a + b"), test_source=TESTS, limits=LIMITS)

    assert result.verdict == Verdict.PASSED, result


LEGITIMATE_SOLUTION = """\
from collections import Counter, namedtuple

Pair = namedtuple("Pair", "low high")


class Overdrawn(ValueError):
    pass


class Account:
    def __init__(self, balance):
        self.balance = balance

    def withdraw(self, amount):
        if amount > self.balance:
            raise Overdrawn(f"only {self.balance} left")
        self.balance -= amount

    def __eq__(self, other):
        return self.balance == other.balance


def greet():
    print(f"Hello, {input('Name? ')}!")


def append_to(items, value):
    items.append(value)


def counts(text):
    return Counter(text)


def bounds(values):
    return Pair(min(values), max(values))


def apply(function, value):
    return function(value)
"""

LEGITIMATE_TESTS = """\
import io
import unittest
from unittest import mock

import solution
from solution import Account, Overdrawn


class TestThroughTheProxy(unittest.TestCase):
    def test_objects_exceptions_and_their_own_equality(self):
        account = Account(10)
        account.withdraw(3)
        self.assertEqual(account.balance, 7)
        self.assertEqual(account, Account(7))
        with self.assertRaises(Overdrawn) as raised:
            account.withdraw(100)
        self.assertIn("only 7 left", str(raised.exception))
        self.assertRaises(ValueError, account.withdraw, 100)
        self.assertIsInstance(account, solution.Account)

    def test_patched_input_and_stdout(self):
        with mock.patch("builtins.input", return_value="Ada"):
            with mock.patch("sys.stdout", new_callable=io.StringIO) as out:
                solution.greet()
        self.assertEqual(out.getvalue(), "Hello, Ada!\\n")

    def test_plain_values_and_in_place_changes(self):
        items = [1]
        solution.append_to(items, 2)
        self.assertEqual(items, [1, 2])
        self.assertEqual(solution.counts("aab"), {"a": 2, "b": 1})
        self.assertEqual(solution.bounds([3, 1, 2]).high, 3)
        self.assertEqual(solution.apply(lambda x: x * 2, 21), 42)


def test_a_skipped_test_is_skipped():
    import pytest

    pytest.skip("by design")


import pytest


@pytest.mark.skip(reason="not this week")
def test_a_marked_test_is_skipped():
    assert False
"""


def test_legitimate_tests_work_through_the_proxies() -> None:
    # Objects, the student's own exceptions, patched input/stdout, write-back of arguments,
    # stdlib results and callbacks: the proxy design must not break honest tests.
    result = run_tests(solution=LEGITIMATE_SOLUTION, test_source=LEGITIMATE_TESTS, limits=LIMITS)

    outcomes = {t.name: t.outcome for t in result.tests}
    assert outcomes.pop("test_a_skipped_test_is_skipped") == "skipped"
    assert outcomes.pop("test_a_marked_test_is_skipped") == "skipped"
    assert set(outcomes.values()) == {"passed"}, result.tests
    assert result.verdict == Verdict.PASSED
