"""Hooks that higher apps plug into, so that grading never imports them.

Grading sits below learning in the layers: it publishes what happened (grading/signals.py) and,
here, asks what it must not know itself.

Concept catalogues. An assignment (and each of its tests) may be tagged with concepts; once a
course has a concept graph, only the graph's concepts are accepted. The graph belongs to the
learning app, which registers a catalogue in LearningConfig.ready(). With no catalogue
registered (grading on its own), every slug is accepted, as for a course without a graph.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

# Called as catalogue(course=course): the concept slugs the course defines (empty: no graph).
ConceptCatalogue = Callable[..., Collection[str]]

_concept_catalogues: dict[str, ConceptCatalogue] = {}


def concept_catalogue_register(*, uid: str, catalogue: ConceptCatalogue) -> None:
    """Add (or, with the same uid, replace) a source of concept slugs; idempotent like
    Signal.connect with a dispatch_uid, since ready() can run more than once."""
    _concept_catalogues[uid] = catalogue


def concept_catalogue_unregister(*, uid: str) -> ConceptCatalogue | None:
    """Remove a catalogue; returns it, so that a test can put it back."""
    return _concept_catalogues.pop(uid, None)


def concepts_known(*, course: Any) -> set[str]:
    """Every concept slug the registered catalogues define for the course."""
    known: set[str] = set()
    for catalogue in _concept_catalogues.values():
        known.update(catalogue(course=course))
    return known
