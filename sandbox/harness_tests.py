"""The test harness: runs *inside* the sandbox for graded runs (a student's module and a test file).

`runner_tests.py` is its host side and `isolation.py` explains the sandbox. Started by bubblewrap
as `python3 -S -P /sandbox/harness.py REPORT_FD TESTS_FD CONFIG_JSON`, with the student's module
bind-mounted read-only at /sandbox. The test file is not in /sandbox: it arrives on TESTS_FD (an
unlinked file: the test names, then the file) and only P and the test process ever read it.
Standard library only: the sandbox has Debian's Python and nothing else. Three processes, so
that the student's code never runs where the tests run and can neither change a verdict nor read
a hidden test:

- P, this process, is trusted: the pid namespace's init. It turns itself non-dumpable (so no
  process of the same uid can open /proc/P/fd or ptrace it; its children inherit that), forks S
  and then T, relays T's events to REPORT_FD after checking them, and last writes a trailer with
  the student process's exit status and CPU time, which is how the runner tells "finished" from
  "exited early", "killed at the CPU limit" or "crashed".
- S, the student process, is forked first, before anything has read the test file; it closes
  REPORT_FD and TESTS_FD before running anything the student wrote. It imports the student's
  module and answers T's requests over a pair of pipes: get this attribute, call that with these
  arguments, what is repr() of this. Student code may rewrite anything in S (unittest, builtins,
  this very file's functions): S can answer anything, but S is only ever asked questions whose
  answers are the student's own (what add(2, 3) returns), never told what the tests expect.
- T, the test process, is trusted: it runs only the teacher's tests and this harness, and stays
  non-dumpable. The student's module is a proxy in T. Only plain data crosses by value (exact
  None, bool, int, float, complex, str, bytes, bytearray, and tuples, lists, dicts, sets of these,
  plus a few standard library types rebuilt from their data): T compares them with its own,
  untouched types. Every other object stays in S and crosses as a handle whose attribute reads,
  calls and conversions go back to S; a handle never compares equal to (or computes with) a
  plain value, so an "always equal" object earns nothing, and `x in handle` iterates it instead
  of asking. Exceptions come back as the same builtin type, or as a class standing for the
  student's own (so `assertRaises(solution.MyError)` works). Lists, dicts and sets passed to the
  student's code are written back after the call, so in-place changes are seen.

Anything S sends that the honest harness never would (a malformed message, a forged reply), a
channel S closed while alive, or T killed by a signal, ends the run as "tampered": the teacher sees
it flagged, and it is never a pass. Because the runner reads results only from REPORT_FD, text
printed by the student, `sys.exit(0)` or `os._exit(0)` can only lose results: a test that did not
report stays "not run".

The playground's program runs have their own harness, `harness_programs.py`, so that a program's
start pays for none of this file's imports. The few helpers both need are copied, not imported:
inside the sandbox only /usr's Python exists, no project package (tests/sandbox checks the copies
agree).
"""

from __future__ import annotations

import builtins
import contextlib
import io
import json
import linecache
import os
import re
import select
import signal
import sys
import time
import traceback
import types
import unittest
from collections.abc import Callable

INPUT_DIR = "/sandbox"
WORK_DIR = "/tmp"  # noqa: S108 - the sandbox's own size-limited tmpfs; also HOME
EFBIG, ENOSPC = 27, 28
MESSAGE_LIMIT = 2000
PROBLEM_LIMIT = 500
LINE_LIMIT = 64 * 1024  # longest event line P accepts from T
DRAIN_LIMIT = 1024 * 1024  # what P still reads from T's pipe once T is gone
CHILD_OUTCOMES = frozenset(
    {"passed", "failed", "error", "memory_limit", "output_limit", "not_run", "skipped"}
)
IMPORT_OUTCOMES = frozenset({"error", "memory_limit", "output_limit"})
FRAME_LIMIT = 32 * 1024 * 1024  # one message between T and S
NODE_LIMIT = 1_000_000  # values in one message: beyond, the value stays in S as a handle
DEPTH_LIMIT = 50
TESTS_PATH = "/tests/{}.py"  # the test module's name in tracebacks: no such file exists
S_GONE, TAMPERED = 3, 4  # T's exit codes: the student process went away / tampering seen
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
    report_fd, tests_fd = int(argv[1]), int(argv[2])
    config = json.loads(argv[3])
    # P is the pid namespace's init (bwrap --as-pid-1): the kernel drops every signal sent to it
    # from inside the namespace unless it has a handler, so no child can stop, kill or interrupt it.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    _make_undumpable()
    name = config["module"]
    with open(f"{INPUT_DIR}/{name}.py", "rb") as source:
        data = source.read()
    with open(f"{WORK_DIR}/{name}.py", "wb") as copy:
        copy.write(data)
    os.chdir(WORK_DIR)
    _send(report_fd, {"e": "hello"})
    to_s_read, to_s_write = os.pipe()
    to_t_read, to_t_write = os.pipe()
    s_pid = os.fork()
    if s_pid == 0:
        try:
            for fd in (report_fd, tests_fd, to_s_write, to_t_read):
                os.close(fd)
            _student(to_s_read, to_t_write, config)
        finally:
            os._exit(70)  # only reached if the harness itself broke; the runner reports it
    os.close(to_s_read)
    os.close(to_t_write)
    # Read only now that S exists without them: the names of hidden tests are not for students.
    config["names"] = json.loads(_pread_all(tests_fd, 0, config["names_bytes"]))
    read_end, write_end = os.pipe()
    t_pid = os.fork()
    if t_pid == 0:
        try:
            os.close(report_fd)
            os.close(read_end)
            _tests(write_end, tests_fd, to_s_write, to_t_read, config)
        finally:
            os._exit(70)
    for fd in (tests_fd, write_end, to_s_write, to_t_read):
        os.close(fd)
    _relay(read_end, t_pid, s_pid, report_fd, config["names"])
    os._exit(0)


def _pread_all(fd: int, offset: int, size: int | None) -> bytes:
    """`size` bytes (None: all) of the file on `fd` from `offset`, wherever its offset is."""
    chunks = []
    while size is None or size > 0:
        chunk = os.pread(fd, 1 << 20 if size is None else min(size, 1 << 20), offset)
        if not chunk:
            break
        chunks.append(chunk)
        offset += len(chunk)
        size = None if size is None else size - len(chunk)
    return b"".join(chunks)


def _send(fd: int, event: dict[str, object]) -> None:
    _write_all(fd, (json.dumps(event) + "\n").encode())


def _relay(read_end: int, t_pid: int, s_pid: int, report_fd: int, names: list[str]) -> None:
    relay = _Relay(report_fd, names)
    # pidfds say when T or S is gone even if descendants still hold the pipes open.
    t_fd, s_fd = os.pidfd_open(t_pid), os.pidfd_open(s_pid)
    poller = select.poll()
    for fd in (read_end, t_fd, s_fd):
        poller.register(fd, select.POLLIN)
    pipe_open = True
    student: tuple | None = None  # S's wait status and rusage once it ended alone
    while True:
        ready = dict(poller.poll())
        if read_end in ready:
            chunk = os.read(read_end, 65536)
            if chunk:
                relay.feed(chunk)
            else:
                poller.unregister(read_end)
                pipe_open = False
        if s_fd in ready and student is None:
            student = os.wait4(s_pid, 0)[1:]
            poller.unregister(s_fd)
        if t_fd in ready:
            break
    if pipe_open:
        # Whatever T wrote before it exited is already in the pipe; don't wait for grandchildren.
        os.set_blocking(read_end, False)
        drained = 0
        try:
            while drained < DRAIN_LIMIT and (chunk := os.read(read_end, 65536)):
                relay.feed(chunk)
                drained += len(chunk)
        except BlockingIOError:
            pass
    _, t_status, t_usage = os.wait4(t_pid, 0)
    t_code = os.WEXITSTATUS(t_status) if os.WIFEXITED(t_status) else None
    if student is None and t_code == S_GONE and select.select([s_fd], [], [], 1.0)[0]:
        student = os.wait4(s_pid, 0)[1:]  # T saw S's pipe close as S was exiting
    elif student is None and t_code == 0 and select.select([s_fd], [], [], 0.5)[0]:
        os.wait4(s_pid, 0)  # T's end closed the channel: S flushed what it printed and left
    elif student is None:
        os.kill(s_pid, signal.SIGKILL)
        os.wait4(s_pid, 0)
        if t_code == S_GONE:
            relay.tampered("Your code closed the harness's channel to the tests.")
    status, usage = t_status, t_usage
    if os.WIFSIGNALED(t_status) and os.WTERMSIG(t_status) != signal.SIGXCPU:
        if student is not None and os.WIFSIGNALED(student[0]):
            status, usage = student  # S's memory or CPU limit, seen first in T
        else:
            relay.tampered("The test process was killed by a signal from your code.")
    elif student is not None and t_code == S_GONE:
        status, usage = student
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
    """Checks T's events before they reach the runner (bounded, known names, each test once)."""

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

    def tampered(self, problem: str) -> None:
        if "tampered" not in self.once:
            self.once.add("tampered")
            _send(self.report_fd, {"e": "tampered", "p": problem})

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
        if kind == "tampered" and kind not in self.once:
            self.once.add(kind)
            return {"e": kind, "p": _clean(event.get("p"), PROBLEM_LIMIT)}
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


# --- the channel between T and S ------------------------------------------------------------------


class _Gone(Exception):
    """The other end of the channel closed."""


class _Tampering(Exception):
    """S sent what the honest harness never sends."""


class _TooBig(Exception):
    """A value too large or deep to copy: it crosses as a handle instead."""


def _safe_exceptions() -> dict[str, type[BaseException]]:
    # The builtin exceptions S may name. KeyboardInterrupt and GeneratorExit would stop T itself.
    return {
        name: value
        for name, value in vars(builtins).items()
        if isinstance(value, type)
        and issubclass(value, BaseException)
        and name not in ("KeyboardInterrupt", "GeneratorExit", "BaseExceptionGroup")
        and name != "ExceptionGroup"
    }


_PLAIN_KEY_TAGS = frozenset({"n", "b", "i", "f", "c", "s", "y", "t", "F", "dec", "fr"})
_MUTABLE_TAGS = {"l": list, "d": dict, "S": set, "ya": bytearray}
_FACTORIES = {f.__name__: f for f in (int, float, str, list, dict, set, tuple, bool)}


def _plain_key(encoded: list) -> bool:
    if encoded[0] not in _PLAIN_KEY_TAGS:
        return False
    return encoded[0] not in ("t", "F") or all(_plain_key(item) for item in encoded[1])


class _Endpoint:
    """One end of the channel: length-prefixed JSON messages; requests may nest (callbacks).

    The same code runs in S (side "S") and T (side "T"); T trusts nothing S sends: every message
    is decoded strictly, and anything malformed is a _Tampering.
    """

    def __init__(self, side: str, read_fd: int, write_fd: int, config: dict) -> None:
        self.side, self.read_fd, self.write_fd = side, read_fd, write_fd
        self.module = config["module"]
        self.objects: dict[int, object] = {}  # S: handle id -> object; T: callback id -> callable
        self.ids: dict[int, int] = {}  # id(object) -> handle id, so one object keeps one handle
        self.remotes: dict[int, object] = {}  # T: handle id -> its proxy (or exception class)
        self.named: dict[tuple[str, tuple[str, ...]], type] = {}  # T: rebuilt named tuples
        self.exceptions = _safe_exceptions() if side == "T" else {}

    # framing

    def send(self, message: list) -> None:
        data = json.dumps(message, separators=(",", ":")).encode()
        if len(data) > FRAME_LIMIT:
            raise _TooBig
        _write_all(self.write_fd, len(data).to_bytes(4, "big") + data)

    def receive(self) -> list:
        size = int.from_bytes(self._exactly(4), "big")
        if size > FRAME_LIMIT:
            raise _Tampering("an oversized message")
        try:
            message = json.loads(self._exactly(size))
        except (ValueError, RecursionError):
            raise _Tampering("a malformed message") from None
        if type(message) is not list or not message or type(message[0]) is not str:
            raise _Tampering("a malformed message")
        return message

    def _exactly(self, size: int) -> bytes:
        chunks = []
        while size:
            chunk = os.read(self.read_fd, min(size, 1 << 20))
            if not chunk:
                raise _Gone
            chunks.append(chunk)
            size -= len(chunk)
        return b"".join(chunks)

    def request(
        self, op: str, operands: tuple, kwargs: dict | None = None, streams: list | None = None
    ) -> object:
        """Ask the other side to apply `op`; its result, or its exception raised here.

        `streams` (T only): [capture stdout?, capture stderr?, input(), stdin.readline] for
        tests that patch them; what the student's code printed meanwhile comes back to them.
        """
        encoder = _Encoder(self, [])
        message = [
            "op",
            op,
            [encoder.top(value, copy_only=True) for value in operands],
            [[key, encoder.top(value, copy_only=True)] for key, value in (kwargs or {}).items()],
        ]
        if streams is not None:
            message.append([encoder.top(value) for value in streams])
        self.send(message)
        while True:
            reply = self.receive()
            if reply[0] == "op":
                self.send(self.answer(reply))
                continue
            if reply[0] not in ("ok", "raise") or len(reply) != 4:
                raise _Tampering("an unknown reply")
            passed = len(encoder.mutables)
            decoder = _Decoder(self, encoder.mutables)
            try:
                value = decoder.decode(reply[1]) if reply[0] == "ok" else None
                error = decoder.exception(reply[1]) if reply[0] == "raise" else None
                decoder.write_back(reply[2], passed)
                captured = reply[3]
                if captured is not None:
                    if type(captured) is not list or [type(t) for t in captured] != [str, str]:
                        raise _Tampering("malformed output")
                    sys.stdout.write(captured[0])
                    sys.stderr.write(captured[1])
            except _Tampering:
                raise
            except Exception as problem:  # anything the strict decoder did not foresee
                raise _Tampering(f"an undecodable reply ({type(problem).__name__})") from None
            if error is not None:
                raise error
            return value

    def answer(self, message: list) -> list:
        """The reply to a request from the other side."""
        if (
            len(message) not in (4, 5)
            or type(message[2]) is not list
            or type(message[3]) is not list
            or (message[4:] and type(message[4]) is not list)
        ):
            raise _Tampering("a malformed request")
        if self.side == "T" and (
            len(message) != 4
            or message[1] != "call"
            or not message[2]
            or message[2][0][:1] != ["cb"]
        ):
            raise _Tampering("a request the tests never allow")  # S may only call back
        decoder = _Decoder(self, [])
        operands = [decoder.decode(item) for item in message[2]]
        kwargs = {str(key): decoder.decode(value) for key, value in message[3]}
        streams = [decoder.decode(item) for item in message[4]] if len(message) == 5 else None
        decoder.sent = len(decoder.mutables)
        encoder = _Encoder(self, decoder.mutables)
        with _Patched(streams) as captured:
            try:
                result = _OPS[message[1]](*operands, **kwargs)
                reply: list[object] = ["ok", encoder.top(result)]
            except (_Tampering, _Gone):
                raise
            except BaseException as exc:  # SystemExit and KeyboardInterrupt too: the student's
                reply = ["raise", encoder.exception(exc)]
        reply.append([encoder.state(item) for item in decoder.mutables[: decoder.sent]])
        reply.append(captured.texts())
        return reply

    def serve(self) -> None:
        """S's loop: answer T until T closes the channel."""
        while True:
            reply = self.answer(self.receive())
            try:
                self.send(reply)
            except _TooBig:  # a result too large even as plain data: say so, change nothing
                too_big = {"c": ["xb", "MemoryError"], "a": ["t", []], "f": [], "o": None}
                too_big["s"] = "The result is too large to return to the tests."
                self.send(["raise", too_big, [["skip"]] * len(reply[2]), reply[3]])

    def remote(self, rid: int) -> object:
        """T: the proxy for S's object `rid`, one per object (so `is` works)."""
        proxy = self.remotes.get(rid)
        if proxy is None:
            proxy = self.remotes[rid] = _Remote(rid)
        return proxy

    def named_tuple(self, name: str, fields: tuple[str, ...]) -> type:
        import collections

        if (name, fields) not in self.named:
            self.named[name, fields] = collections.namedtuple(
                name if name.isidentifier() else "Result", fields, rename=True
            )
        return self.named[name, fields]

    def handle(self, value: object) -> int:
        rid = self.ids.get(id(value))
        if rid is None:
            rid = len(self.objects) + 1
            self.objects[rid] = value  # kept alive, so its id() is not reused
            self.ids[id(value)] = rid
        return rid


class _Patched:
    """S: for one request, the streams the tests patched: output captured for them, input()
    and sys.stdin answered by them (their mock or StringIO, called back)."""

    def __init__(self, streams: list | None) -> None:
        self.streams = streams
        self.saved: tuple = ()
        self.out: io.StringIO | None = None
        self.err: io.StringIO | None = None

    def __enter__(self) -> _Patched:
        if not self.streams:
            return self
        out, err, ask, readline = self.streams
        self.saved = (sys.stdout, sys.stderr, sys.stdin, builtins.input)
        if out:
            sys.stdout = self.out = io.StringIO()
        if err:
            sys.stderr = self.err = io.StringIO()
        if readline is not None:
            sys.stdin = _Stdin(readline)
            ask = ask or _reading_input(readline)
        if ask is not None:
            builtins.input = ask
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.saved:
            sys.stdout, sys.stderr, sys.stdin, builtins.input = self.saved

    def texts(self) -> list[str] | None:
        if not self.streams:
            return None
        return [self.out.getvalue() if self.out else "", self.err.getvalue() if self.err else ""]


class _Stdin(io.TextIOBase):
    def __init__(self, readline: Callable[[], object]) -> None:
        self._readline = readline

    def readline(self, size: int | None = -1) -> str:  # type: ignore[override]
        line = self._readline()
        return line if type(line) is str else ""

    def read(self, size: int | None = -1) -> str:
        return "".join(iter(self.readline, ""))


def _reading_input(readline: Callable[[], object]) -> Callable[..., str]:
    def input(prompt: object = "") -> str:
        sys.stdout.write(str(prompt))
        line = readline()
        if type(line) is not str or not line:
            raise EOFError("EOF when reading a line")
        return line[:-1] if line.endswith("\n") else line

    return input


class _Encoder:
    """Values to JSON for one message. Mutable containers get numbers in pre-order, shared with
    the decoder on the other side, so aliasing survives and changes can be written back."""

    def __init__(self, endpoint: _Endpoint, mutables: list) -> None:
        self.endpoint = endpoint
        self.mutables = mutables
        self.memo = {id(value): number for number, value in enumerate(mutables)}
        self.nodes = 0

    def top(self, value: object, *, copy_only: bool = False) -> list:
        mark = len(self.mutables)
        try:
            return self.encode(value, 0)
        except BaseException as problem:
            # Undo the half-encoded value's numbering: the other side never sees it.
            del self.mutables[mark:]
            self.memo = {id(item): number for number, item in enumerate(self.mutables)}
            if not isinstance(problem, _TooBig):
                raise
            if self.endpoint.side == "T":
                raise TypeError("This value is too large to pass to the code under test.") from None
            return ["h", self.endpoint.handle(value)]

    def state(self, value: object) -> list:
        try:
            return self.contents(value, 0)
        except _TooBig:
            return ["skip"]

    def encode(self, value: object, depth: int) -> list:
        self.nodes += 1
        if self.nodes > NODE_LIMIT or depth > DEPTH_LIMIT:
            raise _TooBig
        kind = type(value)
        if value is None:
            return ["n"]
        if kind is bool:
            return ["b", value]
        if kind is int:
            return ["i", format(value, "x")]
        if kind is float:
            return ["f", value.hex()]  # type: ignore[attr-defined]
        if kind is complex:
            return ["c", value.real.hex(), value.imag.hex()]  # type: ignore[attr-defined]
        if kind is str:
            return ["s", value]
        if kind is bytes:
            return ["y", value.hex()]  # type: ignore[attr-defined]
        if kind is tuple:
            return ["t", [self.encode(item, depth + 1) for item in value]]  # type: ignore[attr-defined]
        if kind is frozenset:
            return ["F", [self.key(item, depth) for item in value]]  # type: ignore[attr-defined]
        if kind in _MUTABLE_TAGS.values():
            number = self.memo.get(id(value))
            if number is not None:
                return ["a", number]
            self.memo[id(value)] = len(self.mutables)
            self.mutables.append(value)
            return self.contents(value, depth)
        if self.endpoint.side == "T":
            return self.passed_by_tests(value)
        return self.student_value(value, depth)

    def contents(self, value: object, depth: int) -> list:
        if type(value) is list:
            return ["l", [self.encode(item, depth + 1) for item in value]]
        if type(value) is dict:
            return ["d", self.pairs(value, depth)]
        if type(value) is set:
            return ["S", [self.key(item, depth) for item in value]]
        return ["ya", bytes(value).hex()]  # type: ignore[call-overload]

    def key(self, value: object, depth: int) -> list:
        encoded = self.encode(value, depth + 1)
        if not _plain_key(encoded):
            raise _TooBig
        return encoded

    def pairs(self, value: dict, depth: int) -> list:
        return [[self.key(k, depth), self.encode(v, depth + 1)] for k, v in value.items()]

    def passed_by_tests(self, value: object) -> list:
        if type(value) in (_Remote, _RemoteModule):
            return ["h", object.__getattribute__(value, "_rid")]
        if isinstance(value, type) and "_student_class" in vars(value):
            return ["h", vars(value)["_student_class"]]
        if callable(value):
            return ["cb", self.endpoint.handle(value)]  # S may call it, nothing more
        raise TypeError(f"A {type(value).__name__} object cannot be passed to the code under test.")

    def student_value(self, value: object, depth: int) -> list:
        kind = type(value)
        if kind is _Callback:
            return ["cb", value.tid]  # type: ignore[attr-defined]
        if isinstance(value, type) and issubclass(value, BaseException):
            return self.exception_class(value, depth)
        modules = sys.modules
        fields = getattr(kind, "_fields", None) if isinstance(value, tuple) else None
        if isinstance(fields, tuple) and all(type(field) is str for field in fields):
            items = [self.encode(item, depth + 1) for item in value]  # type: ignore[attr-defined]
            return ["nt", kind.__name__, list(fields), items]
        if (collections := modules.get("collections")) is not None:
            if kind is collections.Counter:
                return ["ctr", self.pairs(value, depth)]  # type: ignore[arg-type]
            if kind is collections.OrderedDict:
                return ["od", self.pairs(value, depth)]  # type: ignore[arg-type]
            factory = getattr(value, "default_factory", None)
            if kind is collections.defaultdict and (
                factory is None or factory in _FACTORIES.values()
            ):
                name = None if factory is None else factory.__name__
                return ["dd", name, self.pairs(value, depth)]  # type: ignore[arg-type]
            if kind is collections.deque:
                items = [self.encode(item, depth + 1) for item in value]  # type: ignore[attr-defined]
                return ["dq", items, value.maxlen]  # type: ignore[attr-defined]
        if (decimal := modules.get("decimal")) is not None and kind is decimal.Decimal:
            return ["dec", str(value)]
        if (fractions := modules.get("fractions")) is not None and kind is fractions.Fraction:
            return ["fr", format(value.numerator, "x"), format(value.denominator, "x")]  # type: ignore[attr-defined]
        return ["h", self.endpoint.handle(value)]

    def exception_class(self, cls: type, depth: int) -> list:
        if getattr(builtins, cls.__name__, None) is cls:
            return ["xb", cls.__name__]
        if depth > DEPTH_LIMIT or self.endpoint.side == "T":  # T hands S no class of its own
            return ["xb", "Exception"]
        parent = next((b for b in cls.__bases__ if issubclass(b, BaseException)), Exception)
        return [
            "xc",
            self.endpoint.handle(cls),
            cls.__name__,
            self.exception_class(parent, depth + 1),
        ]

    def exception(self, exc: BaseException) -> dict:
        """An exception as data: its class, arguments, text and the student's frames."""
        try:
            arguments = self.top(exc.args)
        except Exception:
            arguments = ["t", []]
        try:
            text = str(exc)[:MESSAGE_LIMIT]
        except Exception:
            text = ""
        mine = f"{WORK_DIR}/{self.endpoint.module}.py"
        try:
            frames = [
                [os.path.basename(frame.filename), frame.lineno, frame.name, frame.line or ""]
                for frame in traceback.extract_tb(exc.__traceback__)
                if frame.filename == mine
            ][-20:]
        except Exception:
            frames = []
        name = getattr(exc, "name", None) if isinstance(exc, ImportError) else None
        return {
            "c": self.exception_class(type(exc), 0),
            "a": arguments,
            "s": text,
            "f": frames,
            "o": self.endpoint.handle(exc) if self.endpoint.side == "S" else None,
            "n": name if type(name) is str else None,
        }


class _Decoder:
    """JSON back to values. In T every field is checked: S may send anything."""

    def __init__(self, endpoint: _Endpoint, mutables: list) -> None:
        self.endpoint = endpoint
        self.mutables = mutables
        self.sent = len(mutables) if mutables else 0
        self.nodes = 0

    def decode(self, data: object, depth: int = 0, *, key: bool = False) -> object:
        self.nodes += 1
        if type(data) is not list or not data or type(data[0]) is not str:
            raise _Tampering("a malformed value")
        if self.nodes > NODE_LIMIT or depth > DEPTH_LIMIT:
            raise _Tampering("an oversized value")
        tag, rest = data[0], data[1:]
        if key and tag not in _PLAIN_KEY_TAGS:
            raise _Tampering("an unhashable key")
        scalar = _SCALARS.get(tag)
        if scalar is not None:
            return scalar(*rest)
        if tag == "t":
            return tuple(self.decode(item, depth + 1, key=key) for item in self.items(rest))
        if tag == "F":
            return frozenset(self.decode(item, depth + 1, key=True) for item in self.items(rest))
        if tag in _MUTABLE_TAGS:
            # Numbered before its contents, in the same pre-order as the encoder.
            value = _MUTABLE_TAGS[tag]()
            self.mutables.append(value)
            self.fill(value, tag, rest, depth)
            return value
        if tag == "a":
            number = rest[0]
            if type(number) is not int or not 0 <= number < len(self.mutables):
                raise _Tampering("a reference to nothing")
            return self.mutables[number]
        return self.special(tag, rest, depth)

    def items(self, rest: list) -> list:
        if len(rest) != 1 or type(rest[0]) is not list:
            raise _Tampering("a malformed container")
        return rest[0]

    def fill(self, value: object, tag: str, rest: list, depth: int) -> None:
        if tag == "l":
            value.extend(self.decode(item, depth + 1) for item in self.items(rest))  # type: ignore[attr-defined]
        elif tag == "S":
            value.update(self.decode(item, depth + 1, key=True) for item in self.items(rest))  # type: ignore[attr-defined]
        elif tag == "d":
            value.update(self.pairs(rest, depth))  # type: ignore[attr-defined]
        else:
            value.extend(bytes.fromhex(rest[0]))  # type: ignore[attr-defined]

    def pairs(self, rest: list, depth: int) -> list:
        pairs = []
        for pair in self.items(rest):
            if type(pair) is not list or len(pair) != 2:
                raise _Tampering("a malformed dict")
            pairs.append(
                (self.decode(pair[0], depth + 1, key=True), self.decode(pair[1], depth + 1))
            )
        return pairs

    def special(self, tag: str, rest: list, depth: int) -> object:
        import collections

        if tag == "h":
            if self.endpoint.side == "S":
                return self.endpoint.objects[rest[0]]
            if type(rest[0]) is not int or rest[0] <= 0:
                raise _Tampering("a malformed handle")
            return self.endpoint.remote(rest[0])
        if tag == "cb":
            if self.endpoint.side == "S":
                return _Callback(self.endpoint, rest[0])
            if type(rest[0]) is not int or rest[0] not in self.endpoint.objects:
                raise _Tampering("a callback the tests never passed")
            return self.endpoint.objects[rest[0]]
        if tag in ("xb", "xc"):
            return self.exception_class([tag, *rest], depth)
        if tag == "nt":
            name, fields, items = rest
            fields = tuple(fields)
            if not all(type(f) is str for f in fields) or type(name) is not str:
                raise _Tampering("a malformed named tuple")
            values = tuple(self.decode(item, depth + 1) for item in items)
            return self.endpoint.named_tuple(name, fields)(*values)
        if tag in ("ctr", "od"):
            if tag == "ctr":
                return collections.Counter(dict(self.pairs(rest, depth)))
            return collections.OrderedDict(self.pairs(rest, depth))
        if tag == "dd":
            factory = None if rest[0] is None else _FACTORIES[rest[0]]
            return collections.defaultdict(factory, self.pairs(rest[1:], depth))
        if tag == "dq":
            items = [self.decode(item, depth + 1) for item in rest[0]]
            if rest[1] is not None and type(rest[1]) is not int:
                raise _Tampering("a malformed deque")
            return collections.deque(items, rest[1])
        if tag == "dec":
            import decimal

            if type(rest[0]) is not str or len(rest[0]) > 10_000:
                raise _Tampering("a malformed Decimal")
            return decimal.Decimal(rest[0])
        if tag == "fr":
            import fractions

            return fractions.Fraction(_int(rest[0]), _int(rest[1]))
        raise _Tampering(f"an unknown value tag {tag[:20]!r}")

    def exception_class(self, data: list, depth: int) -> type[BaseException]:
        if type(data) is not list or not data:
            raise _Tampering("a malformed exception class")
        if data[0] == "xb" and len(data) == 2:
            return self.endpoint.exceptions.get(data[1], Exception)
        if data[0] != "xc" or len(data) != 4 or type(data[1]) is not int or depth > DEPTH_LIMIT:
            raise _Tampering("a malformed exception class")
        known = self.endpoint.remotes.get(data[1])
        if isinstance(known, type):
            return known
        parent = self.exception_class(data[3], depth + 1)
        name = data[2] if type(data[2]) is str and data[2].isidentifier() else "StudentError"
        cls = _student_exception_class(name, parent, data[1], self.endpoint.module)
        self.endpoint.remotes[data[1]] = cls
        return cls

    def exception(self, info: object) -> BaseException:
        if type(info) is not dict:
            raise _Tampering("a malformed exception")
        cls = self.exception_class(info.get("c"), 0)  # type: ignore[arg-type]
        arguments = self.decode(info.get("a"))
        text = info.get("s")
        if type(arguments) is not tuple or type(text) is not str:
            raise _Tampering("a malformed exception")
        try:
            exc = cls(*arguments)
        except Exception:
            exc = cls.__new__(cls)
            exc.args = (text,)
        if "_student_class" in vars(cls):
            vars(exc).update(_student_text=text)
            if type(info.get("o")) is int:
                vars(exc).update(_student_object=self.endpoint.remote(info["o"]))
        if isinstance(exc, ImportError) and type(info.get("n")) is str:
            exc.name = info["n"]
        frames = info.get("f")
        if type(frames) is not list:
            raise _Tampering("a malformed traceback")
        checked = []
        for frame in frames[:20]:
            if type(frame) is not list or len(frame) != 4 or type(frame[1]) is not int:
                raise _Tampering("a malformed traceback")
            if not all(type(part) is str for part in (frame[0], frame[2], frame[3])):
                raise _Tampering("a malformed traceback")
            checked.append(frame)
        exc._student_frames = checked  # type: ignore[attr-defined]
        return exc

    def write_back(self, states: object, count: int) -> None:
        """Apply the other side's changes to the lists, dicts and sets this side passed."""
        if type(states) is not list or len(states) != count:
            raise _Tampering("a malformed reply")
        for number, state in enumerate(states):
            if state == ["skip"]:
                continue
            target = self.mutables[number]
            tag = next(tag for tag, kind in _MUTABLE_TAGS.items() if type(target) is kind)
            if type(state) is not list or not state or state[0] != tag:
                raise _Tampering("a malformed reply")
            fresh = _MUTABLE_TAGS[tag]()
            self.fill(fresh, tag, state[1:], 0)
            if type(target) is dict or type(target) is set:
                target.clear()
                target.update(fresh)
            else:
                target[:] = fresh


def _int(text: object) -> int:
    if type(text) is not str or len(text) > 100_000:
        raise _Tampering("a malformed number")
    return int(text, 16)


def _float(text: object) -> float:
    if type(text) is not str or len(text) > 100:
        raise _Tampering("a malformed number")
    return float.fromhex(text)


def _bytes(text: object) -> bytes:
    if type(text) is not str:
        raise _Tampering("malformed bytes")
    return bytes.fromhex(text)


def _str(text: object) -> str:
    if type(text) is not str:
        raise _Tampering("a malformed string")
    return text


def _bool(value: object) -> bool:
    if type(value) is not bool:
        raise _Tampering("a malformed bool")
    return value


_SCALARS: dict[str, Callable[..., object]] = {
    "n": lambda: None,
    "b": _bool,
    "i": _int,
    "f": _float,
    "c": lambda real, imag: complex(_float(real), _float(imag)),
    "s": _str,
    "y": _bytes,
}


# --- S: the student process -----------------------------------------------------------------------


def _student(read_fd: int, write_fd: int, config: dict) -> None:
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
    endpoint = _Endpoint("S", read_fd, write_fd, config)
    with contextlib.suppress(_Gone, _Tampering):  # T is done, or gone
        endpoint.serve()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # the student may have replaced or closed it
            stream.flush()
    # _exit: atexit handlers the student registered must not run (or hang) after the verdict.
    os._exit(0)


class _Callback:
    """S's stand-in for a function the tests passed to the student's code: it can only be called."""

    __slots__ = ("endpoint", "tid")

    def __init__(self, endpoint: _Endpoint, tid: object) -> None:
        self.endpoint, self.tid = endpoint, tid

    def __call__(self, *args: object, **kwargs: object) -> object:
        return self.endpoint.request("call", (self, *args), kwargs)

    def __repr__(self) -> str:
        return "<function from the tests>"


def _import(name: str) -> object:
    __import__(name)
    return sys.modules[name]


def _getattr(target: object, name: str) -> object:
    if name == "__all__" and isinstance(target, types.ModuleType) and "__all__" not in vars(target):
        return [key for key in vars(target) if not key.startswith("_")]  # for `import *`
    return getattr(target, name)


def _exit(target: object, *exc_info: object) -> object:
    return target.__exit__(*exc_info)  # type: ignore[attr-defined]


def _operations() -> dict[str, object]:
    import operator

    ops: dict[str, object] = {
        "import": _import,
        "getattr": _getattr,
        "setattr": setattr,
        "delattr": delattr,
        "call": lambda target, *args, **kwargs: target(*args, **kwargs),
        "isinstance": isinstance,
        "issubclass": issubclass,
        "enter": lambda target: target.__enter__(),
        "exit": _exit,
        "index": operator.index,
    }
    for function in (repr, str, format, bool, len, hash, iter, next, reversed, int, float):
        ops[function.__name__] = function
    for name in ("complex", "round", "abs"):
        ops[name] = getattr(builtins, name)
    for name in [
        "getitem",
        "setitem",
        "delitem",
        "neg",
        "pos",
        "invert",
        "eq",
        "ne",
        "lt",
        "le",
        "gt",
        "ge",
        "add",
        "sub",
        "mul",
        "truediv",
        "floordiv",
        "mod",
        "pow",
        "matmul",
        "and_",
        "or_",
        "xor",
        "lshift",
        "rshift",
    ]:
        ops[name.rstrip("_")] = getattr(operator, name)
    return ops


_OPS: dict = _operations()


# --- T: the proxies for the student's objects -----------------------------------------------------


_LINK: _Endpoint | None = None  # T's end of the channel, set before the tests load
_REPORTER: _Reporter | None = None


def _ask(op: str, *operands: object, **kwargs: object) -> object:
    """T: apply `op` in S. A closed channel or a forged reply ends T here, uncatchably."""
    assert _LINK is not None and _REPORTER is not None
    try:
        return _LINK.request(op, operands, kwargs, _patched_streams())
    except _Gone:
        os._exit(S_GONE)  # P reads S's exit status and reports it
    except (_Tampering, _TooBig) as problem:
        detail = str(problem) or "an oversized message"
        _REPORTER.send(e="tampered", p=f"The code under test sent {detail} to the test process.")
        os._exit(TAMPERED)


_ORIGINAL_STREAMS: tuple = ()  # T's stdout, stderr, stdin and input() before the tests


def _patched_streams() -> list | None:
    """What the tests replaced (mock.patch, redirect_stdout…) for the student's code to use."""
    out, err, stdin, ask = _ORIGINAL_STREAMS
    patched = [
        sys.stdout is not out,
        sys.stderr is not err,
        builtins.input if builtins.input is not ask else None,
        getattr(sys.stdin, "readline", None) if sys.stdin is not stdin else None,
    ]
    return patched if any(patched) else None


def _rid(proxy: object) -> int:
    return object.__getattribute__(proxy, "_rid")


def _both(op: str) -> object:
    # Comparisons and arithmetic only between two of the student's objects: never with a value
    # of the tests, which would hand the expected value to the student's code to agree with.
    def method(self: _Remote, other: object) -> object:
        if type(other) is not _Remote:
            return NotImplemented
        return _ask(op, self, other)

    method.__name__ = f"__{op}__"
    return method


def _unary(op: str) -> object:
    def method(self: _Remote, *args: object) -> object:
        return _ask(op, self, *args)

    method.__name__ = f"__{op}__"
    return method


_VISIBLE_DUNDERS = frozenset({"__name__", "__qualname__", "__doc__", "__all__", "__version__"})


class _Remote:
    """An object that lives in S. Attribute reads, calls and conversions are forwarded to S;
    `==`, `<`, `+`… only with another such object. No __contains__: `x in proxy` iterates it
    and compares each item here."""

    __slots__ = ("__weakref__", "_rid")

    def __init__(self, rid: int) -> None:
        object.__setattr__(self, "_rid", rid)

    def __getattr__(self, name: str) -> object:
        if name.startswith("__") and name.endswith("__") and name not in _VISIBLE_DUNDERS:
            raise AttributeError(name)  # protocol probes (copy, pickle, __mro_entries__…)
        return _ask("getattr", self, name)

    def __setattr__(self, name: str, value: object) -> None:
        _ask("setattr", self, name, value)

    def __delattr__(self, name: str) -> None:
        _ask("delattr", self, name)

    def __call__(self, *args: object, **kwargs: object) -> object:
        return _ask("call", self, *args, **kwargs)

    def __repr__(self) -> str:
        return _ask("repr", self)  # type: ignore[return-value]

    def __str__(self) -> str:
        return _ask("str", self)  # type: ignore[return-value]

    def __format__(self, spec: str) -> str:
        return _ask("format", self, spec)  # type: ignore[return-value]

    def __bool__(self) -> bool:
        return _ask("bool", self)  # type: ignore[return-value]

    def __len__(self) -> int:
        return _ask("len", self)  # type: ignore[return-value]

    def __hash__(self) -> int:
        return _ask("hash", self)  # type: ignore[return-value]

    def __iter__(self) -> object:
        return _ask("iter", self)

    def __next__(self) -> object:
        return _ask("next", self)

    def __enter__(self) -> object:
        return _ask("enter", self)

    def __exit__(self, *exc_info: object) -> object:
        return _ask("exit", self, None, None, None)  # the tests' exception stays in T

    def __instancecheck__(self, instance: object) -> bool:
        return _ask("isinstance", instance, self)  # type: ignore[return-value]

    def __subclasscheck__(self, subclass: object) -> bool:
        return _ask("issubclass", subclass, self)  # type: ignore[return-value]


_BINARY = "eq ne lt le gt ge add sub mul truediv floordiv mod pow matmul and or xor lshift rshift"
_UNARY = "getitem setitem delitem reversed neg pos abs invert int float index complex round"
for _op in _BINARY.split():
    setattr(_Remote, f"__{_op}__", _both(_op))
for _op in _UNARY.split():
    setattr(_Remote, f"__{_op}__", _unary(_op))


class _RemoteModule(types.ModuleType):
    """The student's module as the tests see it: every name is looked up in S, live."""

    def __init__(self, name: str, rid: int) -> None:
        super().__init__(name)
        object.__setattr__(self, "_rid", rid)

    def __getattr__(self, name: str) -> object:
        if name.startswith("__") and name.endswith("__") and name not in _VISIBLE_DUNDERS:
            raise AttributeError(name)
        return _ask("getattr", self, name)

    def __setattr__(self, name: str, value: object) -> None:
        _ask("setattr", self, name, value)  # a test patching the module (input, say)

    def __delattr__(self, name: str) -> None:
        _ask("delattr", self, name)

    def __repr__(self) -> str:
        return f"<module {self.__name__!r}>"


def _student_exception_class(name: str, parent: type, rid: int, module: str) -> type:
    """A real exception class in T standing for one of the student's, so `except` and
    assertRaises work. Its instances show the student's message and attributes."""

    def __str__(self: BaseException) -> str:
        text = vars(self).get("_student_text")
        return text if type(text) is str else BaseException.__str__(self)

    def __getattr__(self: BaseException, attribute: str) -> object:
        remote = vars(self).get("_student_object")
        if remote is None or attribute.startswith("__"):
            raise AttributeError(attribute)
        return getattr(remote, attribute)

    namespace = {"__module__": module, "__str__": __str__, "__getattr__": __getattr__}
    namespace["_student_class"] = rid
    return type(name, (parent,), namespace)


# --- T: the test process --------------------------------------------------------------------------


class _Reporter:
    def __init__(self, fd: int) -> None:
        self.fd = fd

    def send(self, **event: object) -> None:
        with contextlib.suppress(OSError):
            _send(self.fd, event)


def _tests(event_fd: int, tests_fd: int, to_s: int, from_s: int, config: dict) -> None:
    global _LINK, _REPORTER
    _make_undumpable()  # inherited from P already; said again, as T holds the hidden tests
    source = _pread_all(tests_fd, config["names_bytes"], None)
    os.close(tests_fd)
    # Whatever the tests print could show expected values: it goes nowhere, not to the student.
    null = os.open("/dev/null", os.O_WRONLY)
    os.dup2(null, 1)
    os.dup2(null, 2)
    os.close(null)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    _set_limits(config)
    global _ORIGINAL_STREAMS
    _ORIGINAL_STREAMS = (sys.stdout, sys.stderr, sys.stdin, builtins.input)
    reporter = _REPORTER = _Reporter(event_fd)
    _LINK = _Endpoint("T", from_s, to_s, config)
    path = TESTS_PATH.format(config["tests"])
    describe = _Describer({path}, config)
    try:
        rid = _ask("import", config["module"])
        if type(rid) is not _Remote:
            raise ImportError(f"{config['module']} did not load as a module")
        sys.modules[config["module"]] = _RemoteModule(config["module"], _rid(rid))
        module = _import_tests(config["tests"], source, path)
    except BaseException as exc:  # anything at import, SystemExit and MemoryError included
        reporter.send(e="import", **describe.import_failure(exc))
        _finish(reporter)
    _guard_assertions()
    reporter.send(e="ready")
    _run(module, config["names"], reporter, describe)
    _finish(reporter)


def _finish(reporter: _Reporter) -> None:
    reporter.send(e="done")
    os._exit(0)


def _guard_assertions() -> None:
    # assertAlmostEqual falls back to abs(first - second): with an object of the student's code
    # that would ask S to subtract the expected value. Only numbers are compared approximately.
    case = unittest.TestCase
    for name in ("assertAlmostEqual", "assertNotAlmostEqual"):
        original = getattr(case, name)

        def guarded(
            self: unittest.TestCase,
            first: object,
            second: object,
            *args: object,
            _original: object = original,
            **kwargs: object,
        ) -> None:
            for value in (first, second):
                if type(value) in (_Remote, _RemoteModule):
                    raise self.failureException(
                        f"expected a number, got {_short_repr(value)} (an object)"
                    )
            _original(self, first, second, *args, **kwargs)  # type: ignore[operator]

        setattr(case, name, guarded)


def _short_repr(value: object) -> str:
    try:
        text = repr(value)
    except Exception:
        text = "<object>"
    return text if len(text) <= 300 else text[:300] + "…"


def _import_tests(name: str, source: bytes, path: str) -> object:
    """Import the test module with its plain `assert`s rewritten to explain themselves."""
    text = source.decode("utf-8", "replace")
    # Tracebacks show the test file's lines, read from memory: the file is nowhere on disk.
    linecache.cache[path] = (len(text), None, text.splitlines(True), path)
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
    """Enough of pytest for plain-assert test files: raises, approx, fail, skip, mark.skip."""
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

    def skipping(reason: str) -> Callable:
        return unittest.skip(reason if type(reason) is str else "")

    class _Marks:
        # @pytest.mark.skip / skipif skip as in pytest; any other mark changes nothing.
        def skip(self, reason: object = "", **_: object) -> Callable:
            return skipping("")(reason) if callable(reason) else skipping(str(reason))

        def skipif(self, condition: object, reason: str = "", **_: object) -> Callable:
            return skipping(reason) if condition else (lambda function: function)

        def __getattr__(self, name: str) -> Callable:
            def mark(*args: object, **kwargs: object) -> object:
                if len(args) == 1 and callable(args[0]) and not kwargs:
                    return args[0]
                return lambda function: function

            return mark

    vars(module).update(raises=raises, approx=approx, fail=fail, skip=skip, mark=_Marks())
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
        # Only the tests can skip: a SkipTest raised by the student's code reaches T as another
        # class, an error. A skipped test counts neither for nor against the student.
        if self._is_fixture(test):
            self._fixture(test, "skipped", f"Skipped: {reason}")
        else:
            self._record("skipped", f"Skipped: {reason}")

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

    def frames(
        self, tb: types.TracebackType | None, exc: BaseException | None = None
    ) -> list[traceback.FrameSummary]:
        """The test file's frames, then the student's (sent by S with the exception)."""
        kept = [frame for frame in traceback.extract_tb(tb) if frame.filename in self.paths]
        frames = [
            traceback.FrameSummary(
                os.path.basename(frame.filename), frame.lineno, frame.name, line=frame.line
            )
            for frame in kept
        ]
        for file, line, name, text in getattr(exc, "_student_frames", None) or []:
            frames.append(traceback.FrameSummary(file, line, name, line=text))
        return frames

    def error(self, err: tuple) -> str:
        kind, value, tb = err
        try:
            lines = []
            frames = self.frames(tb, value)
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
        frames = self.frames(exc.__traceback__, exc)
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
        tests = [frame for frame in frames if frame.filename != module_file]
        tests_line = tests[-1].lineno if tests else "?"
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
