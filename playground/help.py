"""The playground's AI help: explain this code, why does it fail, how to improve it.

help_prepare (sync)  asks assist.policy what the model may do (hint-only on a graded
                     assignment), charges the budget it names and builds the prompt;
help_stream (async)  streams the model's reply through the policy's guard, and gives the
                     question back if the model fails.
The socket (consumers.py) only checks the frame and sends what these return.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from channels.db import database_sync_to_async
from django.conf import settings

from assist.budget import charge, refund
from assist.policy import Decision, Purpose, decide
from assist.prompts.playground import TASKS, help_messages
from grading.models import Assignment
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
        raise PlaygroundError("help_off", "AI help is turned off here.")
    charge(user=user, decision=decision)
    messages = help_messages(
        kind=kind,
        code=code,
        selection=selection,
        output=output,
        assignment=assignment.instructions if assignment else "",
        hint_only=decision.hint_only,
    )
    return HelpRequest(
        user=user,
        kind=kind,
        messages=messages,
        decision=decision,
        quotes=_material_quotes(assignment=assignment, kind=kind, output=output),
    )


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
    return tuple(q.as_dict() for q in quotes_select(question=question, chunks=chunks, limit=2))


async def help_stream(request: HelpRequest) -> AsyncIterator[str]:
    """The reply's visible text pieces. On InferenceError the question is refunded, then the
    error is raised for the caller to report. Stop by cancelling the consuming task."""
    guard = request.decision.new_guard()
    limit = settings.PLAYGROUND_HELP_MAX_TOKENS
    try:
        async for piece in chat_stream(request.messages, max_tokens=limit):
            if isinstance(piece, StreamStats):
                continue
            if text := guard.feed(piece):
                yield text
        if rest := guard.finish():
            yield rest
    except InferenceError:
        await database_sync_to_async(refund)(user=request.user, decision=request.decision)
        raise
