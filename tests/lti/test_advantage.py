"""Deep linking, grade passback (AGS) and roster sync (NRPS) against the lti1p3platform LMS."""

from __future__ import annotations

import re
import time
from decimal import Decimal

import pytest
from lti_tool.models import LtiRegistration, LtiUser

from courses.models import Enrollment
from grading import services as grading
from grading.models import Assignment, Kind, Status, Submission
from grading.signals import submission_scored
from lti.models import CourseContext, GradeSync, Placement, RosterMember, SyncStatus, Target
from tests.lti.conftest import full_launch, oidc_login, platform_launch, post_launch
from tests.lti.platform import INSTRUCTOR, LEARNER
from tests.lti.test_launch import token_for


@pytest.fixture
def assignment(course, teacher) -> Assignment:
    return grading.assignment_create(
        course=course,
        created_by=teacher,
        title="Explain attention",
        kind=Kind.TEXT,
        instructions="Why scale the dot product?",
        max_score=Decimal(10),
        reference_answer="To keep the softmax from saturating.",
        rubric=[{"criterion": "Mentions the softmax", "points": 10}],
    )


def graded(assignment, student, score: str, attempt: int = 1) -> Submission:
    return Submission.objects.create(
        assignment=assignment,
        student=student,
        attempt=attempt,
        text="Because.",
        status=Status.GRADED,
        auto_score=Decimal(score),
        score=Decimal(score),
    )


def field(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]+)"', page)
    assert match, page
    return match.group(1)


# --- Deep linking ------------------------------------------------------------------------------


def test_a_teacher_places_an_assignment_with_a_line_item_through_deep_linking(
    client, lms, course, teacher, assignment
):
    # The LMS instructor is linked (by an admin) to the LLMasOS teacher account.
    LtiUser.objects.create(registration=LtiRegistration.objects.get(), sub="t-1", auth_user=teacher)
    preflight = oidc_login(client, lms, user_id="t-1", secure=True)
    data = platform_launch(
        lms, preflight, user_id="t-1", roles=[INSTRUCTOR], deep_link_return=f"{lms.issuer}/dl"
    )
    picker = post_launch(client, data, secure=True)
    page = picker.content.decode()
    assert picker.status_code == 200 and f"assignment:{assignment.pk}" in page
    token = field(page, "token")

    # A fresh client: the picker works with third-party cookies blocked (no session).
    answer = type(client)().post(
        "/lti/deep-link/",
        {"token": token, "item": [f"assignment:{assignment.pk}", "course:999"]},
        secure=True,
    )
    assert answer.status_code == 200
    assert f"form-action 'self' {lms.issuer}" in answer["Content-Security-Policy"]
    jwt = field(answer.content.decode(), "JWT")
    config = lms.config()
    config.get_registration()
    items = config.validate_deeplinking_resp({"JWT": jwt})
    assert len(items) == 1  # course 999 is not the teacher's: dropped
    item = items[0]
    assert item["type"] == "ltiResourceLink" and item["title"] == "Explain attention"
    assert item["lineItem"]["scoreMaximum"] == 10.0

    # The LMS creates the link and its line item; a student's first launch places it.
    first = full_launch(
        client,
        lms,
        user_id="s-1",
        roles=[LEARNER],
        link_id="rl-9",
        custom=item["custom"],
        lineitem="7",
    )
    assert first.status_code == 200
    placement = Placement.objects.get(resource_link_id="rl-9")
    assert placement.target == Target.ASSIGNMENT and placement.assignment == assignment
    assert placement.lineitem_url == f"{lms.issuer}/lineitems/7"


def test_a_learner_cannot_open_the_deep_linking_picker(client, lms, course):
    preflight = oidc_login(client, lms, user_id="s-1")
    data = platform_launch(
        lms, preflight, user_id="s-1", roles=[LEARNER], deep_link_return=f"{lms.issuer}/dl"
    )
    response = post_launch(client, data)
    assert response.status_code == 403 and "Only a teacher" in response.content.decode()


def test_a_forged_deep_linking_answer_is_refused(client, lms):
    response = client.post("/lti/deep-link/", {"token": "forged", "item": ["course:1"]})
    assert response.status_code == 400 and "expired" in response.content.decode()


# --- Grade passback ----------------------------------------------------------------------------


@pytest.fixture
def placed(client, lms, course, assignment):
    """A student who came from the LMS through an assignment link with a line item."""
    custom = token_for(course, target=Target.ASSIGNMENT, pk=assignment.pk)
    response = full_launch(client, lms, user_id="s-1", roles=[LEARNER], custom=custom, lineitem="7")
    assert response.status_code == 200
    return LtiUser.objects.get(sub="s-1").auth_user


def test_a_graded_attempt_is_posted_to_the_lms_line_item(
    lms, assignment, placed, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        submission = graded(assignment, placed, "7.5")
        submission_scored.send(sender=Submission, submission=submission)
    (score,) = lms.scores
    assert score["line_item"] == "7" and score["userId"] == "s-1"
    assert score["scoreGiven"] == 7.5 and score["scoreMaximum"] == 10.0
    assert score["gradingProgress"] == "FullyGraded"
    sync = GradeSync.objects.get()
    assert sync.status == SyncStatus.SENT and sync.sent_at and sync.score == Decimal("7.5")


def test_a_teacher_override_and_a_regrade_send_the_new_score(
    lms, assignment, placed, teacher, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        submission = graded(assignment, placed, "4")
        submission_scored.send(sender=Submission, submission=submission)
    with django_capture_on_commit_callbacks(execute=True):
        grading.submission_review(
            submission=submission, reviewer=teacher, score=Decimal(9), comment="Well argued."
        )
    assert [s["scoreGiven"] for s in lms.scores] == [4.0, 9.0]
    assert lms.scores[-1]["comment"] == "Well argued."
    assert GradeSync.objects.get().version == 3  # created at 1, bumped twice


def test_the_counted_attempt_is_sent_not_the_latest(
    lms, assignment, placed, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        graded(assignment, placed, "8", attempt=1)
        worse = graded(assignment, placed, "3", attempt=2)
        submission_scored.send(sender=Submission, submission=worse)
    assert lms.scores[-1]["scoreGiven"] == 8.0  # best attempt counts


def test_an_lms_outage_is_retried_and_then_sent(
    lms, assignment, placed, django_capture_on_commit_callbacks
):
    lms.fail_scores = 1
    with django_capture_on_commit_callbacks(execute=True):
        submission_scored.send(sender=Submission, submission=graded(assignment, placed, "6"))
    sync = GradeSync.objects.get()
    assert sync.status == SyncStatus.SENT and sync.attempts == 2
    assert len(lms.scores) == 1


def test_a_failed_send_is_kept_visible_and_sending_a_sent_row_again_is_a_no_op(
    lms, assignment, placed
):
    from lti.grades import grade_send

    sync = GradeSync.objects.create(
        placement=Placement.objects.get(),
        student=placed,
        lms_user_id="s-1",
        score=Decimal(5),
        max_score=Decimal(10),
    )
    lms.fail_scores = 1
    with pytest.raises(Exception, match="500"):
        grade_send(sync_id=sync.pk)
    sync.refresh_from_db()
    assert sync.status == SyncStatus.FAILED and "500" in sync.error
    assert grade_send(sync_id=sync.pk) == "sent"
    assert grade_send(sync_id=sync.pk) == "not-due"  # idempotent: nothing posted twice
    assert len(lms.scores) == 1


def test_a_student_who_never_came_from_the_lms_sends_nothing(
    lms, assignment, placed, student, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        submission_scored.send(sender=Submission, submission=graded(assignment, student, "6"))
    assert lms.scores == [] and not GradeSync.objects.exists()


def test_the_teacher_sees_the_last_sent_state_and_can_resend(
    client, lms, assignment, placed, teacher, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        submission_scored.send(sender=Submission, submission=graded(assignment, placed, "6"))
    sync = GradeSync.objects.get()
    client.force_login(teacher)
    page = client.get(f"/courses/{assignment.course.slug}/lms/").content.decode()
    assert "Sent" in page and "6.00 / 10.00" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/courses/{assignment.course.slug}/lms/grades/{sync.pk}/resend/")
    assert response.status_code == 302 and len(lms.scores) == 2


def test_only_the_courses_teachers_may_resend(
    client, lms, assignment, placed, other_teacher, student
):
    sync = GradeSync.objects.create(
        placement=Placement.objects.get(), student=placed, lms_user_id="s-1"
    )
    url = f"/courses/{assignment.course.slug}/lms/grades/{sync.pk}/resend/"
    assert client.post(url).status_code == 302  # anonymous: to the sign-in page
    client.force_login(other_teacher)
    assert client.post(url).status_code == 403
    client.force_login(student)
    assert client.get(f"/courses/{assignment.course.slug}/lms/").status_code == 403


def test_resend_refuses_get_and_an_unknown_row(client, lms, assignment, placed, teacher):
    client.force_login(teacher)
    base = f"/courses/{assignment.course.slug}/lms/grades"
    assert client.get(f"{base}/1/resend/").status_code == 405
    assert client.post(f"{base}/999/resend/").status_code == 404


# --- Roster sync -------------------------------------------------------------------------------


def test_roster_sync_enrolls_the_lms_learners_and_drops_those_who_left(
    client, lms, course, teacher, student, django_capture_on_commit_callbacks
):
    full_launch(client, lms, user_id="t-1", roles=[INSTRUCTOR], custom=token_for(course))
    context = CourseContext.objects.get()
    assert context.memberships_url == f"{lms.issuer}/memberships"
    lms.members = [
        {"user_id": "s-1", "roles": [LEARNER], "name": "Sam One", "status": "Active"},
        {"user_id": "s-2", "roles": [LEARNER], "name": "Sue Two", "status": "Active"},
        {"user_id": "t-1", "roles": [INSTRUCTOR], "status": "Active"},
    ]
    client.force_login(teacher)
    url = f"/courses/{course.slug}/lms/rosters/{context.pk}/sync/"
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url).status_code == 302
    enrolled = set(
        Enrollment.objects.filter(course=course).values_list("user__lti_users__sub", flat=True)
    )
    assert enrolled == {"s-1", "s-2"}

    # Sue leaves the LMS course; Sam is made inactive. A self-enrolled student stays.
    Enrollment.objects.create(user=student, course=course)
    lms.members = [{"user_id": "s-1", "roles": [LEARNER], "status": "Inactive"}]
    from lti.tasks import roster_sync_all

    roster_sync_all.delay()  # what Celery beat runs nightly
    remaining = set(Enrollment.objects.filter(course=course).values_list("user", flat=True))
    assert remaining == {student.pk}
    assert not RosterMember.objects.exists()
    context.refresh_from_db()
    assert context.synced_at is not None and context.sync_error == ""


def test_only_the_courses_teachers_may_sync_a_roster(client, lms, course, other_teacher):
    full_launch(client, lms, user_id="t-1", roles=[INSTRUCTOR], custom=token_for(course))
    context = CourseContext.objects.get()
    client.force_login(other_teacher)
    assert client.post(f"/courses/{course.slug}/lms/rosters/{context.pk}/sync/").status_code == 403


def test_the_course_page_links_its_teachers_to_the_lms_page(client, course, teacher):
    client.force_login(teacher)
    assert f"/courses/{course.slug}/lms/" in client.get(course.get_absolute_url()).content.decode()


def test_a_code_submission_graded_in_the_sandbox_reaches_the_lms(
    client, lms, course, teacher, settings, django_capture_on_commit_callbacks
):
    """The whole path: submit → the grading task runs the tests in the sandbox → the score
    reaches the LMS line item."""
    from tests.conftest import require_sandbox

    require_sandbox()
    settings.GRADING_FEEDBACK = False
    tests = (
        "import unittest\nfrom solution import add\n\n\nclass TestAdd(unittest.TestCase):\n"
        "    def test_small(self):\n        self.assertEqual(add(2, 3), 5)\n\n"
        "    def test_negative(self):\n        self.assertEqual(add(-2, -3), -5)\n"
    )
    code = grading.assignment_create(
        course=course,
        created_by=teacher,
        title="Add",
        kind=Kind.CODE,
        instructions="Write add(a, b).",
        max_score=Decimal(10),
        test_code=tests,
        test_names=["TestAdd.test_small", "TestAdd.test_negative"],
        limits={"cpu_seconds": 2, "wall_seconds": 4},
    )
    custom = token_for(course, target=Target.ASSIGNMENT, pk=code.pk)
    full_launch(client, lms, user_id="s-1", roles=[LEARNER], custom=custom, lineitem="3")
    student = LtiUser.objects.get(sub="s-1").auth_user
    with django_capture_on_commit_callbacks(execute=True):
        submission = grading.submission_create(
            assignment=code, student=student, code="def add(a, b):\n    return abs(a) + abs(b)\n"
        )
    submission.refresh_from_db()
    assert submission.status == Status.GRADED and submission.score == Decimal(5)
    (score,) = lms.scores
    assert score["line_item"] == "3" and score["scoreGiven"] == 5.0


def test_an_lms_problem_never_breaks_grading(lms, assignment, placed, monkeypatch, caplog):
    def broken(**kwargs):
        raise RuntimeError("LMS table locked")

    monkeypatch.setattr("lti.grades.grade_passback_queue", broken)
    submission = graded(assignment, placed, "6")
    submission_scored.send(sender=Submission, submission=submission)  # does not raise
    assert "could not be queued" in caplog.text


def test_celery_beat_syncs_every_roster_nightly(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["lti-roster-sync"]
    assert entry["task"] == "lti.tasks.roster_sync_all"
    assert entry["schedule"].hour == {settings.LTI_ROSTER_SYNC_HOUR}


def test_the_lms_pages_refuse_wrong_methods_and_unknown_rows(client, course, teacher):
    client.force_login(teacher)
    base = f"/courses/{course.slug}/lms/"
    assert client.post(base).status_code == 405
    assert client.get(f"{base}rosters/1/sync/").status_code == 405
    assert client.post(f"{base}rosters/999/sync/").status_code == 404
    assert client.get("/courses/no-such-course/lms/").status_code in (403, 404)


def test_a_forged_enter_link_is_refused(client, db):
    response = client.get("/lti/enter/forged/")
    assert response.status_code == 403 and "not valid" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_an_expired_enter_link_is_refused(client, lms, course):
    import time_machine

    response = full_launch(client, lms, user_id="s-1", roles=[LEARNER], custom=token_for(course))
    link = re.search(r'href="(/lti/enter/[^"]+)"', response.content.decode())
    assert link
    with time_machine.travel(time.time() + 300):
        late = type(client)().get(link.group(1))
    assert late.status_code == 403 and "expired" in late.content.decode()
