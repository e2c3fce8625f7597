"""The teacher's class view: heatmap, stuck students, hardest concepts; and who may see it."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from courses.services import enrollment_create
from learning.selectors import classroom as class_selectors
from tests.conftest import api_client_for

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)

pytestmark = pytest.mark.django_db


@pytest.fixture
def classroom(course, concepts, answer, short_question, django_user_model):
    """ann masters dot products; ben keeps getting it wrong; cat has not started."""
    people = {}
    for name in ("ann", "ben", "cat"):
        people[name] = django_user_model.objects.create_user(name, password="x", first_name=name)
        enrollment_create(user=people[name], course=course)
    for step in range(3):
        answer(people["ann"], True, at=T0 + step * HOUR, question=short_question)
    for step in range(6):
        answer(people["ben"], step == 3, at=T0 + step * HOUR)
    return people


def test_heatmap_stuck_and_hardest(course, classroom) -> None:
    view = class_selectors.class_view(course=course)
    assert [c.slug for c in view.concepts] == ["dot-products", "values", "attention", "multi-head"]
    rows = {row.student.username: row for row in view.rows}
    ann_first, ben_first = rows["ann"].cells[0], rows["ben"].cells[0]
    assert ann_first is not None and ann_first >= 0.95 and rows["ann"].mastered == 1
    assert ben_first is not None and ben_first < 0.5 and rows["ben"].mastered == 0
    assert rows["cat"].cells == [None, None, None, None]
    assert [(s.student.username, s.concept.slug, s.attempts) for s in view.stuck] == [
        ("ben", "dot-products", 6)
    ]
    hardest = view.hardest[0]
    assert hardest.concept.slug == "dot-products"
    assert (hardest.attempts, hardest.students, hardest.mastered) == (9, 2, 1)
    assert hardest.error_rate == pytest.approx(5 / 9)


def test_a_student_who_is_improving_is_not_stuck(course, classroom, answer) -> None:
    for step in range(3):
        answer(classroom["ben"], True, at=T0 + (10 + step) * HOUR)
    assert class_selectors.class_view(course=course).stuck == []


def test_the_page_and_api(client, teacher, course, classroom) -> None:
    client.force_login(teacher)
    html = client.get(reverse("learning:class", args=[course.slug])).content.decode()
    assert 'data-testid="heatmap"' in html
    assert (
        f'?student={classroom["ben"].pk}">ben</a> on <strong>Dot products</strong>: 6 answers'
        in html
    )
    assert "✓" in html  # ann's mastered cell
    data = api_client_for(teacher).get(f"/api/courses/{course.slug}/class/").json()
    assert data["stuck"][0]["student"] == "ben"
    assert [s["student"] for s in data["students"]] == ["ann", "ben", "cat"]


def test_the_heatmap_downloads_as_csv(client, teacher, course, classroom) -> None:
    classroom["cat"].first_name = "=HYPERLINK(evil)"
    classroom["cat"].save()
    client.force_login(teacher)
    assert (
        reverse("learning:class_csv", args=[course.slug])
        in client.get(reverse("learning:class", args=[course.slug])).content.decode()
    )
    response = client.get(reverse("learning:class_csv", args=[course.slug]))
    assert response["Content-Type"].startswith("text/csv")
    assert f'filename="{course.slug}-mastery.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == [
        "username",
        "name",
        "Dot products",
        "Values",
        "Attention",
        "Multi-head attention",
        "mastered",
    ]
    by_user = {row[0]: row for row in rows[1:]}
    assert by_user["ann"][2:] == ["0.98", "", "", "", "1"]
    assert float(by_user["ben"][2]) < 0.5 and by_user["ben"][-1] == "0"
    assert by_user["cat"][1:] == ["'=HYPERLINK(evil)", "", "", "", "", "0"]


def test_a_teacher_cannot_see_another_courses_class_view(
    client, other_teacher, enrolled_student, course, classroom
) -> None:
    for user in (other_teacher, enrolled_student):
        client.force_login(user)
        assert client.get(reverse("learning:class", args=[course.slug])).status_code == 403
        assert client.get(reverse("learning:class_csv", args=[course.slug])).status_code == 403
        assert api_client_for(user).get(f"/api/courses/{course.slug}/class/").status_code == 403


def test_the_heatmap_is_paginated(client, teacher, course, concepts, django_user_model) -> None:
    for number in range(55):
        user = django_user_model.objects.create_user(f"p{number:02}", password="x")
        enrollment_create(user=user, course=course)
    client.force_login(teacher)
    html = client.get(reverse("learning:class", args=[course.slug])).content.decode()
    assert "Page 1 of 2" in html and "p49" in html and "p50" not in html
    html = client.get(reverse("learning:class", args=[course.slug]) + "?page=2").content.decode()
    assert "p54" in html
