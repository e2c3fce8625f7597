"""The grading app in Chinese: each kind of page (assignments, an attempt's result, the review
queue, the gradebook, the assignment form), its messages and form errors, the API's error
details, and text made for someone else (a teacher's notification, a student's live frame) in
that person's language. Submissions are written directly: grading itself is tested in
tests/grading, in English."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import User
from courses.models import Course
from grading import services
from grading.models import Assignment, Kind, Status, Submission
from notifications.models import Notification
from tests.conftest import api_client_for

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
TESTS = "import unittest\nfrom solution import add\n"


@pytest.fixture
def assignment(course: Course, teacher: User) -> Assignment:
    return services.assignment_create(
        course=course,
        created_by=teacher,
        title="Add two numbers",
        kind=Kind.CODE,
        instructions="Write `add(a, b)`.",
        max_score=Decimal(10),
        max_attempts=1,
        test_code=TESTS,
        test_names=["TestAdd.test_small", "TestAdd.test_large"],
        hidden_tests=["TestAdd.test_large"],
    )


@pytest.fixture
def graded(assignment: Assignment, enrolled_student: User) -> Submission:
    """A failed first attempt: one visible test passed, the hidden one failed."""
    return Submission.objects.create(
        assignment=assignment,
        student=enrolled_student,
        attempt=1,
        code="def add(a, b):\n    return a - b\n",
        status=Status.GRADED,
        verdict="failed",
        auto_score=Decimal(5),
        score=Decimal(5),
        needs_review=True,
        grading_version=assignment.grading_version,
        tests=[
            {"name": "TestAdd.test_small", "outcome": "passed", "message": ""},
            {"name": "TestAdd.test_large", "outcome": "failed", "message": "1 != 2"},
        ],
    )


def _page(client, url: str) -> str:
    response = client.get(url, **ZH)
    assert response.status_code == 200, url
    return response.content.decode()


def test_the_student_sees_assignments_and_results_in_chinese(client, graded, assignment):
    client.force_login(graded.student)
    listing = _page(client, reverse("grading:assignments", args=[assignment.course.slug]))
    assert "<h1>作业</h1>" in listing and "你的分数" in listing
    assert "5 / 10" in listing and "1 / 1" in listing  # attempts used of allowed
    assert "Add two numbers" in listing  # the teacher's title stays as written
    detail = _page(client, assignment.get_absolute_url())
    assert "可提交 1 次，取最高一次成绩" in detail
    assert "你的提交记录" in detail and "第 1 次提交" in detail and "已评分 · 未通过" in detail
    result = _page(client, graded.get_absolute_url())
    assert "Add two numbers：第 1 次提交" in result and "提交于 " in result
    assert "✓ 通过" in result and "✗ 未通过" in result
    # A hidden test is named in the reader's language and its message withheld.
    assert "隐藏测试 1" in result and "1 != 2" not in result
    assert "觉得评分有误？" in result and "申请重新评分" in result
    assert "Attempt" not in result and "Hidden test" not in result


def test_the_teacher_pages_are_in_chinese(client, teacher, graded, assignment):
    client.force_login(teacher)
    slug = assignment.course.slug
    queue = _page(client, reverse("grading:review_queue", args=[slug]))
    assert "<h1>待审批作业</h1>" in queue and "共 1 份提交。" in queue
    assert ">需要审核</option>" in queue and ">优先批改</option>" in queue
    assert "<mark>需要审核</mark>" in queue and ">改分</button>" in queue
    assert "Alice 的分数" in queue  # the score field's hidden label
    book = _page(client, reverse("grading:gradebook", args=[slug]))
    assert "<h1>成绩册</h1>" in book and "分数分布" in book and "已评 1 份" in book
    detail = _page(client, graded.get_absolute_url())
    assert "Alice 的第 1 次提交" in detail and "用当前测试重新评分" in detail
    assert "1 != 2" in detail  # the teacher sees the hidden test's message


def test_the_assignment_form_and_its_errors_are_in_chinese(client, teacher, course):
    client.force_login(teacher)
    url = reverse("grading:assignment_create", args=[course.slug])
    form = _page(client, url)
    assert "<h1>新建作业</h1>" in form
    assert 'for="id_due_at">截止时间' in form and 'for="id_rubric_text">评分标准' in form
    assert "0 表示不限次数。" in form  # the model field's help text
    assert '<option value="text">文字作答</option>' in form  # the kind choices
    response = client.post(
        url,
        {
            "title": "Tuples",
            "kind": "text",
            "instructions": "Why?",
            "max_score": "10",
            "max_attempts": "3",
            "score_policy": "best",
            "reference_answer": "Because.",
            "rubric_text": "ten points | says why",
        },
        **ZH,
    )
    html = response.content.decode()
    assert response.status_code == 200 and not Assignment.objects.filter(title="Tuples").exists()
    assert "请修正下面的问题。" in html
    assert "“ten points | says why”不符合“分值 | 评分项”的格式。" in html


def test_messages_and_api_details_are_in_chinese(client, graded, teacher, assignment):
    client.force_login(teacher)
    response = client.post(
        reverse("grading:review", args=[assignment.course.slug, graded.pk]),
        {"action": "override", "score": "7"},
        follow=True,
        **ZH,
    )
    assert "请向学生说明理由。" in response.content.decode()  # the form's error, as a message
    response = client.post(
        reverse("grading:review", args=[assignment.course.slug, graded.pk]),
        {"action": "approve"},
        follow=True,
        **ZH,
    )
    assert "成绩已确认。" in response.content.decode()
    # A teacher may not submit (403); the student has used the one attempt (a refused service).
    url = reverse("api-submissions", args=[assignment.pk])
    response = api_client_for(teacher).post(
        url, {"code": "x = 1"}, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert response.json() == {"detail": "只有选课学生可以提交作业；教师负责批改。"}
    response = api_client_for(graded.student).post(
        url, {"code": "x = 1"}, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert response.json() == {"detail": "本作业的 1 次提交机会你已全部用完。"}
    # Without the header the API stays English.
    response = api_client_for(graded.student).post(url, {"code": "x = 1"}, format="json")
    assert response.json() == {"detail": "You have used all 1 attempts for this assignment."}


def test_a_regrade_request_reaches_each_teacher_in_their_language(graded, teacher):
    User.objects.filter(pk=teacher.pk).update(language="zh-hans")
    services.submission_regrade_request(submission=graded, reason="The hidden test is wrong.")
    notification = Notification.objects.get(user=teacher)
    assert notification.title == "申请重新评分：Add two numbers"


def test_the_live_frame_is_in_the_students_language(graded, monkeypatch):
    sent: list[dict] = []
    monkeypatch.setattr(
        "notifications.services.live_event_send",
        lambda *, user_id, event: sent.append(event),
    )
    User.objects.filter(pk=graded.student_id).update(language="zh-hans")
    graded.student.refresh_from_db()
    services.submission_report(graded)  # as a Celery worker does, with no request
    frame = sent[0]
    assert (frame["status_label"], frame["verdict_label"]) == ("已评分", "未通过")
    assert [t["name"] for t in frame["tests"]] == ["TestAdd.test_small", "隐藏测试 1"]
    User.objects.filter(pk=graded.student_id).update(language="en")
    graded.student.refresh_from_db()
    services.submission_report(graded)
    assert sent[1]["status_label"] == "Graded"
