"""Answers a student can trust: retrieval, quotes, sentence support, timing (demo courses).

    .venv/bin/python bench/answers.py [--max-tokens 96] [--strict] [--limit N] [--set first|second]
                                      [--no-model] [--without-kind-bonus] [--workdir=DIR]
    .venv/bin/python bench/answers.py --retrieval-only [--lang en|zh] [--seeds] [--questions F]

The question set is bench/data/answers_questions.json (hand-written over the demo lessons: each
question names the lesson section that answers it and key phrases of a correct answer, plus
off-topic questions). For each question:

1. retrieval: `knowledge.search.search` (k=5); a hit is a passage of the named lesson under the
   named section (or one of its sub-headings) → recall@1, recall@5, MRR;
2. the whole tutor path: the real ASGI application's tutor socket (origin check, token auth,
   consumer, services) with the real packaged model and embedder, in explain mode, one student
   asking one question at a time → time from "ask" to the quotes frame and to the first token,
   coverage (off-topic must be declined), key phrase present in what the student is shown
   (quotes + explanation; the explanation alone is reported too), the share of the
   explanation's displayed sentences that are supported, and that are supported or marked.

`--no-model` stops after step 1 and the quotes (what is on screen before the model writes:
coverage, off-topic refusal, key phrase in the quotes), in a few seconds a question instead of a
few seconds of generation each. The report has every figure for all questions and per set:
"first" (the 58 the quote-first work was measured on) and "second" (written later, before any run
on them). `--without-kind-bonus` picks quotes without the question-kind preference, for
comparison.

Runs on a throw-away SQLite database and knowledge base under a temp dir. Prints JSON. Nothing
is asserted; the machine is shared, so run it twice and report both runs.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# `--workdir=DIR` keeps the database and knowledge base for the next run (set up once, reused
# while it exists: change nothing that ingestion does between such runs). Read before Django
# starts, since the settings take the paths from the environment.
_KEPT = next((a.split("=", 1)[1] for a in sys.argv if a.startswith("--workdir=")), "")
WORK = Path(_KEPT) if _KEPT else Path(tempfile.mkdtemp(prefix="llmasos-answers-"))
REUSED = (WORK / "bench.sqlite3").exists()
WORK.mkdir(parents=True, exist_ok=True)
os.environ.update(
    {
        "DJANGO_SETTINGS_MODULE": "llmasos.settings",
        "DATABASE_URL": f"sqlite:///{WORK / 'bench.sqlite3'}",
        "KB_DIR": str(WORK / "kb"),
        "MEDIA_ROOT": str(WORK / "media"),
        "CHANNEL_OUTBOX_DIR": str(WORK / "outbox"),
        "REDIS_URL": "",
        "CELERY_TASK_ALWAYS_EAGER": "1",
        "TUTOR_QUOTA_QUESTIONS": "100000",
        "LLM_WARM_UP": "0",  # warmed explicitly below, outside the timing
        "DEBUG": "1",
        "LOG_LEVEL": "WARNING",
    }
)

import django

django.setup()

from channels.testing import WebsocketCommunicator
from django.core.management import call_command
from rest_framework.authtoken.models import Token

from accounts.models import User
from courses.models import Course
from courses.services import enrollment_create
from knowledge.rag import relevant_chunks, warm_up, warm_up_retrieval
from knowledge.search import search
from knowledge.sentences import split_sentences
from llmasos.asgi import application

DATA = ROOT / "bench" / "data" / "answers_questions.json"
DATA_ZH = ROOT / "bench" / "data" / "answers_questions_zh.json"
DATA_ZH_SEEDS = ROOT / "bench" / "data" / "answers_questions_zh_seeds.json"
DEMO = ROOT / "courses" / "demo_content"
SEEDS = ROOT.parent / "shared" / "seeds"
SEEDS_COURSE = "seeds-zh"


def _sections() -> dict[tuple[str, str], set[str]]:
    """(lesson slug, "## " section) → that section's heading and its "### " sub-headings."""
    found: dict[tuple[str, str], set[str]] = {}
    for path in DEMO.glob("*/*.md"):
        slug = re.sub(r"^\d+-", "", path.stem)
        section = ""
        for line in path.read_text().splitlines():
            if line.startswith("## "):
                section = line[3:].strip()
                found[(slug, section)] = {section}
            elif line.startswith("### ") and section:
                found[(slug, section)].add(line[4:].strip())
    return found


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))], 1)


def _seeds_course() -> None:
    """A Chinese course whose material is the seed articles, uploaded like a teacher would."""
    from django.core.files.base import ContentFile

    from knowledge.services import material_create

    teacher, _ = User.objects.get_or_create(username="bench-teacher")
    fields = {"title": "LLMasOS 资料", "summary": "种子文章", "is_published": True}
    if any(f.name == "language" for f in Course._meta.get_fields()):
        fields["language"] = "zh-hans"  # a checkout from before courses had a language has none
    course, _ = Course.objects.get_or_create(slug=SEEDS_COURSE, defaults=fields)
    course.teachers.add(teacher)
    for path in sorted(SEEDS.glob("*.txt")):
        material_create(
            course=course, uploaded_by=teacher, upload=ContentFile(path.read_bytes(), path.name)
        )


def _setup(strict: bool, warm_model: bool = True, seeds: bool = False) -> dict[str, str]:
    if not REUSED:
        call_command("migrate", verbosity=0)
        with contextlib.redirect_stdout(sys.stderr):  # keep stdout for the JSON report
            call_command("load_demo", verbosity=0)  # eager Celery: lessons indexed inline
        if seeds:
            _seeds_course()  # eager Celery: the material is ingested inline
    student, _ = User.objects.get_or_create(username="bench-answers")
    tokens = {}
    for course in Course.objects.all():
        enrollment_create(user=student, course=course)
        if strict:
            Course.objects.filter(pk=course.pk).update(tutor_strict=True)
        if warm_model:
            warm_up(course_id=course.pk)
        else:
            warm_up_retrieval(course_id=course.pk)
    tokens["token"] = Token.objects.get_or_create(user=student)[0].key
    return tokens


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _retrieval(question: dict, sections: dict[tuple[str, str], set[str]]) -> int | None:
    course = Course.objects.get(slug=question["course"])
    hits = search(course_id=course.pk, query=question["question"], k=5)
    if "evidence" in question:
        # Material has no lesson sections: the right passage is one that says the answer.
        wanted = [_squash(e) for e in question["evidence"]]
        for rank, hit in enumerate(hits, start=1):
            text = _squash(f"{hit.chunk.heading}{hit.chunk.text}")
            if any(e in text for e in wanted):
                return rank
        return None
    headings = sections[(question["lesson"], question["section"])]
    for rank, hit in enumerate(hits, start=1):
        lesson = hit.chunk.lesson
        if (
            lesson is not None
            and lesson.slug == question["lesson"]
            and hit.chunk.heading in headings
        ):
            return rank
    return None


def _covered(question: dict) -> bool:
    """Whether the tutor would answer at all: a passage reaches the relevance threshold."""
    course = Course.objects.get(slug=question["course"])
    return bool(relevant_chunks(course_id=course.pk, question=question["question"]))


def _best_similarity(question: dict) -> float:
    course = Course.objects.get(slug=question["course"])
    hits = search(course_id=course.pk, query=question["question"], k=10)
    return round(max((hit.similarity for hit in hits), default=0.0), 3)


def _retrieval_report(questions: list[dict], ranks: list[int | None]) -> dict:
    on_topic = [q for q in questions if not q.get("off_topic")]
    off_topic = [q for q in questions if q.get("off_topic")]
    found = [r for r in ranks if r is not None]
    n_on = max(1, len(on_topic))
    started = time.perf_counter()
    covered_on = [q["question"] for q in on_topic if _covered(q)]
    covered_off = [q["question"] for q in off_topic if _covered(q)]
    relevance_ms = (time.perf_counter() - started) * 1000 / max(1, len(questions))
    best = {q["question"]: _best_similarity(q) for q in questions}
    return {
        "recall@1": round(sum(1 for r in found if r == 1) / n_on, 3),
        "recall@5": round(len(found) / n_on, 3),
        "mrr": round(sum(1 / r for r in found) / n_on, 3),
        "on_topic_covered": round(len(covered_on) / n_on, 3),
        "off_topic_refused": round(1 - len(covered_off) / max(1, len(off_topic)), 3),
        "off_topic_answered": covered_off,
        # What the relevance threshold is calibrated on: the best passage's cosine, per question.
        "best_similarity_on_topic": sorted(best[q["question"]] for q in on_topic),
        "best_similarity_off_topic": sorted(best[q["question"]] for q in off_topic),
        "relevance_ms_per_question": round(relevance_ms, 1),
    }


async def _ask(token: str, question: dict) -> dict:
    socket = WebsocketCommunicator(
        application,
        f"/ws/courses/{question['course']}/tutor/",
        headers=[(b"authorization", f"Token {token}".encode())],
    )
    connected, _ = await socket.connect()
    assert connected
    await socket.receive_json_from(timeout=30)  # ready
    sent = time.perf_counter()
    await socket.send_json_to({"type": "ask", "question": question["question"]})
    first_quote = first_token = None
    quotes: list[dict] = []
    checks: list[dict] = []
    while True:
        frame = await socket.receive_json_from(timeout=600)
        now = (time.perf_counter() - sent) * 1000
        if frame["type"] == "quotes":
            first_quote = now
            quotes = frame["quotes"]
        elif frame["type"] == "token" and first_token is None:
            first_token = now
        elif frame["type"] == "support":
            checks.append(frame)
        elif frame["type"] == "error":
            await socket.disconnect()
            return {"error": frame["code"]}
        elif frame["type"] == "done":
            await socket.disconnect()
            return {
                "first_quote_ms": first_quote,
                "first_token_ms": first_token,
                "quotes": quotes,
                "checks": checks,
                "done": frame,
            }


def _has_key(text: str, keys: list[str]) -> bool:
    lowered = text.lower()
    return any(key.lower() in lowered for key in keys)


def _quotes_only(question: dict) -> dict:
    """What the tutor shows before the model is asked: covered or not, and the quotes."""
    from knowledge.rag import _quoted_chunks

    course = Course.objects.get(slug=question["course"])
    started = time.perf_counter()
    chunks, quotes = _quoted_chunks(
        course_id=course.pk, question=question["question"], language=course.language
    )
    elapsed = (time.perf_counter() - started) * 1000
    return {
        "first_quote_ms": elapsed,
        "quotes": [q.as_dict() for q in quotes],
        "checks": [],
        "done": {"covered": bool(chunks), "text": "", "reliable": False, "support": None},
    }


def _summary(rows: list[tuple[dict, int | None, dict]], with_model: bool) -> dict:
    on_topic = [(q, rank, r) for q, rank, r in rows if not q.get("off_topic")]
    off_topic = [(q, r) for q, _, r in rows if q.get("off_topic")]
    covered = [(q, r) for q, _, r in on_topic if r.get("done", {}).get("covered")]
    key_shown = key_explained = key_quoted = 0
    displayed = supported = checked = 0
    unreliable = 0
    quote_misses = []
    for question, result in covered:
        done = result["done"]
        quoted = " ".join(q["text"] for q in result["quotes"])
        explanation = done["text"] if done["reliable"] else ""
        key_quoted += _has_key(quoted, question["key"])
        key_explained += _has_key(done["text"], question["key"])
        key_shown += _has_key(f"{quoted} {explanation}", question["key"])
        if not _has_key(f"{quoted} {explanation}", question["key"]):
            quote_misses.append(question["question"])
        unreliable += not done["reliable"]
        # Every sentence on screen is either checked (supported, or marked/withheld) or not.
        shown = [s.text for s in split_sentences(done["text"])]
        claims = {c["text"] for c in result["checks"] if c["claim"]}
        ok = {c["text"] for c in result["checks"] if c["claim"] and c["supported"]}
        for sentence in shown:
            if sentence in {c["text"] for c in result["checks"] if not c["claim"]}:
                continue
            displayed += 1
            checked += sentence in claims
            supported += sentence in ok
    n_on = max(1, len(on_topic))
    found = [rank for _, rank, _ in on_topic if rank is not None]
    n_covered = max(1, len(covered))
    summary: dict[str, object] = {
        "on_topic": len(on_topic),
        "off_topic": len(off_topic),
        "retrieval": {
            "recall@1": round(sum(1 for r in found if r == 1) / n_on, 3),
            "recall@5": round(len(found) / n_on, 3),
            "mrr": round(sum(1 / r for r in found) / n_on, 3),
        },
        "covered": len(covered),
        "off_topic_refused": round(
            sum(1 for _, r in off_topic if r.get("done", {}).get("covered") is False)
            / max(1, len(off_topic)),
            3,
        ),
        "key_phrase_in_covered_answers": {
            "shown_quotes_and_explanation": round(key_shown / n_covered, 3),
            "quotes_alone": round(key_quoted / n_covered, 3),
        },
        "first_quote_ms": {
            "p50": _percentile(
                [r["first_quote_ms"] for _, _, r in on_topic if r.get("first_quote_ms")], 0.5
            ),
            "p95": _percentile(
                [r["first_quote_ms"] for _, _, r in on_topic if r.get("first_quote_ms")], 0.95
            ),
        },
        "missed_retrieval": [q["question"] for q, rank, _ in on_topic if rank is None],
        "key_phrase_missing": quote_misses,
    }
    if with_model:
        summary["key_phrase_in_covered_answers"]["model_explanation_alone"] = round(  # type: ignore[index]
            key_explained / n_covered, 3
        )
        summary.update(
            {
                "displayed_explanation_sentences": displayed,
                "share_supported": round(supported / max(1, displayed), 3),
                "share_supported_or_marked": round(checked / max(1, displayed), 3),
                "answers_shown_as_unreliable": unreliable,
                "first_token_ms": {
                    "p50": _percentile(
                        [r["first_token_ms"] for _, r in covered if r.get("first_token_ms")], 0.5
                    ),
                    "p95": _percentile(
                        [r["first_token_ms"] for _, r in covered if r.get("first_token_ms")], 0.95
                    ),
                },
                "errors": sum(1 for _, _, r in rows if "error" in r),
            }
        )
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-tokens", type=int, default=96)
    parser.add_argument("--strict", action="store_true", help="every course in strict mode")
    parser.add_argument("--limit", type=int, default=0, help="only the first N questions")
    parser.add_argument(
        "--no-model",
        action="store_true",
        help="retrieval, coverage and quotes only (what is on screen before the model writes)",
    )
    parser.add_argument("--workdir", help="=DIR: keep the database there and reuse it")
    parser.add_argument("--set", default="", help="only the questions of this set (first, second)")
    parser.add_argument(
        "--without-kind-bonus",
        action="store_true",
        help="for comparison: quotes picked without the question-kind preference",
    )
    parser.add_argument("--lang", choices=["en", "zh"], default="en", help="question set")
    parser.add_argument(
        "--seeds", action="store_true", help="zh: the seed articles as material (no demo course)"
    )
    parser.add_argument("--questions", type=Path, help="another question file, same format")
    parser.add_argument(
        "--retrieval-only", action="store_true", help="retrieval and relevance only, no quotes"
    )
    args = parser.parse_args()
    if args.without_kind_bonus:
        from knowledge import quotes

        quotes.KIND_BONUS = 0.0
    from django.conf import settings

    settings.TUTOR_MAX_TOKENS = args.max_tokens
    data = args.questions or (
        DATA if args.lang == "en" else DATA_ZH_SEEDS if args.seeds else DATA_ZH
    )
    questions = json.loads(data.read_text())["questions"]
    if args.set:
        questions = [q for q in questions if q.get("set", "first") == args.set]
    if args.limit:
        questions = questions[: args.limit]
    model = not (args.no_model or args.retrieval_only)
    token = _setup(args.strict, warm_model=model, seeds=args.seeds)["token"]
    sections = _sections()
    if args.retrieval_only:
        started = time.perf_counter()
        ranks = [_retrieval(q, sections) for q in questions if not q.get("off_topic")]
        search_ms = (time.perf_counter() - started) * 1000 / max(1, len(ranks))
        report = {
            "questions": len(questions),
            "question_file": data.name,
            "on_topic": len(ranks),
            "off_topic": sum(1 for q in questions if q.get("off_topic")),
            "retrieval": _retrieval_report(questions, ranks),
            "search_ms_per_question": round(search_ms, 1),
            "missed_retrieval": [
                q["question"]
                for q, rank in zip(
                    [q for q in questions if not q.get("off_topic")], ranks, strict=True
                )
                if rank is None
            ],
        }
        print(json.dumps(report, indent=2, ensure_ascii=False))
        return

    rows = []
    for question in questions:
        rank = None if question.get("off_topic") else _retrieval(question, sections)
        result = _quotes_only(question) if args.no_model else asyncio.run(_ask(token, question))
        rows.append((question, rank, result))
        print(f"{len(rows)}/{len(questions)} {question['question'][:60]}", file=sys.stderr)

    examples: list[dict[str, object]] = []
    for question, _, result in rows:
        done = result.get("done", {})
        if question.get("off_topic") or not done.get("covered") or len(examples) == 3:
            continue
        examples.append(
            {
                "question": question["question"],
                "quote": result["quotes"][0]["text"] if result["quotes"] else None,
                "explanation": done["text"][:300],
                "support": done["support"],
            }
        )
    report = {
        "questions": len(rows),
        "question_file": data.name,
        "max_tokens": None if args.no_model else args.max_tokens,
        "model": not args.no_model,
        "strict": args.strict,
        "quote_kind_bonus": not args.without_kind_bonus,
        "all": _summary(rows, not args.no_model),
        # "first": the 58 questions the quote-first work was measured on; "second": written
        # later, before any run on them, to see whether changes generalise.
        "by_set": {
            name: _summary(subset, not args.no_model)
            for name in ("first", "second")
            if (subset := [row for row in rows if row[0].get("set", "first") == name])
        },
        "examples": examples,
    }
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
