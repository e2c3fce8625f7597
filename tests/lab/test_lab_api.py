"""The lab's JSON API: the same instruments, limits and budget as the pages."""

from __future__ import annotations

import pytest

from lab.forms import exercise_sign
from tests.conftest import api_client_for

ENDPOINTS = {
    "tokenizer": {"text": "one two"},
    "next-token": {"prompt": "The capital of France is"},
    "sample": {"prompt": "Hi", "temperature": 1.0, "top_k": 5, "top_p": 0.9},
    "attention": {"text": "the cat", "layer": 1},
    "embeddings": {"words": "king, queen", "query": "prince"},
    "speed": {},
}


@pytest.mark.parametrize("name", [*ENDPOINTS, "exercise"])
def test_it_refuses_anonymous_callers(db, lab_double, name):
    response = api_client_for(None).post(f"/api/lab/{name}/", {}, format="json")
    assert response.status_code in (401, 403)
    assert lab_double.calls == []


@pytest.mark.parametrize("name", [*ENDPOINTS, "exercise"])
def test_it_refuses_get(student, lab_double, name):
    assert api_client_for(student).get(f"/api/lab/{name}/").status_code == 405


@pytest.mark.parametrize(("name", "body"), ENDPOINTS.items())
def test_each_instrument_answers_json(student, lab_double, name, body):
    response = api_client_for(student).post(f"/api/lab/{name}/", body, format="json")
    assert response.status_code == 200, response.json()
    assert isinstance(response.json(), dict)


def test_next_token_returns_logits(student, lab_double):
    body = (
        api_client_for(student)
        .post("/api/lab/next-token/", {"prompt": "The capital of France is"}, format="json")
        .json()
    )
    assert body["candidates"][0] == {"id": 1, "text": " Paris", "logit": 5.0, "probability": 0.6}
    assert body["rest_logsumexp"] == 4.0


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("tokenizer", {}),
        ("tokenizer", {"text": "x" * 1001}),
        ("next-token", {"prompt": ""}),
        ("sample", {"prompt": "Hi", "temperature": -1, "top_k": 5, "top_p": 0.9}),
        ("attention", {"text": "the cat", "layer": 99}),
        ("attention", {"text": "the cat", "layer": 1, "head": 7}),
        ("embeddings", {}),
        ("exercise", {"prompt": "Paris", "exercise": "forged"}),
    ],
)
def test_bad_input_is_a_400_that_names_the_field(student, lab_double, name, body):
    response = api_client_for(student).post(f"/api/lab/{name}/", body, format="json")
    assert response.status_code == 400
    assert response.json()


def test_a_prompt_over_the_token_limit_is_refused(student, lab_double, settings):
    settings.LAB_MAX_TOKENS = 2
    response = api_client_for(student).post(
        "/api/lab/next-token/", {"prompt": "one two three"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "too_long"


def test_the_rate_limit_is_a_429(student, lab_double, settings, one_clock_minute):
    settings.LAB_CALLS_PER_MINUTE = 1
    client = api_client_for(student)
    assert client.post("/api/lab/tokenizer/", {"text": "a"}, format="json").status_code == 200
    response = client.post("/api/lab/tokenizer/", {"text": "a"}, format="json")
    assert response.status_code == 429
    assert response.json()["code"] == "rate_limited"


def test_the_exercise_is_checked(student, lab_double):
    exercise = exercise_sign({"exercise": "x", "more_likely": "Paris", "than": "London"})
    body = (
        api_client_for(student)
        .post("/api/lab/exercise/", {"exercise": exercise, "prompt": "France:"}, format="json")
        .json()
    )
    assert body["passed"] is True
    assert body["probabilities"] == {"Paris": 0.6, "London": 0.1}


def test_passages_of_a_course_not_taken_are_refused(student, course, lab_double):
    response = api_client_for(student).post(
        "/api/lab/embeddings/", {"course": course.pk}, format="json"
    )
    assert response.status_code == 400
    assert "course" in response.json()
