"""The concept graph: cycles refused with their path, JSON import/export, validation."""

from __future__ import annotations

import copy
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from learning.models import Concept, PracticeQuestion
from learning.services import concepts as concept_services
from tests.conftest import api_client_for
from tests.learning.conftest import GRAPH

pytestmark = pytest.mark.django_db


def test_a_prerequisite_that_closes_a_cycle_is_refused_with_the_path(course, concepts) -> None:
    dot = concepts["dot-products"]
    with pytest.raises(concept_services.ConceptRefused) as refused:
        concept_services.concept_save(
            course=course,
            concept=dot,
            slug=dot.slug,
            name=dot.name,
            prerequisites=[concepts["multi-head"]],
        )
    assert "Dot products → Multi-head attention → Attention → Dot products" in str(refused.value)
    assert not dot.prerequisites.exists()  # nothing was saved


def test_the_concepts_page_shows_the_cycle_and_keeps_the_graph(
    client, teacher, course, concepts
) -> None:
    client.force_login(teacher)
    url = reverse("learning:concept_edit", args=[course.slug, "values"])
    response = client.post(
        url, {"name": "Values", "prerequisites": [concepts["multi-head"].pk], **_bkt()}
    )
    assert response.status_code == 200
    assert "Values → Multi-head attention → Attention → Values" in response.content.decode()
    assert not concepts["values"].prerequisites.exists()


def _bkt() -> dict[str, str]:
    return {"prior": "0.2", "learn": "0.15", "guess": "0.2", "slip": "0.1"}


def test_a_teacher_adds_a_concept_with_prerequisites_and_lessons(
    client, teacher, course, concepts
) -> None:
    client.force_login(teacher)
    lesson = course.lessons.get(slug="multi-head")
    response = client.post(
        reverse("learning:concepts", args=[course.slug]),
        {
            "name": "Heads in parallel",
            "slug": "parallel-heads",
            "prerequisites": [concepts["multi-head"].pk],
            "lessons": [lesson.pk],
            **_bkt(),
        },
    )
    assert response.status_code == 302
    concept = Concept.objects.get(course=course, slug="parallel-heads")
    assert list(concept.prerequisites.all()) == [concepts["multi-head"]]
    assert list(concept.lessons.all()) == [lesson]


@pytest.mark.parametrize("slug", ["export", "attention"])
def test_reserved_and_taken_slugs_are_refused(client, teacher, course, concepts, slug) -> None:
    client.force_login(teacher)
    response = client.post(
        reverse("learning:concepts", args=[course.slug]), {"name": "X", "slug": slug, **_bkt()}
    )
    assert response.status_code == 200
    assert Concept.objects.filter(course=course, slug=slug).count() == (slug == "attention")


def test_export_then_import_into_another_course_round_trips(course, concepts, teacher) -> None:
    from courses import services as course_services

    exported = concept_services.concepts_export(course=course)
    assert [c["slug"] for c in exported["concepts"]] == [
        "dot-products",
        "values",
        "attention",
        "multi-head",
    ]
    other = course_services.course_create(author=teacher, title="Copy", slug="copy", summary=".")
    module = course_services.module_create(course=other, title="M")
    for slug in ("queries", "values", "multi-head"):
        course_services.lesson_create(module=module, title=slug, slug=slug, body="x")
    result = concept_services.concepts_import(course=other, data=json.loads(json.dumps(exported)))
    assert (result.created, result.updated, result.questions) == (4, 0, 2)
    again = concept_services.concepts_export(course=other)
    assert again["concepts"] == exported["concepts"]
    # Importing the same file again updates in place and adds no duplicate questions.
    result = concept_services.concepts_import(course=other, data=exported)
    assert (result.created, result.updated, result.questions) == (0, 4, 0)


def _broken(change) -> dict:
    data = copy.deepcopy(GRAPH)
    change(data)
    return data


BROKEN = {
    "not a concept file": ([1, 2], "not a concept file"),
    "no format": ({"concepts": []}, "not a concept file"),
    "unknown prerequisite": (
        _broken(lambda d: d["concepts"][1].update(prerequisites=["nowhere"])),
        "needs “nowhere”, which is not defined",
    ),
    "cycle": (
        _broken(lambda d: d["concepts"][0].update(prerequisites=["multi-head"])),
        "The prerequisites make a cycle: attention → dot-products → multi-head → attention",
    ),
    "duplicate slug": (
        _broken(lambda d: d["concepts"].append(dict(d["concepts"][0]))),
        "appears twice",
    ),
    "bad slug": (_broken(lambda d: d["concepts"][0].update(slug="Not A Slug")), "lowercase"),
    "unknown lesson": (
        _broken(lambda d: d["concepts"][0].update(lessons=["ghost"])),
        "no lesson “ghost”",
    ),
    "bad answer index": (
        _broken(lambda d: d["concepts"][0]["questions"][0].update(answer=9)),
        "question 1: Say which choice is right",
    ),
    "bad bkt": (_broken(lambda d: d["concepts"][0].update(bkt={"slip": 0.9})), "“bkt” takes"),
}


@pytest.mark.parametrize("case", BROKEN)
def test_a_broken_file_is_refused_whole_with_the_reason(course, case) -> None:
    data, message = BROKEN[case]
    with pytest.raises(concept_services.ImportRefused) as refused:
        concept_services.concepts_import(course=course, data=data)
    assert any(message in problem for problem in refused.value.problems), refused.value.problems
    assert not Concept.objects.filter(course=course).exists()


def test_the_import_page_reports_malformed_json_and_big_files(client, teacher, course) -> None:
    client.force_login(teacher)
    url = reverse("learning:concepts_import", args=[course.slug])
    response = client.post(url, {"text": '{"format": '})
    assert response.status_code == 400 and "not valid JSON" in response.content.decode()
    big = SimpleUploadedFile("c.json", b" " * (1024 * 1024 + 1), "application/json")
    response = client.post(url, {"file": big})
    assert response.status_code == 400 and "larger than 1 MB" in response.content.decode()
    upload = SimpleUploadedFile("c.json", json.dumps(GRAPH).encode(), "application/json")
    response = client.post(url, {"file": upload})
    assert response.status_code == 302
    assert Concept.objects.filter(course=course).count() == 4


def test_export_download_and_the_api_put(client, teacher, course, concepts) -> None:
    client.force_login(teacher)
    response = client.get(reverse("learning:concepts_export", args=[course.slug]))
    assert "attachment" in response["Content-Disposition"]
    assert json.loads(response.content)["format"] == concept_services.EXPORT_FORMAT
    api = api_client_for(teacher)
    cyclic = BROKEN["cycle"][0]
    response = api.put(f"/api/courses/{course.slug}/concepts/", cyclic, format="json")
    assert response.status_code == 400
    assert "cycle" in " ".join(response.json()["problems"])
    response = api.get(f"/api/courses/{course.slug}/concepts/")
    assert response.status_code == 200 and len(response.json()["concepts"]) == 4


def test_only_the_courses_teachers_manage_concepts(
    client, other_teacher, enrolled_student, course, concepts
) -> None:
    for user in (other_teacher, enrolled_student):
        client.force_login(user)
        for name in ("concepts", "concepts_export", "class"):
            assert client.get(reverse(f"learning:{name}", args=[course.slug])).status_code == 403
        assert api_client_for(user).get(f"/api/courses/{course.slug}/concepts/").status_code == 403
    client.logout()
    response = client.get(reverse("learning:concepts", args=[course.slug]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    client.force_login(other_teacher)
    assert client.get(reverse("learning:concepts", args=["no-such-course"])).status_code == 404


def test_assignments_may_only_name_the_courses_concepts(teacher, course, concepts) -> None:
    api = api_client_for(teacher)
    body = {
        "title": "Essay",
        "kind": "text",
        "instructions": "Explain attention.",
        "reference_answer": "Weights from dot products mix values.",
        "rubric": [{"criterion": "Mentions dot products", "points": 10}],
    }
    response = api.post(
        f"/api/courses/{course.slug}/assignments/",
        {**body, "concepts": ["atention"]},
        format="json",
    )
    assert response.status_code == 400
    assert "no concept called atention" in json.dumps(response.json())
    response = api.post(
        f"/api/courses/{course.slug}/assignments/",
        {**body, "concepts": ["attention"]},
        format="json",
    )
    assert response.status_code == 201


def test_admin_refuses_a_cycle(client, admin_user, course, concepts) -> None:
    client.force_login(admin_user)
    dot = concepts["dot-products"]
    url = reverse("admin:learning_concept_change", args=[dot.pk])
    response = client.post(
        url,
        {
            "course": course.pk,
            "slug": dot.slug,
            "name": dot.name,
            "position": 1,
            "prerequisites": [concepts["attention"].pk],
            **_bkt(),
            "questions-TOTAL_FORMS": "0",
            "questions-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "cycle" in response.content.decode()
    assert not dot.prerequisites.exists()
    assert PracticeQuestion.objects.filter(concept=dot).count() == 2


def test_the_fit_button_runs_the_fit_and_delete_needs_confirmation(
    client, teacher, course, concepts, django_capture_on_commit_callbacks
) -> None:
    client.force_login(teacher)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("learning:concepts_fit", args=[course.slug]), follow=True)
    assert "Fitting the knowledge-tracing parameters" in response.content.decode()
    assert "defaults: prior 0.20" in response.content.decode()  # too little data: kept
    url = reverse("learning:concept_delete", args=[course.slug, "multi-head"])
    assert client.get(url).status_code == 405
    client.post(url)
    assert Concept.objects.filter(course=course, slug="multi-head").exists()
    client.post(url, {"confirm": "on"})
    assert not Concept.objects.filter(course=course, slug="multi-head").exists()


@pytest.mark.parametrize(
    ("tags", "message"),
    [
        ({"TestAdd.test_nothing": ["values"]}, "No test is called TestAdd.test_nothing"),
        ({"TestAdd.test_small": ["attention"]}, "only be tagged with the assignment's concepts"),
    ],
)
def test_test_tags_must_name_real_tests_and_the_assignments_concepts(
    teacher, course, concepts, tags, message
) -> None:
    from tests.grading.conftest import RIGHT, TESTS

    response = api_client_for(teacher).post(
        f"/api/courses/{course.slug}/assignments/",
        {
            "title": "Add",
            "kind": "code",
            "instructions": "Write add.",
            "test_code": TESTS,
            "reference_solution": RIGHT,
            "concepts": ["dot-products", "values"],
            "test_concepts": tags,
        },
        format="json",
    )
    assert response.status_code == 400
    assert message in json.dumps(response.json())


def test_the_admin_approves_only_complete_questions(client, admin_user, concepts) -> None:
    from learning.models import QuestionStatus

    complete = PracticeQuestion.objects.filter(concept=concepts["dot-products"]).first()
    assert complete is not None
    complete.status = QuestionStatus.DRAFT
    complete.save()
    empty = PracticeQuestion.objects.create(
        concept=concepts["values"], kind="short", prompt="", status=QuestionStatus.FAILED
    )
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:learning_practicequestion_changelist"),
        {"action": "approve", "_selected_action": [complete.pk, empty.pk]},
        follow=True,
    )
    assert "1 questions approved" in response.content.decode()
    complete.refresh_from_db()
    empty.refresh_from_db()
    assert complete.status == QuestionStatus.APPROVED and empty.status == QuestionStatus.FAILED
