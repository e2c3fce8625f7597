from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("knowledge", "0003_material_hidden_chars"),
    ]

    operations = [
        # Existing passages get none: they are embedded on first use, as before, until their
        # material or lesson is ingested again or `manage.py rebuild_kb --sentences` runs.
        migrations.AddField(
            model_name="chunk",
            name="sentence_spans",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name="chunk",
            name="sentence_vectors",
            field=models.BinaryField(blank=True, default=b""),
        ),
    ]
