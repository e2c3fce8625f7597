"""Teachers create assignments in the browser and the API; broken tests are refused with reasons."""

from __future__ import annotations

import pytest
from django.urls import reverse

from grading.models import Assignment
from tests.conftest import api_client_for
from tests.grading.conftest import RIGHT, TESTS, WRONG

pytestmark = pytest.mark.django_db

PYTEST_STYLE = "from mymod import double\n\n\ndef test_double():\n    assert double(2) == 4\n"


def _code_payload(**overrides):
    return {
        "title": "Add",
        "kind": "code",
        "instructions": "Write `add`.",
        "test_code": TESTS,
        "reference_solution": RIGHT,
        "starter_code": "def add(a, b):\n    pass\n",
        "hidden_tests": ["TestAdd.test_large"],
        "weights": {"TestAdd.test_small": 2},
        "limits": {"cpu_seconds": 2},
        "concepts": ["functions"],
        "lesson": "queries",
        **overrides,
    }


def test_a_teacher_creates_a_code_assignment_through_the_api(course, teacher):
    response = api_client_for(teacher).post(
        "/api/courses/attention/assignments/", _code_payload(), format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["test_names"] == [
        "TestAdd.test_small",
        "TestAdd.test_negative",
        "TestAdd.test_large",
    ]
    assert body["visible_tests"] == ["TestAdd.test_small", "TestAdd.test_negative"]
    assert body["lesson"] == "queries"
    assignment = Assignment.objects.get()
    assert assignment.limits == {"cpu_seconds": 2}


def test_a_pytest_style_file_and_a_custom_module_name_work(course, teacher):
    response = api_client_for(teacher).post(
        "/api/courses/attention/assignments/",
        _code_payload(
            test_code=PYTEST_STYLE,
            module_name="mymod",
            reference_solution="def double(x):\n    return 2 * x\n",
            hidden_tests=[],
            weights={},
        ),
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["test_names"] == ["test_double"]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"reference_solution": WRONG}, "reference_solution", "does not pass every test"),
        ({"test_code": "def test_x(:\n    pass\n"}, "test_code", "line 1"),
        ({"test_code": "x = 1\n"}, "test_code", "no test"),
        ({"hidden_tests": ["TestAdd.test_missing"]}, "hidden_tests", "No test is called"),
        ({"weights": {"TestAdd.test_small": -1}}, "weights", "positive"),
        ({"module_name": "not a name"}, "module_name", "module name"),
        ({"limits": {"memory_mb": 1}}, "limits", "memory_mb"),
        ({"limits": {"gpu": 1}}, "limits", "Unknown limit"),
        ({"instructions": "[click](javascript:alert(1))"}, "instructions", "javascript"),
    ],
)
def test_broken_assignments_are_refused_with_the_reason(course, teacher, overrides, field, message):
    response = api_client_for(teacher).post(
        "/api/courses/attention/assignments/", _code_payload(**overrides), format="json"
    )
    assert response.status_code == 400
    assert field in response.json()
    assert message.lower() in str(response.json()[field]).lower()
    assert not Assignment.objects.exists()


def test_a_text_assignment_needs_a_reference_and_a_rubric(course, teacher):
    api = api_client_for(teacher)
    payload: dict[str, object] = {"title": "Why tuples", "kind": "text", "instructions": "Why?"}
    refused = api.post("/api/courses/attention/assignments/", payload, format="json")
    assert refused.status_code == 400
    assert {"reference_answer", "rubric"} <= set(refused.json())
    payload |= {
        "reference_answer": "Because they are immutable.",
        "rubric": [{"criterion": "Mentions immutability", "points": 10}],
    }
    created = api.post("/api/courses/attention/assignments/", payload, format="json")
    assert created.status_code == 201
    assert created.json()["rubric"] == [{"criterion": "Mentions immutability", "points": 10}]


def test_only_the_courses_teachers_create_assignments(
    course, enrolled_student, other_teacher, draft_course
):
    for user in (enrolled_student, other_teacher):
        response = api_client_for(user).post(
            "/api/courses/attention/assignments/", _code_payload(), format="json"
        )
        assert response.status_code == 403
    assert (
        api_client_for(other_teacher)
        .post("/api/courses/unreleased/assignments/", _code_payload(), format="json")
        .status_code
        == 404
    )
    assert (
        api_client_for(other_teacher)
        .post("/api/courses/nope/assignments/", _code_payload(), format="json")
        .status_code
        == 404
    )


def test_the_form_creates_an_assignment_and_shows_why_it_cannot(client, course, teacher):
    client.force_login(teacher)
    url = reverse("grading:assignment_create", args=["attention"])
    assert client.get(url).status_code == 200
    form = {
        "title": "Add",
        "kind": "code",
        "instructions": "Write `add`.",
        "max_score": "10",
        "max_attempts": "3",
        "score_policy": "best",
        "module_name": "solution",
        "test_code": TESTS,
        "reference_solution": WRONG,
        "hidden_text": "TestAdd.test_large",
        "weights_text": "TestAdd.test_small = 2",
        "cpu_seconds": "2",
    }
    refused = client.post(url, form)
    assert refused.status_code == 200
    assert "does not pass every test" in refused.content.decode()
    created = client.post(url, {**form, "reference_solution": RIGHT})
    assignment = Assignment.objects.get()
    assert created.url == assignment.get_absolute_url()
    assert assignment.weights == {"TestAdd.test_small": 2}
    assert assignment.hidden_tests == ["TestAdd.test_large"]
    assert assignment.limits == {"cpu_seconds": 2}
    assert assignment.max_attempts == 3


def test_students_cannot_open_the_assignment_form(client, course, enrolled_student):
    client.force_login(enrolled_student)
    url = reverse("grading:assignment_create", args=["attention"])
    assert client.get(url).status_code == 403
    assert client.post(url, {"title": "x"}).status_code == 403


def test_editing_the_tests_marks_graded_work_stale(client, code_assignment, teacher):
    before = code_assignment.grading_version
    client.force_login(teacher)
    url = reverse("grading:assignment_edit", args=["attention", code_assignment.pk])
    page = client.get(url)
    assert "TestAdd.test_large" in page.content.decode()  # hidden tests prefilled
    form = {
        "title": code_assignment.title,
        "kind": "code",
        "instructions": code_assignment.instructions,
        "max_score": "10",
        "max_attempts": "5",
        "score_policy": "best",
        "is_published": "on",
        "module_name": "solution",
        "test_code": code_assignment.test_code + "\n# a comment\n",
        "reference_solution": RIGHT,
        "hidden_text": "TestAdd.test_large",
    }
    response = client.post(url, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    code_assignment.refresh_from_db()
    assert code_assignment.grading_version == before + 1


SKIPS_ONE = TESTS.replace(
    "    def test_large(self):\n",
    '    @unittest.skip("kept for a later week")\n    def test_large(self):\n',
)


def test_a_reference_solution_passing_all_but_a_skipped_test_is_accepted(course, teacher):
    # A third-party exercise skips a test by design: skipped is neither passed nor failed.
    response = api_client_for(teacher).post(
        "/api/courses/attention/assignments/",
        _code_payload(test_code=SKIPS_ONE, hidden_tests=[], weights={}),
        format="json",
    )
    assert response.status_code == 201, response.json()
