"""The class scenario: a whole class submits a failing solution while students ask the tutor.

    .venv/bin/python bench/class_load.py [--topology service|before] [--submissions 137]
                                         [--levels 8,32] [--max-tokens 64] [--keep-data]

Sets up a private database under var/bench-class (migrate, the demo courses and their indexed
lessons, enrolled bench students with API tokens), then starts the processes of one topology:

- `service` (what `make run` starts): `serve_inference` holding the one model, a grading worker
  (queue celery, 2 processes), a model worker (queue llm, 1 process), the web, all reaching the
  model through the service (LLM_BACKEND=openai);
- `before` (the topology this replaces): one worker (2 processes, every queue) and the web,
  each process with its own local model.

`--keep-data` reuses the last run's set-up; `--submissions 0` runs the tutor levels alone. Then:
the tutor idle (N students ask the tutor at once over real websockets, for each level),
then N failing submissions to the demo's first code exercise at once through the real path
(service -> broker -> worker -> sandbox, each failure queueing LLM feedback), and while that
feedback is generated, the tutor levels again. Prints JSON: verdict latency (p50, p95, max and
how many within 20 s), tutor time to first token p50/p95 idle vs during feedback, errors,
tokens/s, feedback written during the run, and each process's resident memory. Nothing here is
asserted; tests never time anything.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from _server import ROOT, _free_port, _wait

WORK = ROOT / "var" / "bench-class"
COURSE = "llm-how-they-work"  # the tutor's course (indexed lessons)
STUDENTS = 32

_spec = importlib.util.spec_from_file_location("bench_tutor", Path(__file__).with_name("tutor.py"))
assert _spec and _spec.loader
bench_tutor = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_tutor)


def _env(**extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "LLMASOS_VAR_DIR": str(WORK / "var"),
        "DATABASE_URL": f"sqlite:///{WORK / 'db.sqlite3'}",
        "CELERY_BROKER_URL": f"sqla+sqlite:///{WORK / 'broker.sqlite3'}",
        "KB_DIR": str(WORK / "kb"),
        "MEDIA_ROOT": str(WORK / "media"),
        "CHANNEL_OUTBOX_DIR": str(WORK / "outbox"),
        "MODEL_CACHE_DIR": str(ROOT / "var" / "models"),
        "REDIS_URL": "",
        "TUTOR_QUOTA_QUESTIONS": "1000",
        "DEBUG": "1",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
        **extra,
    }


SETUP = f"""
from django.core.management import call_command
from rest_framework.authtoken.models import Token
from accounts.models import User
from courses.models import Course
from courses.services import enrollment_create
call_command("migrate", verbosity=0)
call_command("load_demo", verbosity=0)
course = Course.objects.get(slug={COURSE!r})
tokens = []
for i in range({STUDENTS}):
    user, _ = User.objects.get_or_create(username=f"bench-student-{{i}}")
    enrollment_create(user=user, course=course)
    tokens.append(Token.objects.get_or_create(user=user)[0].key)
print("\\n".join(tokens))
"""

# A class of students, each submitting a wrong answer to the first demo code exercise.
SUBMIT = """
import json, sys
from accounts.models import User
from courses.services import enrollment_create
from grading.models import Assignment
from grading.services import submission_create
count = {count}
assignment = Assignment.objects.filter(kind="code").order_by("pk").first()
students = []
for i in range(count):
    user, _ = User.objects.get_or_create(username=f"bench-class-{{i}}")
    enrollment_create(user=user, course=assignment.course)
    students.append(user)
print("READY", flush=True)
sys.stdin.readline()
wrong = "def unrelated():\\n    return 0\\n"
ids = [submission_create(assignment=assignment, student=s, code=wrong).pk for s in students]
print(json.dumps(ids), flush=True)
"""

RESULTS = """
import json
from grading.models import FeedbackStatus, Status, Submission
ids = {ids}
rows = Submission.objects.filter(pk__in=ids)
done = rows.filter(status__in=[Status.GRADED, Status.INTERNAL_ERROR])
print(json.dumps({{
    "graded": done.count(),
    "latencies": [(s.graded_at - s.created_at).total_seconds() for s in done],
    "verdicts": sorted(set(done.values_list("verdict", flat=True))),
    "feedback_done": rows.filter(feedback_status=FeedbackStatus.READY).count(),
    "feedback_failed": rows.filter(feedback_status=FeedbackStatus.FAILED).count(),
}}))
"""


def _manage_shell(code: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise SystemExit(done.stderr[-3000:])
    return done.stdout


TOKENS = f"""
from rest_framework.authtoken.models import Token
print("\\n".join(
    Token.objects.get(user__username=f"bench-student-{{i}}").key for i in range({STUDENTS})
))
"""


def _setup(*, keep: bool = False) -> list[str]:
    if keep and (WORK / "db.sqlite3").exists():
        # The last run's database, index and students: setting them up takes minutes (every
        # demo course indexed) on a busy machine.
        return _manage_shell(TOKENS, _env()).split()[-STUDENTS:]
    shutil.rmtree(WORK, ignore_errors=True)
    (WORK / "var" / "log").mkdir(parents=True)
    out = _manage_shell(SETUP, _env(CELERY_TASK_ALWAYS_EAGER="1"))
    return out.split()[-STUDENTS:]


class Stack:
    """The topology's processes, each in its own process group, stopped together."""

    def __init__(self) -> None:
        self.processes: dict[str, subprocess.Popen] = {}

    def start(self, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen:
        log = open(WORK / "var" / "log" / f"{name}.log", "w")  # noqa: SIM115 - lives with it
        process = subprocess.Popen(
            [sys.executable, *args],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes[name] = process
        return process

    def rss_mb(self) -> dict[str, float]:
        """Resident memory of each process with its children (a Celery pool), from ps."""
        table = subprocess.run(
            ["ps", "-eo", "pid=,ppid=,rss="], capture_output=True, text=True, check=True
        ).stdout.split("\n")
        rows = [tuple(int(x) for x in line.split()) for line in table if line.strip()]
        kids: dict[int, list[int]] = {}
        rss = {}
        for pid, ppid, kb in rows:
            kids.setdefault(ppid, []).append(pid)
            rss[pid] = kb
        report = {}
        for name, process in self.processes.items():
            todo, total = [process.pid], 0
            while todo:
                pid = todo.pop()
                total += rss.get(pid, 0)
                todo.extend(kids.get(pid, []))
            report[name] = round(total / 1024, 1)
        return report

    def stop(self) -> None:
        for process in self.processes.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for process in self.processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def _health(url: str) -> dict:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - our own URL
            return json.load(response)
    except Exception:
        return {}


def _start(topology: str, max_tokens: int) -> tuple[Stack, int, str]:
    stack = Stack()
    web_port = _free_port()
    # LLM_TIMEOUT: a loaded machine may take over the default 60 s to a first token; the
    # "before" topology has no such timeout, so both are measured without one in effect.
    common = {"TUTOR_MAX_TOKENS": str(max_tokens), "LLM_WARM_UP": "1", "LLM_TIMEOUT": "600"}
    health = ""
    if topology == "service":
        service_port = _free_port()
        stack.start(
            "inference",
            ["manage.py", "serve_inference", "--port", str(service_port)],
            _env(**common),
        )
        health = f"http://127.0.0.1:{service_port}/v1/health"
        deadline = time.monotonic() + 300
        while _health(health).get("status") != "ready":
            if time.monotonic() > deadline:
                raise SystemExit("the inference service did not become ready")
            time.sleep(0.5)
        env = _env(
            LLM_BACKEND="openai", LLM_BASE_URL=f"http://127.0.0.1:{service_port}/v1", **common
        )
        workers = [("worker", "celery", "2", "grading"), ("worker-llm", "llm", "1", "llm")]
    else:
        env = _env(LLM_BACKEND="local", **common)
        workers = [("worker", "celery,llm", "2", "all")]
    for name, queues, concurrency, node in workers:
        stack.start(
            name,
            ["-m", "celery", "-A", "llmasos", "worker", "-Q", queues, "-c", concurrency,
             "-n", f"{node}@%h", "--pool=prefork", "-l", "INFO"],
            env,
        )  # fmt: skip
    stack.start(
        "web",
        ["-m", "uvicorn", "llmasos.asgi:application", "--port", str(web_port), "--ws",
         "websockets-sansio", "--lifespan", "off", "--log-level", "warning", "--no-access-log"],
        env,
    )  # fmt: skip
    _wait(web_port, 120)
    return stack, web_port, health


def _tokens_per_s(level: dict, max_tokens: int) -> float | None:
    """Aggregate tutor tokens/s over the level's wall time (answers run to max_tokens or stop)."""
    answered = level["students"] - level["errors"]
    return round(answered * max_tokens / level["wall_s"], 1) if level["wall_s"] else None


async def _tutor_levels(url: str, tokens: list[str], levels: list[int], offset: int) -> list:
    return [await bench_tutor._level(url, tokens, n, offset + 3 * i) for i, n in enumerate(levels)]


def run(
    topology: str, submissions: int, levels: list[int], max_tokens: int, *, keep: bool = False
) -> dict:
    tokens = _setup(keep=keep)
    stack, web_port, health = _start(topology, max_tokens)
    url = f"ws://127.0.0.1:{web_port}/ws/courses/{COURSE}/tutor/"
    env = _env(**({"LLM_BACKEND": "openai"} if topology == "service" else {}))
    try:
        asyncio.run(bench_tutor._level(url, tokens, 1, 0))  # warm-up: model and index load
        idle = asyncio.run(_tutor_levels(url, tokens, levels, 1))
        rss_idle = stack.rss_mb()
        if not submissions:  # the tutor alone, on this topology
            return {"topology": topology, "tutor_idle": idle, "rss_mb_idle": rss_idle}
        submitter = subprocess.Popen(
            [sys.executable, "manage.py", "shell", "-c", SUBMIT.format(count=submissions)],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert submitter.stdout and submitter.stdin
        while submitter.stdout.readline().strip() != "READY":
            pass
        started = time.monotonic()
        submitter.stdin.write("go\n")
        submitter.stdin.flush()
        ids = json.loads(submitter.stdout.readline())
        submitted_in = time.monotonic() - started
        submitter.wait()
        time.sleep(3)  # the first feedback tasks are generating
        during = asyncio.run(_tutor_levels(url, tokens, levels, 7))
        rss_busy = stack.rss_mb()
        gate = _health(health).get("scheduler") if health else None
        deadline = time.monotonic() + 600
        while True:
            results = json.loads(
                _manage_shell(RESULTS.format(ids=ids), env).strip().splitlines()[-1]
            )
            if results["graded"] == len(ids) or time.monotonic() > deadline:
                break
            time.sleep(2)
        wall = time.monotonic() - started
    finally:
        stack.stop()
    latencies = sorted(results["latencies"])
    return {
        "topology": topology,
        "submissions": len(ids),
        "submitted_in_s": round(submitted_in, 2),
        "verdicts": {
            "graded": results["graded"],
            "kinds": results["verdicts"],
            "p50_s": bench_tutor._pct(latencies, 0.5),
            "p95_s": bench_tutor._pct(latencies, 0.95),
            "max_s": round(latencies[-1], 2) if latencies else None,
            "within_20_s": sum(latency <= 20 for latency in latencies),
            "all_graded_after_s": round(wall, 1),
        },
        "feedback_written_by_then": results["feedback_done"],
        "feedback_failed": results["feedback_failed"],
        "tutor_idle": [
            {**level, "aggregate_tokens_per_s_max": _tokens_per_s(level, max_tokens)}
            for level in idle
        ],
        "tutor_during_feedback": [
            {**level, "aggregate_tokens_per_s_max": _tokens_per_s(level, max_tokens)}
            for level in during
        ],
        "ttft_p95_during_over_idle": [
            round(b["ttft_p95_s"] / a["ttft_p95_s"], 2)
            if a["ttft_p95_s"] and b["ttft_p95_s"] is not None
            else None
            for a, b in zip(idle, during, strict=True)
        ],
        "scheduler_during_feedback": gate,
        "rss_mb_idle": rss_idle,
        "rss_mb_during_feedback": rss_busy,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--topology", choices=["service", "before"], default="service")
    parser.add_argument(
        "--submissions", type=int, default=137, help="0: the tutor levels alone, idle"
    )
    parser.add_argument("--levels", default="8,32")
    parser.add_argument("--max-tokens", type=int, default=64, help="TUTOR_MAX_TOKENS")
    parser.add_argument(
        "--keep-data",
        action="store_true",
        help="reuse the last run's database, knowledge base and students (var/bench-class)",
    )
    args = parser.parse_args()
    levels = [int(n) for n in args.levels.split(",")]
    report = run(args.topology, args.submissions, levels, args.max_tokens, keep=args.keep_data)
    print(
        json.dumps(
            {"benchmark": "class_load", "cpus": os.cpu_count(), "max_tokens": args.max_tokens}
            | report,
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
