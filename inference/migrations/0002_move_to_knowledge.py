"""Chunk and KnowledgeBaseState now belong to the knowledge app (knowledge/0001 adopted their
tables). State only: no table is dropped, so every passage and index version survives."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("inference", "0001_initial"),
        ("knowledge", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="Chunk"),
                migrations.DeleteModel(name="KnowledgeBaseState"),
            ],
        ),
    ]
