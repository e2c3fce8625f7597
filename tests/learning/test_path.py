"""Recommendations, activities, reviews and progress: the "My path" page and its API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from courses.models import LessonCompletion
from learning.selectors import paths
from tests.conftest import api_client_for
from tests.learning.conftest import add_question

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)

# a, b, c have no prerequisites; x and y need a; z needs b; w needs x; d needs a and b
REQUIRES = {
    "a": set(),
    "b": set(),
    "c": set(),
    "x": {"a"},
    "y": {"a"},
    "z": {"b"},
    "w": {"x"},
    "d": {"a", "b"},
}
ORDER = list(REQUIRES)


def _ranked(mastered: set[str], struggles: dict[str, int] | None = None) -> list[str]:
    return [
        c
        for c, _, _ in paths.rank_candidates(
            requires=REQUIRES, mastered=mastered, struggles=struggles or {}, order=ORDER
        )
    ]


def test_recommendations_rank_by_what_they_unlock() -> None:
    # a unlocks x and y at once; b unlocks z; d needs both a and b so neither unlocks it alone.
    assert _ranked(set()) == ["a", "b", "c"]


def test_recent_struggles_move_a_concept_up() -> None:
    assert _ranked(set(), {"c": 3}) == ["c", "a", "b"]
    assert _ranked(set(), {"c": 1}) == ["a", "b", "c"]  # one slip does not outweigh unlocking two


def test_only_concepts_whose_prerequisites_are_mastered_are_offered() -> None:
    # With a mastered, b now unlocks z and d (2); x unlocks w (1); c and y unlock nothing.
    assert _ranked({"a"}) == ["b", "x", "c", "y"]
    ranked = paths.rank_candidates(requires=REQUIRES, mastered={"a"}, struggles={}, order=ORDER)
    assert ranked[0][2] == ["z", "d"]
    assert "w" not in _ranked({"a"}) and "d" not in _ranked({"a"})


def _next(path: paths.StudentPath) -> paths.Recommendation:
    """The path's recommendation: these tests always expect one."""
    assert path.next is not None
    return path.next


def _activity(item: paths.Recommendation | paths.ReviewItem) -> paths.Activity:
    assert item.activity is not None
    return item.activity


def _answer_right(answer, student, times: int, start=T0, **kwargs):
    for step in range(times):
        answer(student, True, at=start + step * HOUR, **kwargs)


@pytest.mark.django_db
def test_the_path_moves_on_as_the_student_masters_concepts(
    course, concepts, enrolled_student, answer
) -> None:
    path = paths.student_path(course=course, student=enrolled_student, now=T0)
    assert _next(path).state.concept.slug == "dot-products"
    assert _next(path).reasons[0] == "Dot products needs nothing else first: a good place to start."
    # Nothing tried yet and the lesson not read: read it first.
    activity = _activity(_next(path))
    assert (activity.kind, activity.title) == ("lesson", "Queries and keys")
    assert [s.status for s in path.concepts] == ["ready", "ready", "locked", "locked"]

    _answer_right(answer, enrolled_student, 3)
    path = paths.student_path(course=course, student=enrolled_student, now=T0 + 3 * HOUR)
    assert path.mastered_count == 1
    assert _next(path).state.concept.slug == "values"
    assert "Mastering it unlocks Attention." in _next(path).reasons
    locked = path.concepts[2]
    assert locked.status == "locked" and [c.slug for c in locked.missing] == ["values"]

    question = add_question(concepts["values"])
    _answer_right(answer, enrolled_student, 3, start=T0 + 4 * HOUR, question=question)
    path = paths.student_path(course=course, student=enrolled_student, now=T0 + 8 * HOUR)
    assert _next(path).state.concept.slug == "attention"
    assert _next(path).reasons[0] == (
        "You have mastered Dot products and Values; Attention builds on them."
    )


@pytest.mark.django_db
def test_activities_go_lesson_then_questions_then_assignment(
    course, concepts, enrolled_student, answer, choice_question, short_question, teacher
) -> None:
    from grading import services as grading_services

    answer(enrolled_student, False, at=T0)  # tried: questions come before rereading
    path = paths.student_path(course=course, student=enrolled_student, now=T0 + HOUR)
    assert _activity(_next(path)).kind == "practice"
    # The question not yet answered comes first.
    assert _activity(_next(path)).url == short_question.get_absolute_url()
    assert "You missed it 1 time in the last 7 days" in " ".join(_next(path).reasons)

    answer(enrolled_student, True, at=T0 + HOUR, question=short_question)
    answer(enrolled_student, False, at=T0 + 2 * HOUR)
    answer(enrolled_student, True, at=T0 + 3 * HOUR)  # both questions now answered right
    essay = grading_services.assignment_create(
        course=course,
        created_by=teacher,
        title="Dot products by hand",
        kind="text",
        instructions="Compute one.",
        concepts=["dot-products"],
        reference_answer="11",
        rubric=[{"criterion": "Right", "points": 10}],
    )
    path = paths.student_path(course=course, student=enrolled_student, now=T0 + 4 * HOUR)
    assert _next(path).state.concept.slug == "dot-products"
    activity = _activity(_next(path))
    assert (activity.kind, activity.title) == ("assignment", essay.title)


@pytest.mark.django_db
def test_a_review_shows_up_when_due_and_progress_counts_it(
    course, concepts, enrolled_student, answer
) -> None:
    _answer_right(answer, enrolled_student, 3)
    mastered_at = T0 + 2 * HOUR
    path = paths.student_path(
        course=course, student=enrolled_student, now=mastered_at + timedelta(days=1)
    )
    assert path.reviews_due == []
    assert [r.concept.slug for r in path.upcoming_reviews] == ["dot-products"]
    path = paths.student_path(
        course=course, student=enrolled_student, now=mastered_at + timedelta(days=2)
    )
    assert [r.concept.slug for r in path.reviews_due] == ["dot-products"]
    assert _activity(path.reviews_due[0]).kind == "practice"
    assert not path.reviews_due[0].overdue
    assert path.progress[-1].mastered == 1
    assert path.progress[-4].mastered == 0  # three days before: not mastered yet
    later = paths.student_path(
        course=course, student=enrolled_student, now=mastered_at + timedelta(days=5)
    )
    assert [(r.concept.slug, r.overdue) for r in later.reviews_due] == [("dot-products", True)]


@pytest.mark.django_db
def test_a_review_missed_for_days_says_since_when(
    client, course, concepts, enrolled_student, answer
) -> None:
    mastered = datetime.now(UTC) - timedelta(days=5)  # first review was due three days ago
    _answer_right(answer, enrolled_student, 3, start=mastered - 2 * HOUR)
    client.force_login(enrolled_student)
    page = client.get(reverse("learning:path", args=[course.slug])).content.decode()
    due = timezone.localtime(mastered + timedelta(days=2))
    assert f"overdue since {due:%a} {due.day} {due:%b}" in page
    data = api_client_for(enrolled_student).get(f"/api/courses/{course.slug}/path/").json()
    assert [(r["concept"], r["overdue"]) for r in data["reviews_due"]] == [("dot-products", True)]


@pytest.mark.django_db
def test_the_dashboard_headlines_each_path(
    client, course, concepts, enrolled_student, answer
) -> None:
    client.force_login(enrolled_student)
    page = client.get(reverse("dashboard")).content.decode()
    assert "0 of 4 concepts mastered</p>" in page
    _answer_right(answer, enrolled_student, 3, start=datetime.now(UTC) - timedelta(days=3))
    page = client.get(reverse("dashboard")).content.decode()
    assert "1 of 4 concepts mastered · <strong>1 review due today</strong>" in page


@pytest.mark.django_db
def test_the_page_and_the_api_show_the_same_path(
    client, course, concepts, enrolled_student, answer
) -> None:
    _answer_right(answer, enrolled_student, 3, start=datetime.now(UTC) - timedelta(hours=5))
    client.force_login(enrolled_student)
    page = client.get(reverse("learning:path", args=[course.slug])).content.decode()
    data = api_client_for(enrolled_student).get(f"/api/courses/{course.slug}/path/").json()
    assert data["mastered_count"] == 1
    assert "1 of 4</strong> concepts mastered" in page
    assert data["next"]["name"] == "Values"
    assert 'data-testid="next-concept">Values<' in page
    for reason in data["next"]["reasons"]:
        assert reason in page
    for concept in data["concepts"]:
        percent = round(concept["mastery"] * 100)
        assert f'data-testid="mastery-{concept["concept"]}">{percent}%<' in page
    assert [p["mastered"] for p in data["progress"]][-1] == 1
    assert data["next"]["activity"]["url"].startswith("http://testserver/courses/")


@pytest.mark.django_db
def test_who_may_see_a_path(
    client, course, concepts, enrolled_student, other_student, teacher, other_teacher
) -> None:
    url = reverse("learning:path", args=[course.slug])
    mine = f"{url}?student={enrolled_student.pk}"
    client.force_login(teacher)
    response = client.get(mine)
    assert response.status_code == 200 and "Learning path of Alice" in response.content.decode()
    assert client.get(f"{url}?student={other_student.pk}").status_code == 404  # not enrolled
    assert client.get(f"{url}?student=abc").status_code == 404
    client.force_login(other_student)
    assert client.get(url).status_code == 403  # not enrolled
    assert api_client_for(other_student).get(f"/api/courses/{course.slug}/path/").status_code == 403
    from courses.services import enrollment_create

    enrollment_create(user=other_student, course=course)
    assert client.get(mine).status_code == 403  # a classmate's path
    api = api_client_for(other_student)
    assert (
        api.get(f"/api/courses/{course.slug}/path/?student={enrolled_student.pk}").status_code
        == 403
    )
    client.force_login(other_teacher)
    assert client.get(mine).status_code == 403
    client.logout()
    assert client.get(url).status_code == 302
    assert api_client_for(None).get(f"/api/courses/{course.slug}/path/").status_code in (401, 403)
    client.force_login(enrolled_student)
    assert client.get(reverse("learning:path", args=["nowhere"])).status_code == 404


@pytest.mark.django_db
def test_a_course_without_concepts_says_so(client, course, enrolled_student) -> None:
    client.force_login(enrolled_student)
    response = client.get(reverse("learning:path", args=[course.slug]))
    assert "no concept map yet" in response.content.decode()


@pytest.mark.django_db
def test_lesson_completion_moves_the_activity_to_the_next_lesson(
    course, concepts, enrolled_student
) -> None:
    concepts["dot-products"].lessons.add(course.lessons.get(slug="values"))
    LessonCompletion.objects.create(
        user=enrolled_student, lesson=course.lessons.get(slug="queries")
    )
    path = paths.student_path(course=course, student=enrolled_student, now=T0)
    assert _activity(_next(path)).title == "Values"


@pytest.mark.django_db
def test_a_lesson_names_its_concepts(client, course, concepts, enrolled_student) -> None:
    client.force_login(enrolled_student)
    html = client.get(course.lessons.get(slug="queries").get_absolute_url()).content.decode()
    assert "Concepts in this lesson: Dot products, Attention" in html
    assert reverse("learning:path", args=[course.slug]) in html
