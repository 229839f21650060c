"""The project's search (issue 13): texts as keyword-in-context lines, titles,
notes, replies and tags, each as the member may see it, on this run's engine
(SQLite's FTS5, or PostgreSQL's tsvector in the PostgreSQL run); the index
follows every write at once."""

from __future__ import annotations

import datetime
import random
import re

import pytest
from django.db import connection, transaction
from django.db.models import Count, F
from django.db.models.functions import Coalesce
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotations import search, search_text, services
from annotations.models import Annotation, SearchEntry, Tag, Visibility
from annotations.search_text import fold
from corpus import services as corpus_services
from corpus.models import Document, Membership
from tests.conftest import HX, ROLES, document_bodies_read, expected_status
from tests.factories import make_annotation, make_document

SEED = "000_f680e8277ca77def.txt"


@pytest.fixture
def corpus(project, members, seeds_dir):
    brief = corpus_services.import_file(
        project=project,
        data=(seeds_dir / SEED).read_bytes(),
        filename=SEED,
        imported_by=members["owner"],
    )
    other = make_document(
        project=project,
        paragraphs=["The tunnel 🚇 under the prison of 𝔊uzmán.", "Peña Nieto spoke."],
        title="A made-up report",
    )
    return {"brief": brief, "other": other}


def _search(client, project, q, **query):
    url = reverse("annotations:project_search", args=[project.slug])
    return client.get(url, {"q": q, **query})


def _membership(project, user):
    return Membership.objects.select_related("project").get(project=project, user=user)


def test_text_hits_are_lines_cut_at_their_code_points(project, members, corpus):
    results = search.search(_membership(project, members["viewer"]), {"q": "guzman"})
    assert results.lines
    texts = {
        corpus["brief"].pk: corpus["brief"].text,
        corpus["other"].pk: corpus["other"].text,
    }
    for line in results.lines:
        text = texts[line.document_id]
        assert text[line.start : line.end] == line.hit
        assert fold(line.hit) == "guzman"
        assert text[line.start - len(line.left) : line.start] == line.left
    astral = [line for line in results.lines if line.document_id == corpus["other"].pk]
    assert [line.hit for line in astral] == ["𝔊uzmán"]
    assert {row["document_id"] for row in results.documents} == {
        corpus["brief"].pk,
        corpus["other"].pk,
    }
    assert results.line_count == sum(row["lines"] for row in results.documents)


def test_accents_phrases_and_exclusions(project, members, corpus):
    viewer = _membership(project, members["viewer"])

    def found(q):
        lines = search.search(viewer, {"q": q}).lines
        return [line.hit for line in lines if line.document_id == corpus["other"].pk]

    assert found('"pena nieto"') == ["Peña Nieto"]
    assert found('"nieto pena"') == []
    assert found("tunnel -prison") == []
    assert found("tunn*") == ["tunnel"]
    assert found("tunnel OR spoke") == ["tunnel", "spoke"]


def test_notes_replies_and_tags_as_each_member_sees_them(project, members, corpus):
    document = corpus["other"]
    shared = make_annotation(
        document,
        members["annotator"],
        "tunnel",
        body="An escape route.",
        tags=["route"],
    )
    make_annotation(
        document,
        members["curator"],
        "prison",
        body="A secret escape plan.",
        visibility=Visibility.PRIVATE,
    )
    reply = services.create_reply(
        annotation=shared, author=members["owner"], body="The escape took months."
    )
    viewer = search.search(_membership(project, members["viewer"]), {"q": "escape"})
    curator = search.search(_membership(project, members["curator"]), {"q": "escape"})
    assert [m.entry.annotation_id for m in viewer.notes] == [shared.pk]
    assert len(curator.notes) == 2
    assert [m.entry.reply_id for m in viewer.replies] == [reply.pk]
    assert any(is_hit and piece == "escape" for piece, is_hit in viewer.notes[0].pieces)
    services.delete_reply(reply=reply, by=members["owner"])
    assert (
        search.search(_membership(project, members["viewer"]), {"q": "escape"}).replies
        == []
    )
    tag = shared.tags.get()
    assert [m.entry.text for m in viewer_tags(project, members, "route")] == ["route"]
    services.rename_tag(tag=tag, name="Escape route")
    assert [m.entry.text for m in viewer_tags(project, members, "escape")] == [
        "Escape route"
    ]


def viewer_tags(project, members, q):
    return search.search(_membership(project, members["viewer"]), {"q": q}).tags


def test_edits_show_at_once_and_the_trash_hides(project, members, corpus):
    viewer = _membership(project, members["viewer"])
    note = make_annotation(
        corpus["other"], members["annotator"], "tunnel", body="First."
    )
    services.update_annotation(
        annotation=note,
        editor=members["annotator"],
        version=note.version,
        body="Rewritten about smuggling.",
        tags=[],
        visibility=Visibility.PROJECT,
    )
    assert search.search(viewer, {"q": "first"}).notes == []
    assert len(search.search(viewer, {"q": "smuggling"}).notes) == 1
    corpus_services.update_document_metadata(
        document=corpus["other"], title="A report on smuggling"
    )
    assert [
        m.entry.document_id for m in search.search(viewer, {"q": "smuggling"}).titles
    ] == [corpus["other"].pk]
    services.trash_document(document=corpus["other"], by=members["owner"])
    found = search.search(viewer, {"q": "smuggling"})
    assert found.lines == [] and found.notes == [] and found.titles == []
    lines = search.search(viewer, {"q": "tunnel"}).lines
    assert {line.document_id for line in lines} == {corpus["brief"].pk}


@pytest.mark.parametrize("who", [*ROLES, "outsider"])
def test_the_search_page_for_each_role(client, project, members, corpus, who):
    status = expected_status(who, set(ROLES), 200)
    client.force_login(members[who])
    response = _search(client, project, "guzman")
    assert response.status_code == status
    if status == 200:
        assert "<mark>Guzmán</mark>" in response.text
        assert re.search(r"\?hit=\d+-\d+\"", response.text)
        # Each document's lines open under its title, with its passages found.
        found = search.search(_membership(project, members[who]), {"q": "guzman"})
        heading = re.search(
            r'<tr class="kwic-document">.*?<a href="[^"]+">([^<]+)</a> '
            r'<span class="meta">\d+ hits? on this page · (\d+) passages? with '
            r"hits in this document</span>",
            response.text,
        )
        first = found.documents[0]
        assert heading and heading.groups() == (first["title"], str(first["lines"]))
        htmx = client.get(
            reverse("annotations:project_search", args=[project.slug]),
            {"q": "guzman"},
            headers=HX,
        )
        assert "<html" not in htmx.text and "<mark>Guzmán</mark>" in htmx.text
        restored = client.get(
            reverse("annotations:project_search", args=[project.slug]),
            {"q": "guzman"},
            headers={**HX, "HX-History-Restore-Request": "true"},
        )
        assert "<html" in restored.text and 'id="search-q"' in restored.text


def test_note_and_reply_hits_show_their_notes_quote_tags_and_status(
    client, project, members, corpus
):
    """A note found shows its quote apart from its text, each with the hits
    marked, its author, tags and status; a reply found, the quote, tags and
    status of the note it answers."""
    note = make_annotation(
        corpus["other"],
        members["annotator"],
        "tunnel",
        body="Escape by the tunnel, again.",
        tags=["route", "method"],
    )
    services.create_reply(
        annotation=note, author=members["curator"], body="Which tunnel?"
    )
    client.force_login(members["viewer"])
    found = search.search(_membership(project, members["viewer"]), {"q": "tunnel"})
    (noted,) = [m for m in found.notes if m.entry.annotation_id == note.pk]
    assert noted.quote == [("tunnel", True)]
    assert noted.pieces == [
        ("Escape by the ", False),
        ("tunnel", True),
        (", again.", False),
    ]
    assert noted.tags == ["method", "route"]
    (replied,) = found.replies
    assert replied.quote == [("tunnel", True)] and replied.tags == ["method", "route"]
    assert replied.pieces == [("Which ", False), ("tunnel", True), ("?", False)]
    page = _search(client, project, "tunnel").text
    quote = '<blockquote class="quote search-quote"><mark>tunnel</mark></blockquote>'
    assert page.count(quote) >= 2  # the note's, and the reply's note's
    assert "· submitted · tagged method, route</span>" in page
    assert "· the note submitted · tagged method, route</span>" in page
    assert (
        '<p class="search-note">Escape by the <mark>tunnel</mark>, again.</p>' in page
    )
    assert '<p class="search-note">Which <mark>tunnel</mark>?</p>' in page


def test_a_tag_chosen_takes_the_tags_under_it(client, project, members, corpus):
    """The tag facet shows a tag's path from the top of the hierarchy, and
    choosing a tag above finds the notes of every tag under it."""
    events = services.get_or_create_tag(project=project, name="Events")
    escape = services.get_or_create_tag(project=project, name="Escape")
    tunnel = services.get_or_create_tag(project=project, name="Tunnel")
    escape.parent, tunnel.parent = events, escape
    escape.save()
    tunnel.save()
    note = make_annotation(
        corpus["other"], members["annotator"], "prison", body="Smuggled out."
    )
    note.tags.add(tunnel)
    make_annotation(
        corpus["other"], members["annotator"], "Peña", body="Smuggled words."
    )
    viewer = _membership(project, members["viewer"])
    found = search.search(viewer, {"q": "smuggled"})
    (row,) = found.facets["tag"]
    assert (row["label"], row["above"]) == (
        "Events › Escape › Tunnel",
        ["Events", "Escape"],
    )
    client.force_login(members["viewer"])
    page = _search(client, project, "smuggled").text
    for above in ("Events", "Escape"):
        assert f'href="?q=smuggled&amp;tag={above}" hx-get=' in page, above
    assert 'aria-label="Events › Escape › Tunnel">Tunnel</a>' in page
    for chosen in ("Tunnel", "escape", "EVENTS"):
        notes = search.search(viewer, {"q": "smuggled", "tag": chosen}).notes
        assert [m.entry.annotation_id for m in notes] == [note.pk], chosen
    assert search.search(viewer, {"q": "smuggled", "tag": "Nothing"}).notes == []


def test_the_years_found_are_a_facet_that_sets_the_dates(client, project, members):
    """The years the documents found were published in, with their
    entries found, in order of time; a year's link sets the dates from its
    first day to its last, and "Any" takes them out."""
    for year, n in ((2016, 1), (2014, 2)):
        document = make_document(
            project=project, paragraphs=["A tunnel. " * n, "Another tunnel."]
        )
        corpus_services.update_document_metadata(
            document=document, published_date=datetime.date(year, 5, 1)
        )
    make_document(project=project, paragraphs=["An undated tunnel."])
    viewer = _membership(project, members["viewer"])
    found = search.search(viewer, {"q": "tunnel"})
    assert [(row["value"], row["count"]) for row in found.facets["year"]] == [
        (2014, 2),
        (2016, 2),
    ]
    client.force_login(members["viewer"])
    page = _search(client, project, "tunnel").text
    assert 'href="?q=tunnel&amp;since=2014-01-01&amp;until=2014-12-31"' in page
    chosen = _search(client, project, "tunnel", since="2014-01-01", until="2014-12-31")
    assert chosen.status_code == 200
    assert "2 passages with hits in 1 document" in chosen.text
    assert 'aria-current="true">2014</a>' in chosen.text
    assert 'href="?q=tunnel" hx-get="?q=tunnel"' in chosen.text  # Any


def test_a_malformed_query_is_a_clear_400(client, project, members, corpus):
    client.force_login(members["viewer"])
    response = _search(client, project, '"unclosed')
    assert response.status_code == 400
    assert "not closed" in response.text
    assert _search(client, project, "").status_code == 200
    long = "tunnel " * 100
    response = _search(client, project, long)
    assert response.status_code == 400
    assert "A query has at most 500 characters; this one has 700." in response.text
    assert f'value="{long}"' in response.text  # to be mended, not typed again
    # The boxes take no more than a query may hold.
    assert response.text.count(f'name="q" value="{long}" maxlength="500"') == 1
    assert 'name="q" placeholder="Search" maxlength="500"' in response.text
    reversed_dates = _search(
        client, project, "tunnel", since="2017-01-01", until="2015-01-01"
    )
    assert reversed_dates.status_code == 400
    assert "“Published from” (2017-01-01) is after" in reversed_dates.text


def test_the_index_holds_every_block(project, corpus):
    brief = corpus["brief"]
    blocks = SearchEntry.objects.filter(document=brief, kind="text").count()
    assert blocks == len(brief.blocks)


def test_the_index_is_rebuilt_whole_by_the_command(project, members, corpus):
    from io import StringIO

    from django.core.management import CommandError, call_command

    make_annotation(corpus["other"], members["annotator"], "tunnel", body="Routes.")
    before = sorted(SearchEntry.objects.values_list("kind", "start", "words"))
    SearchEntry.objects.all().delete()
    out, err = StringIO(), StringIO()
    call_command("rebuild_search_index", project.slug, stdout=out, stderr=err)
    assert sorted(SearchEntry.objects.values_list("kind", "start", "words")) == before
    assert "Indexed" in out.getvalue() and "2/2 documents" in err.getvalue()
    viewer = _membership(project, members["viewer"])
    assert len(search.search(viewer, {"q": "routes"}).notes) == 1
    with pytest.raises(CommandError, match="nowhere"):
        call_command("rebuild_search_index", "nowhere")


def test_facets_narrow_and_count(project, members, corpus):
    document = corpus["other"]
    first = make_annotation(
        document, members["annotator"], "tunnel", body="Escape A.", tags=["route"]
    )
    make_annotation(document, members["owner"], "prison", body="Escape B.")
    services.create_reply(
        annotation=first, author=members["curator"], body="An escape, surely."
    )
    viewer = _membership(project, members["viewer"])
    everything = search.search(viewer, {"q": "escape"})
    kinds = {row["value"]: row["count"] for row in everything.facets["kind"]}
    assert kinds["note"] == 2 and kinds["reply"] == 1 and kinds["text"] >= 1
    # A reply counts for its own author (whom choosing finds it by), not for
    # its note's, and for its note's status.
    authors = {row["value"]: row["count"] for row in everything.facets["author"]}
    assert authors == {"annotator-user": 1, "owner-user": 1, "curator-user": 1}
    statuses = {row["value"]: row["count"] for row in everything.facets["status"]}
    assert statuses == {first.status: 3}
    by_replier = search.search(viewer, {"q": "escape", "author": "curator-user"})
    assert [m.entry.reply.body for m in by_replier.replies] == ["An escape, surely."]
    assert by_replier.notes == []
    assert [row["value"] for row in everything.facets["tag"]] == ["route"]
    by_author = search.search(viewer, {"q": "escape", "author": "owner-user"})
    assert [m.entry.annotation.body for m in by_author.notes] == ["Escape B."]
    assert by_author.lines == []  # an author narrows to annotations
    # The author facet still counts both authors (its own choice aside).
    assert len(by_author.facets["author"]) == 3
    tagged = search.search(viewer, {"q": "escape", "tag": "ROUTE"})
    assert [m.entry.annotation.body for m in tagged.notes] == ["Escape A."]
    only_text = search.search(viewer, {"q": "escape", "kind": "text"})
    assert only_text.notes == [] and only_text.lines
    one = search.search(viewer, {"q": "tunnel", "document": corpus["brief"].pk})
    assert {line.document_id for line in one.lines} == {corpus["brief"].pk}


def test_lines_sort_by_the_word_before_or_after(project, members):
    document = make_document(
        project=project,
        paragraphs=["zebra escape one. apple escape two. mango escape three."],
    )
    viewer = _membership(project, members["viewer"])

    def order(how):
        lines = search.search(viewer, {"q": "escape", "sort": how}).lines
        return [(line.left.split()[-1], line.right.split()[0]) for line in lines]

    assert [left for left, _ in order("before")] == ["apple", "mango", "zebra"]
    assert [right for _, right in order("after")] == ["one.", "three.", "two."]
    positions = [
        line.start
        for line in search.search(viewer, {"q": "escape", "sort": "position"}).lines
    ]
    assert positions == sorted(positions)
    assert document.text[positions[0] : positions[0] + 6] == "escape"


@pytest.mark.parametrize("per_page", [50, 2])
def test_lines_by_position_follow_the_hits_not_their_passages(
    project, members, monkeypatch, per_page
):
    """By position: each hit at its place in its text, whichever passage
    holds it (a long paragraph's later hits come after another document's
    earlier ones), a page at a time."""
    monkeypatch.setattr(search, "LINES_PER_PAGE", per_page)
    long = make_document(
        project=project,
        paragraphs=[
            "escape " + "filler " * 70 + "escape " + "filler " * 50 + "escape."
        ],
    )
    short = make_document(project=project, paragraphs=["intro " * 20 + "escape."])
    viewer = _membership(project, members["viewer"])
    seen = []
    for page in (1, 2):
        results = search.search(
            viewer, {"q": "escape", "sort": "position", "page": page}
        )
        seen += [(line.document_id, line.start) for line in results.lines]
        if per_page == 50:
            break
    assert seen == [
        (long.pk, 0),
        (short.pk, 120),
        (long.pk, 497),
        (long.pk, 854),
    ]


def test_the_first_lines_by_position_are_those_of_every_line_sorted(project, members):
    """However many lines are asked for, by position they are the first of
    all the lines sorted by their place (passages of many lengths, in many
    documents, read in the order they start)."""
    rng = random.Random(5)
    for _ in range(6):
        make_document(
            project=project,
            paragraphs=[
                " ".join(rng.choice(["escape", "filler", "word"]) for _ in range(n))
                for n in rng.choices(range(1, 60), k=8)
            ],
        )
    found = search._found(_membership(project, members["viewer"]), {"q": "escape"})
    every = search._lines(found.texts, found.query, limit=10_000)
    search._sort(every, "position")
    assert len(every) > 40
    for limit in (1, 2, 7, 20, 41, len(every), len(every) + 5):
        first = search._lines(found.texts, found.query, limit=limit, by_position=True)
        assert [(line.start, line.document_id) for line in first] == [
            (line.start, line.document_id) for line in every[:limit]
        ], limit


def test_the_page_shows_facets_as_links_that_keep_the_search(
    client, project, members, corpus
):
    make_annotation(
        corpus["other"], members["annotator"], "tunnel", body="Escape.", tags=["route"]
    )
    client.force_login(members["viewer"])
    page = _search(client, project, "escape", sort="after")
    assert page.status_code == 200
    assert "q=escape&amp;sort=after&amp;tag=route" in page.text
    chosen = _search(client, project, "escape", tag="route")
    assert 'name="tag" value="route"' in chosen.text  # kept for the next typing
    assert 'aria-current="true"' in chosen.text
    bad = _search(client, project, "escape", since="not a date")
    assert bad.status_code == 400 and "Published from" in bad.text


def test_the_hits_download_as_csv(client, project, members, corpus):
    import csv
    import io

    make_annotation(
        corpus["other"],
        members["annotator"],
        "tunnel",
        body="=Escape plan.",
        tags=["route"],
    )
    client.force_login(members["viewer"])
    page = _search(client, project, "escape")
    url = reverse("annotations:search_hits_csv", args=[project.slug])
    assert f"{url}?q=escape" in page.text
    response = client.get(url, {"q": "escape"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    texts = [row for row in rows if row["found_in"] == "text"]
    assert texts and all(row["hit"].lower() == "escape" for row in texts)
    brief = corpus["brief"].text
    first = texts[0]
    assert brief[int(first["start"]) : int(first["end"])] == first["hit"]
    (note,) = [row for row in rows if row["found_in"] == "note"]
    assert note["note"] == "'=Escape plan."  # a spreadsheet runs nothing
    assert note["tags"] == "route" and note["author"] == "annotator-user"
    # Titles and tags found are hits too.
    corpus_services.update_document_metadata(
        document=corpus["other"], title="Escape report"
    )
    make_annotation(
        corpus["other"], members["annotator"], "prison", tags=["escape route"]
    )
    rows = list(
        csv.DictReader(io.StringIO(client.get(url, {"q": "escape"}).content.decode()))
    )
    titles = {
        row["document"]: row["hit"] for row in rows if row["found_in"] == "document"
    }
    assert titles["Escape report"] == "Escape"
    (tag,) = [row for row in rows if row["found_in"] == "tag"]
    assert (tag["tags"], tag["hit"]) == ("escape route", "escape")
    assert client.get(url).status_code == 400
    assert client.get(url, {"q": '"open'}).status_code == 400
    client.force_login(members["outsider"])
    assert client.get(url, {"q": "escape"}).status_code == 404


@pytest.mark.parametrize(
    "asked",
    [{}, {"kind": "note"}, {"sort": "before"}, {"csv": True}],
    ids=["page", "kind-chosen", "sorted", "csv"],
)
def test_a_search_leaves_the_documents_texts_in_the_database(
    client, project, members, corpus, asked
):
    """Its hits show a document's title: none of its statements reads a
    document's text, blocks or original (the CSV's notes once sorted every
    note found with its document's text: 6.4 s for "sinaloa" on the bench's
    corpus, 2.5 s without)."""
    make_annotation(corpus["other"], members["annotator"], "tunnel", body="Escape.")
    client.force_login(members["viewer"])
    name = "search_hits_csv" if asked.get("csv") else "project_search"
    url = reverse(f"annotations:{name}", args=[project.slug])
    data = {"q": "escape", **{k: v for k, v in asked.items() if k != "csv"}}
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, data)
    assert response.status_code == 200
    assert corpus["other"].title in response.content.decode()
    assert not document_bodies_read(queries)


def test_every_project_page_has_a_search_box(client, project, members, corpus):
    client.force_login(members["viewer"])
    page = client.get(project.get_absolute_url())
    action = reverse("annotations:project_search", args=[project.slug])
    assert f'action="{action}" role="search"' in page.text
    assert 'name="q"' in page.text
    assert f'href="{action}"' in page.text  # the Search tab


def _annotate(client, project, **data):
    return client.post(
        reverse("annotations:search_annotate", args=[project.slug]), data
    )


def test_annotating_chosen_hits_previews_then_makes_them_all(
    client, project, members, corpus
):
    from annotations.models import Annotation, AnnotationEvent

    client.force_login(members["annotator"])
    viewer = _membership(project, members["annotator"])
    lines = search.search(viewer, {"q": '"pena nieto"'}).lines
    chosen = [f"{line.document_id}:{line.start}:{line.end}" for line in lines[:2]]
    preview = _annotate(
        client, project, q='"pena nieto"', hit=chosen, add_tag="President"
    )
    assert preview.status_code == 200
    assert "<strong>2 annotations</strong> will be made" in preview.text
    assert not Annotation.objects.filter(tags__name="President").exists()
    done = _annotate(
        client,
        project,
        q='"pena nieto"',
        hit=chosen,
        add_tag="President",
        body="A head of state.",
        confirm="1",
    )
    assert done.status_code == 302
    assert done["Location"].startswith(
        reverse("annotations:project_search", args=[project.slug])
    )
    made = Annotation.objects.filter(tags__name="President")
    assert made.count() == 2
    assert {note.exact for note in made} == {"Peña Nieto"}
    assert all(
        note.author == members["annotator"] and note.body == "A head of state."
        for note in made
    )
    events = AnnotationEvent.objects.filter(annotation__in=made, kind="created")
    assert events.count() == 2
    assert all("pena nieto" in event.reason for event in events)
    # Found by the search at once, and made only once.
    assert len(search.search(viewer, {"q": "head of state"}).notes) == 2
    again = _annotate(
        client, project, q='"pena nieto"', hit=chosen, add_tag="president", confirm="1"
    )
    assert again.status_code == 302
    assert Annotation.objects.filter(tags__name="President").count() == 2


def test_annotating_all_hits_skips_those_tagged_already(
    client, project, members, corpus
):
    from annotations.models import Annotation

    client.force_login(members["annotator"])
    everything = search.passages(
        _membership(project, members["annotator"]), {"q": "tunnel"}
    )
    assert len(everything) >= 2
    document_id, start, end = everything[0]
    first = Annotation.objects.create(
        project=project,
        document_id=document_id,
        author=members["owner"],
        start=start,
        end=end,
        exact="tunnel",
    )
    first.tags.add(services.get_or_create_tag(project=project, name="Method"))
    preview = _annotate(client, project, q="tunnel", all="1", add_tag="method")
    assert f"{len(everything) - 1} annotation" in preview.text
    assert "1 passage already carries that tag" in preview.text
    _annotate(client, project, q="tunnel", all="1", add_tag="method", confirm="1")
    assert Annotation.objects.filter(tags__name="Method").count() == len(everything)


def test_the_preview_shows_the_first_passages_it_will_annotate(
    client, project, members, monkeypatch
):
    """The preview lists the passages to be annotated, the first few in the
    documents' order, each in its context cut by code points (astral
    characters before it), without the ones that already carry the tag."""
    from annotations.models import Annotation

    monkeypatch.setattr(search, "PREVIEW_SHOWN", 2)
    monkeypatch.setattr(search, "PREVIEW_CONTEXT", 6)
    make_document(project=project, title="Tunnels", paragraphs=["𝔸𝔹𝔻 a Tunnel 𝔼 dug."])
    second = make_document(
        project=project,
        title="Roads",
        paragraphs=["The tunnel road.", "The last tunnel here."],
    )
    tagged = Annotation.objects.create(
        project=project,
        document=second,
        author=members["owner"],
        start=second.text.index("tunnel"),
        end=second.text.index("tunnel") + 6,
        exact="tunnel",
    )
    tagged.tags.add(services.get_or_create_tag(project=project, name="Route"))
    client.force_login(members["annotator"])
    preview = _annotate(client, project, q="tunnel", all="1", add_tag="route")
    assert "<strong>2 annotations</strong> will be made" in preview.text
    items = re.findall(r"<li>(.*?)</li>", preview.text.split('class="preview-hits"')[1])
    # In the order of the search's lines (the documents by title); "…"
    # where the text goes on.
    assert items == [
        '<span class="meta">Roads</span><br>…<bdi> last </bdi>'
        "<mark>tunnel</mark> here.",
        '<span class="meta">Tunnels</span><br><bdi>𝔸𝔹𝔻 a </bdi>'
        "<mark>Tunnel</mark> 𝔼 dug…",
    ]
    assert "And" not in preview.text.split("preview-hits")[1]
    monkeypatch.setattr(search, "PREVIEW_SHOWN", 1)
    preview = _annotate(client, project, q="tunnel", all="1", add_tag="route")
    assert "The first passage<" in preview.text and "And 1 more." in preview.text


def test_a_tag_only_others_see_neither_stops_nor_shows_in_the_preview(
    client, project, members
):
    """A passage carries the tag for the member only through an annotation
    they see: another's private note with it is not counted as skipped (it
    would say where that note is), and their shared one is made."""
    from annotations.models import Annotation

    document = make_document(project=project, paragraphs=["The tunnel road."])
    start = document.text.index("tunnel")
    hidden = Annotation.objects.create(
        project=project,
        document=document,
        author=members["curator"],
        start=start,
        end=start + 6,
        exact="tunnel",
        visibility=Visibility.PRIVATE,
    )
    hidden.tags.add(services.get_or_create_tag(project=project, name="Route"))
    client.force_login(members["annotator"])
    preview = _annotate(client, project, q="tunnel", all="1", add_tag="route")
    assert "<strong>1 annotation</strong> will be made" in preview.text
    assert "already carr" not in preview.text
    _annotate(client, project, q="tunnel", all="1", add_tag="route", confirm="1")
    made = Annotation.objects.get(author=members["annotator"], tags__name="Route")
    assert made.visibility == Visibility.PROJECT
    # The curator sees their own: skipped for them.
    client.force_login(members["curator"])
    preview = _annotate(client, project, q="tunnel", all="1", add_tag="route")
    assert "No annotation will be made" in preview.text
    assert "1 passage already carries that tag" in preview.text


def test_annotating_passages_is_all_or_nothing(project, members):
    """A passage refused in the last document leaves none made in the first,
    nor their tag, nor their index entries."""
    from django.core.exceptions import ValidationError

    from annotations.models import Annotation

    first = make_document(project=project, paragraphs=["The tunnel road."])
    second = make_document(project=project, paragraphs=["A tunnel."])
    start = first.text.index("tunnel")
    entries = SearchEntry.objects.filter(project=project)
    before = entries.count()
    with pytest.raises(ValidationError, match="outside the document"):
        services.annotate_passages(
            project=project,
            author=members["annotator"],
            passages=[(first.pk, start, start + 6), (second.pk, 2, 99)],
            tag="Route",
        )
    assert not Annotation.objects.filter(project=project).exists()
    assert not Tag.objects.filter(project=project, name="Route").exists()
    assert entries.count() == before


@pytest.mark.parametrize("who", ["viewer", "outsider"])
def test_only_annotators_annotate_hits(client, project, members, corpus, who):
    client.force_login(members[who])
    response = _annotate(client, project, q="tunnel", all="1", add_tag="x", confirm="1")
    assert response.status_code == (404 if who == "outsider" else 403)


def test_hits_that_are_not_the_projects_are_refused_whole(
    client, project, members, corpus
):
    from annotations.models import Annotation
    from tests.factories import make_project

    elsewhere = make_document(
        project=make_project(), paragraphs=["A tunnel elsewhere."]
    )
    client.force_login(members["annotator"])
    before = Annotation.objects.count()
    good = f"{corpus['other'].pk}:4:10"
    for hit in (
        [good, f"{elsewhere.pk}:2:8"],
        [good, f"{corpus['other'].pk}:5:99999"],
        ["1:2"],
    ):
        response = _annotate(
            client, project, q="tunnel", hit=hit, add_tag="x", confirm="1"
        )
        assert response.status_code == 400, hit
    assert Annotation.objects.count() == before
    empty = _annotate(client, project, q="tunnel", add_tag="x")
    assert empty.status_code == 400 and "Choose some hits" in empty.text


def test_only_the_searchs_hits_are_annotated_or_previewed(
    client, project, members, corpus
):
    """A passage chosen must be one of the search's hits: not a longer span,
    not the middle of other words, not another project's text, not one that
    ends where or before it starts; the preview refuses it as the annotating
    does, and nothing is made."""
    from annotations.models import Annotation
    from tests.factories import make_project

    other = corpus["other"]
    tunnel = other.text.index("tunnel")
    hit = f"{other.pk}:{tunnel}:{tunnel + 6}"
    elsewhere = make_document(project=make_project(), paragraphs=["A tunnel."])
    client.force_login(members["annotator"])
    before = Annotation.objects.count()
    for chosen in (
        [hit, f"{other.pk}:0:{len(other.text)}"],
        [hit, f"{other.pk}:{tunnel + 2}:{tunnel + 9}"],
        [f"{elsewhere.pk}:2:8"],
        [hit, f"{other.pk}:{tunnel + 6}:{tunnel}"],
        [f"{other.pk}:{tunnel}:{tunnel}"],
    ):
        for confirm in ("", "1"):
            response = _annotate(
                client, project, q="tunnel", hit=chosen, add_tag="x", confirm=confirm
            )
            assert response.status_code == 400, chosen
            assert "not one of the search" in response.text
    assert Annotation.objects.count() == before
    preview = _annotate(client, project, q="tunnel", hit=[hit], add_tag="x")
    assert "1 annotation" in preview.text
    _annotate(client, project, q="tunnel", hit=[hit], add_tag="x", confirm="1")
    made = Annotation.objects.get(tags__name="x")
    assert (made.document_id, made.start, made.end) == (other.pk, tunnel, tunnel + 6)


def test_a_hit_is_annotated_whatever_the_lines_before_it(client, project, members):
    """A hit after more lines than a search reads (MAX_LINES) is still one
    of its hits: it is checked in its own passage."""
    words = search.MAX_LINES + 1
    big = make_document(project=project, title="A big", paragraphs=["tunnel " * words])
    small = make_document(project=project, title="B small", paragraphs=["A tunnel."])
    client.force_login(members["annotator"])
    last = 7 * (words - 1)
    chosen = [f"{big.pk}:{last}:{last + 6}", f"{small.pk}:2:8"]
    response = _annotate(
        client, project, q="tunnel", hit=chosen, add_tag="far", confirm="1"
    )
    assert response.status_code == 302
    made = Annotation.objects.filter(tags__name="far")
    assert sorted((a.document_id, a.start) for a in made) == [
        (big.pk, last),
        (small.pk, 2),
    ]


@pytest.fixture
def read(monkeypatch) -> list:
    """The passages a search cuts lines from, one item each, as it reads."""
    passages: list = []
    entry_lines = search._entry_lines
    monkeypatch.setattr(
        search, "_entry_lines", lambda *args: passages.append(1) or entry_lines(*args)
    )
    return passages


def test_too_many_hits_are_refused(client, project, members, corpus, monkeypatch, read):
    """Refused as soon as one hit too many is found: the search's passages
    are read no further (a word in most of a corpus read 20,000 lines to be
    refused)."""
    from annotations.views import search as search_view

    monkeypatch.setattr(search_view, "MAX_HITS", 1)
    client.force_login(members["annotator"])
    every = len(
        search.passages(_membership(project, members["annotator"]), {"q": "the"})
    )
    read.clear()
    response = _annotate(client, project, q="the", all="1", add_tag="x")
    assert response.status_code == 400 and "At most 1 hits" in response.text
    assert every > 2 and len(read) <= 2


def test_kept_counts_follow_every_change_a_search_can_see(project, members, corpus):
    viewer = _membership(project, members["viewer"])

    def kinds(q):
        found = search.search(viewer, {"q": q})
        return {row["value"]: row["count"] for row in found.facets["kind"]}

    assert "note" not in kinds("smuggling")
    note = make_annotation(
        corpus["other"], members["annotator"], "tunnel", body="Smuggling."
    )
    assert kinds("smuggling")["note"] == 1
    corpus_services.update_document_metadata(
        document=corpus["other"], title="On smuggling"
    )
    assert kinds("smuggling")["document"] == 1
    tag = services.get_or_create_tag(project=project, name="plain")
    assert "tag" not in kinds("contraband")
    services.rename_tag(tag=tag, name="contraband")
    assert kinds("contraband")["tag"] == 1
    services.delete_annotation(annotation=note, by=members["annotator"])
    assert "note" not in kinds("smuggling")
    # A title changed is the one the lines, the documents and the facet name.
    other = corpus["other"].pk

    def titles(found):
        return (
            {row["document_id"]: row["title"] for row in found.documents}[other],
            {row["value"]: row["label"] for row in found.facets["document"]}[other],
            {line.document_id: line.document["title"] for line in found.lines}[other],
        )

    assert titles(search.search(viewer, {"q": "tunnel"})) == ("On smuggling",) * 3
    corpus_services.update_document_metadata(
        document=corpus["other"], title="Under the prison"
    )
    assert titles(search.search(viewer, {"q": "tunnel"})) == ("Under the prison",) * 3


def test_the_exact_mode_finds_characters_as_they_are(client, project, members, corpus):
    viewer = _membership(project, members["viewer"])
    found = search.search(viewer, {"q": "u.s.-mexico", "exact": True})
    assert found.lines
    brief = corpus["brief"].text
    for line in found.lines:
        assert brief[line.start : line.end] == line.hit
        assert line.hit.lower() == "u.s.-mexico"
    # Words alone would find "U.S. and Mexico" too; the characters do not.
    assert all(line.hit.lower() == "u.s.-mexico" for line in found.lines)
    client.force_login(members["viewer"])
    page = _search(client, project, "(a)", exact="on")
    assert page.status_code == 200
    assert (
        _search(client, project, "   ", exact="on").status_code == 200
    )  # nothing asked


def test_the_facets_counted_at_once_are_those_counted_one_by_one(
    project, members, corpus
):
    """The facets counted in one statement (those not chosen) and by one
    grouping each (those chosen, without themselves) are those a query of
    its own for each counts, whatever is chosen."""
    document = corpus["other"]
    corpus_services.update_document_metadata(
        document=document, published_date=datetime.date(2015, 3, 1)
    )
    for word, who, tags in [
        ("tunnel", "annotator", ["route", "plan"]),
        ("prison", "owner", ["route"]),
        ("spoke", "curator", []),
    ]:
        note = make_annotation(
            document, members[who], word, body="Escape notes.", tags=tags
        )
    first = make_annotation(
        document, members["annotator"], "tunnel", body="An escape.", tags=["route"]
    )
    for body in ("Escape!", "Escape again!"):  # two entries alike but their keys
        services.create_reply(annotation=first, author=members["owner"], body=body)
    services.set_tag_parent(
        tag=services.get_or_create_tag(project=project, name="plan"),
        parent=services.get_or_create_tag(project=project, name="route"),
    )
    membership = _membership(project, members["curator"])
    for chosen in [
        {},
        {"kind": "note"},
        {"tag": "route"},
        {"author": members["owner"].get_username()},
        {"status": note.status},
        {"document": document.pk},
        {"document": document.pk, "tag": "route"},
        {"kind": "reply", "tag": "route"},
        {"kind": "text", "until": "2100-01-01"},
    ]:
        found = search._found(membership, {"q": "escape", **chosen})
        passages: dict = {}
        facets = search._facets(found, passages)
        texts = found.texts.order_by().values("document_id").annotate(n=Count("pk"))
        assert {pk: n for pk, (_title, n) in passages.items()} == {
            row["document_id"]: row["n"] for row in texts
        }, chosen
        for name in search.FACETS:
            counted = _counted_alone(found, name)
            assert [row["value"] for row in facets[name]] == [
                row["value"] for row in counted
            ], (chosen, name)
            assert [row["count"] for row in facets[name]] == [
                row["count"] for row in counted
            ], (chosen, name)
        assert facets["kind"], chosen
        if not chosen:
            assert facets["tag"] and facets["author"] and facets["year"]
            assert passages


def _counted_alone(found, name: str) -> list[dict]:
    """A facet counted the plain way, by a query of its own: the entries the
    member sees, narrowed by every facet chosen but itself, each entry once."""
    value, kinds = {
        "kind": (F("kind"), None),
        "document": (F("document_id"), None),
        "tag": (F("annotation__tags__name"), search.ANNOTATION_KINDS),
        # A reply is counted for its own author, not its note's.
        "author": (
            Coalesce("reply__author__username", "annotation__author__username"),
            search.ANNOTATION_KINDS,
        ),
        "status": (F("annotation__status"), search.ANNOTATION_KINDS),
        "year": (F("document__published_date__year"), None),
    }[name]
    rows = (
        found.of(kinds, but=name)
        .annotate(value=value)
        .exclude(value__isnull=True)
        .values("value")
        .annotate(count=Count("pk", distinct=True))
        .order_by("-count", "value")[: search.FACET_SIZE]
    )
    counted = [{"value": row["value"], "count": row["count"]} for row in rows]
    # The years are shown in order of time.
    return sorted(counted, key=lambda row: row["value"]) if name == "year" else counted


def test_a_kind_with_many_hits_leaves_room_for_the_others(
    client, project, members, corpus, monkeypatch
):
    monkeypatch.setattr(search, "OTHERS_SHOWN", 2)
    for n in range(9):  # more titles than all four kinds were once given
        make_document(project=project, title=f"Escape route {n}")
    note = make_annotation(
        corpus["other"], members["annotator"], "tunnel", body="An escape."
    )
    found = search.search(_membership(project, members["viewer"]), {"q": "escape"})
    assert len(found.titles) == 2
    assert [m.entry.annotation_id for m in found.notes] == [note.pk]
    client.force_login(members["viewer"])
    page = _search(client, project, "escape")
    assert "Note by annotator-user" in page.text
    assert page.text.count("Escape route") >= 2


@pytest.mark.parametrize("rank_at_most", [0, 10**9])
def test_every_note_found_can_be_reached_a_page_at_a_time(
    client, project, members, corpus, monkeypatch, rank_at_most
):
    """Beside the lines a search shows each kind's first few hits, says how
    many it found, and links to all of them: that kind chosen, its hits
    come a page at a time, each once, in one order across the pages (ranked
    for few hits, else as indexed), whatever the lines' sort, private notes
    of others left out."""
    monkeypatch.setattr(search, "OTHERS_SHOWN", 2)
    monkeypatch.setattr(search, "OTHERS_PER_PAGE", 3)
    monkeypatch.setattr(search, "RANK_AT_MOST", rank_at_most)
    # Their places in the text are not in the order they are made.
    places = ["prison", "tunnel", "The", "under"]
    for n in range(8):
        make_annotation(
            corpus["other"],
            members["annotator"],
            places[n % 4],
            body=f"Contraband route {n}.",
            visibility=Visibility.PRIVATE if n == 3 else Visibility.PROJECT,
        )
    client.force_login(members["viewer"])
    page = _search(client, project, "contraband")
    assert page.text.count("Note by annotator-user") == 2
    assert " · 7 notes" in page.text
    assert "All 7 notes</a>" in page.text
    assert 'href="?q=contraband&amp;kind=note"' in page.text
    for sort in ("", "before", "after", "position"):
        seen = []
        for number in (1, 2, 3):
            page = _search(
                client, project, "contraband", kind="note", page=number, sort=sort
            )
            assert page.status_code == 200
            assert f"Page {number} of 3" in page.text, sort
            assert re.search(r'<p class="meta">7 notes\s+·', page.text), sort
            seen += re.findall(r"</mark> route (\d)\.", page.text)
        assert seen == [str(n) for n in range(8) if n != 3], sort
    assert "All 7 notes" not in page.text
    # A page past the last shows the last.
    assert (
        "Page 3 of 3"
        in _search(client, project, "contraband", kind="note", page=9).text
    )


def test_the_texts_order_says_how_many_pages_there_are_at_least(
    client, project, members, monkeypatch
):
    """In the texts' order a page reads only the lines up to its own, so the
    number of pages is known on the last alone; before it, the passages
    with hits say how many there are at least (one line each)."""
    monkeypatch.setattr(search, "LINES_PER_PAGE", 2)
    for n in range(10):  # 20 passages, 30 lines: 15 pages
        make_document(
            project=project,
            title=f"Report {n:02}",
            paragraphs=[f"A tunnel and a tunnel ({n}).", "One more tunnel.", "No."],
        )
    client.force_login(members["viewer"])
    expected = {
        1: "Page 1 of at least 10",
        9: "Page 9 of at least 10",
        14: "Page 14 of at least 15",
        15: "Page 15 of 15",
    }
    for number, said in expected.items():
        page = _search(client, project, "tunnel", page=number).text
        assert said + "<" in page, number
    # Sorted by the words around the hits, every line is read: the number
    # is known.
    assert "Page 1 of 15<" in _search(client, project, "tunnel", sort="before").text


def test_every_link_of_the_results_keeps_the_search(
    client, project, members, corpus, monkeypatch
):
    """Each link of the results that is this search narrowed or paged (a
    facet, a page of lines or of notes, a tag, all of a kind) opens a page of
    the same search: its address is one query string (Django's querystring
    tag writes the "?" itself)."""
    monkeypatch.setattr(search, "LINES_PER_PAGE", 2)
    monkeypatch.setattr(search, "OTHERS_SHOWN", 1)
    monkeypatch.setattr(search, "OTHERS_PER_PAGE", 1)
    for n in range(3):
        make_annotation(
            corpus["other"],
            members["annotator"],
            "tunnel",
            body=f"The route {n}.",
            tags=["route"],
        )
    client.force_login(members["viewer"])
    followed = set()
    for q, asked in (("route", {}), ("route", {"kind": "note"}), ("the", {})):
        page = _search(client, project, q, **asked)
        links = set(re.findall(r'(?:href|hx-get)="(\?[^"]*)"', page.text))
        assert links
        for link in links:
            assert not link.startswith("??"), link
            url = reverse("annotations:project_search", args=[project.slug])
            answer = client.get(url + link.replace("&amp;", "&"))
            assert answer.status_code == 200, link
            assert f'name="q" value="{q}"' in answer.text, link
        followed |= links
    # Lines paged, notes paged, a tag, all of a kind, a facet.
    assert any("page=2" in link and "kind" not in link for link in followed)
    assert any("page=2" in link and "kind=note" in link for link in followed)
    assert any("tag=route" in link for link in followed)


@pytest.mark.parametrize("listed_at_most", [0, 10**9])
def test_pages_of_lines_follow_one_another_in_the_documents_order(
    project, members, corpus, monkeypatch, listed_at_most
):
    """Both ways a page's passages are read (SQLite: the passages found
    listed, or the engine asked of each passage of the page's documents)
    give the same pages."""
    monkeypatch.setattr(search, "LINES_PER_PAGE", 3)
    monkeypatch.setattr(search, "LISTED_AT_MOST", listed_at_most)
    for title in ("B second", "A first", "C third"):
        make_document(
            project=project,
            title=title,
            paragraphs=[f"A tunnel, then a tunnel ({title}).", "None.", "One tunnel."],
        )
    viewer = _membership(project, members["viewer"])
    first = search.search(viewer, {"q": "tunnel"})
    paged, page = [], 1
    while True:
        found = search.search(viewer, {"q": "tunnel", "page": page})
        paged += [(line.document_id, line.start) for line in found.lines]
        if found.page == found.pages:
            break
        page += 1
    by_title = [row["document_id"] for row in first.documents]
    assert paged == sorted(paged, key=lambda hit: (by_title.index(hit[0]), hit[1]))
    every = {
        (pk, start) for pk, start, _end in search.passages(viewer, {"q": "tunnel"})
    }
    assert len(paged) == len(set(paged)) and set(paged) == every
    assert first.unit == "passage" and first.line_count < len(paged)
    assert page > 2  # the lines took several pages
    assert [row["title"] for row in first.documents][:3] == [
        "A first",
        "A made-up report",
        "B second",
    ]


def test_lines_are_paged_through_to_max_lines_then_the_page_says_so(
    client, project, members, monkeypatch, read
):
    """A page past MAX_LINES shows the last page that may be shown, with no
    next page and a word to narrow the search, having read no further (page
    1,000,000 of a common word once read every line of the corpus)."""
    monkeypatch.setattr(search, "LINES_PER_PAGE", 2)
    monkeypatch.setattr(search, "MAX_LINES", 4)
    for n in range(10):  # 20 passages, 30 lines
        make_document(
            project=project,
            title=f"Report {n}",
            paragraphs=[f"A tunnel and a tunnel ({n}).", "One more tunnel.", "No."],
        )
    client.force_login(members["viewer"])
    for sort in ("", "position", "before"):
        read.clear()
        page = _search(client, project, "tunnel", page=1_000_000, sort=sort).text
        assert "Page 2" in page and 'rel="next"' not in page, sort
        assert "Only the first 4 lines can be paged through" in page, sort
        # The lines to the last page and the next one, by whole documents;
        # by position, every passage that starts before the last line kept
        # (the ten first paragraphs), and the next.
        assert len(read) <= (11 if sort == "position" else 8), sort
        first = _search(client, project, "tunnel", page=1, sort=sort).text
        assert 'rel="next"' in first, sort
        # A sort is of the first lines only: every page says so.
        assert ("Only the first" in first) == (sort == "before"), sort


def _seen_by(project, user, q) -> dict:
    """What a member's search shows of notes and replies: the notes and
    replies listed, and the kind facet's counts."""
    found = search.search(_membership(project, user), {"q": q})
    return {
        "notes": [m.entry.annotation_id for m in found.notes],
        "replies": [m.entry.reply_id for m in found.replies],
        "kinds": {row["value"]: row["count"] for row in found.facets["kind"]},
    }


def test_who_sees_a_note_follows_every_change_to_it(project, members, corpus):
    """The index's copy of who may see a note (its entry's and its replies')
    follows each write that changes it: an edit of its visibility, a
    decision under pre-moderation, the trash and back, a deletion, and a
    change written straight to the table (as the admin or a bulk update)."""
    from annotations.models import Annotation, Status

    annotator, viewer = members["annotator"], members["viewer"]
    note = make_annotation(
        corpus["other"], annotator, "tunnel", body="Smuggling route."
    )
    reply = services.create_reply(
        annotation=note, author=members["owner"], body="More smuggling."
    )
    both = {
        "notes": [note.pk],
        "replies": [reply.pk],
        "kinds": {"note": 1, "reply": 1},
    }
    nothing = {"notes": [], "replies": [], "kinds": {}}
    assert _seen_by(project, viewer, "smuggling") == both

    def edit(visibility):
        current = Annotation.objects.get(pk=note.pk)
        services.update_annotation(
            annotation=current,
            editor=annotator,
            version=current.version,
            body=current.body,
            tags=[],
            visibility=visibility,
        )

    edit(Visibility.PRIVATE)
    assert _seen_by(project, viewer, "smuggling") == nothing
    assert _seen_by(project, annotator, "smuggling") == both
    edit(Visibility.PROJECT)
    assert _seen_by(project, viewer, "smuggling") == both

    project.premoderation = True
    project.save(update_fields=["premoderation"])
    assert _seen_by(project, viewer, "smuggling") == nothing
    services.set_status(annotation=note, by=members["curator"], status=Status.APPROVED)
    assert _seen_by(project, viewer, "smuggling") == both
    project.premoderation = False
    project.save(update_fields=["premoderation"])

    services.trash_document(document=corpus["other"], by=members["owner"])
    assert _seen_by(project, annotator, "smuggling") == nothing
    services.restore_document(document=corpus["other"], by=members["owner"])
    assert _seen_by(project, viewer, "smuggling") == both

    # Straight to the table: the revision counters do not move (the services
    # move them), so the counts kept for the project's state are dropped.
    Annotation.objects.filter(pk=note.pk).update(visibility=Visibility.PRIVATE)
    search.clear()
    assert _seen_by(project, viewer, "smuggling") == nothing
    Annotation.objects.filter(pk=note.pk).update(visibility=Visibility.PROJECT)

    services.delete_reply(reply=reply, by=members["owner"])
    assert _seen_by(project, viewer, "smuggling") == {
        "notes": [note.pk],
        "replies": [],
        "kinds": {"note": 1},
    }
    services.delete_annotation(annotation=note, by=annotator)
    assert _seen_by(project, annotator, "smuggling") == nothing


def test_a_rebuilt_index_keeps_private_notes_and_the_trash_hidden(
    project, members, corpus
):
    from annotations.services import search as search_index

    hidden = make_annotation(
        corpus["brief"],
        members["annotator"],
        "Sinaloa",
        body="Contraband, privately.",
        visibility=Visibility.PRIVATE,
    )
    trashed = make_annotation(
        corpus["other"], members["annotator"], "tunnel", body="Contraband tunnel."
    )
    reply = services.create_reply(
        annotation=trashed, author=members["owner"], body="Contraband indeed."
    )
    services.trash_document(document=corpus["other"], by=members["owner"])
    search_index.rebuild([project])
    assert _seen_by(project, members["viewer"], "contraband") == {
        "notes": [],
        "replies": [],
        "kinds": {},
    }
    assert _seen_by(project, members["annotator"], "contraband")["notes"] == [hidden.pk]
    services.restore_document(document=corpus["other"], by=members["owner"])
    assert _seen_by(project, members["viewer"], "contraband")["replies"] == [reply.pk]
    assert search.search(_membership(project, members["viewer"]), {"q": "tunnel"}).lines


def test_a_page_reads_on_when_passages_found_yield_no_line(
    client, project, members, monkeypatch
):
    """The engine may count a passage in which Python finds no hit (exact mode
    on PostgreSQL: UPPER() and Python's case-insensitivity differ): the page
    reads the next documents' passages until it is full, instead of showing
    fewer lines, or none, while the counts say there are more."""
    monkeypatch.setattr(search, "LINES_PER_PAGE", 1)
    counted_only = make_document(
        project=project, title="A counted", paragraphs=["Gold here.", "Gold there."]
    )
    make_document(project=project, title="B found", paragraphs=["Gold, found."])
    make_document(project=project, title="C found too", paragraphs=["Gold again."])
    finds = search._hits

    def no_line_in_the_first(text, query):
        return [] if text in {"Gold here.", "Gold there."} else finds(text, query)

    monkeypatch.setattr(search, "_hits", no_line_in_the_first)
    client.force_login(members["viewer"])
    page = _search(client, project, "gold", exact="1")
    assert page.status_code == 200
    assert re.search(
        r"<mark>Gold</mark></a></td><td class=\"kwic-right\">, found", page.text
    )
    assert 'rel="next"' in page.text
    second = _search(client, project, "gold", exact="1", page=2)
    assert 'kwic-right"> again.' in second.text
    shown = reverse("annotations:document_detail", args=[project.slug, counted_only.pk])
    assert f"{shown}?hit=" not in page.text + second.text


def test_a_tag_hit_opens_the_margin_filtered_by_it(client, project, members, corpus):
    """A tag found names the documents where the member sees notes it tags;
    each opens the reading view with its margin filtered by the tag. A
    document where only a note hidden from the member carries it is not
    named."""
    make_annotation(
        corpus["other"],
        members["annotator"],
        "tunnel",
        body="Dug for months.",
        tags=["Escape route"],
    )
    make_annotation(corpus["other"], members["annotator"], "prison", body="Walls.")
    make_annotation(
        corpus["brief"],
        members["curator"],
        "Sinaloa",
        body="Private thought.",
        tags=["Escape route"],
        visibility=Visibility.PRIVATE,
    )
    client.force_login(members["viewer"])
    page = _search(client, project, "route")
    reading = reverse(
        "annotations:document_detail", args=[project.slug, corpus["other"].pk]
    )
    hidden = reverse(
        "annotations:document_detail", args=[project.slug, corpus["brief"].pk]
    )
    link = f"{reading}?tag=Escape%20route#margin-heading"
    assert f'<a href="{link}">A made-up report</a> (1)' in page.text
    assert f"{hidden}?tag=" not in page.text
    margin = client.get(link.split("#")[0])
    assert "Dug for months." in margin.text
    assert "Walls." not in margin.text
    client.force_login(members["curator"])
    assert f"{hidden}?tag=Escape%20route" in _search(client, project, "route").text


def test_the_first_hits_of_a_kind_are_the_same_however_they_are_read(
    project, members, corpus, monkeypatch
):
    """A kind most of whose entries hold the words is read by walking its
    entries in order (SQLite), a kind they are rare in from the list of
    every entry found: the same first notes, private ones left out, both
    ways."""
    monkeypatch.setattr(search, "OTHERS_SHOWN", 2)
    for n, visibility in enumerate(
        [Visibility.PRIVATE, Visibility.PROJECT, Visibility.PROJECT, Visibility.PROJECT]
    ):
        make_annotation(
            corpus["other"],
            members["curator"],
            "tunnel",
            body=f"Contraband {n}.",
            visibility=visibility,
        )
    viewer = _membership(project, members["viewer"])

    def first_notes():
        search.clear()
        return [m.entry.text for m in search.search(viewer, {"q": "contraband"}).notes]

    # By place (not ranked), walked, then listed.
    monkeypatch.setattr(search, "RANK_AT_MOST", 0)
    monkeypatch.setattr(search, "LISTED_PER_QUESTION", 0)
    walked = first_notes()
    monkeypatch.setattr(search, "LISTED_PER_QUESTION", 10**9)
    listed = first_notes()
    assert walked == listed == ["tunnel\n\nContraband 1.", "tunnel\n\nContraband 2."]


def test_a_prefix_is_never_asked_of_each_entry(project, members, corpus, monkeypatch):
    """A query with a prefix term is never asked of one entry at a time
    (SQLite: each question expands the prefix into every word it starts; the
    first notes of "th*" on the bench's corpus took 2 s a kind), however many
    hits it has: the same lines and notes, from the lists of entries found."""
    monkeypatch.setattr(search, "OTHERS_SHOWN", 2)
    monkeypatch.setattr(search, "LISTED_PER_QUESTION", 0)
    monkeypatch.setattr(search, "LISTED_AT_MOST", 0)
    monkeypatch.setattr(search, "RANK_AT_MOST", 0)
    for n in range(3):
        make_annotation(
            corpus["other"], members["curator"], "tunnel", body=f"Escaped {n}."
        )
    viewer = _membership(project, members["viewer"])
    with CaptureQueriesContext(connection) as queries:
        found = search.search(viewer, {"q": "escape*"})
    assert [m.entry.text for m in found.notes] == [
        "tunnel\n\nEscaped 0.",
        "tunnel\n\nEscaped 1.",
    ]
    assert found.lines
    asked_of_each = "EXISTS (SELECT 1 FROM annotations_search_fts"
    assert not [query for query in queries if asked_of_each in query["sql"]]


def test_notes_are_shown_most_relevant_first(client, project, members, corpus):
    """A search that finds few notes ranks them (FTS5's bm25, PostgreSQL's
    ts_rank): the note that says the words most often comes first, though
    it stands later in the text and was written later; a document chosen
    too (SQLite reads the rank from the FTS5 table joined, never from the
    entries asked of each, which have none)."""
    make_annotation(
        corpus["other"],
        members["annotator"],
        "tunnel",
        body="A long note that names smuggling once, among many other words "
        "about the prison, its walls, its guards and its history.",
    )
    make_annotation(
        corpus["other"],
        members["annotator"],
        "Peña Nieto",
        body="Smuggling, smuggling and more smuggling.",
    )
    client.force_login(members["viewer"])
    for chosen in ({}, {"document": corpus["other"].pk}):
        page = _search(client, project, "smuggling", **chosen).text
        assert "Notes: the most relevant first." in page, chosen
        assert page.index("more <mark>smuggling</mark>") < page.index("names <mark>"), (
            chosen
        )


def test_a_text_indexed_in_several_statements_is_found_whole(
    project, members, monkeypatch
):
    """The index's rows are written a few statements at a time, as many rows
    each as the database takes parameters: every block is found, the last
    statement's too."""
    from annotations.services import search as search_index

    monkeypatch.setattr(search_index, "_parameters_at_most", lambda: 50)
    paragraphs = [f"Paragraph {n} on smuggling route {n}." for n in range(10)]
    document = make_document(project=project, paragraphs=paragraphs)
    viewer = _membership(project, members["viewer"])
    lines = search.search(viewer, {"q": "smuggling"}).lines
    assert [line.document_id for line in lines] == [document.pk] * 10
    assert [line.right for line in lines][-1] == " route 9."


def test_hits_chosen_before_a_text_revision_are_not_annotated_on_other_words(
    client, project, members, corpus
):
    """The search page's hits name the revision of the text they count in: a
    correction made between the search and the confirm refuses them, with
    what to do, and makes nothing."""
    from annotations.models import Annotation
    from tests.factories import revise_block

    client.force_login(members["annotator"])
    page = client.get(
        reverse("annotations:project_search", args=[project.slug]),
        {"q": '"pena nieto"'},
    ).text
    chosen = re.findall(r'name="hit" value="([0-9:]+)"', page)[:2]
    assert chosen and all(value.count(":") == 3 for value in chosen)
    document = Document.objects.get(pk=int(chosen[0].split(":")[0]))
    revise_block(
        document,
        members["owner"],
        0,
        "Inserted first. "
        + document.text[document.blocks[0]["start"] : document.blocks[0]["end"]],
    )
    # The preview says so too (it would show other words at the offsets).
    for confirm in ("", "1"):
        refused = _annotate(
            client,
            project,
            q='"pena nieto"',
            hit=chosen,
            add_tag="President",
            confirm=confirm,
        )
        assert refused.status_code == 400
        assert "was corrected since the search" in refused.text
    assert not Annotation.objects.filter(tags__name="President").exists()


# Strings for the exact mode: punctuation, case, accents, LIKE's wildcards (to
# be found as characters), a string shorter than a trigram, one found nowhere.
EXACT_STRINGS = [
    "u.s.-mexico",
    "U.S.",
    "el chapo",
    "GUZMÁN",
    "guzmÁn",
    "PEÑA NIETO",
    "𝔊uzmán",
    "[*?]",
    "λόγος",
    "ΛΌΓΟΣ",
    "политика",
    "STRAßE",
    "ß",
    "ſtraße",
    'ña "AND" Ni',
    "Ñ*^:(",
    "ña Ni",
    "100%",
    "a_b",
    "un",
    "zq-77/β",
]


def _exact_entries(project, text):
    return set(
        search._holding(project.pk, search_text.exact(text)).values_list(
            "pk", flat=True
        )
    )


@pytest.mark.parametrize("through", ["trigrams", "every text", "GLOB"])
def test_the_exact_mode_finds_what_reading_every_text_finds(
    project, members, corpus, monkeypatch, through
):
    """The trigram index (migration 0021) finds the entries that hold the
    characters in any case, no more and no fewer than reading every entry's
    text in Python would (whose hits the page shows: "GUZMÁN" is in
    "Guzmán", which SQLite's LIKE, folding ASCII letters alone, missed); as
    does reading them, the way SQLite goes for a string in many entries, and
    GLOB, the way it goes for a string written in many ways."""
    make_annotation(corpus["other"], members["annotator"], "tunnel", body="Zq-77/β!")
    # Letters that Python's regular expressions take as others, ignoring case.
    make_document(
        project=project,
        paragraphs=[
            "Ο λόγος, ΛΌΓΟΣ. ПОЛИТИКА и политика.",
            "STRAẞE, straße, ſtraſſe.",
        ],
    )
    if through == "every text":
        monkeypatch.setattr(search, "TRIGRAM_ENTRIES_AT_MOST", 1)
    if through == "GLOB":  # SQLite: a string written in too many ways
        monkeypatch.setattr(search, "CASES_AT_MOST", 1)
    texts = SearchEntry.objects.filter(project=project).values_list("pk", "text")
    for text in EXACT_STRINGS:
        read = {pk for pk, entry in texts if search_text.exact(text).hits(entry)}
        assert _exact_entries(project, text) == read, text
    assert _exact_entries(project, "zq-77/β")  # the note
    assert _exact_entries(project, "u.s.-mexico")  # the brief
    assert _exact_entries(project, "GUZMÁN") == _exact_entries(project, "guzmán")
    assert _exact_entries(project, "GUZMÁN")
    assert _exact_entries(project, "ΛΌΓΟΣ") and _exact_entries(project, "ß")


def test_the_exact_mode_goes_through_the_trigram_index(project, corpus):
    """The engine answers from the trigram index, not by reading each text.
    SQLite: the search asks the FTS5 trigram table. PostgreSQL: the planner
    can answer the icontains the search asks (UPPER(text) LIKE) from the GIN
    index, which it takes once told not to read the table whole (which it
    prefers for a table this small, as it does the project's index)."""
    postgresql = connection.vendor == "postgresql"
    found = (
        SearchEntry.objects.filter(text__icontains="u.s.-mexico")
        if postgresql
        else search._holding(project.pk, search_text.exact("u.s.-mexico"))
    )
    sql, params = found.values("pk").query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        if postgresql:
            cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {'' if postgresql else 'QUERY PLAN '}{sql}", params)
        plan = " ".join(str(row) for row in cursor.fetchall())
    if postgresql:
        assert "annotations_search_text_trgm" in plan
    else:
        assert "annotations_search_trigrams" in plan


@pytest.mark.parametrize(
    "facet", ["", "kind=note", "kind=text", "status", "author", "tag"]
)
def test_the_counts_read_the_engines_match_first(project, members, corpus, facet):
    """With no facet chosen, one statement counts, reading the entries found
    once (materialised for its three groupings). On SQLite, whatever facet is
    chosen (but a document), each statement that counts reads the engine's
    match, each entry it names then looked up: the FTS5 table scanned for
    its match (M1), never probed for one rowid (=M1), which would walk every
    entry of the project asking the table of each (on the bench's corpus,
    the search for "sinaloa" once a kind is chosen: 5.4 s instead of 0.15;
    the facets of "the": 5 s instead of 0.2)."""
    note = make_annotation(
        corpus["other"], members["annotator"], "tunnel", body="Escape.", tags=["route"]
    )
    chosen = {
        "": {},
        "kind=note": {"kind": "note"},
        "kind=text": {"kind": "text"},
        "status": {"status": note.status},
        "author": {"author": members["annotator"].get_username()},
        "tag": {"tag": "route"},
    }[facet]
    asked = []

    def keep(execute, sql, params, many, context):
        asked.append((sql, params))
        return execute(sql, params, many, context)

    search.clear()
    with connection.execute_wrapper(keep):
        results = search.search(
            _membership(project, members["viewer"]), {"q": "escape", **chosen}
        )
    assert results.facets["kind"]
    postgresql = connection.vendor == "postgresql"
    counting = [
        (sql, params)
        for sql, params in asked
        if "COUNT(" in sql and "annotations_searchentry" in sql
    ]
    assert counting
    plans = []
    with transaction.atomic(), connection.cursor() as cursor:
        if postgresql:
            cursor.execute("SET LOCAL enable_seqscan = off")
        for sql, params in counting:
            cursor.execute(
                f"EXPLAIN {'' if postgresql else 'QUERY PLAN '}{sql}", params
            )
            plans.append([str(row) for row in cursor.fetchall()])
    if not chosen:
        once = "CTE found" if postgresql else "MATERIALIZE found"
        assert any(once in row for plan in plans for row in plan), plans
    if not postgresql:
        fts = [
            row
            for plan in plans
            for row in plan
            if "annotations_search_fts VIRTUAL TABLE" in row
        ]
        assert fts and all("INDEX 0:M1" in row for row in fts), fts


def test_the_trigram_index_follows_every_write(project, members, corpus):
    """A note made, edited and its document purged: the exact mode finds what
    the entries hold at each step, and on SQLite both FTS5 tables stay whole
    (their integrity check reads every entry back)."""
    viewer = _membership(project, members["viewer"])

    def notes(text):
        return [
            marked.entry.annotation_id
            for marked in search.search(viewer, {"q": text, "exact": True}).notes
        ]

    note = make_annotation(
        corpus["other"], members["annotator"], "tunnel", body="Route Qx-19/ä."
    )
    assert notes("QX-19/ä") == [note.pk]
    services.update_annotation(
        annotation=note,
        editor=members["annotator"],
        version=note.version,
        body="Route Wv-23.",
        tags=[],
        visibility=note.visibility,
    )
    assert notes("qx-19/") == []
    assert notes("wv-23.") == [note.pk]
    services.trash_document(document=corpus["other"], by=members["owner"])
    services.purge_document(document=corpus["other"], by=members["owner"])
    assert not _exact_entries(project, "wv-23.")
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            for table in ("annotations_search_fts", "annotations_search_trigrams"):
                # Our tables' names, no input.
                check = f"INSERT INTO {table}({table}) VALUES ('integrity-check')"  # noqa: S608
                cursor.execute(check)
