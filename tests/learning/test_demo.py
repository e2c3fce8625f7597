"""The demo courses ship concept graphs, the demo student a path with something to show, and
the demo teacher a class to look at."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.models import User
from courses.models import Course
from grading.models import Assignment
from learning.models import Concept, Observation, QuestionStatus
from learning.selectors import classroom, paths

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(demo_once: str, db: None) -> None:
    pass


def test_each_demo_course_has_a_concept_graph_with_questions(demo) -> None:
    for course in Course.objects.all():
        concepts = Concept.objects.filter(course=course).prefetch_related("lessons", "questions")
        assert concepts.count() >= 10, course.slug
        for concept in concepts:
            assert concept.lessons.exists(), concept.slug
            kinds = {q.kind for q in concept.questions.all() if q.status == QuestionStatus.APPROVED}
            assert kinds == {"choice", "short"}, concept.slug


def test_demo_assignments_and_their_tests_name_concepts_of_the_graph(demo) -> None:
    slugs = set(Concept.objects.filter(course__slug="python-basics").values_list("slug", flat=True))
    for assignment in Assignment.objects.filter(course__slug="python-basics"):
        assert set(assignment.concepts) <= slugs, assignment.title
        assert set(assignment.test_concepts) <= set(assignment.test_names), assignment.title
        for tags in assignment.test_concepts.values():
            assert set(tags) <= set(assignment.concepts), assignment.title


def test_the_demo_student_has_mastered_concepts_a_review_due_and_a_next_step(demo) -> None:
    student = User.objects.get(username="student")
    path = paths.student_path(course=Course.objects.get(slug="python-basics"), student=student)
    assert path.mastered_count >= 3
    # Earlier reviews were done on time; the concept mastered two days ago is due.
    assert [item.concept.slug for item in path.reviews_due] == ["type-conversion"]
    assert path.upcoming_reviews  # the others come back later
    assert path.next is not None and path.next.activity is not None
    assert any(point.mastered for point in path.progress)


def test_loading_the_demo_again_keeps_the_history_as_it_is(demo) -> None:
    count = Observation.objects.count()
    call_command("load_demo", stdout=io.StringIO())
    assert Observation.objects.count() == count > 0


def test_the_demo_teacher_has_a_class_with_someone_stuck_and_hard_concepts(demo, client) -> None:
    course = Course.objects.get(slug="python-basics")
    view = classroom.class_view(course=course)
    assert course.enrollments.count() == 11  # the demo student and ten classmates
    assert {(s.student.username, s.concept.slug) for s in view.stuck} == {
        ("demo-tom", "f-strings"),
        ("demo-ravi", "slicing"),
        ("demo-jonas", "comparisons"),
    }
    assert len(view.hardest) >= 5
    client.force_login(User.objects.get(username="teacher"))
    page = client.get(reverse("learning:class", args=[course.slug])).content.decode()
    assert "Tom Okafor</a> on <strong>f-strings and formatting</strong>" in page
    assert "Nobody is stuck right now" not in page
    assert not User.objects.get(username="demo-tom").has_usable_password()
