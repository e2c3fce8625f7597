"""Graded runs: a student's module against a test file in the sandbox, and the report of it.

This is the host side (it lives in the Celery worker, or the web process for the playground's
visible tests); `harness_tests.py` is what runs inside the sandbox. `isolation.py` says how the
sandbox is confined.

Report channel. The runner hands the harness the write end of a pipe (REPORT_FD) and reads
results from it alone; stdout and stderr are only shown to the student. Only the harness's
trusted processes hold REPORT_FD, so printing a fake report, exiting early (`sys.exit(0)`,
`os._exit(0)`) or killing a process can only lose results, never add passes: a test that did not
report is "not run". At the wall-clock limit, or when stdout+stderr pass their cap, the runner
kills the sandbox.

Forgery. The student's module never runs in the process that runs the tests: the harness runs
it in a process of its own and gives the tests a proxy (see harness_tests.py), so patching
unittest, the assertions, builtins or the test module changes nothing the tests see, and an
object that claims to equal everything equals nothing. The test file is not among the sandbox's
files: it is handed over as an unlinked file (TESTS_FD) that only the trusted test process reads,
so hidden tests cannot be printed. Interference the trusted side can see (a forged message on
its channel, the test process killed) ends as the "tampered" verdict, for the teacher to look at.
What stays possible: student objects answer questions about themselves (`len()`, `str()`, their
own `==` between two of them), which is the code being graded; tests that build the expected
value with the student's own code get the student's answer.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
import keyword
import math
import os
import selectors
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from django.utils.translation import gettext

from sandbox.discovery import TestFileError, test_names
from sandbox.isolation import (
    HARNESS_NAME,
    KB,
    MB,
    REPORT_LIMIT,
    Confinement,
    Limits,
    SandboxError,
    Verdict,
    as_text,
    capped,
    children,
    fresh_uid,
    harness_source,
    kill_uid,
    make_run_dir,
    over_cap,
    popen_identity,
    remove_run_dir,
    report_events,
    sandbox_argv,
    sandbox_python,
    to_bytes,
    write_inputs,
)
from sandbox.selftest import ensure_isolated

HARNESS = Path(__file__).with_name("harness_tests.py")


@dataclass(frozen=True)
class TestOutcome:
    __test__ = False  # not a pytest test class

    name: str  # "TestAdd.test_small" or "test_small"
    # passed | failed | error | timeout | memory_limit | output_limit | not_run | skipped
    outcome: str
    message: str  # "" when passed
    duration_ms: int


@dataclass(frozen=True)
class SandboxResult:
    verdict: Verdict
    tests: list[TestOutcome]  # every statically discovered test, in file order
    stdout: str  # capped, with a "[output truncated at N KB]" notice when cut
    stderr: str
    exit_code: int | None  # the test process's: negative for a signal, None if unknown
    time_ms: int
    problem: str  # one plain sentence when the run as a whole failed, else ""
    run_uid: int | None = None  # the uid the run used (None when the worker is not root)


def run_tests(
    *,
    solution: str,
    test_source: str,
    module_name: str = "solution",
    limits: Limits | None = None,
) -> SandboxResult:
    """Run `test_source` against `solution` (importable as `module_name`) in the sandbox.

    Raises ValueError for a module name that is not a Python identifier and SandboxError when the
    sandbox itself cannot start; everything the student's code does ends in a SandboxResult.
    """
    if not module_name.isidentifier() or keyword.iskeyword(module_name):
        raise ValueError(f"{module_name!r} is not a valid Python module name.")
    ensure_isolated()  # once per process: no code runs in a sandbox that does not isolate
    limits = limits or Limits.from_settings()
    started = time.monotonic()
    try:
        names = test_names(test_source)
    except TestFileError as error:
        return SandboxResult(
            verdict=Verdict.ERROR,
            tests=[],
            stdout="",
            stderr="",
            exit_code=None,
            time_ms=0,
            problem=f"The tests could not be loaded: {error}",
        )
    tests_module = f"test_{module_name}"
    uid = fresh_uid()
    run_dir = make_run_dir()
    try:
        # The test file is not among the sandbox's files: only the trusted processes read it,
        # from an unlinked file handed over as TESTS_FD (the test names first, then the file).
        write_inputs(
            run_dir,
            files={HARNESS_NAME: harness_source(HARNESS), f"{module_name}.py": solution},
            uid=uid,
        )
        config = {
            "module": module_name,
            "tests": tests_module,
            # The test names come with the test file, not in argv: /proc/1/cmdline is readable
            # by the student's code, and hidden tests' names are not shown to students.
            "names_bytes": len(names_line := (json.dumps(names) + "\n").encode()),
            "cpu_seconds": limits.cpu_seconds,
            "memory_bytes": to_bytes(limits.memory_mb, unit=MB),
            "processes": int(limits.processes),
            "file_size_bytes": to_bytes(limits.file_size_mb, unit=MB),
            "tmp_bytes": to_bytes(limits.tmp_mb, unit=MB),
        }
        with tempfile.TemporaryFile() as tests_file:
            tests_file.write(names_line + test_source.encode("utf-8", "surrogatepass"))
            tests_file.flush()
            tests_file.seek(0)
            raw = _execute(run_dir, config, limits, uid, started, tests_file.fileno())
    finally:
        remove_run_dir(run_dir)
    result = _result(raw, names, limits, uid, started)
    if (capped_by := over_cap(raw.exceeded, limits)) is not None:
        result = dataclasses.replace(result, verdict=capped_by[0], problem=capped_by[1])
    return result


@functools.cache
def sandbox_problem() -> str | None:
    """None when bubblewrap and the sandbox's Python work on this machine, else why not."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return "bubblewrap (bwrap) is not installed; `make system-deps` installs it."
    python = sandbox_python()
    if not os.access(python, os.X_OK):
        return f"The sandbox's Python ({python}) is missing; `make system-deps` installs it."
    try:
        result = run_tests(
            solution="import json, unittest\nVALUE = 42\n",
            test_source="from solution import VALUE\n\n\ndef test_it():\n    assert VALUE == 42\n",
            limits=Limits(cpu_seconds=5, wall_seconds=20),
        )
    except (OSError, SandboxError) as error:
        return f"The sandbox does not start here: {error}"
    if result.verdict != Verdict.PASSED:
        detail = result.problem or result.stderr.strip()[-300:] or result.verdict
        return f"The sandbox's self-test did not pass: {detail}"
    return None


# --- running --------------------------------------------------------------------------------------


@dataclass
class _Raw:
    events: list[dict]
    stdout: bytes
    stderr: bytes
    killed: str | None  # "wall" | "output" | None
    bwrap_status: int
    ended: float  # time.monotonic() when reading stopped
    exceeded: str | None = None  # the cgroup cap the run hit: "processes" | "memory" | None


def _execute(
    run_dir: Path, config: dict, limits: Limits, uid: int | None, started: float, tests_fd: int
) -> _Raw:
    confinement = Confinement(limits, uid=uid)
    try:
        return _execute_confined(run_dir, config, limits, uid, started, tests_fd, confinement)
    finally:
        confinement.release()


def _execute_confined(
    run_dir: Path,
    config: dict,
    limits: Limits,
    uid: int | None,
    started: float,
    tests_fd: int,
    confinement: Confinement,
) -> _Raw:
    read_end, write_end = os.pipe()
    try:
        argv = sandbox_argv(
            run_dir=run_dir,
            limits=limits,
            uid=uid,
            harness_args=[str(write_end), str(tests_fd), json.dumps(config)],
            confinement=confinement,
        )
        process = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            pass_fds=(write_end, tests_fd, *confinement.fds),
            cwd="/",
            env={"PATH": "/usr/bin:/bin"},  # bwrap's own environment: nothing from the worker
            start_new_session=True,
            **popen_identity(uid),
        )
    except BaseException:
        os.close(read_end)
        raise
    finally:
        os.close(write_end)
        confinement.started()
    assert process.stdout is not None and process.stderr is not None  # both are PIPEs
    killed: str | None = None
    try:
        report, stdout, stderr, killed = _collect(process, read_end, limits, started)
    finally:
        ended = time.monotonic()
        os.close(read_end)
        _stop(process, killed is not None)
        process.stdout.close()
        process.stderr.close()
        if uid is not None and (killed or process.returncode != 0):
            kill_uid(uid)  # belt and braces: nothing of the run may outlive it
    exceeded = confinement.exceeded()
    return _Raw(report_events(report), stdout, stderr, killed, process.returncode, ended, exceeded)


def _collect(
    process: subprocess.Popen, report_fd: int, limits: Limits, started: float
) -> tuple[bytes, bytes, bytes, str | None]:
    """Read the report, stdout and stderr until all close, the wall limit or the output cap."""
    assert process.stdout is not None and process.stderr is not None  # both are PIPEs
    out_fd = process.stdout.fileno()
    err_fd = process.stderr.fileno()
    chunks: dict[int, list[bytes]] = {report_fd: [], out_fd: [], err_fd: []}
    sizes = dict.fromkeys(chunks, 0)
    output_cap = to_bytes(limits.output_kb, unit=KB)
    deadline = started + limits.wall_seconds
    killed: str | None = None
    with selectors.DefaultSelector() as selector:
        for fd in chunks:
            selector.register(fd, selectors.EVENT_READ)
        while selector.get_map() and killed is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                killed = "wall"
                break
            for key, _ in selector.select(remaining):
                fd = key.fd
                data = os.read(fd, 65536)
                if not data:
                    selector.unregister(fd)
                    continue
                if fd == report_fd:
                    if sizes[fd] + len(data) > REPORT_LIMIT:
                        selector.unregister(fd)  # cannot happen with a working harness
                        continue
                else:
                    room = output_cap - sizes[out_fd] - sizes[err_fd]
                    if len(data) > room:
                        data = data[: max(room, 0)]
                        killed = "output"
                chunks[fd].append(data)
                sizes[fd] += len(data)
                if killed:
                    break
    return (
        b"".join(chunks[report_fd]),
        b"".join(chunks[out_fd]),
        b"".join(chunks[err_fd]),
        killed,
    )


def _stop(process: subprocess.Popen, kill: bool) -> None:
    """Reap bwrap; when `kill`, or if it lingers, kill the sandbox first."""
    if not kill:
        try:
            process.wait(timeout=1)
            return
        except subprocess.TimeoutExpired:
            pass
    # Kill the harness, the namespace's init, rather than bwrap: the kernel then kills every
    # process in the namespace, and bwrap reaps the harness and exits, leaving no zombie behind.
    for pid in children(process.pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    try:
        process.wait(timeout=1)
    except subprocess.TimeoutExpired:
        # bwrap's process group (our new session). Its leader is not reaped yet, so the group id
        # cannot have been reused; --die-with-parent takes the namespace down with bwrap.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


# --- reading the result -------------------------------------------------------------------------


def _result(
    raw: _Raw, names: list[str], limits: Limits, uid: int | None, started: float
) -> SandboxResult:
    kinds = {event.get("e") for event in raw.events}
    stderr_text = as_text(raw.stderr)
    if "hello" not in kinds and raw.killed != "output":
        # The harness never started: bwrap or the interpreter failed, not the student's code.
        detail = stderr_text.strip()[-500:] or f"bwrap exited with status {raw.bwrap_status}"
        if raw.killed == "wall":
            detail = f"nothing started within {limits.wall_seconds:g} s"
        raise SandboxError(f"The sandbox did not start: {detail}")

    outcomes: dict[str, TestOutcome] = {}
    running: str | None = None
    running_since = raw.ended
    import_event: dict | None = None
    trailer: dict | None = None
    tampered: dict | None = None
    for event in raw.events:
        kind = event.get("e")
        if kind == "start" and event.get("n") in names:
            running = event["n"]
            running_since = float(event.get("t", raw.ended))
        elif kind == "end" and event.get("n") in names and event["n"] not in outcomes:
            outcomes[event["n"]] = TestOutcome(
                name=event["n"],
                outcome=str(event.get("o", "error")),
                message=str(event.get("m", "")),
                duration_ms=int(event.get("d", 0)),
            )
            running = None
        elif kind == "import":
            import_event = event
        elif kind == "exit":
            trailer = event
        elif kind == "tampered":
            tampered = event

    verdict, problem, running_outcome = _stop_reason(raw, limits, trailer, import_event, running)
    if tampered is not None:
        # The trusted side saw the student's code interfere with the tests: never a pass.
        verdict = Verdict.TAMPERED
        detail = tampered.get("p") or "the test machinery was interfered with"
        problem = gettext("Tampering suspected: %(detail)s") % {"detail": detail}
        running_outcome = "error"
    if running is not None and running not in outcomes and running_outcome is not None:
        duration = max(0, round((raw.ended - running_since) * 1000))
        outcomes[running] = TestOutcome(running, running_outcome, problem, duration)
    if import_event is not None:
        not_run = gettext("Not run: the tests could not be loaded.")
    elif trailer is None or "done" not in kinds:
        not_run = gettext("Not run: the run stopped before this test.")
    else:
        not_run = gettext("Not run.")
    tests = [outcomes.get(name) or TestOutcome(name, "not_run", not_run, 0) for name in names]
    if verdict is None:
        verdict, problem = _verdict_from_tests(tests)
    exit_code = None
    if trailer is not None and raw.killed is None:
        exit_code = trailer["code"] if trailer.get("signal") is None else -int(trailer["signal"])
    return SandboxResult(
        verdict=verdict,
        tests=tests,
        stdout=capped(raw.stdout, truncated=raw.killed == "output", limits=limits),
        stderr=capped(raw.stderr, truncated=raw.killed == "output", limits=limits),
        exit_code=exit_code,
        time_ms=round((time.monotonic() - started) * 1000),
        problem=problem,
        run_uid=uid,
    )


def _stop_reason(
    raw: _Raw,
    limits: Limits,
    trailer: dict | None,
    import_event: dict | None,
    running: str | None,
) -> tuple[Verdict | None, str, str | None]:
    """(verdict, problem, outcome for the test that was running) when the run as a whole failed."""
    loading = running is None and not any(event.get("e") == "ready" for event in raw.events)
    if raw.killed == "wall":
        if loading and import_event is None:
            sentence = gettext("Your code did not finish loading within %(seconds)s s.")
        elif running is not None:
            sentence = gettext("The test %(test)s did not finish within %(seconds)s s.")
        else:
            sentence = gettext("The tests did not finish within %(seconds)s s.")
        sentence %= {"seconds": f"{limits.wall_seconds:g}", "test": running}
        return Verdict.TIMEOUT, sentence, "timeout"
    if raw.killed == "output":
        return (
            Verdict.OUTPUT_LIMIT,
            gettext("Your code printed more than %(kb)s KB of output.")
            % {"kb": f"{limits.output_kb:g}"},
            "output_limit",
        )
    if trailer is not None and trailer.get("signal") is not None:
        number = int(trailer["signal"])
        cpu_limit_ms = max(1, math.ceil(limits.cpu_seconds)) * 1000
        if number == signal.SIGXCPU or (
            number == signal.SIGKILL and int(trailer.get("cpu_ms", 0)) >= cpu_limit_ms
        ):
            sentence = gettext("Your code used more than %(seconds)s s of CPU time.") % {
                "seconds": f"{limits.cpu_seconds:g}"
            }
            return Verdict.TIMEOUT, sentence, "timeout"
        stderr = raw.stderr[-4096:]
        if number == signal.SIGKILL or b"MemoryError" in stderr or b"Cannot allocate" in stderr:
            sentence = gettext("Your code used more than %(mb)s MB of memory.") % {
                "mb": f"{limits.memory_mb:g}"
            }
            return Verdict.MEMORY_LIMIT, sentence, "memory_limit"
        name = signal.Signals(number).name if number in signal.valid_signals() else str(number)
        sentence = gettext("Your code crashed (%(signal)s) before the tests finished.") % {
            "signal": name
        }
        return Verdict.ERROR, sentence, "error"
    if import_event is not None:
        verdict = Verdict(import_event.get("o", "error"))
        return verdict, str(import_event.get("p", "")), None
    if trailer is None:
        return (
            Verdict.ERROR,
            gettext("The test run was interrupted before it finished (the harness was stopped)."),
            "error",
        )
    if not any(event.get("e") == "done" for event in raw.events):
        sentence = gettext("Your code exited (sys.exit or os._exit) before the tests finished.")
        return Verdict.ERROR, sentence, "error"
    return None, "", None


def _verdict_from_tests(tests: list[TestOutcome]) -> tuple[Verdict, str]:
    outcomes = {test.outcome for test in tests}
    for outcome, verdict, sentence in (
        ("memory_limit", Verdict.MEMORY_LIMIT, gettext("A test ran out of memory.")),
        (
            "output_limit",
            Verdict.OUTPUT_LIMIT,
            gettext("Your code wrote more to files than allowed."),
        ),
    ):
        if outcome in outcomes:
            message = next(t.message for t in tests if t.outcome == outcome)
            return verdict, message.partition("\n")[0] or sentence
    if "error" in outcomes:
        return Verdict.ERROR, ""
    if outcomes - {"passed", "skipped"}:  # failed or not run
        return Verdict.FAILED, ""
    if "passed" not in outcomes:
        return Verdict.FAILED, gettext("Every test was skipped.")
    return Verdict.PASSED, ""
