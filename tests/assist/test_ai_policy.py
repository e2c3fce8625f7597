"""Teachers' AI rules and exams, as assist.policy.decide applies them to every purpose."""

from __future__ import annotations

import pytest
import time_machine

from assist.models import Outcome, UsageRecord
from assist.policy import GuardKind, Mode, Purpose, decide, student_notice
from assist.services import PolicyError, exam_window_create

pytestmark = pytest.mark.django_db

STUDENT_PATHS = [
    Purpose.TUTOR_EXPLAIN,
    Purpose.TUTOR_HINT,
    Purpose.TUTOR_QUIZ,
    Purpose.RAG_ANSWER,
    Purpose.PLAYGROUND_HELP,
    Purpose.GRADING_FEEDBACK,
]


@pytest.mark.parametrize("purpose", STUDENT_PATHS)
def test_off_for_the_course_refuses_every_student_path_with_the_sentence(
    enrolled_student, course, set_rule, purpose
):
    set_rule(course, "off")
    decision = decide(user=enrolled_student, purpose=purpose, course=course)
    assert not decision.allowed
    assert decision.reason == "Your teacher turned AI help off for this course."
    refusal = UsageRecord.objects.get()
    assert (refusal.outcome, refusal.feature, refusal.user) == (
        Outcome.REFUSED,
        purpose,
        enrolled_student,
    )


@pytest.mark.parametrize("purpose", STUDENT_PATHS)
def test_hints_only_withholds_code_on_every_student_path(
    enrolled_student, course, set_rule, purpose
):
    set_rule(course, "hints")
    decision = decide(user=enrolled_student, purpose=purpose, course=course)
    assert decision.allowed and decision.mode == Mode.HINT and decision.guard == GuardKind.HINT


@pytest.mark.parametrize("purpose", STUDENT_PATHS)
def test_full_help_keeps_the_platform_rules(enrolled_student, course, set_rule, purpose):
    before = decide(user=enrolled_student, purpose=purpose, course=course)
    set_rule(course, "full")
    assert decide(user=enrolled_student, purpose=purpose, course=course) == before


@pytest.mark.parametrize("purpose", [Purpose.TEXT_GRADING, Purpose.QUESTION_DRAFTING])
def test_the_teachers_own_tools_are_not_governed(enrolled_student, course, set_rule, purpose):
    set_rule(course, "off")
    assert decide(user=enrolled_student, purpose=purpose, course=course).allowed


@pytest.mark.parametrize("who", ["teacher", "admin_user"])
def test_teachers_and_admins_keep_the_ai_to_try_what_students_get(request, course, set_rule, who):
    set_rule(course, "off")
    user = request.getfixturevalue(who)
    assert decide(user=user, purpose=Purpose.TUTOR_EXPLAIN, course=course).allowed
    assert not UsageRecord.objects.exists()


def test_an_assignment_rule_beats_its_lessons_and_the_courses(
    enrolled_student, course, lesson, assignment, set_rule
):
    set_rule(course, "full")
    set_rule(course, "hints", lesson=lesson)
    set_rule(course, "off", assignment=assignment)
    help_ = Purpose.PLAYGROUND_HELP
    on_assignment = decide(user=enrolled_student, purpose=help_, assignment=assignment)
    assert not on_assignment.allowed
    assert on_assignment.reason == "Your teacher turned AI help off for this assignment."
    in_lesson = decide(user=enrolled_student, purpose=Purpose.TUTOR_EXPLAIN, lesson=lesson)
    assert in_lesson.mode == Mode.HINT
    other_lesson = course.lessons.exclude(pk=lesson.pk).first()
    elsewhere = decide(user=enrolled_student, purpose=Purpose.TUTOR_EXPLAIN, lesson=other_lesson)
    assert elsewhere.mode == Mode.EXPLAIN


def test_as_the_course_on_an_assignment_falls_back_to_the_lesson_then_the_course(
    enrolled_student, course, lesson, assignment, set_rule
):
    set_rule(course, "off")
    set_rule(course, "", assignment=assignment, instructions="Use the lesson's words.")
    decision = decide(user=enrolled_student, purpose=Purpose.PLAYGROUND_HELP, assignment=assignment)
    assert decision.reason == "Your teacher turned AI help off for this course."
    set_rule(course, "hints", lesson=lesson)
    decision = decide(user=enrolled_student, purpose=Purpose.PLAYGROUND_HELP, assignment=assignment)
    assert decision.mode == Mode.HINT


def test_full_help_on_the_assignment_itself_lifts_the_hint_default(
    enrolled_student, course, assignment, set_rule
):
    help_ = Purpose.PLAYGROUND_HELP
    assert decide(user=enrolled_student, purpose=help_, assignment=assignment).mode == Mode.HINT
    set_rule(course, "full")  # the course's full help does not unlock graded work...
    assert decide(user=enrolled_student, purpose=help_, assignment=assignment).mode == Mode.HINT
    set_rule(course, "full", assignment=assignment)  # ...the assignment's own does
    assert decide(user=enrolled_student, purpose=help_, assignment=assignment).mode == Mode.EXPLAIN


def test_the_notice_is_what_a_student_reads_where_they_would_ask(
    enrolled_student, course, assignment, set_rule
):
    assert student_notice(user=enrolled_student, course=course) == ""
    set_rule(course, "hints", assignment=assignment)
    assert student_notice(user=enrolled_student, course=course, assignment=assignment) == (
        "AI help is hints only for this assignment: guiding questions and explanations, no code."
    )


def test_a_rule_needs_one_scope_and_a_mode_for_the_course(course, lesson, assignment, set_rule):
    with pytest.raises(PolicyError):
        set_rule(course, "")
    with pytest.raises(PolicyError):
        set_rule(course, "off", lesson=lesson, assignment=assignment)
    with pytest.raises(PolicyError):
        set_rule(course, "off", lesson=lesson, instructions="x")


# --- exams -------------------------------------------------------------------------------------


def _exam(course, teacher, *, assignments=(), start="2026-12-01 09:00Z", end="2026-12-01 11:00Z"):
    from datetime import datetime

    return exam_window_create(
        course=course,
        title="Midterm",
        starts_at=datetime.fromisoformat(start.replace("Z", "+00:00")),
        ends_at=datetime.fromisoformat(end.replace("Z", "+00:00")),
        assignments=assignments,
        by=teacher,
    )


@pytest.mark.parametrize(
    ("moment", "allowed"),
    [
        ("2026-12-01 08:59:59Z", True),
        ("2026-12-01 09:00:00Z", False),
        ("2026-12-01 10:59:59Z", False),
        ("2026-12-01 11:00:00Z", True),
    ],
)
def test_an_exam_turns_help_off_on_time_without_anyone_clicking(
    enrolled_student, course, teacher, moment, allowed
):
    _exam(course, teacher)
    with time_machine.travel(moment, tick=False):
        for purpose in STUDENT_PATHS:
            decision = decide(user=enrolled_student, purpose=purpose, course=course)
            assert decision.allowed is allowed
    if not allowed:
        assert decision.reason.startswith("AI help is off during the exam “Midterm”, until ")
        assert UsageRecord.objects.filter(outcome=Outcome.REFUSED).count() == len(STUDENT_PATHS)


def test_an_exam_on_chosen_assignments_leaves_the_rest_of_the_course_alone(
    enrolled_student, course, teacher, lesson, assignment
):
    _exam(course, teacher, assignments=[assignment])
    with time_machine.travel("2026-12-01 10:00Z", tick=False):
        help_ = Purpose.PLAYGROUND_HELP
        assert not decide(user=enrolled_student, purpose=help_, assignment=assignment).allowed
        # The tutor opened on the lesson the exam assignment practises is help on it too.
        assert not decide(user=enrolled_student, purpose=Purpose.TUTOR_HINT, lesson=lesson).allowed
        other = course.lessons.exclude(pk=lesson.pk).first()
        assert decide(user=enrolled_student, purpose=Purpose.TUTOR_HINT, lesson=other).allowed
        assert decide(user=enrolled_student, purpose=Purpose.RAG_ANSWER, course=course).allowed


def test_an_exam_beats_full_help_and_spares_the_teacher(
    enrolled_student, course, teacher, set_rule
):
    set_rule(course, "full")
    _exam(course, teacher)
    with time_machine.travel("2026-12-01 10:00Z", tick=False):
        assert not decide(
            user=enrolled_student, purpose=Purpose.TUTOR_EXPLAIN, course=course
        ).allowed
        assert decide(user=teacher, purpose=Purpose.TUTOR_EXPLAIN, course=course).allowed


def test_an_exam_must_end_after_it_starts_and_cover_this_courses_assignments(
    course, teacher, assignment, other_teacher
):
    with pytest.raises(PolicyError):
        _exam(course, teacher, start="2026-12-01 11:00Z", end="2026-12-01 09:00Z")
    from courses import services as course_services

    other = course_services.course_create(author=other_teacher, title="O", slug="o", summary="o")
    with pytest.raises(PolicyError):
        _exam(other, other_teacher, assignments=[assignment])
