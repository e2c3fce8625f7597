"""Give the adopted tables this app's names: courses_material -> knowledge_material,
inference_chunk -> knowledge_chunk, inference_knowledgebasestate ->
knowledge_knowledgebasestate (and the chunk index its matching name).

A rename keeps every row, id and foreign key; chunk ids are the FAISS ids, so the indexes on
disk stay valid. Runs after courses and inference have let go of the models (their state-only
migrations), so no app's state still points at the old table names.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("knowledge", "0001_initial"),
        ("courses", "0003_move_material_to_knowledge"),
        ("inference", "0002_move_to_knowledge"),
    ]

    operations = [
        migrations.RenameIndex(
            model_name="chunk",
            new_name="knowledge_c_course__3dcb17_idx",
            old_name="inference_c_course__3b646a_idx",
        ),
        migrations.AlterModelTable(name="chunk", table=None),
        migrations.AlterModelTable(name="knowledgebasestate", table=None),
        migrations.AlterModelTable(name="material", table=None),
    ]
