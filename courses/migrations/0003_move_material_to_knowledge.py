"""Material now belongs to the knowledge app (knowledge/0001 adopted its table). State only: no
table is dropped, so every row and uploaded file survives.

Runs after inference/0002 so that no model in the migration state still points at
courses.Material when it leaves."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("courses", "0002_material"),
        ("inference", "0002_move_to_knowledge"),
        ("knowledge", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="Material")],
        ),
    ]
