"""The program harness: runs *inside* the sandbox for the playground's program runs.

`runner_programs.py` is its host side and `isolation.py` explains the sandbox. Started by
bubblewrap as `python3 -S -P /sandbox/harness.py REPORT_FD CPU_SECONDS MEMORY_BYTES PROCESSES
FILE_SIZE_BYTES`, with the student's program bind-mounted read-only at /sandbox/main.py. Standard
library only: the sandbox has Debian's Python and nothing else. Two processes:

- P, this process, is trusted. It turns itself non-dumpable (so no process of the same uid can
  open /proc/P/fd/REPORT_FD or ptrace it), copies the program into the writable work directory,
  forks C and only waits. Last it writes a trailer to REPORT_FD with C's exit code or signal and
  CPU time, which is how the runner tells "finished" from "killed at the CPU limit" or "crashed".
- C runs the program as `__main__`, with stdin, stdout and stderr inherited from bubblewrap, i.e.
  the runner's pipes, so input and output flow straight between the program and the page while
  it runs. It closes REPORT_FD and sets the resource limits before running anything the student
  wrote; when the program fails it sends P a note saying which kind of exception ended it. The
  program can lie about its own exception, nothing else.

Why a file of its own, apart from `harness_tests.py`: a program should print as soon as
possible. This file imports nothing the test harness needs (unittest, json, re, signal's enums:
~20 ms of a ~35 ms start), and Python compiles the whole script before running a line of it, so
a smaller file starts sooner too. The few helpers both harnesses need are copied, not imported:
inside the sandbox only /usr's Python exists, no project package (tests/sandbox checks that the
copies agree).
"""

from __future__ import annotations

import mmap
import os
import sys

INPUT_DIR = "/sandbox"
WORK_DIR = "/tmp"  # noqa: S108 - the sandbox's own size-limited tmpfs; also HOME
EFBIG, ENOSPC = 27, 28


# --- shared with harness_tests.py (copied, see above) ---------------------------------------------


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


# --- the program --------------------------------------------------------------------------------

PROGRAM = f"{WORK_DIR}/main.py"
PROGRAM_SHOWN = "main.py"  # how tracebacks name it: the student knows no /tmp
# What C may say about the exception that ended the program; anything else it writes is ignored.
EXCEPTION_KINDS = frozenset({"syntax", "error", "memory", "file_size", "disk_full"})
NOTE_LIMIT = 4096  # P keeps this much of what arrives on C's pipe
NAME_LIMIT = 100
# Address space set aside before the limits and given back when the program fails: after a
# MemoryError the program still holds all it allocated, and the traceback needs some room.
RESERVE_BYTES = 4 << 20


def main(argv: list[str]) -> None:
    # The builtin _signal, not signal: the same functions without the enums' import time.
    import _signal

    report_fd = int(argv[1])
    limits = {
        "cpu_seconds": float(argv[2]),
        "memory_bytes": int(argv[3]),
        "processes": int(argv[4]),
        "file_size_bytes": int(argv[5]),
    }
    # P is the pid namespace's init (bwrap --as-pid-1): the kernel drops every signal sent to it
    # from inside the namespace unless it has a handler, so C cannot stop, kill or interrupt it.
    _signal.signal(_signal.SIGINT, _signal.SIG_DFL)
    _make_undumpable()
    with open(f"{INPUT_DIR}/main.py", "rb") as source:
        data = source.read()
    with open(PROGRAM, "wb") as copy:
        copy.write(data)
    os.chdir(WORK_DIR)
    _write_all(report_fd, b'{"e": "hello"}\n')
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(report_fd)
        os.close(read_end)
        _program_child(write_end, limits)  # never returns: ends in SystemExit
    os.close(write_end)
    note = _program_note(_program_supervise(read_end, pid))
    _, status, usage = os.wait4(pid, 0)
    code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else None
    number = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
    cpu_ms = round((usage.ru_utime + usage.ru_stime) * 1000)
    trailer = f'{{"e": "exit", "code": {_json_int(code)}, "signal": {_json_int(number)}, '
    trailer += f'"cpu_ms": {cpu_ms}}}\n'
    _write_all(report_fd, note + trailer.encode())
    os._exit(0)  # the namespace ends with P: whatever the program left running is killed


def _json_int(value: int | None) -> str:
    return "null" if value is None else str(int(value))


def _program_supervise(read_end: int, pid: int) -> bytes:
    """Wait for C to exit; returns the start of what it wrote on its pipe."""
    import select

    # A pidfd says when C is gone even if its children still hold the pipe open.
    pidfd = os.pidfd_open(pid)
    poller = select.poll()
    poller.register(read_end, select.POLLIN)
    poller.register(pidfd, select.POLLIN)
    received = b""
    while True:
        ready = dict(poller.poll())
        if read_end in ready:
            # Keep reading past the limit: a program writing to the pipe must not block on it.
            chunk = os.read(read_end, 65536)
            if chunk:
                received = (received + chunk)[:NOTE_LIMIT]
            else:
                poller.unregister(read_end)
        if pidfd in ready:
            break
    # What C wrote just before it exited is in the pipe already; don't wait for its children.
    os.set_blocking(read_end, False)
    try:
        while len(received) < NOTE_LIMIT and (chunk := os.read(read_end, NOTE_LIMIT)):
            received += chunk
    except BlockingIOError:
        pass
    return received[:NOTE_LIMIT]


def _program_note(received: bytes) -> bytes:
    """The first well-formed note ("KIND NAME LINE") as a report event, or b"" if there is none."""
    for raw in received.split(b"\n")[:-1]:  # complete lines only
        parts = raw.decode("ascii", "replace").split(" ")
        if len(parts) != 3:
            continue
        kind, name, line = parts
        # Checked so that they need no JSON escaping: P does without the json module.
        name_ok = (
            len(name) <= NAME_LIMIT
            and name.isascii()
            and all(part.isidentifier() for part in name.split("."))
        )
        line_ok = line == "-" or (line.isdigit() and line.isascii() and len(line) <= 9)
        if kind in EXCEPTION_KINDS and name_ok and line_ok:
            number = "null" if line == "-" else str(int(line))
            return f'{{"e": "exception", "o": "{kind}", "n": "{name}", "l": {number}}}\n'.encode()
    return b""


def _program_child(note_fd: int, limits: dict) -> None:
    """C: run /tmp/main.py as `python3 -u main.py` would, then exit as it would."""
    import _signal
    import io

    _signal.signal(_signal.SIGINT, _signal.default_int_handler)
    reserve = mmap.mmap(-1, RESERVE_BYTES)  # mapped, never touched: no memory, only room
    _set_limits(limits)  # counts the reserve in the baseline: the program's budget is unchanged
    # Unbuffered, as `python3 -u` makes them: each print reaches the runner (and the page) when
    # it happens, and an input() prompt shows before the program waits.
    for fd, name in ((1, "stdout"), (2, "stderr")):
        old = getattr(sys, name)
        stream = io.TextIOWrapper(
            io.FileIO(fd, "w", closefd=False),
            encoding=old.encoding,
            errors=old.errors,
            write_through=True,
        )
        setattr(sys, name, stream)
        setattr(sys, f"__{name}__", stream)
    sys.argv = [PROGRAM_SHOWN]
    sys.path.insert(0, WORK_DIR)  # a script's directory is importable
    _install_conveniences()
    main = type(sys)("__main__")
    main.__file__ = PROGRAM
    sys.modules["__main__"] = main
    with open(PROGRAM, "rb") as file:
        source = file.read()
    try:
        # dont_inherit: this file's `from __future__ import annotations` is not the student's.
        code = compile(source, PROGRAM, "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as exc:  # ValueError: NUL bytes, before Python 3.12
        _program_failed(exc, note_fd, reserve, syntax=True)
        raise SystemExit(1) from None
    try:
        exec(code, main.__dict__)  # noqa: S102 - that is the job: run the student's program
    except SystemExit:
        raise  # the interpreter exits with its code (or prints its message), as for any script
    except BaseException as exc:
        _program_failed(exc, note_fd, reserve)
        raise SystemExit(1) from None
    # Through the interpreter's own exit: non-daemon threads are joined, atexit handlers run.
    raise SystemExit(0)


def _program_failed(
    exc: BaseException, note_fd: int, reserve: mmap.mmap, *, syntax: bool = False
) -> None:
    """Tell P what ended the program, then print the traceback without the harness's frames."""
    reserve.close()
    import contextlib  # only now: this is the path of a program that failed, not its start

    if syntax:
        kind = "syntax"
    elif isinstance(exc, MemoryError):
        kind = "memory"
    elif isinstance(exc, OSError) and exc.errno in (EFBIG, ENOSPC):
        kind = "file_size" if exc.errno == EFBIG else "disk_full"
    else:
        kind = "error"
    line = getattr(exc, "lineno", None) if syntax else _program_line(exc)
    note = f"{kind} {type(exc).__name__} {line if isinstance(line, int) else '-'}\n"
    with contextlib.suppress(OSError):  # the program closed it: the exit code has to do
        _write_all(note_fd, note.encode("ascii", "replace"))
    if sys.excepthook is not sys.__excepthook__:  # the program installed its own: honour it
        try:
            sys.excepthook(type(exc), exc, exc.__traceback__)
            return
        except BaseException:  # noqa: S110 - a broken hook: show the traceback ourselves
            pass
    try:
        text = _program_traceback(exc)
    except BaseException:  # out of memory despite the reserve, or an exception too odd to format
        text = f"{type(exc).__name__} (the traceback could not be shown)\n"
    try:
        sys.stderr.write(text)
        sys.stderr.flush()
    except BaseException:  # the program replaced or closed sys.stderr
        with contextlib.suppress(OSError):
            _write_all(2, text.encode("utf-8", "replace"))


def _program_line(exc: BaseException) -> int | None:
    """The line of main.py nearest where `exc` was raised."""
    line = None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == PROGRAM:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _program_traceback(exc: BaseException) -> str:
    """Python's own traceback (causes, contexts, groups, notes) with main.py's frames only."""
    import traceback

    shown = traceback.TracebackException(type(exc), exc, exc.__traceback__)
    pending, seen = [shown], set()
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        current.stack = traceback.StackSummary.from_list(
            [frame for frame in current.stack if frame.filename == PROGRAM]
        )
        linked = (current.__cause__, current.__context__, *(current.exceptions or ()))
        pending.extend(other for other in linked if other is not None)
    text = "".join(shown.format())
    return text.replace(f'File "{PROGRAM}"', f'File "{PROGRAM_SHOWN}"')


if __name__ == "__main__":
    main(sys.argv)  # never returns
