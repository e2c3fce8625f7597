"""What the model may do for one request: the single place the rules for AI help live.

Every path to the model (tutor, RAG answers, playground help, grading feedback, text grading,
question drafting) asks `decide` first and follows its Decision: the mode (explain freely, hint
only, or nothing), the guard its output streams through, and the budget it is charged to.

Who may reach a purpose at all (enrolment, teaching) stays the caller's access check; `decide`
only shapes what the model does once there. On top of the platform's own rules it applies the
course teachers' choices (assist.models.AIPolicy: off, hints only or full help, per course,
lesson or assignment) and scheduled exams (assist.models.ExamWindow), for students only: the
course's teachers and admins keep the platform's rules so they can try what students get.
Because every path and every client (socket, REST, plain form) asks here, a rule set here holds
everywhere, and a refusal carries the one sentence every client shows.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext

from assist.guards import HintGuard, PassThrough, StreamGuard
from assist.models import AIMode, AIPolicy, ExamWindow
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
    LAB = "lab"  # the LLM lab's instruments: forward passes a student starts


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
    # Why the model is not asked, in words a student can act on; empty when it is.
    reason: str = ""
    # The course teacher's instructions to the AI for the assignment asked about; prompts
    # quote them below the safety rules (assist.prompts.blocks.teacher_rules).
    teacher_notes: str = ""
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
    Mode.EXPLAIN, GuardKind.NONE, BudgetKind.QUESTIONS, priority=Priority.INTERACTIVE
)
_HINT_CHARGED = Decision(
    Mode.HINT, GuardKind.HINT, BudgetKind.QUESTIONS, priority=Priority.INTERACTIVE
)
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
    # A student looking inside the model pays from the same budget; the lab app charges one
    # question per LAB_CALLS_PER_QUESTION calls (a forward pass is far cheaper than an answer).
    Purpose.LAB: _EXPLAIN_CHARGED,
}
# Purposes where a person is waiting on a socket or a request: nobody signed in, nothing asked.
_INTERACTIVE = frozenset(
    {
        Purpose.TUTOR_EXPLAIN,
        Purpose.TUTOR_HINT,
        Purpose.TUTOR_QUIZ,
        Purpose.RAG_ANSWER,
        Purpose.PLAYGROUND_HELP,
        Purpose.LAB,
    }
)


# Help a student gets: what teachers' policies and exams govern. Grading a text answer and
# drafting questions are the teacher's own tools and stay as the platform rules them.
_GOVERNED = _INTERACTIVE | {Purpose.GRADING_FEEDBACK}


@dataclass(frozen=True)
class Rule:
    """The teachers' rule in force for one place at one moment."""

    mode: str  # an AIMode; INHERIT when no teacher set anything
    notice: str = ""  # the sentence a student sees where they would ask; "" for no limit
    exam: ExamWindow | None = None
    instructions: str = ""  # the teacher's instructions to the AI for the assignment


NO_RULE = Rule(AIMode.INHERIT)


def _hhmm(moment: datetime) -> str:
    return date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")


def _exam_in_force(
    course_id: int, assignment_id: int | None, lesson_id: int | None, now: datetime
) -> ExamWindow | None:
    windows = ExamWindow.objects.filter(
        course_id=course_id, starts_at__lte=now, ends_at__gt=now
    ).prefetch_related("assignments")
    for window in windows:
        chosen = list(window.assignments.all())
        if not chosen:
            return window
        if assignment_id is not None and any(a.pk == assignment_id for a in chosen):
            return window
        # The tutor opened on the lesson an exam assignment practises is help on that assignment.
        if lesson_id is not None and any(a.lesson_id == lesson_id for a in chosen):
            return window
    return None


def rule_for(
    *,
    course: Course | None,
    assignment: Any = None,
    lesson: Lesson | None = None,
    now: datetime | None = None,
) -> Rule:
    """The teachers' rule for a request about `course` (and an assignment or lesson of it).

    An exam in force wins; then the most specific policy that says something: the assignment's,
    then its lesson's (or the lesson asked from), then the course's.
    """
    course_id = course.pk if course else getattr(assignment or lesson, "course_id", None)
    if course_id is None:
        return NO_RULE
    lesson_id = lesson.pk if lesson else getattr(assignment, "lesson_id", None)
    assignment_id = getattr(assignment, "pk", None)
    exam = _exam_in_force(course_id, assignment_id, lesson_id, now or timezone.now())
    if exam is not None:
        notice = gettext("AI help is off during the exam “%(title)s”, until %(end)s.") % {
            "title": exam.title,
            "end": _hhmm(exam.ends_at),
        }
        return Rule(AIMode.OFF, notice, exam)
    scopes = AIPolicy.objects.filter(course_id=course_id, lesson=None, assignment=None)
    if lesson_id is not None:
        scopes = scopes | AIPolicy.objects.filter(lesson_id=lesson_id)
    if assignment_id is not None:
        scopes = scopes | AIPolicy.objects.filter(assignment_id=assignment_id)
    rows = list(scopes)
    instructions = next((r.instructions for r in rows if r.assignment_id is not None), "")
    for row, where in (
        (next((r for r in rows if r.assignment_id is not None), None), gettext("this assignment")),
        (next((r for r in rows if r.lesson_id is not None), None), gettext("this lesson")),
        (next((r for r in rows if r.lesson_id is None and r.assignment_id is None), None), ""),
    ):
        if row is None or not row.mode:
            continue
        where = where or gettext("this course")
        if row.mode == AIMode.OFF:
            notice = gettext("Your teacher turned AI help off for %(where)s.") % {"where": where}
        elif row.mode == AIMode.HINTS:
            notice = gettext(
                "AI help is hints only for %(where)s: guiding questions and explanations, no code."
            ) % {"where": where}
        else:
            notice = ""
        return Rule(row.mode, notice, None, instructions)
    return Rule(AIMode.INHERIT, "", None, instructions)


def is_student_here(user: Any, course_id: int | None) -> bool:
    from courses.models import Course

    if course_id is None or not getattr(user, "is_authenticated", False):
        return False
    if user.is_platform_admin:
        return False
    return not Course.objects.filter(pk=course_id, teachers=user).exists()


def _course_id(course: Course | None, assignment: Any, lesson: Lesson | None) -> int | None:
    if course is not None:
        return course.pk
    return getattr(assignment or lesson, "course_id", None)


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
    below grading and must not import it). Help on a graded assignment is hint-only unless its
    teacher set full help on the assignment itself: the model must not do the student's
    homework, and the guard makes sure of it. A refusal by a teacher's rule is logged.
    """
    if purpose in _INTERACTIVE and not getattr(user, "is_authenticated", False):
        return NOTHING
    if purpose in _INTERACTIVE and purpose != Purpose.LAB and assignment is not None:
        # Asked about a graded assignment, live help guides and never solves (the lab's forward
        # passes write no answer to guard).
        base = _HINT_CHARGED
    elif purpose == Purpose.PLAYGROUND_HELP:
        base = _EXPLAIN_CHARGED
    else:
        base = _RULES[purpose]
    course_id = _course_id(course, assignment, lesson)
    if purpose not in _GOVERNED or not is_student_here(user, course_id):
        return base
    rule = rule_for(course=course, assignment=assignment, lesson=lesson)
    if rule.instructions:
        base = replace(base, teacher_notes=rule.instructions)
    if rule.mode == AIMode.OFF:
        from assist.usage import usage_refusal

        usage_refusal(
            user=user,
            course_id=course_id,
            purpose=purpose,
            assignment=assignment,
            lesson=lesson,
            reason=rule.notice,
        )
        return replace(NOTHING, reason=rule.notice)
    if rule.mode == AIMode.HINTS:
        return replace(base, mode=Mode.HINT, guard=GuardKind.HINT)
    if (
        rule.mode == AIMode.FULL
        and purpose in _INTERACTIVE
        and purpose != Purpose.TUTOR_HINT
        and assignment is not None
        and AIPolicy.objects.filter(
            assignment_id=getattr(assignment, "pk", 0) or 0, mode=AIMode.FULL
        ).exists()
    ):
        # Only full help set on the assignment itself lifts the hint default for graded work.
        return replace(_EXPLAIN_CHARGED, teacher_notes=base.teacher_notes)
    return base


def student_notice(
    *, user: Any, course: Course | None, assignment: Any = None, lesson: Lesson | None = None
) -> str:
    """The sentence a student sees where they would ask the AI; "" when nothing is limited.

    Course teachers see what their students see, so they can check a setting took effect.
    """
    return rule_for(course=course, assignment=assignment, lesson=lesson).notice
