"""Program runs: the playground's streamed, interactive runs of a student's program.

`ProgramRun` runs a student's program instead of tests, with the same isolation, limits and
cleanup as a graded run (`isolation.py`). The harness (`harness_programs.py`) runs it as
`__main__` from /tmp/main.py with the runner's pipes as its stdin, stdout and stderr (unbuffered),
so what it prints streams to the page and what the student types reaches `input()` while it runs;
how it ended still comes over REPORT_FD, which the program cannot reach. The runner kills the
sandbox at stop(), at the wall limit and at the output cap.

It is driven from an asyncio event loop (the playground's websocket consumer); `run_program` is
the synchronous form for the REST API and the no-JavaScript page.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import math
import os
import signal
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from django.utils.translation import gettext

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
    to_bytes,
    write_inputs,
)
from sandbox.selftest import ensure_isolated

HARNESS = Path(__file__).with_name("harness_programs.py")
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
        confinement: Confinement | None = None,
    ) -> None:
        # Use `await ProgramRun.start(...)`; this only wires up a process it has launched.
        self.run_uid = uid
        self._confinement = confinement
        self._process = process
        self._report_fd = report_fd
        self._run_dir = run_dir
        self._limits = limits
        self._started = started
        self._ended = started
        self._deadline = started + limits.wall_seconds
        self._cap = to_bytes(limits.output_kb, unit=KB)
        self._stdout = bytearray()
        self._stderr = bytearray()
        self._capped = False
        self._killed: str | None = None  # "stop" | "wall" | "output"
        self._exceeded: str | None = None  # the cgroup cap the run hit, read at cleanup
        self._queue: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
        assert process.stdout is not None and process.stderr is not None  # both are PIPEs
        self._pumps = [
            _keep(asyncio.create_task(self._pump(process.stdout, "stdout"))),
            _keep(asyncio.create_task(self._pump(process.stderr, "stderr"))),
        ]
        # Runs the whole life of the process: the wall limit, reaping, cleanup, the result.
        self._finished = _keep(asyncio.create_task(self._finish()))

    @classmethod
    async def start(
        cls, *, code: str, limits: Limits | None = None, _self_test: bool = False
    ) -> ProgramRun:
        """Launch `code` as /tmp/main.py in a fresh sandbox; returns as soon as it is running.

        Raises SandboxError when bubblewrap cannot be started at all, or when this process's
        start-up self-test found that the sandbox does not isolate (`_self_test` is that probe).
        """
        if not _self_test:
            await asyncio.to_thread(ensure_isolated)  # once per process; a thread: it blocks
        limits = limits or Limits.from_settings()
        started = time.monotonic()
        uid = fresh_uid()
        run_dir = make_run_dir()
        read_end, write_end = -1, -1
        confinement: Confinement | None = None
        try:
            confinement = Confinement(limits, uid=uid)
            files = {HARNESS_NAME: harness_source(HARNESS), PROGRAM_FILE: code}
            write_inputs(run_dir, files=files, uid=uid)
            read_end, write_end = os.pipe()
            argv = sandbox_argv(
                run_dir=run_dir,
                limits=limits,
                uid=uid,
                harness_args=[
                    str(write_end),
                    repr(float(limits.cpu_seconds)),
                    str(to_bytes(limits.memory_mb, unit=MB)),
                    str(int(limits.processes)),
                    str(to_bytes(limits.file_size_mb, unit=MB)),
                ],
                # For Python programs the student starts in turn (subprocess); the program's
                # own streams are made unbuffered by the harness.
                env={"PYTHONUNBUFFERED": "1"},
                confinement=confinement,
            )
            process = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                pass_fds=(write_end, *confinement.fds),
                cwd="/",
                env={"PATH": "/usr/bin:/bin"},  # bwrap's own environment: nothing from the worker
                start_new_session=True,
                **popen_identity(uid),
            )
        except BaseException as error:
            if read_end >= 0:
                os.close(read_end)
            if uid is not None:
                kill_uid(uid)  # cancelled while starting: asyncio killed bwrap; be sure
            if confinement is not None:
                confinement.release()
            remove_run_dir(run_dir)
            if isinstance(error, OSError):
                raise SandboxError(f"The sandbox did not start: {error}") from error
            raise
        finally:
            if write_end >= 0:
                os.close(write_end)  # the harness holds the only write end now
            if confinement is not None:
                confinement.started()
        return cls(process, read_end, run_dir, uid, limits, started, confinement)

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
        # As runner_tests._stop does: kill the harness, the namespace's init, so the kernel kills
        # everything in the sandbox and bwrap reaps it. Before bwrap has cloned it, bwrap itself.
        harness = children(self._process.pid)
        for pid in harness:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if not harness:
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
        return self._result(report_events(report))

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
            await asyncio.to_thread(kill_uid, self.run_uid)
        if self._confinement is not None:
            self._exceeded = self._confinement.exceeded()
            await asyncio.to_thread(self._confinement.release)
        await asyncio.to_thread(remove_run_dir, self._run_dir)

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
                detail = as_text(bytes(self._stderr)).strip()[-500:]
                detail = detail or f"bwrap exited with status {self._process.returncode}"
                raise SandboxError(f"The sandbox did not start: {detail}")
            reason = "lost"

        exit_code: int | None = None
        if reason is None and trailer is not None:
            number = trailer.get("signal")
            exit_code = -int(number) if number is not None else int(trailer.get("code") or 0)
        verdict, problem = self._verdict(reason, trailer, note, exit_code)
        if reason not in ("stop", "output") and (capped_by := over_cap(self._exceeded, limits)):
            verdict, problem = capped_by
        return ProgramResult(
            verdict=verdict,
            exit_code=exit_code,
            time_ms=round((self._ended - self._started) * 1000),
            stdout=capped(bytes(self._stdout), truncated=self._capped, limits=limits),
            stderr=capped(bytes(self._stderr), truncated=self._capped, limits=limits),
            stopped=reason == "stop",
            problem=problem,
            run_uid=self.run_uid,
        )

    def _verdict(
        self, reason: str | None, trailer: dict | None, note: dict | None, exit_code: int | None
    ) -> tuple[Verdict, str]:
        limits = self._limits
        if reason == "stop":
            return Verdict.ERROR, gettext("Stopped.")
        if reason == "wall":
            return Verdict.TIMEOUT, gettext("Time limit of %(seconds)s s exceeded.") % {
                "seconds": f"{limits.wall_seconds:g}"
            }
        if reason == "output":
            return (
                Verdict.OUTPUT_LIMIT,
                gettext("Output limit of %(kb)s KB exceeded: the program was stopped.")
                % {"kb": f"{limits.output_kb:g}"},
            )
        if reason == "lost" or trailer is None:
            return Verdict.ERROR, gettext("The program was interrupted before it finished.")
        memory = gettext("Memory limit of %(mb)s MB exceeded.") % {"mb": f"{limits.memory_mb:g}"}
        if exit_code is not None and exit_code < 0:
            number = -exit_code
            cpu_limit_ms = max(1, math.ceil(limits.cpu_seconds)) * 1000
            if number == signal.SIGXCPU or (
                number == signal.SIGKILL and int(trailer.get("cpu_ms", 0)) >= cpu_limit_ms
            ):
                return Verdict.TIMEOUT, gettext("CPU time limit of %(seconds)s s exceeded.") % {
                    "seconds": f"{limits.cpu_seconds:g}"
                }
            if number == signal.SIGKILL:  # not the CPU limit: the kernel's OOM killer, as a rule
                return Verdict.MEMORY_LIMIT, memory
            crash = signal.Signals(number).name if number in signal.valid_signals() else number
            return Verdict.ERROR, gettext("The program crashed (%(signal)s).") % {"signal": crash}
        if exit_code == 0:
            return Verdict.PASSED, ""
        if note is not None:
            kind, name, line = note.get("o"), note.get("n"), note.get("l")
            at_line = isinstance(line, int)
            values = {
                "line": line,
                "name": name,
                "mb": f"{limits.memory_mb:g}",
                "file_mb": f"{limits.file_size_mb:g}",
                "tmp_mb": f"{limits.tmp_mb:g}",
            }
            # Whole sentences with and without the line, so each language orders its own words.
            sentences = {
                "memory": (
                    Verdict.MEMORY_LIMIT,
                    gettext("Memory limit of %(mb)s MB exceeded on line %(line)s.")
                    if at_line
                    else gettext("Memory limit of %(mb)s MB exceeded."),
                ),
                "file_size": (
                    Verdict.OUTPUT_LIMIT,
                    gettext("The program wrote a file larger than %(file_mb)s MB on line %(line)s.")
                    if at_line
                    else gettext("The program wrote a file larger than %(file_mb)s MB."),
                ),
                "disk_full": (
                    Verdict.OUTPUT_LIMIT,
                    gettext(
                        "The program filled the temporary disk (%(tmp_mb)s MB) on line %(line)s."
                    )
                    if at_line
                    else gettext("The program filled the temporary disk (%(tmp_mb)s MB)."),
                ),
                "syntax": (
                    Verdict.ERROR,
                    gettext("The program has a syntax error on line %(line)s.")
                    if at_line
                    else gettext("The program has a syntax error."),
                ),
            }
            verdict, sentence = sentences.get(
                str(kind),
                (
                    Verdict.ERROR,
                    gettext("The program stopped with %(name)s on line %(line)s.")
                    if at_line
                    else gettext("The program stopped with %(name)s."),
                ),
            )
            return verdict, sentence % values
        return Verdict.ERROR, gettext("The program exited with code %(code)s.") % {
            "code": exit_code
        }


def _keep(task: asyncio.Task) -> asyncio.Task:
    _PROGRAM_TASKS.add(task)
    task.add_done_callback(_PROGRAM_TASKS.discard)
    return task


def run_program(
    *, code: str, stdin: str = "", limits: Limits | None = None, _self_test: bool = False
) -> ProgramResult:
    """Run a program to its end with `stdin` sent at once, then end of file (the REST API).

    Synchronous: call it from a thread without a running event loop (a view, a worker).
    """

    async def run() -> ProgramResult:
        program = await ProgramRun.start(code=code, limits=limits, _self_test=_self_test)
        try:
            if stdin:
                await program.send_input(stdin)
            await program.close_input()
            return await program.wait()
        finally:
            await program.stop()  # a no-op after a normal end; cleans up after an error

    return asyncio.run(run())
