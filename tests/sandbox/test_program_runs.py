"""Student programs (the playground) in the real sandbox: streamed, interactive, stoppable.

Small limits keep the suite fast. Timing assertions compare moments of the same run (the first
chunk against the end), never absolute latencies, so a slow machine does not make them flaky.
"""

from __future__ import annotations

import asyncio
import dataclasses
import glob
import os
import socket
import textwrap
import time
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager

from sandbox import Limits, ProgramResult, ProgramRun, Verdict, cgroups, isolation, run_program
from tests.sandbox.hostile import processes_of_uid

LIMITS = Limits(cpu_seconds=2, wall_seconds=3, memory_mb=128, output_kb=16)
SANDBOX_DIRS = os.path.join(isolation.run_root(), "llmasos-sandbox-*")
DEADLINE = 15  # seconds any one test may take before it counts as hung


Chunk = tuple[float, str, str]  # (time.monotonic(), "stdout" | "stderr", text)


@asynccontextmanager
async def program(code: str, limits: Limits = LIMITS) -> AsyncIterator[ProgramRun]:
    """A started run that is stopped (and so cleaned up) whatever the test does."""
    run = await ProgramRun.start(code=textwrap.dedent(code), limits=limits)
    try:
        async with asyncio.timeout(DEADLINE):
            yield run
    finally:
        await run.stop()


async def collect(run: ProgramRun) -> list[Chunk]:
    return [(time.monotonic(), kind, text) async for kind, text in run.output()]


def text_of(chunks: list[Chunk], kind: str = "stdout") -> str:
    return "".join(text for _, stream, text in chunks if stream == kind)


def assert_cleaned_up(result: ProgramResult, dirs_before: set[str]) -> None:
    if result.run_uid is not None:  # None only when the tests do not run as root
        assert processes_of_uid(result.run_uid) == []
    assert set(glob.glob(SANDBOX_DIRS)) <= dirs_before  # this run's directory is gone


async def test_hello_world_passes() -> None:
    async with program('print("hello from", __name__)') as run:
        chunks = await collect(run)
        result = await run.wait()

    assert result.verdict == Verdict.PASSED
    assert result.exit_code == 0
    assert result.stdout == "hello from __main__\n" == text_of(chunks)
    assert result.stderr == ""
    assert not result.stopped
    assert result.problem == ""
    assert result.time_ms > 0


async def test_lines_arrive_while_the_program_runs() -> None:
    code = """\
        import time

        for number in range(3):
            print("line", number)
            time.sleep(0.5)
        """
    async with program(code) as run:
        chunks = await collect(run)
        ended = time.monotonic()
        result = await run.wait()

    assert result.verdict == Verdict.PASSED
    assert text_of(chunks) == "line 0\nline 1\nline 2\n"
    first_at = chunks[0][0]
    # Printed 1.5 s before the end; buffered output would arrive only at the end.
    assert ended - first_at > 1.0
    # print("line", 1) may arrive as "line" and " 1\n": find when the text so far has it.
    seen, line_1_at = "", ended
    for arrived, _, text in chunks:
        seen += text
        if "line 1" in seen:
            line_1_at = arrived
            break
    assert ended - line_1_at > 0.5


async def test_a_partial_line_is_not_held_back() -> None:
    code = """\
        import time

        print("working...", end="")
        time.sleep(1)
        print(" done")
        """
    async with program(code) as run:
        chunks = await collect(run)
        ended = time.monotonic()

    assert chunks[0][2] == "working..."
    assert ended - chunks[0][0] > 0.5


async def test_input_is_interactive() -> None:
    code = """\
        name = input("Name? ")
        print("Hello", name)
        """
    seen = ""
    async with program(code) as run:
        async for _, text in run.output():
            seen += text
            if seen == "Name? ":  # the prompt is shown while the program waits for the answer
                await run.send_input("Ada\n")
        result = await run.wait()

    assert seen == "Name? Hello Ada\n"
    assert result.verdict == Verdict.PASSED


async def test_end_of_input_raises_eoferror_in_the_program() -> None:
    async with program("print(input())\ninput()") as run:
        await run.send_input("only line\n")
        await run.close_input()
        await run.send_input("ignored: input is closed\n")
        result = await run.wait()

    assert result.stdout == "only line\n"
    assert result.verdict == Verdict.ERROR
    assert "EOFError" in result.stderr
    assert result.problem == "The program stopped with EOFError on line 2."


async def test_stop_kills_a_busy_program_at_once() -> None:
    dirs_before = set(glob.glob(SANDBOX_DIRS))
    code = """\
        print("spinning")
        while True:
            pass
        """
    async with program(code) as run:
        async for _, text in run.output():
            assert text.startswith("spinning")  # print() may write the newline apart
            break
        asked = time.monotonic()
        await run.stop()
        stopped_in = time.monotonic() - asked
        await run.stop()  # idempotent
        result = await run.wait()

    assert stopped_in < 1
    assert result.stopped
    assert result.verdict == Verdict.ERROR
    assert result.problem == "Stopped."
    assert result.exit_code is None
    assert_cleaned_up(result, dirs_before)


async def test_stop_after_the_end_changes_nothing() -> None:
    async with program("print(1)") as run:
        first = await run.wait()
        await run.stop()
        second = await run.wait()

    assert first == second
    assert second.verdict == Verdict.PASSED
    assert not second.stopped


async def test_a_sleeping_program_ends_at_the_wall_limit() -> None:
    dirs_before = set(glob.glob(SANDBOX_DIRS))
    started = time.monotonic()
    async with program("import time\ntime.sleep(60)") as run:
        chunks = await collect(run)  # ends with the run, without any output
        result = await run.wait()
    elapsed = time.monotonic() - started

    assert chunks == []
    assert result.verdict == Verdict.TIMEOUT
    assert result.problem == "Time limit of 3 s exceeded."
    assert LIMITS.wall_seconds <= elapsed < LIMITS.wall_seconds + 1
    assert_cleaned_up(result, dirs_before)


async def test_a_busy_program_ends_at_the_cpu_limit() -> None:
    # A wall limit well above the CPU limit: on a loaded machine (CI runs the suite on 2 cores)
    # a busy loop may get only part of a core, and 3 s of wall time then ran out first.
    limits = dataclasses.replace(LIMITS, wall_seconds=12)
    async with program("while True:\n    pass", limits) as run:
        result = await run.wait()

    assert result.verdict == Verdict.TIMEOUT
    assert result.problem == "CPU time limit of 2 s exceeded."
    assert result.time_ms < limits.wall_seconds * 1000


async def test_endless_output_stops_at_the_cap() -> None:
    dirs_before = set(glob.glob(SANDBOX_DIRS))
    async with program('while True:\n    print("spam " * 20)') as run:
        chunks = await collect(run)  # must end by itself
        result = await run.wait()

    cap = LIMITS.output_kb * 1024
    assert len(text_of(chunks).encode()) == cap
    assert result.verdict == Verdict.OUTPUT_LIMIT
    assert result.problem == "Output limit of 16 KB exceeded: the program was stopped."
    assert result.stdout.endswith("\n[output truncated at 16 KB]")
    assert_cleaned_up(result, dirs_before)


async def test_an_uncaught_exception_shows_only_the_students_traceback() -> None:
    code = """\
        def divide(a, b):
            return a / b


        print(divide(1, 0))
        """
    async with program(code) as run:
        result = await run.wait()

    assert result.verdict == Verdict.ERROR
    assert result.exit_code == 1
    assert result.problem == "The program stopped with ZeroDivisionError on line 2."
    assert result.stderr.startswith("Traceback (most recent call last):\n")
    assert 'File "main.py", line 5, in <module>' in result.stderr
    assert 'File "main.py", line 2, in divide' in result.stderr
    assert result.stderr.rstrip().endswith("ZeroDivisionError: division by zero")
    for leaked in ("harness", "/sandbox", "/tmp/main.py"):  # noqa: S108 - the sandbox's path
        assert leaked not in result.stderr


async def test_a_syntax_error_names_its_line() -> None:
    async with program("print('ok')\nif True\n    pass\n") as run:
        result = await run.wait()

    assert result.verdict == Verdict.ERROR
    assert result.problem == "The program has a syntax error on line 2."
    assert 'File "main.py", line 2' in result.stderr
    assert "SyntaxError" in result.stderr
    assert result.stdout == ""


async def test_sys_exit_sets_the_exit_code() -> None:
    async with program("import sys\nprint('bye')\nsys.exit(3)") as run:
        result = await run.wait()

    assert result.exit_code == 3
    assert result.verdict == Verdict.ERROR
    assert result.problem == "The program exited with code 3."
    assert result.stdout == "bye\n"


async def test_memory_error_is_the_memory_limit() -> None:
    code = """\
        chunks = []
        while True:
            chunks.append(bytearray(10**6))
        """
    async with program(code) as run:
        result = await run.wait()

    assert result.verdict == Verdict.MEMORY_LIMIT
    assert result.problem == "Memory limit of 128 MB exceeded on line 3."
    assert 'File "main.py", line 3' in result.stderr  # there was room left to show it
    assert result.stderr.rstrip().endswith("MemoryError")


def test_run_program_sums_two_inputs() -> None:
    code = "a = int(input())\nb = int(input())\nprint(a + b)\n"

    result = run_program(code=code, stdin="2\n3\n", limits=LIMITS)

    assert result.verdict == Verdict.PASSED
    assert result.stdout == "5\n"


def test_run_program_works_from_a_thread_without_an_event_loop() -> None:
    with ThreadPoolExecutor(2) as pool:
        results = list(
            pool.map(
                lambda n: run_program(code="print(input() * 2)", stdin=f"{n}\n", limits=LIMITS),
                ["a", "b"],
            )
        )

    assert [result.stdout for result in results] == ["aa\n", "bb\n"]


async def test_a_daemon_does_not_outlive_the_program() -> None:
    dirs_before = set(glob.glob(SANDBOX_DIRS))
    code = """\
        import os
        import time

        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                time.sleep(60)
            os._exit(0)
        os.wait()
        print("parent done")
        """
    async with program(code) as run:
        result = await run.wait()

    assert result.verdict == Verdict.PASSED
    assert result.stdout == "parent done\n"
    assert result.time_ms < 1000  # the daemon's open stdout does not keep the run going
    assert_cleaned_up(result, dirs_before)


async def test_a_fork_bomb_leaves_nothing_behind() -> None:
    dirs_before = set(glob.glob(SANDBOX_DIRS))
    code = """\
        import os

        while True:
            try:
                os.fork()
            except OSError:
                pass
        """
    async with program(code) as run:
        result = await run.wait()

    # The run's cgroup refuses the forks and says so; without one, the wall limit ends it.
    assert result.verdict == (Verdict.RESOURCE_LIMIT if cgroups.available() else Verdict.TIMEOUT)
    assert result.time_ms < (LIMITS.wall_seconds + 1) * 1000
    assert_cleaned_up(result, dirs_before)


async def test_the_network_is_unreachable() -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    code = f"""\
        import socket

        try:
            socket.create_connection(("127.0.0.1", {port}), timeout=1).close()
            print("connected")
        except OSError as error:
            print("unreachable:", type(error).__name__)
        """
    try:
        async with program(code) as run:
            result = await run.wait()
    finally:
        listener.close()

    assert result.verdict == Verdict.PASSED
    assert result.stdout.startswith("unreachable:")


async def test_output_is_decoded_across_chunk_boundaries() -> None:
    # "é" is two bytes: written one byte at a time, it must still arrive whole.
    code = """\
        import sys
        import time

        data = "é".encode()
        sys.stdout.buffer.write(data[:1])
        sys.stdout.buffer.flush()
        time.sleep(0.3)
        sys.stdout.buffer.write(data[1:] + b"\\n")
        """
    async with program(code) as run:
        chunks = await collect(run)
        result = await run.wait()

    assert text_of(chunks) == "é\n" == result.stdout


async def test_concurrent_runs_do_not_mix() -> None:
    count = 4
    runs = [
        await ProgramRun.start(code=f"print(input() + '-{n}')", limits=LIMITS) for n in range(count)
    ]
    try:
        for n, run in enumerate(runs):
            await run.send_input(f"run{n}\n")
        results = await asyncio.gather(*(run.wait() for run in runs))
    finally:
        for run in runs:
            await run.stop()

    assert [result.stdout for result in results] == [f"run{n}-{n}\n" for n in range(count)]
