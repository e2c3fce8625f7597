"""`inference.lab_api`: the lab as an endpoint of the model process (serve_inference)."""

from __future__ import annotations

import json

import pytest
from django.test import AsyncRequestFactory

from inference import lab_api

factory = AsyncRequestFactory()


def _post(name: str, body: object, **headers: str):
    return factory.post(
        f"/v1/lab/{name}", json.dumps(body), content_type="application/json", headers=headers
    )


async def test_it_runs_an_operation_on_the_real_model():
    response = await lab_api.operation(
        _post("count_tokens", {"text": "Hello world"}), "count_tokens"
    )
    assert response.status_code == 200
    assert json.loads(response.content) == {"count": 2}


@pytest.mark.parametrize(
    ("name", "body"), [("explode", {}), ("count_tokens", {"words": "x"}), ("count_tokens", [1])]
)
async def test_unknown_operations_and_bad_parameters_are_400(name, body):
    response = await lab_api.operation(_post(name, body), name)
    assert response.status_code == 400
    assert json.loads(response.content)["error"]["message"]


async def test_it_rejects_get():
    response = await lab_api.operation(factory.get("/v1/lab/count_tokens"), "count_tokens")
    assert response.status_code == 405


async def test_it_needs_the_key_when_one_is_set(settings):
    settings.INFERENCE_API_KEY = "s3cret"
    response = await lab_api.operation(_post("count_tokens", {"text": "a"}), "count_tokens")
    assert response.status_code == 401
    allowed = await lab_api.operation(
        _post("count_tokens", {"text": "a"}, Authorization="Bearer s3cret"), "count_tokens"
    )
    assert allowed.status_code == 200
