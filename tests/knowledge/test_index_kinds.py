"""The FAISS index kind follows the course's size, and the in-memory search structures (FAISS and
BM25) follow every change of the course's material."""

from __future__ import annotations

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from knowledge.index import (
    DIMENSION,
    LoadedCourseIndex,
    index_add,
    index_ids,
    index_kind,
    index_rebuild,
    index_remove,
    loaded_index,
)
from knowledge.models import Chunk, KnowledgeBaseState
from knowledge.search import search
from knowledge.services import material_create, material_delete
from tests.conftest import api_client_for

pytestmark = pytest.mark.django_db


def _chunks(course, count: int, start: int = 0, seed: int = 0) -> list[Chunk]:
    lesson = course.lessons.first()
    vectors = np.random.default_rng(seed).standard_normal((count, DIMENSION)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return Chunk.objects.bulk_create(
        Chunk(
            course=course,
            lesson=lesson,
            ordinal=start + i,
            text=f"passage number {start + i}",
            vector=vectors[i].tobytes(),
        )
        for i in range(count)
    )


def _loaded(course) -> LoadedCourseIndex:
    loaded = loaded_index(course.pk)
    assert loaded is not None
    return loaded


def _exact_top(course, vector: np.ndarray, k: int) -> list[int]:
    rows = list(Chunk.objects.filter(course=course).values_list("id", "vector"))
    matrix = np.frombuffer(b"".join(bytes(v) for _, v in rows), np.float32).reshape(-1, DIMENSION)
    order = np.argsort(-(matrix @ vector))[:k]
    return [rows[i][0] for i in order]


def test_a_course_that_grows_past_the_threshold_gets_an_ivf_index_and_back(
    kb_dirs, course, settings
):
    settings.KB_IVF_MIN_PASSAGES = 200
    KnowledgeBaseState.objects.get_or_create(course=course)
    first = _chunks(course, 150)
    index_add(course.pk, first)
    assert index_kind(_loaded(course).dense) == "flat"

    second = _chunks(course, 100, start=150, seed=1)
    index_add(course.pk, second)
    loaded = _loaded(course)
    assert index_kind(loaded.dense) == "ivf"
    assert index_ids(course.pk) == {c.pk for c in first + second}
    # Exhaustive at this size (few lists, all probed): the exact neighbours (fp16 storage may
    # swap near ties, so as a set), the passage itself first.
    probe = np.frombuffer(bytes(second[3].vector), np.float32)
    _, found = loaded.dense.search(probe[None, :], 10)
    assert found[0][0] == second[3].pk
    assert set(found[0].tolist()) == set(_exact_top(course, probe, 10))

    removed = [c.pk for c in second]
    Chunk.objects.filter(pk__in=removed).delete()
    index_remove(course.pk, removed)
    loaded = _loaded(course)
    assert index_kind(loaded.dense) == "flat"
    assert index_ids(course.pk) == {c.pk for c in first}


def test_rebuild_chooses_the_kind_by_size(kb_dirs, course, settings):
    KnowledgeBaseState.objects.get_or_create(course=course)
    _chunks(course, 120)
    settings.KB_IVF_MIN_PASSAGES = 100
    assert index_rebuild(course.pk) == 120
    assert index_kind(_loaded(course).dense) == "ivf"
    settings.KB_IVF_MIN_PASSAGES = 1000
    index_rebuild(course.pk)
    assert index_kind(_loaded(course).dense) == "flat"


def test_an_ivf_course_answers_searches_like_before(
    kb_dirs, course, teacher, settings, django_capture_on_commit_callbacks
):
    lessons = sorted((settings.BASE_DIR / "courses/demo_content/python-basics").glob("0[4-9]*.md"))
    with django_capture_on_commit_callbacks(execute=True):
        material_create(
            course=course,
            uploaded_by=teacher,
            upload=SimpleUploadedFile(
                "lessons.md", b"\n\n".join(path.read_bytes() for path in lessons)
            ),
        )
    count = Chunk.objects.filter(course=course).count()
    queries = ["How do I catch a ValueError?", "What does a set remove?", "How does range count?"]
    flat = {q: [h.chunk.pk for h in search(course_id=course.pk, query=q, k=5)] for q in queries}
    settings.KB_IVF_MIN_PASSAGES = count - 1
    index_rebuild(course.pk)
    assert index_kind(_loaded(course).dense) == "ivf"
    for query, ids in flat.items():
        assert [h.chunk.pk for h in search(course_id=course.pk, query=query, k=5)] == ids


def test_search_sees_material_as_soon_as_it_is_uploaded_and_forgets_it_when_deleted(
    kb_dirs, course, teacher, django_capture_on_commit_callbacks
):
    def upload(name: str, data: bytes):
        with django_capture_on_commit_callbacks(execute=True):
            return material_create(
                course=course, uploaded_by=teacher, upload=SimpleUploadedFile(name, data)
            )

    upload("attention.md", b"# Attention\n\nEach token builds a query, a key and a value.\n")
    before = loaded_index(course.pk)
    query = "How often should tomatoes be watered?"
    assert all(h.chunk.source_name != "garden.md" for h in search(course_id=course.pk, query=query))
    garden = upload(
        "garden.md",
        b"# Tomatoes\n\nTomatoes need full sun, deep watering twice a week and a stake.\n",
    )
    assert loaded_index(course.pk) is not before  # the version moved: reloaded
    hits = search(course_id=course.pk, query=query)
    assert hits[0].chunk.material_id == garden.pk
    assert hits[0].lexical_rank == 1  # BM25 was rebuilt too, not only FAISS

    garden_ids = set(Chunk.objects.filter(material=garden).values_list("id", flat=True))
    material_delete(material=garden)
    after = search(course_id=course.pk, query=query)
    assert not garden_ids & {h.chunk.pk for h in after}
    assert not garden_ids & set(_loaded(course).lexical_ids.tolist())


def test_the_search_api_answers_in_a_few_queries(
    kb_dirs,
    course,
    teacher,
    enrolled_student,
    django_capture_on_commit_callbacks,
    django_assert_max_num_queries,
):
    with django_capture_on_commit_callbacks(execute=True):
        material_create(
            course=course,
            uploaded_by=teacher,
            upload=SimpleUploadedFile("a.md", b"# Keys\n\nEach key is compared with the query.\n"),
        )
    client = api_client_for(enrolled_student)
    url = reverse("api-search", args=[course.slug])
    client.get(url, {"q": "warm"})
    with django_assert_max_num_queries(6):
        response = client.get(url, {"q": "what is compared with the query?"})
    assert response.json()["results"][0]["text"].startswith("Each key")
