"""Run a student's Python module against a test file inside a bubblewrap sandbox.

This is the runner (it lives in the Celery worker); `grading/harness.py` runs inside the sandbox.

Isolation. Each run gets a fresh random uid and gid when the worker is root (so RLIMIT_NPROC
bites, runs cannot touch each other, and a leftover process is easy to find), a new session, and
bubblewrap with every namespace unshared: no network (a private loopback with nothing on it), its
own pid namespace whose init is the harness (when it ends, the kernel kills every process left,
double-forked daemons included), read-only /usr and nothing else from the host (no /etc, /home,
/root, the project or the virtualenv), a size-limited tmpfs at /tmp as the work directory, the
inputs bind-mounted read-only, a cleared environment, and no nested user namespaces. The harness
sets CPU, memory (address space), process, file-size, core and open-file limits before any student
code runs. At the wall-clock limit, or when stdout+stderr pass their cap, the runner kills the
sandbox's init (and so everything in it), reaps bwrap, sweeps the run's uid and deletes the host
temporary directory.

Programs (the playground). `ProgramRun` runs a student's program instead of tests, with the same
isolation, limits and cleanup. The harness runs it as `__main__` from /tmp/main.py with the
runner's pipes as its stdin, stdout and stderr (unbuffered), so what it prints streams to the page
and what the student types reaches `input()` while it runs; how it ended still comes over
REPORT_FD. The runner kills the sandbox at stop(), at the wall limit and at the output cap.

Report channel. The runner hands the harness the write end of a pipe (REPORT_FD) and reads
results from it alone; stdout and stderr are only shown to the student. The harness keeps
REPORT_FD in a trusted, non-dumpable parent process and closes it in the child that imports the
student's code, so printing a fake report, exiting early (`sys.exit(0)`, `os._exit(0)`) or killing
the harness can only lose results, never add passes: a test that did not report is "not run".

What this does NOT prevent: the student's module is imported into the process that runs the
tests, so code in it can monkeypatch unittest, the assertion helpers or the test module itself,
or write forged events to the child's private pipe before exiting. The harness limits what such
code can claim (only real test names, each once) but cannot tell a genuine pass from a rigged
one. Hidden tests, reading the submitted code (teacher review) and plagiarism checks are the
defence there. Limits are per process: a submission may use up to `processes` x `memory_mb`
in total (the worker container's own memory limit is the backstop), and many tiny files in /tmp
cost kernel memory beyond `tmp_mb` until the run ends.
"""

from __future__ import annotations

import ast
import asyncio
import codecs
import contextlib
import enum
import functools
import json
import keyword
import math
import os
import secrets
import selectors
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, fields
from pathlib import Path

HARNESS = Path(__file__).with_name("harness.py")
HARNESS_TEST_PART = "\n# --- test mode "  # where the harness's test-mode part begins
DEFAULT_PYTHON = "/usr/bin/python3"  # Debian's, outside any virtualenv: only /usr is mounted
SHM_BYTES = 4 << 20  # /dev/shm: enough for multiprocessing's semaphores, no more
KB, MB = 1024, 1024 * 1024
REPORT_LIMIT = 8 * MB  # the harness bounds every event; this bounds the whole report
RUN_DIR_PREFIX = "llmasos-sandbox-"
STALE_RUN_DIR_SECONDS = 3600
STALE_SWEEP_INTERVAL = 600
UID_RANGE = (200_000, 2**31 - 2)  # far above system users, container sub-uid ranges and nobody
SANDBOX_TMP = "/tmp"  # noqa: S108 - inside the sandbox: its own tmpfs, the work directory
SANDBOX_SHM = "/dev/shm"  # noqa: S108 - likewise
SANDBOX_ENV = {
    "PATH": "/usr/bin:/bin",
    "HOME": SANDBOX_TMP,
    "LANG": "C.UTF-8",
    "PYTHONDONTWRITEBYTECODE": "1",
    "PYTHONHASHSEED": "0",  # set and dict orders repeat from run to run
}


class Verdict(enum.StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    TIMEOUT = "timeout"
    MEMORY_LIMIT = "memory_limit"
    OUTPUT_LIMIT = "output_limit"


@dataclass(frozen=True)
class Limits:
    cpu_seconds: float = 5.0  # rounded up to whole seconds (RLIMIT_CPU)
    wall_seconds: float = 10.0
    memory_mb: int = 256  # for the student's code, on top of the interpreter and harness
    processes: int = 32
    file_size_mb: int = 8
    output_kb: int = 64  # cap on stdout+stderr; exceeding it kills the run -> OUTPUT_LIMIT
    tmp_mb: int = 32  # size of the writable tmpfs

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise ValueError(f"Limits.{field.name} must be a positive number, not {value!r}.")

    @classmethod
    def from_settings(cls, **overrides: float | None) -> Limits:
        """The SANDBOX_* settings, with `overrides` (None values ignored) taking precedence."""
        settings = _django_settings()
        values: dict[str, float] = {}
        for field in fields(cls):
            default = field.default
            if settings is not None:
                default = getattr(settings, f"SANDBOX_{field.name.upper()}", default)
            values[field.name] = default  # type: ignore[assignment]
        unknown = set(overrides) - set(values)
        if unknown:
            raise TypeError(f"Unknown sandbox limits: {', '.join(sorted(unknown))}")
        values.update({key: value for key, value in overrides.items() if value is not None})
        return cls(**values)  # type: ignore[arg-type]


@dataclass(frozen=True)
class TestOutcome:
    __test__ = False  # not a pytest test class

    name: str  # "TestAdd.test_small" or "test_small"
    outcome: str  # passed | failed | error | timeout | memory_limit | output_limit | not_run
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


class TestFileError(ValueError):
    """The test file cannot be used: a syntax error, no tests, a test that takes arguments."""

    __test__ = False


class SandboxError(RuntimeError):
    """The sandbox itself could not start (not the student's fault): retry or fix the worker."""


def test_names(test_source: str) -> list[str]:
    """The tests in a test file, in file order, found without running it.

    Module-level `test*` functions (pytest style) and the `test*` methods of classes deriving from
    a `...TestCase` (directly or through another class in the file), as `Class.method`.
    """
    try:
        tree = ast.parse(test_source)
    except SyntaxError as error:
        raise TestFileError(
            f"The test file has a syntax error on line {error.lineno}: {error.msg}."
        ) from None
    except ValueError as error:  # NUL bytes
        raise TestFileError(f"The test file cannot be read as Python: {error}.") from None
    names: dict[str, None] = {}  # ordered set; a redefinition replaces the earlier test
    case_methods: dict[str, list[str]] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            if not node.name.startswith("test"):
                continue
            if isinstance(node, ast.AsyncFunctionDef):
                raise TestFileError(
                    f"Test {node.name} (line {node.lineno}) is async; use a plain function."
                )
            arguments = node.args
            required = len(arguments.posonlyargs) + len(arguments.args) - len(arguments.defaults)
            required += sum(default is None for default in arguments.kw_defaults)
            if required:
                raise TestFileError(
                    f"Test {node.name} (line {node.lineno}) takes arguments; pytest fixtures and "
                    "parametrize are not supported, so write tests without parameters."
                )
            names.pop(node.name, None)
            names[node.name] = None
        elif isinstance(node, ast.ClassDef):
            bases = [_dotted(base) for base in node.bases]
            if not any(base.endswith("TestCase") or base in case_methods for base in bases):
                continue
            methods: dict[str, None] = {}
            for base in bases:
                methods.update(dict.fromkeys(case_methods.get(base, [])))
            for item in node.body:
                is_method = isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
                if is_method and item.name.startswith("test"):
                    methods[item.name] = None
            case_methods[node.name] = list(methods)
            for method in methods:
                names.pop(f"{node.name}.{method}", None)
                names[f"{node.name}.{method}"] = None
    if not names:
        raise TestFileError(
            "No tests found: write functions named test_… or unittest.TestCase classes with "
            "test_… methods."
        )
    return list(names)


test_names.__test__ = False  # type: ignore[attr-defined]  # pytest: a function, not a test


def _dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return node.id if isinstance(node, ast.Name) else ""


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
    uid = _fresh_uid()
    _remove_stale_run_dirs()
    run_dir = Path(tempfile.mkdtemp(prefix=RUN_DIR_PREFIX))
    try:
        _write_inputs(
            run_dir,
            {
                "harness.py": _harness_source(),
                f"{module_name}.py": solution,
                f"{tests_module}.py": test_source,
            },
            uid,
        )
        config = {
            "module": module_name,
            "tests": tests_module,
            "names": names,
            "cpu_seconds": limits.cpu_seconds,
            "memory_bytes": _bytes(limits.memory_mb, MB),
            "processes": int(limits.processes),
            "file_size_bytes": _bytes(limits.file_size_mb, MB),
            "tmp_bytes": _bytes(limits.tmp_mb, MB),
        }
        raw = _execute(run_dir, config, limits, uid, started)
    finally:
        _remove_run_dir(run_dir)
    return _result(raw, names, limits, uid, started)


@functools.cache
def sandbox_problem() -> str | None:
    """None when bubblewrap and the sandbox's Python work on this machine, else why not."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return "bubblewrap (bwrap) is not installed; `make system-deps` installs it."
    python = _sandbox_python()
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


# --- running ------------------------------------------------------------------------------------


def _write_inputs(run_dir: Path, files: dict[str, str], uid: int | None) -> None:
    """The sandbox's read-only inputs, owned by the run's uid."""
    for name, text in files.items():
        path = run_dir / name
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        path.chmod(0o400)
        if uid is not None:
            os.chown(path, uid, uid)
    run_dir.chmod(0o500)
    if uid is not None:
        os.chown(run_dir, uid, uid)


def _remove_run_dir(run_dir: Path) -> None:
    # Unprivileged, the directory is ours but read-only (0500): make it writable to empty it.
    with contextlib.suppress(OSError):
        run_dir.chmod(0o700)
    shutil.rmtree(run_dir, ignore_errors=True)


_last_sweep = 0.0


def _remove_stale_run_dirs() -> None:
    """Remove run directories a killed worker left behind (its `finally` never ran)."""
    global _last_sweep
    now = time.time()
    if now - _last_sweep < STALE_SWEEP_INTERVAL:
        return
    _last_sweep = now
    for path in Path(tempfile.gettempdir()).glob(f"{RUN_DIR_PREFIX}*"):
        with contextlib.suppress(OSError):
            # Far older than any wall limit: no live run can still be using it.
            if now - path.stat().st_mtime > STALE_RUN_DIR_SECONDS:
                _remove_run_dir(path)


@dataclass
class _Raw:
    events: list[dict]
    stdout: bytes
    stderr: bytes
    killed: str | None  # "wall" | "output" | None
    bwrap_status: int
    ended: float  # time.monotonic() when reading stopped


def _execute(run_dir: Path, config: dict, limits: Limits, uid: int | None, started: float) -> _Raw:
    read_end, write_end = os.pipe()
    try:
        argv = [
            *_drop_to(uid),
            *_bwrap_prefix(limits),
            "--ro-bind",
            str(run_dir),
            "/sandbox",
            "--remount-ro",
            "/",
            _sandbox_python(),
            "-S",  # no site: stdlib only, and a faster start
            "-P",  # the script's directory (/sandbox) is not importable
            "/sandbox/harness.py",
            str(write_end),
            json.dumps(config),
        ]
        process = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            pass_fds=(write_end,),
            cwd="/",
            env={"PATH": "/usr/bin:/bin"},  # bwrap's own environment: nothing from the worker
            start_new_session=True,
            **_popen_identity(uid),
        )
    except BaseException:
        os.close(read_end)
        raise
    finally:
        os.close(write_end)
    killed: str | None = None
    try:
        report, stdout, stderr, killed = _collect(process, read_end, limits, started)
    finally:
        ended = time.monotonic()
        os.close(read_end)
        _stop(process, killed is not None)
        process.stdout.close()  # type: ignore[union-attr]
        process.stderr.close()  # type: ignore[union-attr]
        if uid is not None and (killed or process.returncode != 0):
            _kill_uid(uid)  # belt and braces: nothing of the run may outlive it
    return _Raw(_events(report), stdout, stderr, killed, process.returncode, ended)


def _events(report: bytes) -> list[dict]:
    events = []
    for line in report.split(b"\n"):
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict):
            events.append(event)
    return events


def _collect(
    process: subprocess.Popen, report_fd: int, limits: Limits, started: float
) -> tuple[bytes, bytes, bytes, str | None]:
    """Read the report, stdout and stderr until all close, the wall limit or the output cap."""
    out_fd = process.stdout.fileno()  # type: ignore[union-attr]
    err_fd = process.stderr.fileno()  # type: ignore[union-attr]
    chunks: dict[int, list[bytes]] = {report_fd: [], out_fd: [], err_fd: []}
    sizes = dict.fromkeys(chunks, 0)
    output_cap = _bytes(limits.output_kb, KB)
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


def _drop_to(uid: int | None) -> list[str]:
    # setpriv (util-linux) switches uid, gid and groups and execs bwrap. Popen's own user=/group=
    # would do the same, but they rule out vfork: the worker is then fork()ed whole for every run,
    # ~9 ms with Django loaded (more in a big worker), against ~1 ms for the extra exec.
    if uid is None or _setpriv() is None:
        return []
    return [_setpriv(), f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--"]  # type: ignore[list-item]


def _popen_identity(uid: int | None) -> dict[str, object]:
    if uid is None or _setpriv() is not None:
        return {}
    return {"user": uid, "group": uid, "extra_groups": []}


@functools.cache
def _setpriv() -> str | None:
    return shutil.which("setpriv")


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
    for pid in _children(process.pid):
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


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as children:
            return [int(child) for child in children.read().split()]
    except OSError:  # a kernel without CONFIG_PROC_CHILDREN, or bwrap already gone
        return []


def _bwrap_prefix(limits: Limits) -> list[str]:
    return [
        shutil.which("bwrap") or "bwrap",
        "--unshare-all",  # user, pid, net, ipc, uts, cgroup
        "--unshare-user",  # explicit, so --disable-userns can forbid nested namespaces
        "--disable-userns",
        # The harness is the namespace's init: when it exits, the kernel kills whatever is left,
        # and bwrap reaps it (bwrap's own init would be left a zombie for the host's init).
        "--as-pid-1",
        "--die-with-parent",
        "--new-session",  # no TIOCSTI into a terminal
        "--hostname",
        "sandbox",
        *_system_mounts(),
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--size",
        str(SHM_BYTES),
        "--tmpfs",
        SANDBOX_SHM,
        "--size",
        str(_bytes(limits.tmp_mb, MB)),
        "--tmpfs",
        SANDBOX_TMP,
        "--remount-ro",
        "/dev",  # bwrap's /dev and root are unbounded tmpfs; only /tmp and /dev/shm stay writable
        "--chdir",
        SANDBOX_TMP,
        "--clearenv",
        *[arg for name, value in SANDBOX_ENV.items() for arg in ("--setenv", name, value)],
    ]


def _bytes(amount: float, unit: int) -> int:
    # Limits may arrive as floats (JSON from an assignment); rlimits and bwrap want integers.
    return int(amount * unit)


@functools.cache
def _system_mounts() -> tuple[str, ...]:
    # /usr read-only, and /lib, /bin… as on the host: symlinks on merged-/usr systems.
    mounts = ["--ro-bind", "/usr", "/usr"]
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        path = f"/{name}"
        if os.path.islink(path):
            mounts += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            mounts += ["--ro-bind", path, path]
    return tuple(mounts)


def _django_settings() -> object | None:
    """Django's settings when configured; the runner also works without Django."""
    try:
        from django.conf import settings
    except ImportError:
        return None
    return settings if settings.configured else None


def _sandbox_python() -> str:
    return getattr(_django_settings(), "SANDBOX_PYTHON", DEFAULT_PYTHON)


@functools.cache
def _harness_source() -> str:
    return HARNESS.read_text(encoding="utf-8")


@functools.cache
def _program_harness_source() -> str:
    # A program run needs only the harness's first part (program mode, which it dispatches to
    # before the test part's imports). Python compiles the whole script before running a line of
    # it: leaving out the test part saves ~4 ms of every start.
    source = _harness_source()
    return source[: source.index(HARNESS_TEST_PART)]


def _fresh_uid() -> int | None:
    if os.geteuid() != 0:
        return None  # unprivileged: the run keeps our uid (the user namespace still isolates it)
    low, high = UID_RANGE
    return low + secrets.randbelow(high - low + 1)


def _uid_processes(uid: int) -> list[int]:
    """Live processes whose real, effective, saved or filesystem uid is `uid` (zombies excluded:
    they hold nothing and only their parent can remove them)."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status") as status:
                fields = dict(line.split(":", 1) for line in status if ":" in line)
        except OSError:
            continue  # exited meanwhile
        zombie = fields.get("State", "").strip().startswith("Z")
        if str(uid) in fields.get("Uid", "").split() and not zombie:
            pids.append(int(entry))
    return pids


def _kill_uid(uid: int, timeout: float = 1.0) -> None:
    deadline = time.monotonic() + timeout
    while pids := _uid_processes(uid):
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if time.monotonic() > deadline:
            return
        time.sleep(0.005)


# --- reading the result -------------------------------------------------------------------------


def _result(
    raw: _Raw, names: list[str], limits: Limits, uid: int | None, started: float
) -> SandboxResult:
    kinds = {event.get("e") for event in raw.events}
    stderr_text = _text(raw.stderr)
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

    verdict, problem, running_outcome = _stop_reason(raw, limits, trailer, import_event, running)
    if running is not None and running not in outcomes and running_outcome is not None:
        duration = max(0, round((raw.ended - running_since) * 1000))
        outcomes[running] = TestOutcome(running, running_outcome, problem, duration)
    if import_event is not None:
        not_run = "Not run: the tests could not be loaded."
    elif trailer is None or "done" not in kinds:
        not_run = "Not run: the run stopped before this test."
    else:
        not_run = "Not run."
    tests = [outcomes.get(name) or TestOutcome(name, "not_run", not_run, 0) for name in names]
    if verdict is None:
        verdict, problem = _verdict_from_tests(tests)
    exit_code = None
    if trailer is not None and raw.killed is None:
        exit_code = trailer["code"] if trailer.get("signal") is None else -int(trailer["signal"])
    return SandboxResult(
        verdict=verdict,
        tests=tests,
        stdout=_capped(raw.stdout, raw.killed == "output", limits),
        stderr=_capped(raw.stderr, raw.killed == "output", limits),
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
            sentence = f"Your code did not finish loading within {limits.wall_seconds:g} s."
        elif running is not None:
            sentence = f"The test {running} did not finish within {limits.wall_seconds:g} s."
        else:
            sentence = f"The tests did not finish within {limits.wall_seconds:g} s."
        return Verdict.TIMEOUT, sentence, "timeout"
    if raw.killed == "output":
        return (
            Verdict.OUTPUT_LIMIT,
            f"Your code printed more than {limits.output_kb:g} KB of output.",
            "output_limit",
        )
    if trailer is not None and trailer.get("signal") is not None:
        number = int(trailer["signal"])
        cpu_limit_ms = max(1, math.ceil(limits.cpu_seconds)) * 1000
        if number == signal.SIGXCPU or (
            number == signal.SIGKILL and int(trailer.get("cpu_ms", 0)) >= cpu_limit_ms
        ):
            sentence = f"Your code used more than {limits.cpu_seconds:g} s of CPU time."
            return Verdict.TIMEOUT, sentence, "timeout"
        stderr = raw.stderr[-4096:]
        if number == signal.SIGKILL or b"MemoryError" in stderr or b"Cannot allocate" in stderr:
            sentence = f"Your code used more than {limits.memory_mb:g} MB of memory."
            return Verdict.MEMORY_LIMIT, sentence, "memory_limit"
        name = signal.Signals(number).name if number in signal.valid_signals() else str(number)
        sentence = f"Your code crashed ({name}) before the tests finished."
        return Verdict.ERROR, sentence, "error"
    if import_event is not None:
        verdict = Verdict(import_event.get("o", "error"))
        return verdict, str(import_event.get("p", "")), None
    if trailer is None:
        return (
            Verdict.ERROR,
            "The test run was interrupted before it finished (the harness was stopped).",
            "error",
        )
    if not any(event.get("e") == "done" for event in raw.events):
        sentence = "Your code exited (sys.exit or os._exit) before the tests finished."
        return Verdict.ERROR, sentence, "error"
    return None, "", None


def _verdict_from_tests(tests: list[TestOutcome]) -> tuple[Verdict, str]:
    outcomes = {test.outcome for test in tests}
    for outcome, verdict, sentence in (
        ("memory_limit", Verdict.MEMORY_LIMIT, "A test ran out of memory."),
        ("output_limit", Verdict.OUTPUT_LIMIT, "Your code wrote more to files than allowed."),
    ):
        if outcome in outcomes:
            message = next(t.message for t in tests if t.outcome == outcome)
            return verdict, message.partition("\n")[0] or sentence
    if "error" in outcomes:
        return Verdict.ERROR, ""
    if outcomes - {"passed"}:  # failed, or skipped / not run: neither counts as passed
        return Verdict.FAILED, ""
    return Verdict.PASSED, ""


def _text(data: bytes) -> str:
    # NUL cannot be stored in PostgreSQL text.
    return data.decode("utf-8", "replace").replace("\x00", "\ufffd")


def _capped(data: bytes, truncated: bool, limits: Limits) -> str:
    text = _text(data)
    if truncated and data:
        text += f"\n[output truncated at {limits.output_kb:g} KB]"
    return text


# --- programs: the playground --------------------------------------------------------------------

PROGRAM_FILE = "main.py"
READ_CHUNK = 65536
# Stream-control items on a run's output queue, next to ("stdout" | "stderr", text) chunks.
_CLOSED = ("closed", "")  # one stream reached its end
_CAPPED = ("capped", "")  # the output cap was reached: output() ends here
# asyncio keeps only weak references to tasks: these hold each run's until it is done.
_PROGRAM_TASKS: set[asyncio.Task] = set()


@dataclass(frozen=True)
class ProgramResult:
    verdict: Verdict  # PASSED for exit code 0; ERROR, TIMEOUT, MEMORY_LIMIT or OUTPUT_LIMIT
    exit_code: int | None  # negative for a signal; None when the runner killed it
    time_ms: int
    stdout: str  # capped, with a "[output truncated at N KB]" notice when cut
    stderr: str
    stopped: bool  # stop() ended it (then the verdict is ERROR and the problem "Stopped.")
    problem: str  # one plain sentence when the program did not end normally, else ""
    run_uid: int | None = None  # the uid the run used (None when the worker is not root)


class ProgramRun:
    """One student program running in the sandbox, driven from an asyncio event loop.

    `start()` launches it; `output()` streams what it prints while `send_input()`, `close_input()`
    and `stop()` may be awaited from other coroutines; `wait()` gives the result. The run ends by
    itself at the wall limit or the output cap, and cleans up (kills the sandbox, sweeps the
    run's uid, removes the temporary directory) however it ends, whether or not anyone awaits it.
    """

    def __init__(
        self,
        process: asyncio.subprocess.Process,
        report_fd: int,
        run_dir: Path,
        uid: int | None,
        limits: Limits,
        started: float,
    ) -> None:
        # Use `await ProgramRun.start(...)`; this only wires up a process it has launched.
        self.run_uid = uid
        self._process = process
        self._report_fd = report_fd
        self._run_dir = run_dir
        self._limits = limits
        self._started = started
        self._ended = started
        self._deadline = started + limits.wall_seconds
        self._cap = _bytes(limits.output_kb, KB)
        self._stdout = bytearray()
        self._stderr = bytearray()
        self._capped = False
        self._killed: str | None = None  # "stop" | "wall" | "output"
        self._queue: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
        self._pumps = [
            _keep(asyncio.create_task(self._pump(process.stdout, "stdout"))),  # type: ignore[arg-type]
            _keep(asyncio.create_task(self._pump(process.stderr, "stderr"))),  # type: ignore[arg-type]
        ]
        # Runs the whole life of the process: the wall limit, reaping, cleanup, the result.
        self._finished = _keep(asyncio.create_task(self._finish()))

    @classmethod
    async def start(cls, *, code: str, limits: Limits | None = None) -> ProgramRun:
        """Launch `code` as /tmp/main.py in a fresh sandbox; returns as soon as it is running.

        Raises SandboxError when bubblewrap cannot be started at all.
        """
        limits = limits or Limits.from_settings()
        started = time.monotonic()
        uid = _fresh_uid()
        _remove_stale_run_dirs()
        run_dir = Path(tempfile.mkdtemp(prefix=RUN_DIR_PREFIX))
        read_end, write_end = -1, -1
        try:
            harness = _program_harness_source()
            _write_inputs(run_dir, {"harness.py": harness, PROGRAM_FILE: code}, uid)
            read_end, write_end = os.pipe()
            argv = [
                *_drop_to(uid),
                *_bwrap_prefix(limits),
                # For Python programs the student starts in turn (subprocess); the program's
                # own streams are made unbuffered by the harness.
                "--setenv",
                "PYTHONUNBUFFERED",
                "1",
                "--ro-bind",
                str(run_dir),
                "/sandbox",
                "--remount-ro",
                "/",
                _sandbox_python(),
                "-S",  # as for tests: stdlib only, and a faster start
                "-P",
                "/sandbox/harness.py",
                str(write_end),
                "program",
                repr(float(limits.cpu_seconds)),
                str(_bytes(limits.memory_mb, MB)),
                str(int(limits.processes)),
                str(_bytes(limits.file_size_mb, MB)),
            ]
            process = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                pass_fds=(write_end,),
                cwd="/",
                env={"PATH": "/usr/bin:/bin"},  # bwrap's own environment: nothing from the worker
                start_new_session=True,
                **_popen_identity(uid),
            )
        except BaseException as error:
            if read_end >= 0:
                os.close(read_end)
            if uid is not None:
                _kill_uid(uid)  # cancelled while starting: asyncio killed bwrap; be sure
            _remove_run_dir(run_dir)
            if isinstance(error, OSError):
                raise SandboxError(f"The sandbox did not start: {error}") from error
            raise
        finally:
            if write_end >= 0:
                os.close(write_end)  # the harness holds the only write end now
        return cls(process, read_end, run_dir, uid, limits, started)

    async def output(self) -> AsyncIterator[tuple[str, str]]:
        """("stdout" | "stderr", text) chunks as the program prints them.

        Ends when the program's output closes (it ended or was killed), or right after the chunk
        that reached the output cap. One consumer per run: each chunk is delivered once.
        """
        open_streams = 2
        while open_streams:
            item = await self._queue.get()
            if item == _CLOSED:
                open_streams -= 1
            elif item == _CAPPED:
                return
            else:
                yield item

    async def send_input(self, text: str) -> None:
        """Write `text` to the program's stdin (add the "\\n" of a typed line yourself)."""
        stdin = self._process.stdin
        if stdin is None or stdin.is_closing():
            return  # input closed, or the program ended: nobody would read it
        try:
            stdin.write(text.encode("utf-8", "replace"))
            # Waits only while the program leaves 64 KB unread; ends when the program does.
            await stdin.drain()
        except ConnectionError:  # BrokenPipeError, ConnectionResetError: it already ended
            pass

    async def close_input(self) -> None:
        """End of file on the program's stdin (input() raises EOFError, read() returns)."""
        stdin = self._process.stdin
        if stdin is None or stdin.is_closing():
            return
        stdin.close()
        with contextlib.suppress(ConnectionError):
            await stdin.wait_closed()

    async def stop(self) -> None:
        """Kill the program now (the whole sandbox) and clean up; a no-op once it has ended."""
        self._kill("stop")
        if self._killed is not None:
            await self._reap()
        await asyncio.wait([self._finished])  # cleanup, whatever the caller does next
        if not self._finished.cancelled():
            self._finished.exception()  # retrieved: wait() is where it is raised

    async def wait(self) -> ProgramResult:
        """The result, once the program has ended (by itself, at a limit or by stop()).

        Raises SandboxError when the sandbox itself never started (not the student's fault).
        """
        # Shielded: a caller cancelled while waiting must not cancel the cleanup.
        return await asyncio.shield(self._finished)

    # --- internals --------------------------------------------------------------------------------

    async def _pump(self, stream: asyncio.StreamReader, kind: str) -> None:
        """Move one of the program's streams into the queue and the result, up to the cap."""
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        kept = self._stdout if kind == "stdout" else self._stderr
        try:
            while data := await stream.read(READ_CHUNK):
                if self._capped:
                    continue  # being killed: keep draining so that nothing blocks on the pipe
                room = self._cap - len(self._stdout) - len(self._stderr)
                if len(data) > room:
                    data = data[: max(room, 0)]
                    self._capped = True
                kept += data
                if text := decoder.decode(data, final=self._capped):
                    self._queue.put_nowait((kind, text))
                if self._capped:
                    self._queue.put_nowait(_CAPPED)
                    self._kill("output")
            if not self._capped and (text := decoder.decode(b"", final=True)):
                self._queue.put_nowait((kind, text))
        finally:
            self._queue.put_nowait(_CLOSED)

    def _kill(self, reason: str) -> None:
        if self._killed is not None or self._process.returncode is not None:
            return
        self._killed = reason
        # As _stop does: kill the harness, the namespace's init, so the kernel kills everything
        # in the sandbox and bwrap reaps it. Before bwrap has cloned it, bwrap itself.
        children = _children(self._process.pid)
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if not children:
            self._kill_group()

    def _kill_group(self) -> None:
        # bwrap's process group (our new session); --die-with-parent takes the sandbox with it.
        # Only while bwrap is unreaped, so the group id cannot have been reused.
        if self._process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._process.pid, signal.SIGKILL)

    async def _reap(self) -> None:
        """Wait for a killed sandbox to go; if it lingers, kill bwrap's whole group."""
        try:
            await asyncio.wait_for(self._process.wait(), 1)
        except TimeoutError:
            self._kill_group()
            # Bounded even so: whatever still holds a pipe, the uid sweep in _cleanup kills it.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._process.wait(), 1)

    async def _finish(self) -> ProgramResult:
        try:
            try:
                # wait() returns once bwrap has exited and its pipes have closed.
                remaining = self._deadline - time.monotonic()
                await asyncio.wait_for(self._process.wait(), max(remaining, 0))
            except TimeoutError:
                self._kill("wall")  # also a program that sleeps and never prints
                await self._reap()
            self._ended = time.monotonic()
            # The pipes are closed by now; the pumps only have their last chunks to queue.
            await asyncio.wait(self._pumps, timeout=1)
            report = self._read_report()
        finally:
            await self._cleanup()
        return self._result(_events(report))

    def _read_report(self) -> bytes:
        # The harness writes its few events and exits before bwrap does: all of it is there.
        os.set_blocking(self._report_fd, False)
        chunks: list[bytes] = []
        size = 0
        with contextlib.suppress(BlockingIOError):
            while size < REPORT_LIMIT and (data := os.read(self._report_fd, 65536)):
                chunks.append(data)
                size += len(data)
        return b"".join(chunks)

    async def _cleanup(self) -> None:
        if self._process.returncode is None:  # only when _finish itself failed or was cancelled
            self._kill("stop")
            self._kill_group()
        for pump in self._pumps:
            pump.cancel()  # a no-op for finished ones
        if self._process.stdin is not None:
            self._process.stdin.close()
        with contextlib.suppress(OSError):
            os.close(self._report_fd)
        if self.run_uid is not None:
            # Belt and braces, as for tests: nothing of the run may outlive it.
            await asyncio.to_thread(_kill_uid, self.run_uid)
        await asyncio.to_thread(_remove_run_dir, self._run_dir)

    def _result(self, events: list[dict]) -> ProgramResult:
        limits = self._limits
        trailer = next((event for event in events if event.get("e") == "exit"), None)
        note = next((event for event in events if event.get("e") == "exception"), None)
        reason = self._killed
        if reason in ("stop", "wall") and trailer is not None:
            reason = None  # the program had ended by itself just before the kill
        if reason is None and self._capped:
            reason = "output"  # it passed the cap and ended before the kill
        if reason is None and trailer is None:
            if not any(event.get("e") == "hello" for event in events):
                # The harness never started: bwrap or the interpreter failed, not the student.
                detail = _text(bytes(self._stderr)).strip()[-500:]
                detail = detail or f"bwrap exited with status {self._process.returncode}"
                raise SandboxError(f"The sandbox did not start: {detail}")
            reason = "lost"

        exit_code: int | None = None
        if reason is None and trailer is not None:
            number = trailer.get("signal")
            exit_code = -int(number) if number is not None else int(trailer.get("code") or 0)
        verdict, problem = self._verdict(reason, trailer, note, exit_code)
        return ProgramResult(
            verdict=verdict,
            exit_code=exit_code,
            time_ms=round((self._ended - self._started) * 1000),
            stdout=_capped(bytes(self._stdout), self._capped, limits),
            stderr=_capped(bytes(self._stderr), self._capped, limits),
            stopped=reason == "stop",
            problem=problem,
            run_uid=self.run_uid,
        )

    def _verdict(
        self, reason: str | None, trailer: dict | None, note: dict | None, exit_code: int | None
    ) -> tuple[Verdict, str]:
        limits = self._limits
        if reason == "stop":
            return Verdict.ERROR, "Stopped."
        if reason == "wall":
            return Verdict.TIMEOUT, f"Time limit of {limits.wall_seconds:g} s exceeded."
        if reason == "output":
            return (
                Verdict.OUTPUT_LIMIT,
                f"Output limit of {limits.output_kb:g} KB exceeded: the program was stopped.",
            )
        if reason == "lost" or trailer is None:
            return Verdict.ERROR, "The program was interrupted before it finished."
        memory = f"Memory limit of {limits.memory_mb:g} MB exceeded."
        if exit_code is not None and exit_code < 0:
            number = -exit_code
            cpu_limit_ms = max(1, math.ceil(limits.cpu_seconds)) * 1000
            if number == signal.SIGXCPU or (
                number == signal.SIGKILL and int(trailer.get("cpu_ms", 0)) >= cpu_limit_ms
            ):
                return Verdict.TIMEOUT, f"CPU time limit of {limits.cpu_seconds:g} s exceeded."
            if number == signal.SIGKILL:  # not the CPU limit: the kernel's OOM killer, as a rule
                return Verdict.MEMORY_LIMIT, memory
            name = signal.Signals(number).name if number in signal.valid_signals() else number
            return Verdict.ERROR, f"The program crashed ({name})."
        if exit_code == 0:
            return Verdict.PASSED, ""
        if note is not None:
            kind, name, line = note.get("o"), note.get("n"), note.get("l")
            where = f" on line {line}" if isinstance(line, int) else ""
            if kind == "memory":
                return (
                    Verdict.MEMORY_LIMIT,
                    f"Memory limit of {limits.memory_mb:g} MB exceeded{where}.",
                )
            if kind == "file_size":
                return (
                    Verdict.OUTPUT_LIMIT,
                    f"The program wrote a file larger than {limits.file_size_mb:g} MB{where}.",
                )
            if kind == "disk_full":
                return (
                    Verdict.OUTPUT_LIMIT,
                    f"The program filled the temporary disk ({limits.tmp_mb:g} MB){where}.",
                )
            if kind == "syntax":
                return Verdict.ERROR, f"The program has a syntax error{where}."
            return Verdict.ERROR, f"The program stopped with {name}{where}."
        return Verdict.ERROR, f"The program exited with code {exit_code}."


def _keep(task: asyncio.Task) -> asyncio.Task:
    _PROGRAM_TASKS.add(task)
    task.add_done_callback(_PROGRAM_TASKS.discard)
    return task


def run_program(*, code: str, stdin: str = "", limits: Limits | None = None) -> ProgramResult:
    """Run a program to its end with `stdin` sent at once, then end of file (the REST API).

    Synchronous: call it from a thread without a running event loop (a view, a worker).
    """

    async def run() -> ProgramResult:
        program = await ProgramRun.start(code=code, limits=limits)
        try:
            if stdin:
                await program.send_input(stdin)
            await program.close_input()
            return await program.wait()
        finally:
            await program.stop()  # a no-op after a normal end; cleans up after an error

    return asyncio.run(run())
