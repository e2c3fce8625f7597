"""The OpenAPI schema describes the learning endpoints' bodies (learning/serializers.py), not
bare objects."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from tests.conftest import api_client_for

pytestmark = pytest.mark.django_db


def _schema() -> dict[str, Any]:
    response = api_client_for(None).get(reverse("api-schema"), {"format": "json"})
    assert response.status_code == 200
    return response.json()


def _properties(schema: dict[str, Any], operation: dict[str, Any], status: str) -> set[str]:
    reference = operation["responses"][status]["content"]["application/json"]["schema"]["$ref"]
    return set(schema["components"]["schemas"][reference.rsplit("/", 1)[-1]]["properties"])


def test_the_schema_lists_the_learning_endpoints_with_their_fields() -> None:
    schema = _schema()
    paths = schema["paths"]
    path = paths["/api/courses/{slug}/path/"]["get"]
    assert _properties(schema, path, "200") == {
        "course",
        "student",
        "threshold",
        "mastered_count",
        "concepts",
        "next",
        "alternatives",
        "reviews_due",
        "upcoming_reviews",
        "progress",
    }
    assert _properties(schema, path, "403") == {"detail"}
    class_view = paths["/api/courses/{slug}/class/"]["get"]
    assert _properties(schema, class_view, "200") == {"concepts", "students", "stuck", "hardest"}
    concepts = paths["/api/courses/{slug}/concepts/"]
    assert _properties(schema, concepts["get"], "200") == {"format", "course", "concepts"}
    assert _properties(schema, concepts["put"], "200") == {"created", "updated", "questions"}
    assert _properties(schema, concepts["put"], "400") == {"problems"}
    answer = paths["/api/practice/{question_id}/answers/"]["post"]
    assert _properties(schema, answer, "201") == {
        "correct",
        "counted",
        "right_answer",
        "explanation",
        "mastery_before",
        "mastery_after",
        "newly_mastered",
        "review_due",
    }
    request = answer["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert request.endswith("/PracticeAnswerInput")
