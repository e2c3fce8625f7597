"""`manage.py serve_inference` checked with the official `openai` client (the real model).

The service loads its model at start-up and says ready only then; errors come back as OpenAI's
status codes and error codes, so the client raises its usual exception classes.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import httpx
import openai
import pytest
from asgiref.sync import async_to_sync
from django.test import Client

from inference.backends import PRIORITY_HEADER
from tests.inference.conftest import Service

pytestmark = pytest.mark.django_db(transaction=False)
QUESTION: Any = [{"role": "user", "content": "In one sentence: what does a teacher do?"}]


@pytest.fixture
def client(local_service: Service) -> openai.OpenAI:
    return openai.OpenAI(base_url=local_service.base_url, api_key=local_service.api_key)


def test_the_service_is_ready_with_its_model_loaded(local_service):
    health = local_service.health()
    assert health["status"] == "ready"
    assert health["engine_active_requests"] == 0
    assert health["scheduler"]["background_queued"] == 0


def test_health_says_loading_until_the_model_is_in_memory(monkeypatch, rf):
    from inference import openai_api
    from inference.backends import LocalBackend

    monkeypatch.setattr(LocalBackend, "_engine", None)
    response = async_to_sync(openai_api.health)(rf.get("/v1/health"))
    assert response.status_code == 503 and json.loads(response.content) == {"status": "loading"}
    monkeypatch.setattr(openai_api, "load_problem", "ModelUnavailable: no model here")
    response = async_to_sync(openai_api.health)(rf.get("/v1/health"))
    assert response.status_code == 503
    assert json.loads(response.content)["detail"] == "ModelUnavailable: no model here"


def test_polling_health_during_the_load_logs_no_error(monkeypatch, settings, caplog):
    # The supervisor polls every 0.2 s while the model loads: each 503 is an expected state,
    # and a log full of "ERROR Service Unavailable" lines hid the one real failure.
    from inference import openai_api
    from inference.backends import LocalBackend

    settings.ROOT_URLCONF = "inference.openai_urls"
    monkeypatch.setattr(LocalBackend, "_engine", None)
    web = Client()
    with caplog.at_level("DEBUG"):
        assert web.get("/health").status_code == 503
        monkeypatch.setattr(openai_api, "load_problem", "ModelUnavailable: no model here")
        assert web.get("/health").status_code == 503
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert any("still loading" in r.getMessage() for r in caplog.records)


def test_a_stream_arrives_in_pieces_with_usage_at_the_end(client, local_service):
    chunks = list(
        client.chat.completions.create(
            model=local_service.model,
            messages=QUESTION,
            max_tokens=16,
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert len([c for c in chunks if c.choices and c.choices[0].delta.content]) >= 5
    assert len(text.split()) >= 3
    usage = chunks[-1].usage
    assert usage is not None and 0 < usage.completion_tokens <= 16
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
    assert chunks[-1].choices[0].finish_reason in ("stop", "length")


def test_a_whole_answer_reports_usage_and_greedy_is_repeatable(client, local_service):
    first = client.chat.completions.create(
        model=local_service.model, messages=QUESTION, max_tokens=8, temperature=0
    )
    second = client.chat.completions.create(
        model=local_service.model, messages=QUESTION, max_tokens=8, temperature=0
    )
    assert first.choices[0].message.content == second.choices[0].message.content
    assert first.choices[0].message.role == "assistant"
    assert first.usage.completion_tokens <= 8 and first.usage.prompt_tokens > 10


def test_sampling_parameters_are_honoured(client, local_service):
    answers = {
        client.chat.completions.create(
            model=local_service.model,
            messages=[{"role": "user", "content": "Say a random word."}],
            max_tokens=6,
            temperature=1.5,
            top_p=1.0,
        )
        .choices[0]
        .message.content
        for _ in range(4)
    }
    assert len(answers) > 1, "temperature 1.5 must not give the same answer four times"
    limited = client.chat.completions.create(
        model=local_service.model, messages=QUESTION, max_completion_tokens=3
    )
    assert limited.usage.completion_tokens <= 3
    assert limited.choices[0].finish_reason == "length"


def test_embeddings_are_384_dimensional_and_similar_for_similar_texts(client):
    texts = ["attention", "self-attention"]
    result = client.embeddings.create(model="all-MiniLM-L6-v2", input=texts)
    vectors = [item.embedding for item in result.data]
    assert [item.index for item in result.data] == [0, 1]
    assert len(vectors[0]) == 384
    assert sum(a * b for a, b in zip(*vectors, strict=True)) > 0.5


def test_a_prompt_over_the_context_length_is_a_400_context_length_exceeded(client, local_service):
    with pytest.raises(openai.BadRequestError) as raised:
        client.chat.completions.create(
            model=local_service.model,
            messages=[{"role": "user", "content": "word " * 9000}],
            max_tokens=4,
            stream=True,  # refused before the stream starts, so the status is still a 400
        )
    assert raised.value.status_code == 400
    assert raised.value.code == "context_length_exceeded"
    assert "maximum context length" in raised.value.message


@pytest.mark.parametrize(
    ("options", "param"),
    [
        ({"temperature": 3}, "temperature"),
        ({"top_p": -0.5}, "top_p"),
        ({"max_tokens": 0}, "max_tokens"),
        ({"n": 2}, "n"),
        ({"messages": []}, "messages"),
        ({"messages": [{"role": "wizard", "content": "hi"}]}, "messages"),
    ],
)
def test_bad_parameters_are_a_400_naming_the_parameter(client, local_service, options, param):
    request = {"model": local_service.model, "messages": QUESTION, "max_tokens": 4, **options}
    with pytest.raises(openai.BadRequestError) as raised:
        client.chat.completions.create(**request)
    assert raised.value.status_code == 400
    assert raised.value.param == param


def test_an_unknown_model_is_a_404(client):
    with pytest.raises(openai.NotFoundError) as raised:
        client.chat.completions.create(model="gpt-17", messages=QUESTION, max_tokens=4)
    assert raised.value.code == "model_not_found"


def test_a_wrong_or_missing_key_is_a_401(local_service):
    wrong = openai.OpenAI(base_url=local_service.base_url, api_key="wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        wrong.chat.completions.create(model=local_service.model, messages=QUESTION, max_tokens=4)
    response = httpx.get(f"{local_service.base_url}/models")
    assert response.status_code == 401


def test_a_wrong_method_is_refused(local_service):
    headers = {"Authorization": f"Bearer {local_service.api_key}"}
    assert (
        httpx.get(f"{local_service.base_url}/chat/completions", headers=headers).status_code == 405
    )
    assert httpx.post(f"{local_service.base_url}/health").status_code == 405


def _wait_for_idle(service: Service, timeout: float = 10) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        health = service.health()
        if health["engine_active_requests"] == 0 and health["scheduler"]["interactive_active"] == 0:
            return health
        time.sleep(0.1)
    raise AssertionError(f"the engine is still busy: {service.health()}")


@pytest.mark.parametrize("priority", ["interactive", "background", "bogus"])
def test_a_client_that_disconnects_frees_its_engine_slot(local_service, priority):
    headers = {"Authorization": f"Bearer {local_service.api_key}", PRIORITY_HEADER: priority}
    body = {"model": local_service.model, "messages": QUESTION, "max_tokens": 400, "stream": True}
    with httpx.stream(
        "POST",
        f"{local_service.base_url}/chat/completions",
        json=body,
        headers=headers,
        timeout=120,  # a loaded machine: the first tokens may take a while
    ) as response:
        pieces = 0
        for line in response.iter_lines():
            pieces += line.startswith("data:")
            if pieces == 4:
                busy = local_service.health()
                assert busy["engine_active_requests"] == 1
                break  # leaving the block closes the connection mid-answer
    health = _wait_for_idle(local_service)
    assert health["scheduler"]["background_active"] == 0


def test_the_service_serves_the_api_and_the_lab_and_no_site_page(local_service):
    # The model process is for programs: /v1 and /v1/lab behind its key, none of the site's
    # pages or middleware (no session or CSRF cookie, no page security policy).
    key = {"Authorization": f"Bearer {local_service.api_key}"}
    api = local_service.base_url
    models = httpx.get(f"{api}/models", headers=key, timeout=30)
    assert models.status_code == 200 and models.json()["data"][0]["id"] == local_service.model
    assert "set-cookie" not in models.headers
    assert "content-security-policy" not in models.headers
    lab = httpx.post(f"{api}/lab/count_tokens", json={"text": "Hello world"}, headers=key)
    assert lab.status_code == 200 and lab.json() == {"count": 2}
    assert httpx.post(f"{api}/lab/count_tokens", json={"text": "a"}).status_code == 401
    site = api.removesuffix("/v1")
    for page in ("/", "/accounts/login/", "/admin/", "/healthz", "/api/courses/"):
        assert httpx.get(site + page, timeout=30).status_code == 404, page
