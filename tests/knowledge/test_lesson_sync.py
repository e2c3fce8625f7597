"""Lesson edits reach the knowledge base by signal (courses imports nothing of knowledge):
saved lessons are re-indexed, deleted lessons leave the index, whichever way they change.

Uses the real packaged embedder.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from django.core.management import call_command
from django.urls import reverse

from courses import services
from courses.models import Course, Lesson
from knowledge.index import index_ids
from knowledge.models import Chunk

pytestmark = pytest.mark.django_db


def _index_lessons(course: Course, capture: Any) -> set[int]:
    with capture(execute=True):
        assert services.course_reindex_lessons(course=course) == 3
    ids = set(Chunk.objects.filter(course=course).values_list("id", flat=True))
    assert ids and index_ids(course.pk) == ids
    return ids


def test_a_lesson_saved_in_the_admin_is_indexed(
    kb_dirs, client, admin_user, course, django_capture_on_commit_callbacks
):
    lesson = course.lessons.get(slug="values")
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:courses_lesson_change", args=[lesson.pk]),
            {
                "module": lesson.module_id,
                "title": lesson.title,
                "slug": lesson.slug,
                "body": "## Mixing\nValues are averaged with the attention weights.",
                "position": lesson.position,
            },
        )
    assert response.status_code == 302
    passages = Chunk.objects.filter(lesson=lesson)
    assert [p.heading for p in passages] == ["Mixing"]
    assert index_ids(course.pk) == {p.pk for p in passages}


def test_a_deleted_lesson_leaves_the_index(kb_dirs, course, django_capture_on_commit_callbacks):
    ids = _index_lessons(course, django_capture_on_commit_callbacks)
    lesson = course.lessons.get(slug="multi-head")
    gone = set(Chunk.objects.filter(lesson=lesson).values_list("id", flat=True))
    with django_capture_on_commit_callbacks(execute=True):
        lesson.delete()
    assert gone and index_ids(course.pk) == ids - gone
    call_command("check_kb", course.slug, stdout=(out := io.StringIO()))
    assert "ok (" in out.getvalue()


def test_deleting_a_course_with_indexed_lessons_works(
    kb_dirs, course, django_capture_on_commit_callbacks
):
    _index_lessons(course, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        course.delete()
    assert not Chunk.objects.exists()


def _saver(lesson: Lesson, capture: Any) -> Callable[[str], None]:
    """Saves the lesson's body as the teacher's edit does, its re-indexing run at commit."""

    def save(body: str) -> None:
        with capture(execute=True):
            services.lesson_update(
                lesson=lesson, module=lesson.module, title=lesson.title, slug=lesson.slug, body=body
            )

    return save


def test_a_lesson_saved_again_embeds_only_its_changed_passages_in_a_fresh_process(
    kb_dirs, course, django_capture_on_commit_callbacks, monkeypatch
):
    from inference import embeddings
    from knowledge import ingest

    lesson = course.lessons.get(slug="values")
    kept = "## Mixing\nValues are averaged with the attention weights. Each query gets its own mix."
    save = _saver(lesson, django_capture_on_commit_callbacks)

    save(f"{kept}\n\n## Heads\nEvery head mixes the values differently.")
    before = {c.heading: c for c in Chunk.objects.filter(lesson=lesson)}
    assert set(before) == {"Mixing", "Heads"}

    # What a worker started afresh (a new `make run`) knows: nothing in the embedder's cache.
    monkeypatch.setattr(embeddings, "_minilm_cache", embeddings._RecentVectors(1024))
    embed = ingest.embed_texts
    asked: list[str] = []

    def counting(texts: list[str], **options: Any):
        asked.extend(texts)
        return embed(texts, **options)

    monkeypatch.setattr(ingest, "embed_texts", counting)
    save(f"{kept}\n\n## Heads\nEach head attends to other positions.")

    after = {c.heading: c for c in Chunk.objects.filter(lesson=lesson)}
    # The unchanged passage is embedded once more as a probe (is the embedder the one that
    # stored it?); its sentences are not.
    assert [t for t in asked if "own mix" in t] == [kept.removeprefix("## ")]
    assert "Each head attends to other positions." in asked
    assert bytes(after["Mixing"].vector) == bytes(before["Mixing"].vector)
    assert bytes(after["Mixing"].sentence_vectors) == bytes(before["Mixing"].sentence_vectors)
    assert after["Mixing"].sentence_spans == before["Mixing"].sentence_spans
    assert bytes(after["Heads"].vector) != bytes(before["Heads"].vector)
    assert index_ids(course.pk) == {c.pk for c in after.values()}


def test_stored_vectors_of_another_embedder_are_not_reused(
    kb_dirs, course, django_capture_on_commit_callbacks
):
    lesson = course.lessons.get(slug="values")
    body = "## Mixing\nValues are averaged with the attention weights. Each query gets its own mix."
    save = _saver(lesson, django_capture_on_commit_callbacks)

    save(body)
    right = bytes(Chunk.objects.get(lesson=lesson).vector)
    # As if another model (the course's language changed, or a new packaged embedder) had
    # stored it: a unit vector, but not this embedder's for this text.
    other = np.roll(np.frombuffer(right, dtype=np.float32), 7).tobytes()
    Chunk.objects.filter(lesson=lesson).update(vector=other)

    save(body + "\n\n## Heads\nEvery head mixes the values differently.")
    again = Chunk.objects.get(lesson=lesson, heading="Mixing")  # its heading and text unchanged
    assert bytes(again.vector) == right
