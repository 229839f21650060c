"""A document's counters of changes move out of its row into their own
(DocumentCounters): every write moves them, and on SQLite an update rewrites the
whole row, text and all. corpus 0007 then drops the old columns."""

import django.db.models.deletion
from django.db import migrations, models

COLUMNS = ("annotation_revision", "shared_revision", "public_revision")


def copy_counters(apps, schema_editor):
    Document = apps.get_model("corpus", "Document")
    DocumentCounters = apps.get_model("annotations", "DocumentCounters")
    rows = (
        DocumentCounters(document_id=pk, every=every, shared=shared, public=public)
        for pk, every, shared, public in Document.objects.values_list(
            "pk", *COLUMNS
        ).iterator()
    )
    DocumentCounters.objects.bulk_create(rows, batch_size=1000)


def copy_back(apps, schema_editor):
    Document = apps.get_model("corpus", "Document")
    DocumentCounters = apps.get_model("annotations", "DocumentCounters")
    for counters in DocumentCounters.objects.iterator():
        Document.objects.filter(pk=counters.document_id).update(
            annotation_revision=counters.every,
            shared_revision=counters.shared,
            public_revision=counters.public,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("annotations", "0010_shown_count_index"),
        ("corpus", "0006_invitation"),
    ]

    operations = [
        migrations.CreateModel(
            name="DocumentCounters",
            fields=[
                (
                    "document",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="counters",
                        serialize=False,
                        to="corpus.document",
                    ),
                ),
                ("every", models.PositiveBigIntegerField(default=0)),
                ("shared", models.PositiveBigIntegerField(default=0)),
                ("public", models.PositiveBigIntegerField(default=0)),
            ],
            options={"verbose_name_plural": "document counters"},
        ),
        migrations.RunPython(copy_counters, copy_back),
    ]
