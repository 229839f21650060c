"""Relation types are seeded when a project is created (corpus's project_created
signal), no longer on the first visit to a linking page: projects made before
that, and never visited, get the defaults here."""

from django.db import migrations

# DEFAULT_RELATIONS as they were when this migration was written.
DEFAULTS = ["supports", "contradicts", "same event", "elaborates", "cites"]


def seed(apps, schema_editor):
    Project = apps.get_model("corpus", "Project")
    RelationType = apps.get_model("annotations", "RelationType")
    bare = Project.objects.exclude(
        pk__in=RelationType.objects.values("project_id")
    ).values_list("pk", flat=True)
    RelationType.objects.bulk_create(
        RelationType(project_id=pk, name=name) for pk in bare for name in DEFAULTS
    )


class Migration(migrations.Migration):
    dependencies = [
        ("annotations", "0008_own_revision_and_audience_indexes"),
        ("corpus", "0006_invitation"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
