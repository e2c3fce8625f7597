"""QuestionBudget now belongs to assist (see assist 0001): removed from tutor's state only, so
its table and rows stay where they are."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("tutor", "0001_initial"),
        ("assist", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="QuestionBudget")],
            database_operations=[],
        ),
    ]
