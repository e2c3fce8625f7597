"""Playground start latency: from "run" (ProgramRun.start) to the program's first output.

    .venv/bin/python bench/playground.py [--runs 20]

Two programs, each run one at a time: `print("hello")`, and one that prints only after
`import json, re, collections` (a typical first line costs about 10 ms of imports). For each:
the median and p95 of the time from calling ProgramRun.start() to receiving the first output
chunk, and of the whole run (start to result); and what a student sees: "run" sent over a real
websocket to a uvicorn server (private database under var/bench-playground) until the first
`output` frame. For scale, the same for a plain, unsandboxed
`/usr/bin/python3 -u -c CODE` started with asyncio. Prints JSON; nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

PYTHON = "/usr/bin/python3"
WARM_UP = 3
PROGRAMS = {
    "hello": 'print("hello")\n',
    "imports_then_print": 'import json, re, collections\nprint("hello")\n',
}


def _django() -> None:
    # Only the SANDBOX_* settings are read: no database, broker or cache is touched.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "llmasos.settings")
    import django

    django.setup()


async def sandboxed(code: str, limits: object) -> tuple[float, float]:
    """(ms to the first output chunk, ms to the result) for one run in the sandbox."""
    from sandbox import ProgramRun, Verdict

    started = time.perf_counter()
    run = await ProgramRun.start(code=code, limits=limits)  # type: ignore[arg-type]
    first = None
    async for _ in run.output():
        first = time.perf_counter()
        break
    result = await run.wait()
    ended = time.perf_counter()
    if first is None or result.verdict != Verdict.PASSED:
        raise SystemExit(f"the program did not print or failed: {result}")
    return (first - started) * 1000, (ended - started) * 1000


async def raw(code: str) -> tuple[float, float]:
    """The same, for the interpreter started directly: no sandbox, no isolation."""
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        PYTHON, "-u", "-c", code, stdout=asyncio.subprocess.PIPE, stdin=asyncio.subprocess.DEVNULL
    )
    assert process.stdout is not None
    await process.stdout.read(1)
    first = time.perf_counter()
    await process.stdout.read()
    await process.wait()
    return (first - started) * 1000, (time.perf_counter() - started) * 1000


def summary(samples: list[tuple[float, float]]) -> dict[str, float]:
    def p95(values: list[float]) -> float:
        ordered = sorted(values)
        return ordered[round(0.95 * (len(ordered) - 1))]

    firsts = [first for first, _ in samples]
    totals = [total for _, total in samples]
    return {
        "first_output_p50_ms": round(statistics.median(firsts), 1),
        "first_output_p95_ms": round(p95(firsts), 1),
        "whole_run_p50_ms": round(statistics.median(totals), 1),
        "whole_run_p95_ms": round(p95(totals), 1),
    }


async def measure(runs: int) -> dict[str, object]:
    from sandbox import Limits

    limits = Limits.from_settings()
    report: dict[str, object] = {
        "cpus": os.cpu_count(),
        "runs": runs,
        "fresh_uid_per_run": os.geteuid() == 0,
    }
    for name, code in PROGRAMS.items():
        for _ in range(WARM_UP):  # page cache, the harness source, the first fork of the loop
            await sandboxed(code, limits)
            await raw(code)
        report[name] = {
            "sandboxed": summary([await sandboxed(code, limits) for _ in range(runs)]),
            "raw_python": summary([await raw(code) for _ in range(runs)]),
        }
    return report


WORK = ROOT / "var" / "bench-playground"
SOCKET_SETUP = """
from django.core.management import call_command
from rest_framework.authtoken.models import Token
from accounts.models import User
call_command("migrate", verbosity=0)
user, _ = User.objects.get_or_create(username="bench-student")
print(Token.objects.get_or_create(user=user)[0].key)
"""


def _server_env() -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{WORK / 'db.sqlite3'}",
        "CHANNEL_OUTBOX_DIR": str(WORK / "outbox"),
        "REDIS_URL": "",
        "LOG_LEVEL": "WARNING",
        # Runs follow each other faster than a student's per-minute limit allows.
        "PLAYGROUND_RUNS_PER_MINUTE": "100000",
    }


async def _socket_runs(port: int, token: str, runs: int) -> list[tuple[float, float]]:
    """What the student sees: "run" sent on the page's socket to the first output frame."""
    import websockets

    samples = []
    async with websockets.connect(
        f"ws://127.0.0.1:{port}/ws/playground/",
        additional_headers={"Authorization": f"Token {token}"},
    ) as socket:
        await socket.recv()  # ready
        for index in range(runs + WARM_UP):
            started = time.perf_counter()
            await socket.send(json.dumps({"type": "run", "code": PROGRAMS["hello"]}))
            first = None
            while True:
                frame = json.loads(await socket.recv())
                if frame["type"] == "output" and first is None:
                    first = time.perf_counter()
                if frame["type"] == "exit":
                    break
            if index >= WARM_UP and first is not None:
                samples.append(((first - started) * 1000, (time.perf_counter() - started) * 1000))
    return samples


def measure_socket(runs: int) -> dict[str, float]:
    import shutil
    import subprocess

    from _server import uvicorn_server

    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    token = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", SOCKET_SETUP],
        cwd=ROOT,
        env=_server_env(),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()[-1]
    with uvicorn_server(_server_env()) as port:
        return summary(asyncio.run(_socket_runs(port, token, runs)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    _django()
    report = asyncio.run(measure(args.runs))
    report["hello_through_the_websocket"] = measure_socket(args.runs)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
