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
from dataclasses import dataclass, fields
from pathlib import Path

HARNESS = Path(__file__).with_name("harness.py")
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
        for name, text in (
            ("harness.py", _harness_source()),
            (f"{module_name}.py", solution),
            (f"{tests_module}.py", test_source),
        ):
            path = run_dir / name
            path.write_text(text, encoding="utf-8", errors="surrogatepass")
            path.chmod(0o400)
            if uid is not None:
                os.chown(path, uid, uid)
        run_dir.chmod(0o500)
        if uid is not None:
            os.chown(run_dir, uid, uid)
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
    events = []
    for line in report.split(b"\n"):
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict):
            events.append(event)
    return _Raw(events, stdout, stderr, killed, process.returncode, ended)


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
