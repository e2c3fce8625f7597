"""The playground's AI help: explain this code, why does it fail, how to improve it.

help_prepare (sync)  asks assist.policy what the model may do (hint-only on a graded
                     assignment), charges the budget it names and builds the prompt;
help_stream (async)  streams the model's reply through the policy's guard, and gives the
                     question back if the model fails.
The socket (consumers.py) only checks the frame and sends what these return.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from channels.db import database_sync_to_async
from django.conf import settings
from django.utils.translation import gettext as _

from assist.budget import charge, refund
from assist.models import Outcome
from assist.policy import Decision, Purpose, decide
from assist.prompts.playground import TASKS, help_messages
from assist.usage import usage_record
from grading.models import Assignment
from grading.selectors import assignment_brief
from inference.llm import InferenceError, StreamStats, chat_stream
from knowledge.quotes import quotes_select
from knowledge.rag import relevant_chunks
from playground.services import PlaygroundError

HELP_KINDS = frozenset(TASKS)
MAX_CONTEXT_CHARS = 8000  # of a selection or an output the page sends along


@dataclass(frozen=True)
class HelpRequest:
    user: Any
    kind: str
    messages: list[dict[str, str]]
    decision: Decision
    assignment: Assignment | None = None
    started: float = field(default_factory=time.monotonic)  # for the usage log's latency
    # The course material's own sentences on the assignment's topic, shown before the reply.
    quotes: tuple[dict[str, object], ...] = ()


def clipped(value: Any) -> str:
    """A selection or output from the frame: text, clipped; anything else counts as none."""
    return value[:MAX_CONTEXT_CHARS] if isinstance(value, str) else ""


def help_prepare(
    *,
    user: Any,
    kind: str,
    code: str,
    selection: str = "",
    output: str = "",
    assignment: Assignment | None = None,
) -> HelpRequest:
    """Everything one help request needs. Raises QuotaExceeded (assist.budget) when the
    student has no questions left, PlaygroundError when the policy allows no help."""
    decision = decide(
        user=user,
        purpose=Purpose.PLAYGROUND_HELP,
        course=assignment.course if assignment else None,
        assignment=assignment,
    )
    if not decision.allowed:
        raise PlaygroundError("help_off", decision.reason or _("AI help is turned off here."))
    charge(user=user, decision=decision, course_id=assignment.course_id if assignment else None)
    messages = help_messages(
        kind=kind,
        code=code,
        selection=selection,
        output=output,
        hint_only=decision.hint_only,
        teacher_notes=decision.teacher_notes,
        **_about(assignment),
    )
    return HelpRequest(
        user=user,
        kind=kind,
        messages=messages,
        decision=decision,
        assignment=assignment,
        quotes=_material_quotes(assignment=assignment, kind=kind, output=output),
    )


def _about(assignment: Assignment | None) -> dict[str, str]:
    """The assignment the playground is open on, as the prompt's brief (no hidden tests)."""
    if assignment is None:
        return {}
    brief = assignment_brief(assignment=assignment)
    return {
        "assignment": brief["instructions"],
        "title": brief["title"],
        "visible_tests": brief["visible_tests"],
        "lesson": brief["lesson"],
    }


def _material_quotes(*, assignment: Assignment | None, kind: str, output: str) -> tuple:
    """Where material applies (help on a course's assignment), what the course says about it.

    The question asked of the material is the assignment itself, plus the error's last line
    for "why does it fail?"; free playground code belongs to no course, so it gets none.
    """
    if assignment is None:
        return ()
    lines = [line for line in output.strip().splitlines() if line.strip()]
    error = lines[-1] if kind == "why" and lines else ""
    question = f"{assignment.title}. {assignment.instructions[:300]} {error}".strip()
    chunks = relevant_chunks(course_id=assignment.course_id, question=question)
    language = chunks[0].course.language if chunks else "en"
    quotes = quotes_select(question=question, chunks=chunks, limit=2, language=language)
    return tuple(q.as_dict() for q in quotes)


async def help_stream(request: HelpRequest) -> AsyncIterator[str]:
    """The reply's visible text pieces. On InferenceError the question is refunded, then the
    error is raised for the caller to report. Stop by cancelling the consuming task."""
    guard = request.decision.new_guard()
    limit = settings.PLAYGROUND_HELP_MAX_TOKENS
    stats = StreamStats(0, 0, "cancelled")
    outcome = Outcome.STOPPED
    try:
        async for piece in chat_stream(
            request.messages, max_tokens=limit, priority=request.decision.priority
        ):
            if isinstance(piece, StreamStats):
                stats = piece
                continue
            if text := guard.feed(piece):
                yield text
        if rest := guard.finish():
            yield rest
        outcome = Outcome.ANSWERED
    except InferenceError:
        outcome = Outcome.FAILED
        await database_sync_to_async(refund)(user=request.user, decision=request.decision)
        raise
    finally:
        # Shielded: a stopped request cancels this task, and its row must still be written.
        await asyncio.shield(_record(request, outcome, stats))


async def _record(request: HelpRequest, outcome: str, stats: StreamStats) -> None:
    await database_sync_to_async(usage_record)(
        user=request.user,
        purpose=Purpose.PLAYGROUND_HELP,
        decision=request.decision,
        outcome=outcome,
        course_id=request.assignment.course_id if request.assignment else None,
        assignment=request.assignment,
        prompt_tokens=stats.prompt_tokens,
        completion_tokens=stats.completion_tokens,
        latency_ms=round((time.monotonic() - request.started) * 1000),
    )
