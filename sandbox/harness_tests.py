"""The test harness: runs *inside* the sandbox for graded runs (a student's module and a test file).

`runner_tests.py` is its host side and `isolation.py` explains the sandbox. Started by bubblewrap
as `python3 -S -P /sandbox/harness.py REPORT_FD CONFIG_JSON`, with the student's module and the
test file bind-mounted read-only at /sandbox. Standard library only: the sandbox has Debian's
Python and nothing else. Two processes:

- P, this process, is trusted. It turns itself non-dumpable (so no process of the same uid can
  open /proc/P/fd/REPORT_FD or ptrace it), copies the inputs into the writable work directory,
  forks C and reports to REPORT_FD. Last it writes a trailer with C's exit status and CPU time,
  which is how the runner tells "finished" from "exited early", "killed at the CPU limit" or
  "crashed".
- C runs student code. It closes REPORT_FD before running anything the student wrote and sets the
  resource limits first. It imports the test module (which imports the student's module) and runs
  the tests one at a time, sending one JSON line per event to P over a private pipe; P relays them
  after checking them: only the test names the runner found statically, each at most once, known
  outcomes, bounded text. Because the runner reads results only from REPORT_FD, text printed by
  the student, `sys.exit(0)` or `os._exit(0)` can never turn into "passed": a test that did not
  report stays "not run".

The playground's program runs have their own harness, `harness_programs.py`, so that a program's
start pays for none of this file's imports. The few helpers both need are copied, not imported:
inside the sandbox only /usr's Python exists, no project package (tests/sandbox checks the copies
agree).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import select
import signal
import sys
import time
import traceback
import types
import unittest

INPUT_DIR = "/sandbox"
WORK_DIR = "/tmp"  # noqa: S108 - the sandbox's own size-limited tmpfs; also HOME
EFBIG, ENOSPC = 27, 28
MESSAGE_LIMIT = 2000
PROBLEM_LIMIT = 500
LINE_LIMIT = 64 * 1024  # longest event line P accepts from C
DRAIN_LIMIT = 1024 * 1024  # what P still reads from C's pipe once C is gone
CHILD_OUTCOMES = frozenset({"passed", "failed", "error", "memory_limit", "output_limit", "not_run"})
IMPORT_OUTCOMES = frozenset({"error", "memory_limit", "output_limit"})


# --- shared with harness_programs.py (copied, see above) ------------------------------------------


def _make_undumpable() -> None:
    # A non-dumpable process's /proc/PID/fd and ptrace are closed to unprivileged processes of
    # the same uid; inside the sandbox nobody has capabilities, so REPORT_FD stays P's alone.
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    pr_set_dumpable = 4
    if libc.prctl(pr_set_dumpable, 0, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_DUMPABLE) failed")


def _set_limits(config: dict) -> None:
    import math
    import resource

    cpu = max(1, math.ceil(config["cpu_seconds"]))
    # memory_mb is what the student's code gets on top of the interpreter and the harness.
    baseline = _virtual_memory_bytes()
    limits = {
        resource.RLIMIT_CPU: (cpu, cpu + 1),  # SIGXCPU at the soft limit, SIGKILL a second later
        resource.RLIMIT_AS: (baseline + config["memory_bytes"],) * 2,
        resource.RLIMIT_NPROC: (config["processes"],) * 2,
        resource.RLIMIT_FSIZE: (config["file_size_bytes"],) * 2,
        resource.RLIMIT_CORE: (0, 0),
        resource.RLIMIT_NOFILE: (64, 64),
    }
    for which, value in limits.items():
        resource.setrlimit(which, value)


def _virtual_memory_bytes() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def _install_conveniences() -> None:
    import builtins

    # python3 -S skips `site`, which is what defines exit() and quit(); students do call them.
    def exit(code: object = None) -> None:
        raise SystemExit(code)

    vars(builtins).update(exit=exit, quit=exit)  # replaces site's Quitter objects


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


# --- P: the trusted relay -----------------------------------------------------------------------


def main(argv: list[str]) -> None:
    report_fd = int(argv[1])
    config = json.loads(argv[2])
    # P is the pid namespace's init (bwrap --as-pid-1): the kernel drops every signal sent to it
    # from inside the namespace unless it has a handler, so C cannot stop, kill or interrupt it.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    _make_undumpable()
    for name in (config["module"], config["tests"]):
        with open(f"{INPUT_DIR}/{name}.py", "rb") as source:
            data = source.read()
        with open(f"{WORK_DIR}/{name}.py", "wb") as copy:
            copy.write(data)
    os.chdir(WORK_DIR)
    _send(report_fd, {"e": "hello"})
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(report_fd)
            os.close(read_end)
            _child(write_end, config)
        finally:
            os._exit(70)  # only reached if the harness itself broke; the runner reports it
    os.close(write_end)
    _relay(read_end, pid, report_fd, config["names"])
    os._exit(0)


def _send(fd: int, event: dict[str, object]) -> None:
    _write_all(fd, (json.dumps(event) + "\n").encode())


def _relay(read_end: int, pid: int, report_fd: int, names: list[str]) -> None:
    relay = _Relay(report_fd, names)
    # A pidfd says when C is gone even if its descendants still hold the pipe open.
    pidfd = os.pidfd_open(pid)
    poller = select.poll()
    poller.register(read_end, select.POLLIN)
    poller.register(pidfd, select.POLLIN)
    pipe_open = True
    while True:
        ready = dict(poller.poll())
        if read_end in ready:
            chunk = os.read(read_end, 65536)
            if chunk:
                relay.feed(chunk)
            else:
                poller.unregister(read_end)
                pipe_open = False
        if pidfd in ready:
            break
    if pipe_open:
        # Whatever C wrote before it exited is already in the pipe; don't wait for grandchildren.
        os.set_blocking(read_end, False)
        drained = 0
        try:
            while drained < DRAIN_LIMIT and (chunk := os.read(read_end, 65536)):
                relay.feed(chunk)
                drained += len(chunk)
        except BlockingIOError:
            pass
    _, status, usage = os.wait4(pid, 0)
    _send(
        report_fd,
        {
            "e": "exit",
            "code": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
            "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
            "cpu_ms": round((usage.ru_utime + usage.ru_stime) * 1000),
        },
    )


class _Relay:
    """Checks C's events before they reach the runner: C runs student code, so it may lie."""

    def __init__(self, report_fd: int, names: list[str]) -> None:
        self.report_fd = report_fd
        self.names = set(names)
        self.finished: set[str] = set()
        self.once: set[str] = set()
        self.pending = b""

    def feed(self, chunk: bytes) -> None:
        lines = (self.pending + chunk).split(b"\n")
        self.pending = lines.pop()
        if len(self.pending) > LINE_LIMIT:
            self.pending = b""  # the rest of that line will not parse and is dropped too
        for line in lines:
            if len(line) <= LINE_LIMIT and (event := self._checked(line)) is not None:
                _send(self.report_fd, event)

    def _checked(self, line: bytes) -> dict[str, object] | None:
        try:
            event = json.loads(line)
        except ValueError:
            return None
        if not isinstance(event, dict):
            return None
        kind = event.get("e")
        name = event.get("n")
        if kind == "start" and name in self.names and name not in self.finished:
            # The runner and the sandbox share CLOCK_MONOTONIC: it times a test killed mid-run.
            return {"e": "start", "n": name, "t": time.monotonic()}
        if kind == "end" and name in self.names and name not in self.finished:
            outcome = event.get("o")
            if outcome not in CHILD_OUTCOMES:
                return None
            self.finished.add(name)
            duration = event.get("d")
            if not isinstance(duration, int) or isinstance(duration, bool) or duration < 0:
                duration = 0
            message = "" if outcome == "passed" else _clean(event.get("m"), MESSAGE_LIMIT)
            return {"e": "end", "n": name, "o": outcome, "m": message, "d": duration}
        if kind in ("ready", "done") and kind not in self.once:
            self.once.add(kind)
            return {"e": kind}
        if kind == "import" and kind not in self.once and event.get("o") in IMPORT_OUTCOMES:
            self.once.add(kind)
            return {
                "e": "import",
                "o": event["o"],
                "p": _clean(event.get("p"), PROBLEM_LIMIT),
                "m": _clean(event.get("m"), MESSAGE_LIMIT),
            }
        return None


def _clean(text: object, limit: int) -> str:
    if not isinstance(text, str):
        return ""
    # Lone surrogates and NUL cannot be stored in PostgreSQL text; neither helps a student.
    text = text.encode("utf-8", "replace").decode("utf-8").replace("\x00", "\ufffd")
    return _trim(text, limit)


def _trim(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    # The end of a traceback (the exception) matters most, the start (the test line) next.
    head = limit // 3
    return f"{text[:head]}\n[… {len(text) - limit} characters cut …]\n{text[-(limit - head) :]}"


# --- C: runs the student's code -------------------------------------------------------------------


class _Reporter:
    def __init__(self, fd: int) -> None:
        self.fd = fd

    def send(self, **event: object) -> None:
        # The student may have closed or broken the pipe; P then marks what is missing.
        with contextlib.suppress(OSError):
            _send(self.fd, event)


def _child(fd: int, config: dict) -> None:
    reporter = _Reporter(fd)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    _set_limits(config)
    # Line-buffered, so what a student printed before a timeout or crash is still shown.
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):  # always; None only without fd 1 or 2
            stream.reconfigure(line_buffering=True)
    sys.path.insert(0, WORK_DIR)
    # The harness may already have imported a module the assignment's module is named after
    # (json, say); the student's file must win.
    sys.modules.pop(config["module"], None)
    _install_conveniences()
    paths = {f"{WORK_DIR}/{config['module']}.py", f"{WORK_DIR}/{config['tests']}.py"}
    describe = _Describer(paths, config)
    try:
        module = _import_tests(config["tests"])
    except BaseException as exc:  # anything at import, SystemExit and MemoryError included
        reporter.send(e="import", **describe.import_failure(exc))
        _finish(reporter)
    reporter.send(e="ready")
    _run(module, config["names"], reporter, describe)
    _finish(reporter)


def _finish(reporter: _Reporter) -> None:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # the student may have replaced or closed it
            stream.flush()
    reporter.send(e="done")
    # _exit: atexit handlers the student registered must not run (or hang) after the verdict.
    os._exit(0)


def _import_tests(name: str) -> object:
    """Import the test module with its plain `assert`s rewritten to explain themselves."""
    import types

    path = f"{WORK_DIR}/{name}.py"
    with open(path, "rb") as file:
        source = file.read()
    if b"pytest" in source:
        sys.modules.setdefault("pytest", _pytest_stand_in())
    if re.search(rb"^\s*assert\b", source, re.MULTILINE):
        code = _rewrite_asserts(source, path)
    else:
        code = compile(source, path, "exec", dont_inherit=True)
    module = types.ModuleType(name)
    module.__file__ = path
    module.__dict__["_harness_explain"] = _explain
    sys.modules[name] = module
    exec(code, module.__dict__)  # noqa: S102 - that is the job: run the teacher's test module
    return module


def _rewrite_asserts(source: bytes, path: str) -> types.CodeType:
    import ast

    text = source.decode("utf-8", "replace")
    tree = ast.parse(source, path)

    def name(identifier: str, ctx: ast.expr_context) -> ast.Name:
        return ast.Name(id=identifier, ctx=ctx)

    class Rewriter(ast.NodeTransformer):
        def visit_Assert(self, node: ast.Assert) -> ast.Assert:
            if node.msg is not None:
                return node
            shown = ast.get_source_segment(text, node.test) or ast.unparse(node.test)
            test = node.test
            # Each operand is evaluated once, as written, and kept for the message (walrus).
            if isinstance(test, ast.Compare) and len(test.ops) == 1:
                values: list[ast.expr] = [
                    ast.NamedExpr(target=name("_harness_left", ast.Store()), value=test.left),
                    ast.NamedExpr(
                        target=name("_harness_right", ast.Store()), value=test.comparators[0]
                    ),
                ]
                new_test: ast.expr = ast.Compare(
                    left=values[0], ops=test.ops, comparators=values[1:]
                )
                shown_values = [
                    name("_harness_left", ast.Load()),
                    name("_harness_right", ast.Load()),
                ]
            else:
                new_test = ast.NamedExpr(target=name("_harness_value", ast.Store()), value=test)
                shown_values = [name("_harness_value", ast.Load())]
            message = ast.Call(
                func=name("_harness_explain", ast.Load()),
                args=[ast.Constant(shown), *shown_values],
                keywords=[],
            )
            return ast.copy_location(ast.Assert(test=new_test, msg=message), node)

    tree = ast.fix_missing_locations(Rewriter().visit(tree))
    return compile(tree, path, "exec", dont_inherit=True)


def _explain(shown: str, *values: object) -> str:
    if len(values) == 2:
        return f"assert {shown}\n  left side:  {_repr(values[0])}\n  right side: {_repr(values[1])}"
    return f"assert {shown}\n  the condition was: {_repr(values[0])}"


def _repr(value: object) -> str:
    try:
        text = repr(value)
    except Exception:
        text = f"<{type(value).__name__} object>"
    return text if len(text) <= 300 else text[:300] + "…"


def _pytest_stand_in() -> types.ModuleType:
    """Enough of pytest for plain-assert test files: raises, approx, fail, skip."""
    import math
    import re
    import types

    module = types.ModuleType("pytest")

    class _Raises:
        def __init__(self, expected: type | tuple[type, ...], match: str | None) -> None:
            self.expected, self.match = expected, match
            self.value: BaseException | None = None

        def __enter__(self) -> _Raises:
            return self

        def __exit__(self, kind: type | None, value: BaseException | None, _tb: object) -> bool:
            if kind is None:
                raise AssertionError(f"DID NOT RAISE {self.expected!r}")
            if not issubclass(kind, self.expected):
                return False
            if self.match is not None and not re.search(self.match, str(value)):
                raise AssertionError(f"Regex {self.match!r} does not match {str(value)!r}")
            self.value = value
            return True

    def raises(expected: type | tuple[type, ...], *, match: str | None = None) -> _Raises:
        return _Raises(expected, match)

    class _Approx:
        def __init__(self, expected: float, rel: float | None, abs: float | None) -> None:
            self.expected, self.rel, self.abs = expected, rel, abs

        def __eq__(self, actual: object) -> bool:
            if isinstance(self.expected, list | tuple):
                return (
                    isinstance(actual, list | tuple)
                    and len(actual) == len(self.expected)
                    and all(
                        a == _Approx(e, self.rel, self.abs)
                        for a, e in zip(actual, self.expected, strict=True)
                    )
                )
            rel = 1e-6 if self.rel is None else self.rel
            tolerance = 1e-12 if self.abs is None else self.abs
            return isinstance(actual, int | float) and math.isclose(
                actual, self.expected, rel_tol=rel, abs_tol=tolerance
            )

        def __repr__(self) -> str:
            return f"approx({self.expected!r})"

    def approx(expected: float, rel: float | None = None, abs: float | None = None) -> _Approx:
        return _Approx(expected, rel, abs)

    def fail(reason: str = "") -> None:
        raise AssertionError(reason)

    def skip(reason: str = "") -> None:
        raise unittest.SkipTest(reason)

    vars(module).update(raises=raises, approx=approx, fail=fail, skip=skip)
    return module


def _run(module: object, names: list[str], reporter: _Reporter, describe: _Describer) -> None:
    suite = unittest.TestSuite()
    by_id: dict[int, str] = {}
    for name in names:
        class_name, _, method = name.rpartition(".")
        try:
            if class_name:
                test = getattr(module, class_name)(method)
            else:
                test = unittest.FunctionTestCase(getattr(module, name))
        except Exception as exc:
            reporter.send(e="end", n=name, o="error", m=describe.exception(exc), d=0)
            continue
        by_id[id(test)] = name
        suite.addTest(test)
    result = _Result(reporter, by_id, describe)
    try:
        suite.run(result)
    except BaseException as exc:  # KeyboardInterrupt, GeneratorExit… escape unittest
        result.abort(exc)
    result.close_unreported()


class _Result(unittest.TestResult):
    """Reports each test as it ends; keeps nothing (a long run stays small)."""

    def __init__(self, reporter: _Reporter, names: dict[int, str], describe: _Describer) -> None:
        super().__init__()
        self.reporter, self.names, self.describe = reporter, names, describe
        self.current: str | None = None
        self.outcome: tuple[str, str] | None = None
        self.started = 0.0
        self.reported: set[str] = set()
        self.fixture_errors: dict[str, str] = {}  # class name, or "" for the module -> message
        self.fixture_outcome: dict[str, str] = {}

    def startTest(self, test: unittest.TestCase) -> None:
        self.current = self.names.get(id(test))
        self.outcome = None
        self.started = time.monotonic()
        if self.current is not None:
            self.reporter.send(e="start", n=self.current)

    def stopTest(self, test: unittest.TestCase) -> None:
        if self.current is None:
            return
        if self.outcome is None and (exc := sys.exc_info()[1]) is not None:
            # Called from TestCase.run's `finally`: KeyboardInterrupt and the like escape unittest.
            self.outcome = (self.describe.outcome(exc), self.describe.exception(exc))
        outcome, message = self.outcome or ("error", "The test ended without a result.")
        self._end(self.current, outcome, message, round((time.monotonic() - self.started) * 1000))
        self.current = None

    def _end(self, name: str, outcome: str, message: str, duration: int) -> None:
        self.reported.add(name)
        self.reporter.send(e="end", n=name, o=outcome, m=message, d=duration)

    def _record(self, outcome: str, message: str) -> None:
        if self.outcome is None or self.outcome[0] == "passed":  # the first problem wins
            self.outcome = (outcome, message)

    def addSuccess(self, test: unittest.TestCase) -> None:
        if self.outcome is None:
            self.outcome = ("passed", "")

    def addFailure(self, test: unittest.TestCase, err: tuple) -> None:
        self._record("failed", self.describe.error(err))

    def addError(self, test: unittest.TestCase, err: tuple) -> None:
        if self._is_fixture(test):
            self._fixture(test, "error", self.describe.error(err))
        else:
            self._record(self.describe.outcome(err[1]), self.describe.error(err))

    def addSubTest(
        self, test: unittest.TestCase, subtest: unittest.TestCase, err: tuple | None
    ) -> None:
        if err is None:
            return
        failed = issubclass(err[0], test.failureException)
        outcome = "failed" if failed else self.describe.outcome(err[1])
        # subtest is a unittest.case._SubTest; typeshed leaves out its private _subDescription.
        where = subtest._subDescription()  # type: ignore[attr-defined]
        self._record(outcome, f"{where}\n{self.describe.error(err)}")

    def addSkip(self, test: unittest.TestCase, reason: str) -> None:
        # A skipped test cannot count as passed: student code can raise SkipTest too.
        if self._is_fixture(test):
            self._fixture(test, "not_run", f"Skipped: {reason}")
        else:
            self._record("not_run", f"Skipped: {reason}")

    def addExpectedFailure(self, test: unittest.TestCase, err: tuple) -> None:
        self.outcome = ("passed", "")

    def addUnexpectedSuccess(self, test: unittest.TestCase) -> None:
        self._record("failed", "The test is marked as an expected failure, but it passed.")

    def _is_fixture(self, test: object) -> bool:
        # A setUpClass/setUpModule placeholder, not one of our tests. The type decides first:
        # the suite frees each test once it has run, so a placeholder made later can get a freed
        # test's id().
        return not isinstance(test, unittest.TestCase) or id(test) not in self.names

    def _fixture(self, holder: object, outcome: str, message: str) -> None:
        # unittest reports setUpClass/setUpModule problems on a placeholder, then silently skips
        # the tests they concern; remember them so those tests get the reason.
        description = str(holder)  # e.g. "setUpClass (test_solution.TestAdd)"
        fixture, _, target = description.partition(" (")
        key = target.rstrip(")").rpartition(".")[2] if "Class" in fixture else ""
        if fixture.startswith("setUp"):
            self.fixture_errors.setdefault(key, f"{fixture} failed:\n{message}")
            self.fixture_outcome.setdefault(key, outcome)
        else:
            print(f"{fixture} failed:\n{message}", file=sys.stderr)

    def abort(self, exc: BaseException) -> None:
        if self.current is not None:
            error = (type(exc), exc, exc.__traceback__)
            self._end(self.current, self.describe.outcome(exc), self.describe.error(error), 0)
            self.current = None

    def close_unreported(self) -> None:
        for name in self.names.values():
            if name in self.reported:
                continue
            class_name = name.rpartition(".")[0]
            key = class_name if class_name in self.fixture_errors else ""
            if key in self.fixture_errors:
                self._end(name, self.fixture_outcome[key], self.fixture_errors[key], 0)
            else:
                self._end(name, "not_run", "The test did not run.", 0)


class _Describer:
    """Turns exceptions into short messages showing only the test file's and student's frames."""

    def __init__(self, paths: set[str], config: dict) -> None:
        self.paths = paths
        self.module = config["module"]
        self.config = config

    def outcome(self, exc: BaseException) -> str:
        if isinstance(exc, MemoryError):
            return "memory_limit"
        if isinstance(exc, OSError) and exc.errno in (EFBIG, ENOSPC):
            return "output_limit"
        return "error"

    def limit_sentence(self, exc: BaseException) -> str | None:
        if isinstance(exc, MemoryError):
            return f"Your code used more than {self.config['memory_bytes'] >> 20} MB of memory."
        if isinstance(exc, OSError) and exc.errno == EFBIG:
            mb = self.config["file_size_bytes"] >> 20
            return f"Your code tried to write a file larger than {mb} MB."
        if isinstance(exc, OSError) and exc.errno == ENOSPC:
            mb = self.config["tmp_bytes"] >> 20
            return f"Your code filled the temporary disk ({mb} MB)."
        if isinstance(exc, SystemExit):
            return "Your code called sys.exit() or exit(), which stops the tests."
        return None

    def frames(self, tb: types.TracebackType | None) -> list[traceback.FrameSummary]:
        kept = [frame for frame in traceback.extract_tb(tb) if frame.filename in self.paths]
        return [
            traceback.FrameSummary(
                os.path.basename(frame.filename), frame.lineno, frame.name, line=frame.line
            )
            for frame in kept
        ]

    def error(self, err: tuple) -> str:
        kind, value, tb = err
        try:
            lines = []
            frames = self.frames(tb)
            if frames:
                lines.append("Traceback (most recent call last):\n")
                lines.extend(traceback.StackSummary.from_list(frames).format())
            lines.extend(traceback.format_exception_only(kind, value))
            text = "".join(lines).rstrip()
        except Exception:  # a student exception whose __str__ fails
            text = f"{kind.__name__} (its message could not be shown)"
        if (sentence := self.limit_sentence(value)) is not None:
            text = f"{sentence}\n{text}"
        return _trim(text, MESSAGE_LIMIT)

    def exception(self, exc: BaseException) -> str:
        return self.error((type(exc), exc, exc.__traceback__))

    def import_failure(self, exc: BaseException) -> dict[str, str]:
        detail = self.exception(exc)
        outcome = self.outcome(exc)
        problem = self.limit_sentence(exc)
        if isinstance(exc, SystemExit):
            problem = "Your code exited (sys.exit) before the tests finished."
        if problem is None:
            problem = self._import_problem(exc)
        return {"o": outcome, "p": problem, "m": detail}

    def _import_problem(self, exc: BaseException) -> str:
        module_file = f"{self.module}.py"
        if isinstance(exc, SyntaxError):
            where = (
                "Your code"
                if os.path.basename(exc.filename or "") == module_file
                else "The test file"
            )
            return f"{where} has a syntax error on line {exc.lineno}: {exc.msg}."
        frames = self.frames(exc.__traceback__)
        student = [frame for frame in frames if frame.filename == module_file]
        message = _one_line(exc)
        if student:
            line = student[-1].lineno
            if isinstance(exc, ModuleNotFoundError):
                return (
                    f"Your code imports {exc.name}, which is not available here (line {line}); "
                    "only the Python standard library is."
                )
            return f"Your code raised {type(exc).__name__} on line {line} while loading: {message}"
        tests_line = frames[-1].lineno if frames else "?"
        if isinstance(exc, ImportError) and exc.name == self.module:
            return (
                f"The tests could not import from your module {self.module} (line {tests_line} of"
                f" the tests): {message}. Check the names match the instructions."
            )
        return (
            f"The test file raised {type(exc).__name__} on line {tests_line} while loading: "
            f"{message}"
        )


def _one_line(exc: BaseException) -> str:
    try:
        text = str(exc)
    except Exception:
        text = ""
    text = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    return text[:300]


if __name__ == "__main__":
    main(sys.argv)
