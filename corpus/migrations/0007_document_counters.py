"""The counters of changes to a document's annotations now live in their own
row (annotations 0011 copies them there first)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("corpus", "0006_invitation"),
        ("annotations", "0011_document_counters"),
    ]

    operations = [
        migrations.RemoveField(model_name="document", name="annotation_revision"),
        migrations.RemoveField(model_name="document", name="public_revision"),
        migrations.RemoveField(model_name="document", name="shared_revision"),
    ]
