# Written by hand on 2026-11-30.

from django.db import migrations

# The entries indexed before search_text.indexed() cut a text where tokens()
# cuts it (a character that is no word but folds to letters, "™" to "tm", so
# that "A™B" was held as "atmb"; a combining mark alone, which joined the words
# on its sides) hold words no search finds: their words made again, as
# `manage.py rebuild_search_index` would make them, without making every entry
# again. A project whose texts' words changed forgets the words it keeps (the
# texts' tallies are written by the code, not by triggers, so the triggers
# would not mend them): its searches keep them again, counted anew.
BATCH = 2000


def refold(apps, schema_editor):
    # The words as the code cuts them now, which is what this migration is
    # for (a later change of indexed() needs a migration of its own).
    from annotations.search_text import indexed

    SearchEntry = apps.get_model("annotations", "SearchEntry")
    SearchWord = apps.get_model("annotations", "SearchWord")
    changed: dict[int, str] = {}
    projects: set[int] = set()
    rows = SearchEntry.objects.order_by().values_list(
        "pk", "project_id", "kind", "text", "words"
    )
    for pk, project_id, kind, text, words in rows.iterator(chunk_size=BATCH):
        now = indexed(text)
        if now != words:
            changed[pk] = now
            if kind == "text":
                projects.add(project_id)
    # One statement an entry: there are few, and each fires the engines'
    # triggers (and the tally's, for a note's, reply's or title's words).
    for pk, words in changed.items():
        SearchEntry.objects.filter(pk=pk).update(words=words)
    SearchWord.objects.filter(project_id__in=projects).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("annotations", "0024_search_statement_triggers"),
    ]

    operations = [
        migrations.RunPython(refold, migrations.RunPython.noop, elidable=True),
    ]
