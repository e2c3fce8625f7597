"""Practice questions drafted by the model: how many come back usable, and how long each takes.

    .venv/bin/python bench/drafting.py [--concepts 16] [--llm-base-url http://host:8000/v1]

Sets up a private SQLite database under var/bench-drafting with the demo courses, then, for
every third concept of the two demo graphs (up to --concepts), drafts one multiple-choice and
one short-answer question from the concept's first lesson through the same code as the
"Draft a question" button (`learning.drafting.question_draft_write`, the task's body, run
inline). The local packaged model by default; --llm-base-url points at an OpenAI-compatible
server instead. Prints JSON: per kind, how many drafts were complete (ready to approve once
checked), kept with a note of what to add, or failed, and the p50/p95 seconds per draft.
Nothing is asserted; the quality of a draft is the teacher's to judge.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "var" / "bench-drafting"
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--concepts", type=int, default=16)
    parser.add_argument("--llm-base-url", default="")
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    (WORK / "db.sqlite3").unlink(missing_ok=True)
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "llmasos.settings",
            "DATABASE_URL": f"sqlite:///{WORK / 'db.sqlite3'}",
            "KB_DIR": str(WORK / "kb"),
            "MEDIA_ROOT": str(WORK / "media"),
            "CHANNEL_OUTBOX_DIR": str(WORK / "outbox"),
            "REDIS_URL": "",
            "CELERY_TASK_ALWAYS_EAGER": "1",
            "LOG_LEVEL": "WARNING",
        }
    )
    if args.llm_base_url:
        os.environ.update(LLM_BACKEND="openai", LLM_BASE_URL=args.llm_base_url)
    import django

    django.setup()
    from django.core.management import call_command

    from accounts.models import User
    from learning.drafting import question_draft_write
    from learning.models import Concept, PracticeQuestion, QuestionStatus

    call_command("migrate", verbosity=0)
    call_command("load_demo", verbosity=0)
    teacher = User.objects.get(username="teacher")
    concepts = Concept.objects.prefetch_related("lessons").order_by("course_id", "position")
    outcomes: dict[str, Counter[str]] = {"choice": Counter(), "short": Counter()}
    seconds: dict[str, list[float]] = {"choice": [], "short": []}
    samples = []
    for concept in list(concepts)[::3][: args.concepts]:
        lesson = concept.lessons.first()
        for kind in ("choice", "short"):
            question = PracticeQuestion.objects.create(
                concept=concept,
                kind=kind,
                prompt="",
                status=QuestionStatus.DRAFTING,
                drafted_by_model=True,
                source_lesson=lesson,
                created_by=teacher,
            )
            started = time.perf_counter()
            question_draft_write(question_id=question.pk)
            seconds[kind].append(time.perf_counter() - started)
            question.refresh_from_db()
            outcome = (
                "failed"
                if question.status == QuestionStatus.FAILED
                else ("kept_with_a_note" if question.problem else "complete")
            )
            outcomes[kind][outcome] += 1
            if len(samples) < 4:
                samples.append(
                    {
                        "concept": concept.slug,
                        "kind": kind,
                        "outcome": outcome,
                        "prompt": question.prompt[:160],
                        "problem": question.problem,
                    }
                )
    report = {
        "backend": "openai" if args.llm_base_url else "local (packaged SmolLM2-135M-Instruct)",
        "drafts": sum(len(v) for v in seconds.values()),
    }
    for kind, times in seconds.items():
        ordered = sorted(times)
        report[kind] = {
            **{k: outcomes[kind][k] for k in ("complete", "kept_with_a_note", "failed")},
            "seconds_p50": round(statistics.median(ordered), 1),
            "seconds_p95": round(ordered[int(0.95 * (len(ordered) - 1))], 1),
        }
    report["samples"] = samples
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
