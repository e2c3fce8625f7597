"""What the model may do for one request: the single place the rules for AI help live.

Every path to the model (tutor, RAG answers, playground help, grading feedback, text grading,
question drafting) asks `decide` first and follows its Decision: the mode (explain freely, hint
only, or nothing), the guard its output streams through, and the budget it is charged to.

These are today's rules, moved here unchanged. Who may reach a purpose at all (enrolment,
teaching) stays the caller's access check; `decide` only shapes what the model does once there.
A later issue adds teacher-set policies per course and assignment: that lookup belongs in
`decide` and nowhere else, which is why it already takes the course, assignment and lesson.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from assist.guards import HintGuard, PassThrough, StreamGuard
from inference.scheduling import Priority

if TYPE_CHECKING:
    from courses.models import Course, Lesson


class Purpose(StrEnum):
    TUTOR_EXPLAIN = "tutor_explain"
    TUTOR_HINT = "tutor_hint"
    TUTOR_QUIZ = "tutor_quiz"
    RAG_ANSWER = "rag_answer"
    PLAYGROUND_HELP = "playground_help"
    GRADING_FEEDBACK = "grading_feedback"
    TEXT_GRADING = "text_grading"
    QUESTION_DRAFTING = "question_drafting"


class Mode(StrEnum):
    EXPLAIN = "explain"  # may explain and show code
    HINT = "hint"  # hints and guiding questions only, never a solution or code
    NOTHING = "nothing"  # the model is not asked at all


class GuardKind(StrEnum):
    NONE = "none"
    HINT = "hint"  # assist.guards.HintGuard: fenced code is withheld


class BudgetKind(StrEnum):
    NONE = "none"
    QUESTIONS = "questions"  # assist.budget: the student's refilling question bucket


@dataclass(frozen=True)
class Decision:
    mode: Mode
    guard: GuardKind
    budget: BudgetKind
    # Who goes first at the model: a person waiting (INTERACTIVE) or work the platform does on
    # its own account (BACKGROUND, the safe default: it can only wait longer).
    priority: Priority = Priority.BACKGROUND

    @property
    def allowed(self) -> bool:
        return self.mode != Mode.NOTHING

    @property
    def hint_only(self) -> bool:
        return self.mode == Mode.HINT

    def new_guard(self) -> StreamGuard:
        """A fresh guard for one stream (guards keep state, so one per request)."""
        return HintGuard() if self.guard == GuardKind.HINT else PassThrough()

    def filter_text(self, text: str) -> str:
        """A complete reply as its stream would have shown it."""
        guard = self.new_guard()
        return guard.feed(text) + guard.finish()


NOTHING = Decision(Mode.NOTHING, GuardKind.NONE, BudgetKind.NONE)
_EXPLAIN_CHARGED = Decision(
    Mode.EXPLAIN, GuardKind.NONE, BudgetKind.QUESTIONS, Priority.INTERACTIVE
)
_HINT_CHARGED = Decision(Mode.HINT, GuardKind.HINT, BudgetKind.QUESTIONS, Priority.INTERACTIVE)
# A student asking live pays from the question budget and goes first at the model; work the
# platform does on its own account (feedback, grading, drafting for a teacher) costs the
# student nothing and runs in the background.
_RULES: dict[Purpose, Decision] = {
    Purpose.TUTOR_EXPLAIN: _EXPLAIN_CHARGED,
    Purpose.TUTOR_QUIZ: _EXPLAIN_CHARGED,
    Purpose.TUTOR_HINT: _HINT_CHARGED,
    # The ask API runs the same model for the same student as the tutor: same budget.
    Purpose.RAG_ANSWER: _EXPLAIN_CHARGED,
    Purpose.GRADING_FEEDBACK: Decision(Mode.HINT, GuardKind.HINT, BudgetKind.NONE),
    Purpose.TEXT_GRADING: Decision(Mode.EXPLAIN, GuardKind.NONE, BudgetKind.NONE),
    Purpose.QUESTION_DRAFTING: Decision(Mode.EXPLAIN, GuardKind.NONE, BudgetKind.NONE),
}
# Purposes where a person is waiting on a socket or a request: nobody signed in, nothing asked.
_INTERACTIVE = frozenset(
    {
        Purpose.TUTOR_EXPLAIN,
        Purpose.TUTOR_HINT,
        Purpose.TUTOR_QUIZ,
        Purpose.RAG_ANSWER,
        Purpose.PLAYGROUND_HELP,
    }
)


def decide(
    *,
    user: Any,
    purpose: Purpose,
    course: Course | None = None,
    assignment: Any = None,
    lesson: Lesson | None = None,
) -> Decision:
    """The Decision for `user` asking the model for `purpose`.

    `assignment` is any graded assignment the request is about (typed loosely: assist sits
    below grading and must not import it). Help on a graded assignment is hint-only: the model
    must not do the student's homework, and the guard makes sure of it.
    """
    if purpose in _INTERACTIVE and not getattr(user, "is_authenticated", False):
        return NOTHING
    if purpose == Purpose.PLAYGROUND_HELP:
        return _HINT_CHARGED if assignment is not None else _EXPLAIN_CHARGED
    return _RULES[purpose]
