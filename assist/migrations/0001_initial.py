"""QuestionBudget moves from tutor to assist without touching a row.

State only: the model is created in assist's state on the table tutor made
(`db_table = "tutor_questionbudget"`), and tutor 0002 deletes it from tutor's state, so the
database never sees a drop or a create. The content type moves with it, so admin history and
permissions keep pointing at the budgets.
"""

import django.db.models.deletion
from django.apps.registry import Apps
from django.conf import settings
from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor


def _move_content_type(apps: Apps, *, source: str, target: str) -> None:
    content_type = apps.get_model("contenttypes", "ContentType")
    if content_type.objects.filter(app_label=target, model="questionbudget").exists():
        return  # created already (a database that ran post_migrate in between): keep it
    content_type.objects.filter(app_label=source, model="questionbudget").update(app_label=target)


def forwards(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    _move_content_type(apps, source="tutor", target="assist")


def backwards(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    _move_content_type(apps, source="assist", target="tutor")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("tutor", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="QuestionBudget",
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
                        ("available", models.FloatField()),
                        ("checked_at", models.DateTimeField()),
                        ("capacity", models.PositiveIntegerField(blank=True, null=True)),
                        ("refill_seconds", models.PositiveIntegerField(blank=True, null=True)),
                        (
                            "user",
                            models.OneToOneField(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="question_budget",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={"db_table": "tutor_questionbudget"},
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(forwards, backwards),
    ]
