"""assist.policy.decide: today's rules for every purpose, in one place."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser

from assist.budget import budget_state, charge, refund
from assist.guards import WITHHELD, HintGuard, PassThrough, visible_text
from assist.policy import BudgetKind, Decision, GuardKind, Mode, Purpose, decide
from inference.scheduling import Priority

pytestmark = pytest.mark.django_db

# A person waiting pays from the budget and goes first at the model.
EXPLAIN_CHARGED = Decision(
    Mode.EXPLAIN, GuardKind.NONE, BudgetKind.QUESTIONS, priority=Priority.INTERACTIVE
)
HINT_CHARGED = Decision(
    Mode.HINT, GuardKind.HINT, BudgetKind.QUESTIONS, priority=Priority.INTERACTIVE
)
HINT_FREE = Decision(Mode.HINT, GuardKind.HINT, BudgetKind.NONE)
EXPLAIN_FREE = Decision(Mode.EXPLAIN, GuardKind.NONE, BudgetKind.NONE)

# (purpose, decision without an assignment, decision with one)
RULES = [
    # Help on a graded assignment must not do the homework: hints only, code withheld.
    (Purpose.TUTOR_EXPLAIN, EXPLAIN_CHARGED, HINT_CHARGED),
    (Purpose.TUTOR_QUIZ, EXPLAIN_CHARGED, HINT_CHARGED),
    (Purpose.TUTOR_HINT, HINT_CHARGED, HINT_CHARGED),
    (Purpose.RAG_ANSWER, EXPLAIN_CHARGED, HINT_CHARGED),
    (Purpose.PLAYGROUND_HELP, EXPLAIN_CHARGED, HINT_CHARGED),
    (Purpose.GRADING_FEEDBACK, HINT_FREE, HINT_FREE),
    (Purpose.TEXT_GRADING, EXPLAIN_FREE, EXPLAIN_FREE),
    (Purpose.QUESTION_DRAFTING, EXPLAIN_FREE, EXPLAIN_FREE),
    # The LLM lab: a student's own forward passes, paid from the same budget.
    (Purpose.LAB, EXPLAIN_CHARGED, EXPLAIN_CHARGED),
]


def test_every_purpose_has_a_rule():
    assert {purpose for purpose, _, _ in RULES} == set(Purpose)


@pytest.mark.parametrize("who", ["student", "teacher"])
@pytest.mark.parametrize(("purpose", "without", "with_assignment"), RULES)
def test_the_decision_for_each_purpose(request, course, who, purpose, without, with_assignment):
    user = request.getfixturevalue(who)
    assignment = SimpleNamespace(course=course, instructions="Write add(a, b).")
    assert decide(user=user, purpose=purpose, course=course) == without
    assert decide(user=user, purpose=purpose, course=course, assignment=assignment) == (
        with_assignment
    )


def test_playground_help_outside_any_course_explains(student):
    assert decide(user=student, purpose=Purpose.PLAYGROUND_HELP) == EXPLAIN_CHARGED


@pytest.mark.parametrize("user", [None, AnonymousUser()])
def test_nobody_signed_in_gets_nothing_from_a_live_purpose(user):
    for purpose in (
        Purpose.TUTOR_EXPLAIN,
        Purpose.PLAYGROUND_HELP,
        Purpose.RAG_ANSWER,
        Purpose.LAB,
    ):
        decision = decide(user=user, purpose=purpose)
        assert decision.mode == Mode.NOTHING and not decision.allowed


def test_the_decision_picks_the_guard_that_filters_the_stream():
    assert isinstance(HINT_CHARGED.new_guard(), HintGuard)
    assert isinstance(EXPLAIN_CHARGED.new_guard(), PassThrough)
    assert HINT_CHARGED.new_guard() is not HINT_CHARGED.new_guard()  # guards keep state
    reply = "Look at the loop. ```python\nprint(1)\n``` Then the end ```py\nx"
    assert HINT_FREE.filter_text(reply) == visible_text(reply, final=True)
    assert WITHHELD in HINT_FREE.filter_text(reply)
    assert EXPLAIN_FREE.filter_text(reply) == reply


def test_only_a_questions_budget_is_charged(student, teacher, settings):
    settings.TUTOR_QUOTA_QUESTIONS = 3
    assert charge(user=student, decision=HINT_FREE).unlimited
    assert budget_state(user=student).available == 3
    assert charge(user=student, decision=HINT_CHARGED).available == 2
    refund(user=student, decision=EXPLAIN_FREE)
    assert budget_state(user=student).available == 2
    refund(user=student, decision=EXPLAIN_CHARGED)
    assert budget_state(user=student).available == 3
    assert charge(user=teacher, decision=EXPLAIN_CHARGED).unlimited  # teachers are not limited
