"""Grading asks for concept slugs through a hook (grading/hooks.py) instead of importing the
learning app; it works the same with no catalogue registered."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from grading import hooks
from grading.checks import concepts_problem


@pytest.fixture
def no_catalogues() -> Iterator[None]:
    saved = dict(hooks._concept_catalogues)
    hooks._concept_catalogues.clear()
    yield
    hooks._concept_catalogues.update(saved)


def test_without_a_catalogue_every_concept_is_accepted(no_catalogues) -> None:
    assert hooks.concepts_known(course=object()) == set()
    assert concepts_problem(object(), ["anything", "at-all"]) == ""


def test_a_registered_catalogue_limits_the_concepts(no_catalogues) -> None:
    course = object()
    hooks.concept_catalogue_register(
        uid="test", catalogue=lambda *, course: {"loops"} if course is not None else set()
    )
    assert concepts_problem(course, ["loops"]) == ""
    assert concepts_problem(course, ["loops", "sets", "dicts"]) == (
        "The course has no concept called dicts, sets; "
        "define it on the Concepts page first, or use one of its concepts."
    )
    assert hooks.concept_catalogue_unregister(uid="test") is not None
    assert concepts_problem(course, ["sets"]) == ""


def test_the_learning_app_registers_its_concept_graph() -> None:
    from learning.selectors.concepts import concept_slugs

    assert hooks._concept_catalogues["learning-concepts"] is concept_slugs
