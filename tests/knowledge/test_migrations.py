"""Moving Material, Chunk and KnowledgeBaseState into the knowledge app keeps every row, uploaded
file and FAISS index: a database at the state before the move (courses/0002, inference/0001),
filled through the historical models, migrates forward and answers the same search.

Uses the real packaged embedder, like the other knowledge-base tests.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from courses.models import Course
from inference.embeddings import embed_texts
from knowledge.chunking import chunk_sections
from knowledge.index import forget_loaded_indexes, index_ids, index_rebuild
from knowledge.models import Chunk, KnowledgeBaseState, Material
from knowledge.parsing import parse
from knowledge.search import search

pytestmark = pytest.mark.django_db(transaction=True)

# Today's state of the apps involved: what a database had before the knowledge app owned models.
BEFORE = [("courses", "0002_material"), ("inference", "0001_initial")]
BEFORE_TARGETS = [*BEFORE, ("knowledge", None)]  # None: none of knowledge's migrations applied
OLD_TABLES = {
    Material: "courses_material",
    Chunk: "inference_chunk",
    KnowledgeBaseState: "inference_knowledgebasestate",
}
NOTES = (
    b"# Self-attention\n\nEach token builds a query, a key and a value. The query is "
    b"compared with every key by a dot product, scaled and turned into weights by a "
    b"softmax.\n\n## Multi-head attention\n\nSeveral heads attend in parallel, each "
    b"in its own subspace, and their outputs are concatenated.\n"
)
LESSON_BODY = "## Positional encoding\n\nSine and cosine waves tell the model where a token sits."
QUERIES = ["how are several heads combined?", "where does a token sit in the sequence?"]


def _migrate(targets: Sequence[tuple[str, str | None]]) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()  # the previous migrate changed what is applied
    executor.migrate(targets)


def _latest() -> list[tuple[str, str]]:
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@contextmanager
def _models_on_old_tables() -> Iterator[None]:
    """Run today's index and search code against the tables as they were named before the move.

    The code did not change, only the models' home and table names; pointing the models at the
    old tables reproduces exactly what search answered before migrating."""

    def point(tables: dict[Any, str]) -> None:
        for model, table in tables.items():
            model._meta.db_table = table
            for field in model._meta.concrete_fields:
                field.__dict__.pop("cached_col", None)  # a column caches its table's name

    current = {model: model._meta.db_table for model in OLD_TABLES}
    point(OLD_TABLES)
    # Columns added after the move (Material.hidden_chars, Course.tutor_strict, ...) exist in
    # today's models, not in the old tables: added for the comparison and dropped again before
    # migrating forward.
    added = [
        (model, field)
        for model in (Material, Course)
        for field in model._meta.concrete_fields
        if field.column not in _columns(model._meta.db_table)
    ]
    with connection.schema_editor() as editor:
        for model, field in added:
            editor.add_field(model, field)
    try:
        yield
    finally:
        with connection.schema_editor() as editor:
            for model, field in added:
                editor.remove_field(model, field)
        point(current)


def _columns(table: str) -> set[str]:
    with connection.cursor() as cursor:
        return {
            column.name for column in connection.introspection.get_table_description(cursor, table)
        }


def _vectors(passages: list[Any]) -> list[bytes]:
    texts = [f"{p.heading}\n{p.text}" if p.heading else p.text for p in passages]
    return [row.tobytes() for row in embed_texts(texts)]


def _fill_old_database(old_apps: Any) -> dict[str, Any]:
    """A course with a lesson, an uploaded material and their chunks, as the old models saw them."""
    user = old_apps.get_model("accounts", "User").objects.create(username="tara", role="teacher")
    course = old_apps.get_model("courses", "Course").objects.create(
        title="Attention", slug="attention", summary="Queries and keys.", is_published=True
    )
    module = old_apps.get_model("courses", "Module").objects.create(course=course, title="One")
    lesson = old_apps.get_model("courses", "Lesson").objects.create(
        course=course, module=module, title="Positions", slug="positions", body=LESSON_BODY
    )
    material = old_apps.get_model("courses", "Material")(
        course=course,
        uploaded_by=user,
        original_name="attention.md",
        kind="markdown",
        size=len(NOTES),
        status="ready",
        progress=100,
    )
    material.file.save("attention.md", ContentFile(NOTES), save=False)
    material.save()
    old_chunk = old_apps.get_model("inference", "Chunk")
    rows = []
    for source, body in (
        ({"material": material}, NOTES),
        ({"lesson": lesson}, LESSON_BODY.encode()),
    ):
        passages = chunk_sections(parse(body, "markdown"))
        for i, (passage, vector) in enumerate(zip(passages, _vectors(passages), strict=True)):
            rows.append(
                old_chunk.objects.create(
                    course=course,
                    ordinal=i,
                    text=passage.text,
                    heading=passage.heading,
                    page=passage.page,
                    vector=vector,
                    **source,
                )
            )
    old_apps.get_model("courses", "Material").objects.filter(pk=material.pk).update(
        chunk_count=sum(1 for r in rows if r.material_id)
    )
    return {"course_id": course.pk, "material_id": material.pk, "chunk_ids": [r.pk for r in rows]}


def _answers(course_id: int) -> list[list[dict[str, object]]]:
    forget_loaded_indexes()
    return [[hit.as_dict() for hit in search(course_id=course_id, query=q, k=5)] for q in QUERIES]


def test_materials_chunks_and_indexes_survive_the_move_to_the_knowledge_app(kb_dirs, settings):
    from django.contrib.contenttypes.models import ContentType

    _migrate(BEFORE_TARGETS)
    try:
        tables = set(connection.introspection.table_names())
        assert set(OLD_TABLES.values()) <= tables and "knowledge_material" not in tables
        old_apps = MigrationExecutor(connection).loader.project_state(BEFORE).apps
        made = _fill_old_database(old_apps)
        course_id = made["course_id"]
        with _models_on_old_tables():
            assert index_rebuild(course_id) == len(made["chunk_ids"])
            before = _answers(course_id)
            version = KnowledgeBaseState.objects.get(course_id=course_id).version
        index_file = Path(settings.KB_DIR) / f"course-{course_id}.faiss"
        index_bytes = index_file.read_bytes()
        content_type_id = ContentType.objects.get(app_label="courses", model="material").pk

        _migrate(_latest())

        tables = set(connection.introspection.table_names())
        assert not set(OLD_TABLES.values()) & tables
        material = Material.objects.get(pk=made["material_id"])
        assert material.original_name == "attention.md"
        assert material.chunk_count == 2
        assert material.file.name == f"materials/{course_id}/attention.md"
        assert Path(material.file.path).read_bytes() == NOTES
        assert sorted(Chunk.objects.values_list("pk", flat=True)) == sorted(made["chunk_ids"])
        assert Chunk.objects.filter(lesson__isnull=False).count() == 1
        assert KnowledgeBaseState.objects.get(course_id=course_id).version == version
        assert index_file.read_bytes() == index_bytes  # the migration never touches the index
        assert index_ids(course_id) == set(made["chunk_ids"])
        after = _answers(course_id)
        assert after == before
        assert after[0][0]["material"] == "attention.md"
        assert "concatenated" in str(after[0][0]["text"])
        assert after[1][0]["kind"] == "lesson"
        # Permissions and admin history follow the content type, which moved instead of being
        # recreated.
        moved = ContentType.objects.get(app_label="knowledge", model="material")
        assert moved.pk == content_type_id
        assert not ContentType.objects.filter(app_label="courses", model="material").exists()
        # New rows continue after the old ids (PostgreSQL's identity sequences went along).
        newer = Material.objects.create(course_id=course_id, original_name="x.md", kind="text")
        assert newer.pk > made["material_id"]
    finally:
        _migrate(_latest())
        ContentType.objects.clear_cache()
