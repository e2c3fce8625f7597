"""The grading task: exactly one verdict per submission, re-deliveries, crashes, AI feedback."""

from __future__ import annotations

from unittest import mock

import pytest

from grading import grader
from grading.models import Assignment, FeedbackStatus, Status, Submission, Verdict
from grading.selectors import review_queue
from grading.services import submission_create
from grading.tasks import submission_grade
from tests.grading.conftest import HALF_RIGHT, RIGHT, TESTS

pytestmark = pytest.mark.django_db


def _queued(assignment, student, code=RIGHT) -> Submission:
    return submission_create(assignment=assignment, student=student, code=code)


def test_a_graded_submission_is_never_graded_again(code_assignment, enrolled_student):
    submission = _queued(code_assignment, enrolled_student)
    assert submission_grade.delay(submission.pk).get() == "passed"
    with mock.patch("sandbox.run_tests") as run:
        assert submission_grade.delay(submission.pk).get() == "skipped"
    run.assert_not_called()
    submission.refresh_from_db()
    assert submission.grading_attempts == 1


def test_a_redelivery_after_a_dead_worker_grades_it_once(code_assignment, enrolled_student):
    submission = _queued(code_assignment, enrolled_student)
    # The first worker claimed it and died mid-run: the row says running, attempt 1.
    Submission.objects.filter(pk=submission.pk).update(status=Status.RUNNING, grading_attempts=1)
    assert submission_grade.delay(submission.pk).get() == "passed"
    submission.refresh_from_db()
    assert (submission.status, submission.grading_attempts) == (Status.GRADED, 2)


def test_a_submission_that_kills_two_workers_ends_as_internal_error(
    code_assignment, enrolled_student
):
    submission = _queued(code_assignment, enrolled_student)
    Submission.objects.filter(pk=submission.pk).update(status=Status.RUNNING, grading_attempts=2)
    with mock.patch("sandbox.run_tests") as run:
        assert submission_grade.delay(submission.pk).get() == "skipped"
    run.assert_not_called()
    submission.refresh_from_db()
    assert submission.status == Status.INTERNAL_ERROR
    assert "failed twice" in submission.problem and submission.needs_review


def test_only_the_latest_pickup_may_write_a_verdict(code_assignment, enrolled_student):
    submission = _queued(code_assignment, enrolled_student)
    claimed = grader._claim(submission.pk)
    assert claimed is not None
    # While this pickup runs, the broker re-delivers and a second worker claims it too.
    Submission.objects.filter(pk=submission.pk).update(grading_attempts=2)
    assert grader._record(claimed, {"verdict": "passed"}) is False
    submission.refresh_from_db()
    assert submission.status == Status.RUNNING and submission.verdict == ""


def test_a_bug_on_our_side_is_an_internal_error_not_the_students_fault(
    code_assignment, enrolled_student
):
    submission = _queued(code_assignment, enrolled_student)
    with mock.patch("grading.grader.code_grade", side_effect=RuntimeError("boom")):
        assert submission_grade.delay(submission.pk).get() == Status.INTERNAL_ERROR
    submission.refresh_from_db()
    assert submission.status == Status.INTERNAL_ERROR
    assert "on our side" in submission.problem
    assert submission.needs_review


def test_failed_tests_get_ai_feedback_without_code(
    code_assignment, enrolled_student, scripted, settings
):
    settings.GRADING_FEEDBACK = True
    scripted.answer = (
        "Your function mishandles negative numbers. Look at abs. ```python\ndef add(a, b): "
        "return a + b\n``` Try again."
    )
    submission = _queued(code_assignment, enrolled_student, code=HALF_RIGHT)
    submission_grade.delay(submission.pk).get()  # eager: the feedback task runs inline too
    submission.refresh_from_db()
    assert submission.feedback_status == FeedbackStatus.READY
    assert "negative numbers" in submission.feedback
    assert "return a + b" not in submission.feedback  # the code guard withheld the block
    prompt = scripted.calls[-1][-1]["content"]
    assert "TestAdd.test_negative" in prompt and "5 != -5" in prompt
    assert "TestAdd.test_large" not in prompt  # hidden tests stay hidden, from the model too


def test_a_passing_submission_needs_no_feedback(
    code_assignment, enrolled_student, scripted, settings
):
    settings.GRADING_FEEDBACK = True
    submission = _queued(code_assignment, enrolled_student)
    submission_grade.delay(submission.pk).get()
    submission.refresh_from_db()
    assert submission.feedback_status == FeedbackStatus.NONE
    assert scripted.calls == []


def test_feedback_fails_gracefully_when_the_model_is_down(
    code_assignment, enrolled_student, settings
):
    from inference.backends import InferenceError

    settings.GRADING_FEEDBACK = True
    submission = _queued(code_assignment, enrolled_student, code=HALF_RIGHT)
    with mock.patch("inference.llm.chat_stream", side_effect=InferenceError("down")):
        submission_grade.delay(submission.pk).get()
    submission.refresh_from_db()
    assert submission.status == Status.GRADED and submission.verdict == "failed"
    assert submission.feedback_status == FeedbackStatus.FAILED


def test_a_skipped_test_counts_neither_for_nor_against_the_score(code_assignment, enrolled_student):
    skipped = TESTS.replace("    def test_large", '    @unittest.skip("later")\n    def test_large')
    Assignment.objects.filter(pk=code_assignment.pk).update(test_code=skipped)
    code_assignment.refresh_from_db()
    submission = _queued(code_assignment, enrolled_student)
    assert submission_grade.delay(submission.pk).get() == "passed"
    submission.refresh_from_db()
    assert submission.score == code_assignment.max_score
    assert [t["outcome"] for t in submission.tests] == ["passed", "passed", "skipped"]


def test_tampering_is_flagged_for_the_teacher_never_a_pass(code_assignment, enrolled_student):
    # The student's code kills the trusted test process: the verdict says so and the
    # submission waits in the review queue.
    code = (
        "import os, signal\n"
        "def add(a, b):\n"
        "    for pid in os.listdir('/proc'):\n"
        "        if pid.isdigit() and int(pid) not in (1, os.getpid()):\n"
        "            os.kill(int(pid), signal.SIGKILL)\n"
        "    return a + b\n"
    )
    submission = _queued(code_assignment, enrolled_student, code=code)
    assert submission_grade.delay(submission.pk).get() == Verdict.TAMPERED
    submission.refresh_from_db()
    assert submission.needs_review
    assert submission.problem.startswith("Tampering suspected")
    assert submission in review_queue(course=code_assignment.course)
