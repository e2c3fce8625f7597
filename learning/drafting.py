"""Practice questions drafted by the inference service from a lesson, for a teacher to approve.

The model is shown one worked example as an earlier turn of the chat and asked for the same
plain-text layout (a small model follows a shown example far more reliably than a described
layout or JSON). The reply is parsed and checked like a question a teacher typed. Whatever the
model got right is kept: a draft that lacks something (typically wrong options for a
multiple-choice question, which the packaged 135M model rarely writes) is saved with a note of
what to add, and only a reply with no question or no answer counts as failed. Lesson text sits
inside <lesson> tags and cannot close them, so instructions planted in course material stay data.
Drafts are never shown to students until a teacher approves them.
"""

from __future__ import annotations

import logging
import random
import re
import time
from typing import Any

from asgiref.sync import async_to_sync
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from assist.models import Outcome
from assist.policy import Decision, Purpose, decide
from assist.prompts import drafting as prompts
from assist.usage import usage_record
from courses.models import Lesson
from inference.llm import StreamStats
from knowledge.support import SentenceSupport, claim_check
from learning.models import Concept, PracticeQuestion, QuestionKind, QuestionStatus

log = logging.getLogger(__name__)

# Small models lose the thread in long contexts; a few paragraphs are enough for one question.
LESSON_CHARS = 1200
MAX_WRONG = 5
# Longer than this, an accepted short answer is an essay no student would type word for word.
SHORT_ANSWER_CHARS = 60
# A draft whose question and answer are less similar than this to every sentence of the
# passage it was written from is about something else (knowledge.support): rejected. Lenient on
# purpose: a computed answer ("0" for a dot product) need not appear in the passage verbatim.
DRAFT_MIN_SUPPORT = 0.35


def lesson_excerpt(lesson: Lesson, concept: Concept, *, variant: int = 0) -> str:
    """Up to LESSON_CHARS of whole paragraphs of the lesson, starting at the first one that
    names the concept; each further draft (`variant`) starts one paragraph later, so drafting
    again asks about another part of the lesson."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", lesson.body) if p.strip()]
    if not paragraphs:
        return ""
    name = concept.name.casefold()
    first = next((i for i, p in enumerate(paragraphs) if name in p.casefold()), 0)
    taken: list[str] = []
    for paragraph in paragraphs[(first + variant) % len(paragraphs) :]:
        if taken and sum(len(t) + 2 for t in taken) + len(paragraph) > LESSON_CHARS:
            break
        taken.append(paragraph)
    return "\n\n".join(taken)[:LESSON_CHARS]


def draft_messages(
    *, concept: Concept, lesson: Lesson, kind: str, variant: int = 0
) -> list[dict[str, str]]:
    """The drafting prompt (assist.prompts.drafting) for this concept and lesson part."""
    with translation.override("en"):  # the prompt is written in English: its label too
        kind_label = str(QuestionKind(kind).label)
    return prompts.draft_messages(
        concept=f"{concept.name}. {concept.description}".strip(),
        excerpt=lesson_excerpt(lesson, concept, variant=variant),
        kind=kind,
        kind_label=kind_label,
    )


class DraftUnreadable(ValueError):
    pass


class DraftWithoutAnswer(DraftUnreadable):
    """The reply asked a question but gave no answer line: worth asking for the answer alone."""

    def __init__(self, question: str) -> None:
        self.question = question
        super().__init__("the reply has no ANSWER line")


_FIELD = re.compile(
    r"^\s*\**(QUESTION|ANSWER|WRONG|EXPLANATION|Q|A)S?(?:\s*ANSWER|\s*OPTION)?(?:\s*\d)?\**"
    r"\s*[:\uff1a]\s*\**\s*(.*)$",
    re.IGNORECASE,
)
# Small models shorten the labels to the Q:/A: of quiz sheets.
_SHORT_LABELS = {"Q": "QUESTION", "A": "ANSWER"}
# Tokens for the answer alone: a few words, and room for a sentence the parse cuts anyway.
ANSWER_TOKENS = 32

_LIST_MARKER = re.compile(r"^\d[.)]\s+(?=\S)")


def _bare(value: str) -> str:
    """A field without the bold markers and the "1." list marker small models put before it."""
    return _LIST_MARKER.sub("", value.strip().strip("*").strip())


def parse_draft(text: str, kind: str) -> dict[str, Any]:
    """The question fields from a model reply in the example's layout, or DraftUnreadable.

    A multiple-choice draft's options are the answer and the distinct wrong ones, in an order
    fixed by the question's text (so the right one is not always first)."""
    fields: dict[str, str] = {}
    wrong: list[str] = []
    current = ""
    for line in text.strip().splitlines():
        if match := _FIELD.match(line):
            current, value = match.group(1).upper(), match.group(2).strip()
            current = _SHORT_LABELS.get(current, current)
            if current == "WRONG":
                wrong.append(value)
            elif fields.get(current):
                current = ""  # a second QUESTION or ANSWER: the model started over
            else:
                fields[current] = value
        elif current and (not line.strip() or line.strip().startswith("```")):
            # A blank line or a code fence ends a field that has its text: what follows is the
            # model drifting into the lesson's own code and headings, not more of the question.
            if line.strip().startswith("```") or (
                wrong[-1] if current == "WRONG" else fields[current]
            ):
                current = ""
        elif current and (line := line.strip()):
            # An answer or option is one line (the model often rambles after it); a question
            # or explanation may run over several.
            if current == "WRONG":
                wrong[-1] = wrong[-1] or line
            elif current == "ANSWER":
                fields[current] = fields[current] or line
            else:
                fields[current] += " " + line
    fields = {name: _bare(value) for name, value in fields.items()}
    if not fields.get("QUESTION"):
        raise DraftUnreadable("the reply has no QUESTION line")
    if not fields.get("ANSWER"):
        raise DraftWithoutAnswer(fields["QUESTION"])
    draft: dict[str, Any] = {
        "kind": kind,
        "prompt": fields["QUESTION"],
        "explanation": fields.get("EXPLANATION", ""),
    }
    if kind == QuestionKind.CHOICE:
        right = fields["ANSWER"]
        options = [right]
        for option in map(_bare, wrong):
            if option and option.casefold() not in {o.casefold() for o in options}:
                options.append(option)
        options = options[: MAX_WRONG + 1]
        random.Random(draft["prompt"]).shuffle(options)  # noqa: S311 - an order, not a secret
        draft.update(choices=options, answer_index=options.index(right))
    else:
        draft["accepted_answers"] = [fields["ANSWER"]]
    return draft


def question_draft_request(
    *, concept: Concept, lesson: Lesson, kind: str, by: Any
) -> PracticeQuestion:
    """A placeholder the page shows as "being drafted"; the task fills it in."""
    from learning.tasks import practice_question_draft

    question = PracticeQuestion.objects.create(
        concept=concept,
        kind=kind,
        prompt="",
        status=QuestionStatus.DRAFTING,
        drafted_by_model=True,
        source_lesson=lesson,
        created_by=by,
    )
    # The teacher's language, for the problems the task writes on the question.
    practice_question_draft.delay_on_commit(question.pk, translation.get_language() or "")
    return question


def question_draft_write(*, question_id: int, language: str = "") -> str:
    """Draft the question; its problems are written in `language` (the requesting teacher's)."""
    with translation.override(language or None):
        return _draft_write(question_id)


def _draft_write(question_id: int) -> str:
    from inference.llm import InferenceError, chat_complete
    from learning.services.practice import question_problems

    question = (
        PracticeQuestion.objects.select_related("concept", "source_lesson__course", "created_by")
        .filter(pk=question_id, status=QuestionStatus.DRAFTING)
        .first()
    )
    if question is None:
        return "skipped"
    if question.source_lesson is None:
        return _fail(question, _("The lesson was deleted before the draft was written."))
    decision = decide(
        user=question.created_by,
        purpose=Purpose.QUESTION_DRAFTING,
        course=question.source_lesson.course,
        lesson=question.source_lesson,
    )
    if not decision.allowed:
        return _fail(question, _("Drafting with the model is turned off for this course."))
    earlier = PracticeQuestion.objects.filter(
        concept=question.concept,
        source_lesson=question.source_lesson,
        drafted_by_model=True,
        pk__lt=question.pk,
    ).count()
    messages = draft_messages(
        concept=question.concept,
        lesson=question.source_lesson,
        kind=question.kind,
        variant=earlier,
    )
    excerpt = lesson_excerpt(question.source_lesson, question.concept, variant=earlier)
    started = time.monotonic()
    stats: list[StreamStats] = []
    try:
        # Greedy: sampling makes a small model drift out of the layout; variety comes from the
        # part of the lesson each draft is asked about.
        reply = async_to_sync(chat_complete)(
            messages, max_tokens=settings.LEARNING_DRAFT_MAX_TOKENS, temperature=0.0
        )
        stats.append(reply.stats)
        try:
            draft = parse_draft(reply.text, question.kind)
        except DraftWithoutAnswer as missing:
            answered = async_to_sync(chat_complete)(
                prompts.answer_messages(excerpt=excerpt, question=missing.question),
                max_tokens=ANSWER_TOKENS,
                temperature=0.0,
            )
            stats.append(answered.stats)
            draft = _with_answer(reply.text, answered.text, question.kind, missing)
    except InferenceError:
        log.warning("no draft for question %s: the model is unavailable", question_id)
        _usage(question, decision, Outcome.FAILED, started, *stats)
        return _fail(question, _("The model is unavailable right now; try again later."))
    except DraftUnreadable as error:
        _usage(question, decision, Outcome.ANSWERED, started, *stats)
        problem = _("The model's reply could not be used (%(error)s); try again.")
        return _fail(question, problem % {"error": error})
    _usage(question, decision, Outcome.ANSWERED, started, *stats)
    support = _draft_support(draft, excerpt)
    if support.score < DRAFT_MIN_SUPPORT:
        return _fail(
            question,
            _(
                "The drafted question is not supported by the lesson passage it was written from "
                "(similarity %(score)s, at least %(needed)s needed); try again."
            )
            % {"score": f"{support.score:.2f}", "needed": DRAFT_MIN_SUPPORT},
        )
    problems = question_problems(**draft)
    if draft["kind"] == QuestionKind.CHOICE and len(draft["choices"]) < 2:
        problems["choices"] = _("The model wrote no wrong options: add at least one.")
    if any(len(answer) > SHORT_ANSWER_CHARS for answer in draft.get("accepted_answers", [])):
        problems["accepted_answers"] = _(
            "The model's answer is long for a short-answer question: cut it to what a student "
            "would type."
        )
    for name, value in draft.items():
        setattr(question, name, value)
    question.status = QuestionStatus.DRAFT
    # Kept as a draft all the same: the teacher completes it instead of starting over.
    question.problem = " ".join(problems.values())
    question.save()
    return QuestionStatus.DRAFT


def _with_answer(
    reply: str, answer_reply: str, kind: str, missing: DraftWithoutAnswer
) -> dict[str, Any]:
    """The draft with the answer the second request wrote; `missing` again when it wrote none
    (nothing, or another labelled field such as a new QUESTION)."""
    line = next((line.strip() for line in answer_reply.splitlines() if line.strip()), "")
    if match := _FIELD.match(line):
        if _SHORT_LABELS.get(match.group(1).upper(), match.group(1).upper()) != "ANSWER":
            raise missing
        line = match.group(2).strip()
    if not _bare(line):
        raise missing
    return parse_draft(f"{reply.strip()}\nANSWER: {line}", kind)


def _usage(
    question: PracticeQuestion,
    decision: Decision,
    outcome: str,
    started: float,
    *stats: StreamStats,
) -> None:
    usage_record(
        user=question.created_by,
        purpose=Purpose.QUESTION_DRAFTING,
        decision=decision,
        outcome=outcome,
        lesson=question.source_lesson,
        prompt_tokens=sum(s.prompt_tokens for s in stats),
        completion_tokens=sum(s.completion_tokens for s in stats),
        latency_ms=round((time.monotonic() - started) * 1000),
    )


def _draft_support(draft: dict[str, Any], excerpt: str) -> SentenceSupport:
    if draft["kind"] == QuestionKind.CHOICE:
        answer = draft["choices"][draft["answer_index"]]
    else:
        answer = draft["accepted_answers"][0]
    return claim_check(text=f"{draft['prompt']} {answer}", passages=[excerpt])


def _fail(question: PracticeQuestion, problem: str) -> str:
    question.status, question.problem = QuestionStatus.FAILED, problem
    question.save(update_fields=["status", "problem"])
    return QuestionStatus.FAILED
