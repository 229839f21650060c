"""DocumentCounters.longest: the longest passage any annotation of the document
was made on, which bounds the search for the annotations touching a few
blocks. Filled from the annotations there are."""

from django.db import migrations, models
from django.db.models import F, Max


def fill_longest(apps, schema_editor):
    Annotation = apps.get_model("annotations", "Annotation")
    DocumentCounters = apps.get_model("annotations", "DocumentCounters")
    longest = (
        Annotation.objects.order_by()
        .values("document_id")
        .annotate(longest=Max(F("end") - F("start")))
    )
    for row in longest.iterator():
        DocumentCounters.objects.update_or_create(
            document_id=row["document_id"], defaults={"longest": row["longest"]}
        )


class Migration(migrations.Migration):
    dependencies = [("annotations", "0011_document_counters")]

    operations = [
        migrations.AddField(
            model_name="documentcounters",
            name="longest",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.RunPython(fill_longest, migrations.RunPython.noop),
    ]
