"""A tutor turn: the student's message in, a streamed, cited reply out.

turn_start (sync)   checks the conversation, asks assist.policy what the model may do, charges
                    the budget it names, retrieves, builds the prompt (assist.prompts.tutor) and
                    stores the student's message plus an empty reply;
reply_stream (async) streams the reply's text through the policy's guard (hint mode withholds code);
turn_finish (sync)  stores what was generated, how it ended, and frees the student's slot.

The consumer only translates frames around these three calls.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from asgiref.sync import async_to_sync
from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext as _

from assist.budget import BudgetState, busy_release, busy_take, charge, refund
from assist.models import Outcome
from assist.policy import Decision, Purpose, decide
from assist.prompts import tutor as prompts
from assist.usage import usage_record
from core.errors import DomainError
from core.languages import CJK, Family, language_code, reply_family
from courses.models import Course, Lesson
from grading.models import Assignment
from grading.selectors import assignment_brief, assignment_named, open_assignment_briefs
from inference.llm import InferenceError, StreamStats, chat_stream
from knowledge.models import Chunk
from knowledge.quotes import quotes_select
from knowledge.rag import MAX_QUESTION_CHARS, citations_for, not_covered_text, relevant_chunks
from knowledge.support import SentenceSupport
from tutor.checking import SupportStream
from tutor.models import Conversation, Message, Mode

NO_QUIZ_TOPIC = gettext_noop(
    "Tell me what to quiz you on: name a topic of the course (a lesson title works), or open the "
    "tutor from a lesson page and choose “Quiz me” there."
)
# The student picks the tutor's mode; assist.policy decides what each mode lets the model do.
_PURPOSES: dict[str, Purpose] = {
    Mode.EXPLAIN: Purpose.TUTOR_EXPLAIN,
    Mode.HINT: Purpose.TUTOR_HINT,
    Mode.QUIZ: Purpose.TUTOR_QUIZ,
}


class TutorError(DomainError):
    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(message)


@dataclass
class PreparedTurn:
    user: Any
    conversation: Conversation
    question: Message
    reply: Message
    budget: BudgetState
    decision: Decision  # what the model may do for this turn: its guard, who pays
    # The chat for the model, or None when the reply is a fixed text (nothing relevant found).
    messages: list[dict[str, str]] | None
    fixed_text: str = ""
    started: float = field(default_factory=time.monotonic)  # for the usage log's latency
    assignment: Assignment | None = None  # the assignment the question named, if any
    # The retrieved passages' texts: every sentence the model writes is checked against them.
    passages: tuple[str, ...] = ()
    strict: bool = False  # the course withholds unsupported sentences
    checks: SupportStream | None = None  # set while the reply streams
    language: str = "en"  # the course's: the support check embeds with its embedder


def conversation_for_student(*, user: Any, course: Course, conversation_id: int) -> Conversation:
    """The student's own conversation; anybody else's is reported exactly like a missing one."""
    conversation = (
        Conversation.objects.filter(pk=conversation_id, course=course, student=user)
        .select_related("course", "lesson")
        .first()
    )
    if conversation is None:
        raise TutorError(
            "conversation_not_found", _("There is no such conversation of yours here.")
        )
    return conversation


def _history(conversation: Conversation | None) -> list[prompts.Turn]:
    """The last few complete question → answer exchanges, oldest first."""
    if conversation is None:
        return []
    messages = list(
        conversation.messages.filter(
            kind__in=[Message.Kind.QUESTION, Message.Kind.ANSWER]
        ).order_by("-id")[: 2 * settings.TUTOR_HISTORY_TURNS + 1]
    )[::-1]
    turns = []
    for question, answer in pairwise(messages):
        if (
            question.kind == Message.Kind.QUESTION
            and answer.kind == Message.Kind.ANSWER
            and answer.status == Message.Status.COMPLETE
            and answer.covered
        ):
            turns.append(prompts.Turn(question.content, answer.content, question.mode))
    return turns[-settings.TUTOR_HISTORY_TURNS :]


def _previous_question(conversation: Conversation | None) -> str:
    if conversation is None:
        return ""
    last = conversation.messages.filter(kind=Message.Kind.QUESTION).order_by("-id").first()
    return last.content if last else ""


REFERRING_WORDS = frozenset(
    [
        "it",
        "its",
        "that",
        "this",
        "these",
        "those",
        "they",
        "them",
        "their",
        "there",
        "same",
        "else",
        "more",
        "former",
        "latter",
    ]
)


# Chinese follow-ups lean on 它 (it), 这/那 (this/that) and their plurals in the same way.
_ZH_REFERRING = re.compile(r"[它这那其]|他们|她们")


def _refers_back(text: str) -> bool:
    """A short question leaning on a pronoun ("why is that faster?") continues the last one.

    Only such questions are retried together with the previous question: an unrelated new one
    ("best banana bread recipe?") must still get "not covered", not the last topic's passages.
    """
    if len(CJK.findall(text)) >= 2:
        return len(CJK.findall(text)) <= 20 and _ZH_REFERRING.search(text) is not None
    words = re.findall(r"[a-z']+", text.lower())
    return len(words) <= 12 and any(word in REFERRING_WORDS for word in words)


def _in_language(text: str, language: Family) -> str:
    """An interface sentence (its English msgid) in the answer's language."""
    with translation.override(language_code(language)):
        return gettext(text)


def _pending_quiz_question(conversation: Conversation | None) -> Message | None:
    if conversation is None:
        return None
    last = conversation.messages.order_by("-id").first()
    if last and last.kind == Message.Kind.QUIZ_QUESTION and last.status == Message.Status.COMPLETE:
        return last
    return None


def _quiz_passages(
    conversation: Conversation | None, course_id: int, text: str, lesson: Lesson | None
) -> list[Chunk]:
    lesson_id = lesson.pk if lesson else None
    chosen = relevant_chunks(course_id=course_id, question=text, prefer_lesson_id=lesson_id)
    if chosen:
        return chosen[:2]
    if lesson is None:
        return []
    # "Quiz me" names no topic: walk through the lesson, a different passage each time.
    passages = list(Chunk.objects.filter(lesson=lesson).order_by("ordinal"))
    if not passages:
        return []
    asked = (
        conversation.messages.filter(kind=Message.Kind.QUIZ_QUESTION).count()
        if conversation is not None
        else 0
    )
    return [passages[asked % len(passages)]]


def _plan(
    conversation: Conversation | None,
    course_id: int,
    text: str,
    mode: str,
    lesson: Lesson | None,
    assignment: Assignment | None = None,
    teacher_notes: str = "",
    language: Family = "en",
) -> tuple[str, list[dict[str, str]] | None, list[Chunk], str, str]:
    """(reply kind, chat or None, passages, fixed text, what to quote for) for the message.

    A question naming one of the course's assignments gets the assignment's brief (its
    instructions, visible tests and lesson) as context beside the passages, so it is answered
    even where the course material itself says nothing about it. Quotes answer the question in
    explain mode and back the feedback on a quiz answer; hint mode and quiz questions quote
    nothing, since a quote would hand over the answer. `language` is the reply's: its prompts
    and fixed texts are worded in it. `conversation` is None for a new one (no history yet).
    """
    lesson_id = lesson.pk if lesson else None
    if mode == Mode.QUIZ:
        pending = _pending_quiz_question(conversation)
        if pending is not None:
            ids = [c["chunk"] for c in pending.citations if c.get("chunk")]
            chunks = list(Chunk.objects.filter(pk__in=ids).order_by("pk"))
            if chunks:
                messages = prompts.quiz_feedback_messages(
                    quiz_question=pending.content, reply=text, chunks=chunks, language=language
                )
                quote_for = f"{pending.content} {text}"
                return Message.Kind.QUIZ_FEEDBACK, messages, chunks, "", quote_for
        chunks = _quiz_passages(conversation, course_id, text, lesson)
        if not chunks:
            no_topic = _in_language(NO_QUIZ_TOPIC, language)
            return Message.Kind.QUIZ_QUESTION, None, [], no_topic, ""
        messages = prompts.quiz_question_messages(chunks=chunks, language=language)
        return Message.Kind.QUIZ_QUESTION, messages, chunks, "", ""

    chunks = relevant_chunks(course_id=course_id, question=text, prefer_lesson_id=lesson_id)
    previous = _previous_question(conversation) if _refers_back(text) else ""
    if not chunks and previous:
        # A follow-up ("and why is that faster?") often names nothing; read it with the question
        # it follows.
        chunks = relevant_chunks(
            course_id=course_id, question=f"{previous} {text}", prefer_lesson_id=lesson_id
        )
    brief = assignment_brief(assignment=assignment) if assignment else None
    if not chunks and brief is None:
        return Message.Kind.ANSWER, None, [], not_covered_text(language), ""
    history = _history(conversation)
    if mode == Mode.HINT:
        homework = open_assignment_briefs(course_id=course_id, lesson_id=lesson_id)
        messages = prompts.hint_messages(
            question=text,
            chunks=chunks,
            history=history,
            homework=homework,
            assignment=brief,
            teacher_notes=teacher_notes,
            language=language,
        )
        return Message.Kind.ANSWER, messages, chunks, "", ""
    messages = prompts.explain_messages(
        question=text,
        chunks=chunks,
        history=history,
        assignment=brief,
        teacher_notes=teacher_notes,
        language=language,
    )
    return Message.Kind.ANSWER, messages, chunks, "", f"{previous} {text}".strip()


def turn_start(
    *,
    user: Any,
    course: Course,
    text: str,
    mode: str = Mode.EXPLAIN,
    conversation_id: int | None = None,
    lesson: Lesson | None = None,
) -> PreparedTurn:
    """Validate and record the student's message; everything the reply needs, or TutorError.

    Callers have checked that the user may use this course's tutor (courses.access).
    """
    text = text.strip()
    if not text:
        raise TutorError("empty_question", _("Type a question first."))
    if len(text) > MAX_QUESTION_CHARS:
        raise TutorError(
            "question_too_long",
            _("Questions are limited to %(limit)s characters; this one has %(length)s.")
            % {"limit": MAX_QUESTION_CHARS, "length": len(text)},
        )
    if mode not in Mode.values:
        raise TutorError(
            "bad_mode",
            _("Unknown mode; use one of: %(modes)s.") % {"modes": ", ".join(Mode.values)},
        )
    conversation = None
    if conversation_id is not None:
        conversation = conversation_for_student(
            user=user, course=course, conversation_id=conversation_id
        )
        lesson = lesson or conversation.lesson
    if lesson is not None and lesson.course_id != course.pk:
        raise TutorError("lesson_not_found", _("That lesson is not part of this course."))
    # Naming an assignment puts it in the context, under its own rule (assist.policy).
    assignment = None if mode == Mode.QUIZ else assignment_named(course_id=course.pk, text=text)
    decision = decide(
        user=user, purpose=_PURPOSES[mode], course=course, lesson=lesson, assignment=assignment
    )
    if not decision.allowed:
        raise TutorError("tutor_off", decision.reason or _("The tutor is turned off here."))
    # A teacher's "hints only" holds in explain mode too: hint prompts, and the guard.
    plan_mode = Mode.HINT if decision.hint_only and mode == Mode.EXPLAIN else mode
    if not busy_take(user=user):
        raise TutorError(
            "busy", _("The tutor is still answering your last question; wait or stop it.")
        )
    try:
        budget = charge(user=user, decision=decision, course_id=course.pk)
        try:
            # Retrieval, the prompt and the quotes only read, and they are the slow part (the
            # query's embedding, the index, the passages' sentences): they run before the
            # transaction, so the write lock (SQLite takes it at BEGIN IMMEDIATE) is held for the
            # few inserts alone and eight students' set-ups overlap instead of queueing. Nothing
            # read here can change meanwhile: the busy slot above keeps this student's own
            # conversation still until the reply is finished.
            kind, messages, chunks, fixed, quote_for = _plan(
                conversation,
                course.pk,
                text,
                plan_mode,
                lesson,
                assignment,
                decision.teacher_notes,
                reply_family(course_language=course.language, question=text),
            )
            # Chosen by the embedder, not the model: on screen before the first token.
            quotes = (
                quotes_select(question=quote_for, chunks=chunks, language=course.language)
                if quote_for
                else []
            )
            with transaction.atomic():
                if conversation is None:
                    conversation = Conversation.objects.create(
                        course=course, student=user, lesson=lesson, title=text[:80]
                    )
                question = Message.objects.create(
                    conversation=conversation,
                    role=Message.Role.STUDENT,
                    kind=Message.Kind.QUIZ_ANSWER
                    if kind == Message.Kind.QUIZ_FEEDBACK
                    else Message.Kind.QUESTION,
                    mode=mode,
                    content=text,
                )
                reply = Message.objects.create(
                    conversation=conversation,
                    role=Message.Role.TUTOR,
                    kind=kind,
                    mode=mode,
                    status=Message.Status.STREAMING,
                    citations=[c.as_dict() for c in citations_for(chunks)],
                    quotes=[q.as_dict() for q in quotes],
                    covered=messages is not None,
                )
                Conversation.objects.filter(pk=conversation.pk).update(updated_at=timezone.now())
        except BaseException:
            refund(user=user, decision=decision)
            raise
    except BaseException:
        busy_release(user=user)
        raise
    return PreparedTurn(
        user=user,
        conversation=conversation,
        question=question,
        reply=reply,
        budget=budget,
        decision=decision,
        messages=messages,
        fixed_text=fixed,
        assignment=assignment,
        passages=tuple(chunk.text for chunk in chunks),
        strict=course.tutor_strict,
        language=course.language,
    )


async def reply_stream(
    turn: PreparedTurn,
) -> AsyncIterator[str | SentenceSupport | StreamStats]:
    """The reply's text pieces and each sentence's check, then one StreamStats.

    Text passes the policy's guard (hint mode withholds code), then the support check (strict
    mode withholds unsupported sentences). Stop by cancelling the consuming task.
    """
    if turn.messages is None:
        yield turn.fixed_text
        yield StreamStats(0, 0, "not_covered")
        return
    guard = turn.decision.new_guard()
    # Embedding runs in a worker thread: the event loop serves every other socket meanwhile.
    checks = await asyncio.to_thread(
        SupportStream, turn.passages, strict=turn.strict, language=turn.language
    )
    turn.checks = checks
    async for piece in chat_stream(
        turn.messages, max_tokens=settings.TUTOR_MAX_TOKENS, priority=turn.decision.priority
    ):
        if isinstance(piece, StreamStats):
            shown, done = await asyncio.to_thread(checks.feed, guard.finish())
            tail, last = await asyncio.to_thread(checks.finish)
            if shown + tail:
                yield shown + tail
            for check in [*done, *last]:
                yield check
            yield piece
            continue
        guarded = guard.feed(piece)
        if not guarded:
            continue
        shown, done = await asyncio.to_thread(checks.feed, guarded)
        if shown:
            yield shown
        for check in done:
            yield check


def turn_finish(
    *,
    turn: PreparedTurn,
    text: str,
    status: str,
    stats: StreamStats | None = None,
    first_token_ms: int | None = None,
    error: str = "",
) -> Message:
    """Store how the reply ended and free the student for the next question."""
    reply = turn.reply
    reply.content = text.strip()
    reply.status = status
    reply.error = error[:300]
    reply.first_token_ms = first_token_ms
    if turn.checks is not None:
        reply.checks = [
            {**check.as_dict(), "withheld": turn.strict and not check.supported}
            for check in turn.checks.checks
        ]
        reply.support = turn.checks.share
    if stats is not None:
        reply.prompt_tokens = stats.prompt_tokens
        reply.completion_tokens = stats.completion_tokens
    reply.save(
        update_fields=[
            "content",
            "status",
            "error",
            "first_token_ms",
            "prompt_tokens",
            "completion_tokens",
            "checks",
            "support",
        ]
    )
    if status == Message.Status.FAILED:
        refund(user=turn.user, decision=turn.decision)
    busy_release(user=turn.user)
    usage_record(
        user=turn.user,
        purpose=_PURPOSES[turn.question.mode],
        decision=turn.decision,
        outcome=_OUTCOMES[status] if turn.messages is not None else Outcome.NOT_COVERED,
        course_id=turn.conversation.course_id,
        lesson=turn.conversation.lesson,
        assignment=turn.assignment,
        prompt_tokens=reply.prompt_tokens or 0,
        completion_tokens=reply.completion_tokens or 0,
        latency_ms=round((time.monotonic() - turn.started) * 1000),
    )
    return reply


_OUTCOMES: dict[str, str] = {
    Message.Status.COMPLETE: Outcome.ANSWERED,
    Message.Status.STOPPED: Outcome.STOPPED,
    Message.Status.FAILED: Outcome.FAILED,
    Message.Status.STREAMING: Outcome.FAILED,
}


def message_rate(*, message: Message, helpful: bool, comment: str = "") -> Message:
    if not message.is_tutor or message.status == Message.Status.STREAMING:
        raise TutorError("not_rateable", _("Only a finished tutor reply can be rated."))
    message.rating = Message.Rating.HELPFUL if helpful else Message.Rating.NOT_HELPFUL
    message.rating_comment = comment.strip()[:1000]
    message.rated_at = timezone.now()
    message.save(update_fields=["rating", "rating_comment", "rated_at"])
    return message


def turn_complete(turn: PreparedTurn) -> Message:
    """Run the whole reply and store it: for callers that cannot stream (a page without JS)."""

    async def collect() -> tuple[str, StreamStats | None]:
        parts: list[str] = []
        stats = None
        async for piece in reply_stream(turn):
            if isinstance(piece, StreamStats):
                stats = piece
            elif isinstance(piece, str):
                parts.append(piece)
        return "".join(parts), stats

    try:
        text, stats = async_to_sync(collect)()
    except InferenceError as exc:
        return turn_finish(turn=turn, text="", status=Message.Status.FAILED, error=str(exc))
    return turn_finish(turn=turn, text=text, status=Message.Status.COMPLETE, stats=stats)
