"""The tutor under load: N students ask at once over real websockets to a running server.

    .venv/bin/python bench/tutor.py [--levels 1,8,32] [--max-tokens 64]

Sets up a private database and knowledge base under var/bench-tutor (migrate, the demo
courses, their lessons indexed, 32 enrolled bench students with API tokens), starts uvicorn on
it with the local model, then for each level opens that many sockets to
/ws/courses/llm-how-they-work/tutor/, each student asks a different question about the demo
lessons at the same moment, and records the time from sending "ask" to the first token frame,
tokens/s per student after that, and errors. One warm-up question first (model + index load).
Prints JSON. Nothing here is asserted; tests never time anything.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

from _server import ROOT, uvicorn_server

WORK = ROOT / "var" / "bench-tutor"
COURSE = "llm-how-they-work"
STUDENTS = 32
QUESTIONS = [
    "What does the KV cache store?",
    "Why is attention divided by the square root of the key dimension?",
    "What is a token?",
    "How does byte pair encoding build its vocabulary?",
    "What do queries, keys and values do in self-attention?",
    "What is inside a transformer block?",
    "What is the pretraining objective of a language model?",
    "What do scaling laws say about compute?",
    "What is instruction tuning?",
    "How does LoRA fine-tune a model with few parameters?",
    "What does temperature change when sampling?",
    "What is top-p sampling?",
    "Why is batching requests faster at inference?",
    "What is retrieval-augmented generation?",
    "Why do language models hallucinate?",
    "What is a Socratic tutor?",
]


def _env() -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{WORK / 'db.sqlite3'}",
        "KB_DIR": str(WORK / "kb"),
        "MEDIA_ROOT": str(WORK / "media"),
        "CHANNEL_OUTBOX_DIR": str(WORK / "outbox"),
        "REDIS_URL": "",
        "CELERY_TASK_ALWAYS_EAGER": "1",  # setup indexes the demo lessons inline
        "TUTOR_QUOTA_QUESTIONS": "1000",
        "DEBUG": "1",
        "LOG_LEVEL": "WARNING",
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


def _setup() -> list[str]:
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", SETUP],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.split()[-STUDENTS:]


async def _student(url: str, token: str, question: str, gate: asyncio.Event) -> dict:
    import websockets

    async with websockets.connect(
        url, additional_headers={"Authorization": f"Token {token}"}, max_size=2**22
    ) as ws:
        json.loads(await ws.recv())  # ready
        await gate.wait()
        sent = time.perf_counter()
        await ws.send(json.dumps({"type": "ask", "question": question}))
        first = started = None
        tokens = 0
        while True:
            frame = json.loads(await asyncio.wait_for(ws.recv(), timeout=600))
            if frame["type"] == "started":
                started = time.perf_counter()
            elif frame["type"] == "token":
                tokens += 1
                first = first or time.perf_counter()
            elif frame["type"] == "error":
                return {"error": frame["code"]}
            elif frame["type"] == "done":
                end = time.perf_counter()
                generated = frame["usage"]["completion_tokens"] or tokens
                return {
                    "ttft_s": (first or end) - sent,
                    "tokens_per_s": generated / (end - first) if first and end > first else 0.0,
                    "covered": frame["covered"],
                    "prompt_tokens": frame["usage"]["prompt_tokens"],
                    "model_ttft_s": (frame["first_token_ms"] or 0) / 1000,
                    "setup_s": (started or end) - sent,
                }


def _pct(values: list[float], q: float) -> float | None:
    """The q-quantile, interpolated between the two nearest samples (numpy's default, the
    "inclusive" method): at q=0.5 it is the median and it never decreases with q. The old
    floor index could put p95 below p50 with few samples (2 students: p95 was the faster one).
    """
    if not values:
        return None
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    value = ordered[low] + (ordered[high] - ordered[low]) * (position - low)
    return round(value, 3)


async def _level(url: str, tokens: list[str], n: int, offset: int) -> dict:
    gate = asyncio.Event()
    tasks = [
        asyncio.create_task(
            _student(url, tokens[i], QUESTIONS[(offset + i) % len(QUESTIONS)], gate)
        )
        for i in range(n)
    ]
    await asyncio.sleep(0.5 + n * 0.02)  # every socket open and ready before anyone asks
    started = time.perf_counter()
    gate.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    wall = time.perf_counter() - started
    ok = [r for r in results if isinstance(r, dict) and "ttft_s" in r]
    errors = [
        r["error"] if isinstance(r, dict) else type(r).__name__ for r in results if r not in ok
    ]
    ttft = [r["ttft_s"] for r in ok]
    rates = [r["tokens_per_s"] for r in ok if r["tokens_per_s"]]
    return {
        "students": n,
        "ttft_p50_s": _pct(ttft, 0.5),
        "ttft_p95_s": _pct(ttft, 0.95),
        # The server's share: from the reply task's start (after the question was checked,
        # budgeted, retrieved and stored) to the first piece out of the model.
        "model_ttft_p50_s": round(statistics.median([r["model_ttft_s"] for r in ok]), 3)
        if ok
        else None,
        # The set-up's share, as the student sees it: from "ask" to the "started" frame (checked,
        # budgeted, retrieved, quoted and stored).
        "setup_p50_s": _pct([r["setup_s"] for r in ok], 0.5),
        "setup_p95_s": _pct([r["setup_s"] for r in ok], 0.95),
        "tokens_per_s_per_student_p50": round(statistics.median(rates), 1) if rates else None,
        "prompt_tokens_p50": statistics.median([r["prompt_tokens"] for r in ok]) if ok else None,
        "not_covered": sum(not r["covered"] for r in ok),
        "errors": len(errors),
        "error_kinds": sorted(set(errors)),
        "wall_s": round(wall, 2),
    }


async def _run(url: str, tokens: list[str], levels: list[int]) -> list[dict]:
    await _level(url, tokens, 1, 0)  # warm-up: model and index load
    results = []
    for offset, n in enumerate(levels):
        results.append(await _level(url, tokens, n, offset * 3))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", default="1,8,32")
    parser.add_argument("--max-tokens", type=int, default=64, help="TUTOR_MAX_TOKENS")
    args = parser.parse_args()
    levels = [int(n) for n in args.levels.split(",")]
    tokens = _setup()
    env = {**_env(), "TUTOR_MAX_TOKENS": str(args.max_tokens)}
    with uvicorn_server(env) as port:
        url = f"ws://127.0.0.1:{port}/ws/courses/{COURSE}/tutor/"
        results = asyncio.run(_run(url, tokens, levels))
    print(
        json.dumps(
            {
                "benchmark": "tutor",
                "server": "uvicorn, 1 process, local SmolLM2-135M, SQLite, in-memory layer",
                "max_tokens": args.max_tokens,
                "results": results,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
