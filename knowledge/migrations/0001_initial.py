"""Adopt the knowledge base's existing tables: Material (was courses.Material), Chunk and
KnowledgeBaseState (were inference.*).

State only: the tables, rows and uploaded files stay exactly as they are. courses/0003 and
inference/0002 drop the old models from their apps' state after this runs; knowledge/0002 then
renames the tables to this app's names. Content types (and so permissions and admin history)
follow the models to this app instead of being recreated.
"""

from typing import Any

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import knowledge.models

MOVED = [("courses", "material"), ("inference", "chunk"), ("inference", "knowledgebasestate")]


def _move_content_types(apps: Any, *, moves: list[tuple[str, str, str]]) -> None:
    content_type = apps.get_model("contenttypes", "ContentType")
    for old_app, new_app, model in moves:
        if content_type.objects.filter(app_label=new_app, model=model).exists():
            continue  # already there (e.g. created by a post_migrate on an earlier run)
        content_type.objects.filter(app_label=old_app, model=model).update(app_label=new_app)


def content_types_forwards(apps: Any, schema_editor: Any) -> None:
    _move_content_types(apps, moves=[(old, "knowledge", model) for old, model in MOVED])


def content_types_backwards(apps: Any, schema_editor: Any) -> None:
    _move_content_types(apps, moves=[("knowledge", old, model) for old, model in MOVED])


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("courses", "0002_material"),
        ("inference", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Material",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "file",
                            models.FileField(
                                max_length=300, upload_to=knowledge.models._material_path
                            ),
                        ),
                        ("original_name", models.CharField(max_length=255)),
                        ("kind", models.CharField(max_length=16)),
                        ("size", models.PositiveBigIntegerField(default=0)),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("pending", "Pending"),
                                    ("processing", "Processing"),
                                    ("ready", "Ready"),
                                    ("failed", "Failed"),
                                ],
                                default="pending",
                                max_length=16,
                            ),
                        ),
                        ("progress", models.PositiveSmallIntegerField(default=0)),
                        ("chunk_count", models.PositiveIntegerField(default=0)),
                        ("error", models.TextField(blank=True)),
                        ("attempts", models.PositiveSmallIntegerField(default=0)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        (
                            "course",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="materials",
                                to="courses.course",
                            ),
                        ),
                        (
                            "uploaded_by",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={"ordering": ["-created_at"], "db_table": "courses_material"},
                ),
                migrations.CreateModel(
                    name="KnowledgeBaseState",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("version", models.PositiveIntegerField(default=0)),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        (
                            "course",
                            models.OneToOneField(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="kb_state",
                                to="courses.course",
                            ),
                        ),
                    ],
                    options={"db_table": "inference_knowledgebasestate"},
                ),
                migrations.CreateModel(
                    name="Chunk",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("ordinal", models.PositiveIntegerField()),
                        ("text", models.TextField()),
                        ("heading", models.CharField(blank=True, max_length=300)),
                        ("page", models.PositiveIntegerField(blank=True, null=True)),
                        ("vector", models.BinaryField()),
                        (
                            "course",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="chunks",
                                to="courses.course",
                            ),
                        ),
                        (
                            "lesson",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="chunks",
                                to="courses.lesson",
                            ),
                        ),
                        (
                            "material",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="chunks",
                                to="knowledge.material",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "inference_chunk",
                        "ordering": ["course", "material", "lesson", "ordinal"],
                        "indexes": [
                            models.Index(
                                fields=["course", "id"], name="inference_c_course__3b646a_idx"
                            )
                        ],
                        "constraints": [
                            models.CheckConstraint(
                                condition=models.Q(
                                    ("material__isnull", False),
                                    ("lesson__isnull", False),
                                    _connector="XOR",
                                ),
                                name="chunk_has_one_source",
                            )
                        ],
                    },
                ),
            ],
        ),
        migrations.RunPython(content_types_forwards, content_types_backwards, elidable=False),
    ]
