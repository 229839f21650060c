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
    projects: set[int] = set()
    after = 0
    # A batch of entries at a time, in the order of their ids, each batch's
    # changes written before the next is read (the engines' triggers fire on
    # each, and the tally's for a note's, reply's or title's words).
    while True:
        rows = list(
            SearchEntry.objects.filter(pk__gt=after)
            .order_by("pk")
            .values_list("pk", "project_id", "kind", "text", "words")[:BATCH]
        )
        if not rows:
            break
        after = rows[-1][0]
        changed = []
        for pk, project_id, kind, text, words in rows:
            now = indexed(text)
            if now != words:
                changed.append(SearchEntry(pk=pk, words=now))
                if kind == "text":
                    projects.add(project_id)
        SearchEntry.objects.bulk_update(changed, ["words"])
    SearchWord.objects.filter(project_id__in=projects).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("annotations", "0024_search_statement_triggers"),
    ]

    operations = [
        migrations.RunPython(refold, migrations.RunPython.noop, elidable=True),
    ]
