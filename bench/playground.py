"""Playground start latency: from "run" (ProgramRun.start) to the program's first output.

    .venv/bin/python bench/playground.py [--runs 20]

Two programs, each run one at a time: `print("hello")`, and one that prints only after
`import json, re, collections` (a typical first line costs about 10 ms of imports). For each:
the median and p95 of the time from calling ProgramRun.start() to receiving the first output
chunk, and of the whole run (start to result). For scale, the same for a plain, unsandboxed
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
    from grading.sandbox import ProgramRun, Verdict

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
    from grading.sandbox import Limits

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    _django()
    print(json.dumps(asyncio.run(measure(args.runs)), indent=2))


if __name__ == "__main__":
    main()
