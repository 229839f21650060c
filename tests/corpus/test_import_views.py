"""Import through the web: upload, per-file report, review, choices, import, discard.

The background work runs at once here (django-tasks' immediate backend), except
where a test looks at a file while it waits for the worker: there the tasks
stay queued in the database, as they do until `db_worker` takes them.
"""

from __future__ import annotations

import datetime
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from corpus import importers
from corpus.models import Document, PendingImport
from corpus.services import import_work
from corpus.services import imports as import_services
from tests.conftest import document_bodies_read
from tests.factories import make_document

Status = PendingImport.Status
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
QUEUED = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
HTMX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def _tasks_run_at_once(settings):
    settings.TASKS = IMMEDIATE


@pytest.fixture
def queued_tasks(settings):
    """Background work waits in the database queue (no worker runs in tests)."""
    settings.TASKS = QUEUED


def _upload(client, project, *files, htmx=False):
    return client.post(
        reverse("corpus:import_upload", args=[project.slug]),
        {"files": list(files)},
        headers=HTMX if htmx else {},
    )


def _seed(seeds_dir, prefix: str) -> SimpleUploadedFile:
    path = next(seeds_dir.glob(f"{prefix}_*.txt"))
    return SimpleUploadedFile(path.name, path.read_bytes(), content_type="text/plain")


def _large_text(paragraphs: int = 4000) -> bytes:
    """Plain text over the size a request parses itself (INLINE_MAX_BYTES)."""
    body = "\n\n".join(
        f"Paragraph {n} of a long report on street trees and summer heat."
        for n in range(paragraphs)
    )
    data = body.encode()
    assert len(data) > import_services.INLINE_MAX_BYTES
    return data


def _review(client, project) -> str:
    return client.get(
        reverse("corpus:import_review", args=[project.slug])
    ).content.decode()


def _choices_data(pending: PendingImport, **overrides) -> dict:
    """The review form of `pending` as the page fills it in, with `overrides`."""
    pending.refresh_from_db()
    data = {
        "format": pending.choices.get("format", ""),
        "title": pending.chosen("title") or "",
        "authors": ", ".join(pending.chosen("authors") or []),
        "published_date": pending.chosen("published_date") or "",
        "drop": pending.choices.get("drop", []),
    }
    return data | overrides


def _post(client, name, project, pending, data=None, htmx=False, follow=False):
    return client.post(
        reverse(f"corpus:{name}", args=[project.slug, pending.pk]),
        data if data is not None else _choices_data(pending),
        headers=HTMX if htmx else {},
        follow=follow,
    )


def _import_all_label(html: str) -> str | None:
    found = re.search(r"Import all (\d+) as shown", html)
    return found.group(1) if found else None


# -- Upload ----------------------------------------------------------------------


def test_upload_reports_each_file_and_keeps_the_good_ones_for_review(
    client, project, owner, seeds_dir
):
    client.force_login(owner)
    response = _upload(
        client,
        project,
        _seed(seeds_dir, "004"),
        SimpleUploadedFile("empty.txt", b""),
        SimpleUploadedFile(
            "picture.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64
        ),
        htmx=True,
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html  # the htmx answer is the report fragment only
    assert "004_6dd3b6e22d44469c.txt</strong>: Ready for review" in html
    assert "empty.txt</strong>: refused. “empty.txt” is empty." in html
    assert "picture.png</strong>: refused." in html
    assert ".png files are not supported" in html
    assert "Review 1 file before saving" in html
    pending = PendingImport.objects.get()
    assert pending.filename == "004_6dd3b6e22d44469c.txt"
    assert pending.status == Status.READY
    assert not Document.objects.exists()


def test_upload_keeps_the_parse_result_with_the_upload(
    client, project, owner, seeds_dir
):
    client.force_login(owner)
    _upload(client, project, _seed(seeds_dir, "003"))
    pending = PendingImport.objects.get()
    data = (seeds_dir / pending.filename).read_bytes()
    expected = importers.import_bytes(data, filename=pending.filename)
    assert pending.parsed == expected.as_dict()
    assert pending.summary["title"] == "El Chapo Case Draws Mexico Closer to U.S."
    assert pending.summary["format"] == "article"
    assert pending.size == len(data)


def test_file_over_the_limit_is_refused_with_sizes(client, project, owner, settings):
    settings.APPARATUS_MAX_UPLOAD_BYTES = 1000
    client.force_login(owner)
    response = _upload(client, project, SimpleUploadedFile("big.txt", b"word " * 400))
    html = response.content.decode()
    assert response.status_code == 400
    assert "big.txt</strong>: refused." in html
    assert "the limit is" in html
    assert not PendingImport.objects.exists()


def test_upload_without_files_asks_for_one(client, project, owner):
    client.force_login(owner)
    response = client.post(reverse("corpus:import_upload", args=[project.slug]), {})
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\x00\x01\x02binary\x00data" * 20, "binary"),
        (b"   \n\n\t  ", "empty"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "PDF"),
    ],
    ids=["binary", "whitespace", "pdf"],
)
def test_unreadable_uploads_get_a_specific_reason(client, project, owner, data, reason):
    client.force_login(owner)
    response = _upload(
        client, project, SimpleUploadedFile("upload.txt", data), htmx=True
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "upload.txt</strong>: refused." in html
    assert reason.lower() in html.lower()
    assert not PendingImport.objects.exists()


@pytest.mark.parametrize("size", ["small", "large"])
def test_nul_after_the_first_4_kb_is_refused_at_upload_with_its_line(
    client, project, owner, queued_tasks, size
):
    """The whole file is checked, not a prefix, and before any background work."""
    lines = [f"Line {n} of an ordinary text file." for n in range(20_000)]
    data = "\n".join(lines).encode()
    if size == "small":
        data = data[:8000]
    cut = data.rindex(b"\n", 0, len(data) - 100) + 1
    data = data[:cut] + b"\x00" + data[cut:]
    line = data[:cut].count(b"\n") + 1
    assert cut > 4096
    client.force_login(owner)
    response = _upload(
        client, project, SimpleUploadedFile("notes.txt", data), htmx=True
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "notes.txt</strong>: refused." in html
    assert f"contains a NUL character (a zero byte) on line {line:,}" in html
    assert not PendingImport.objects.exists()


def test_control_characters_are_taken_out_of_the_file_name(client, project, owner):
    client.force_login(owner)
    upload = SimpleUploadedFile("bad\x00name\x07.txt", b"Some ordinary text here.\n")
    response = _upload(client, project, upload, htmx=True)
    assert response.status_code == 200
    assert PendingImport.objects.get().filename == "badname.txt"


def test_a_large_upload_is_read_in_the_background_not_in_the_request(
    client, project, owner, queued_tasks, monkeypatch
):
    calls = []
    real = importers.import_bytes
    monkeypatch.setattr(
        importers, "import_bytes", lambda *a, **k: calls.append(1) or real(*a, **k)
    )
    client.force_login(owner)
    response = _upload(
        client, project, SimpleUploadedFile("long.txt", _large_text()), htmx=True
    )
    assert response.status_code == 200
    assert "long.txt</strong>: Accepted" in response.content.decode()
    assert "being read in the background" in response.content.decode()
    assert calls == []
    pending = PendingImport.objects.get()
    assert (pending.status, pending.revision, pending.parsed) == (
        Status.QUEUED,
        1,
        None,
    )


# -- Review ----------------------------------------------------------------------


def test_review_shows_format_metadata_and_first_paragraphs(
    client, project, owner, seeds_dir
):
    client.force_login(owner)
    _upload(client, project, _seed(seeds_dir, "003"))
    html = _review(client, project)
    assert "Article with a metadata header" in html
    assert 'value="El Chapo Case Draws Mexico Closer to U.S."' in html  # editable
    assert 'value="2016-01-11"' in html
    assert "MEXICO CITY" in html  # first paragraph of the body
    assert "https://www.nytimes.com/2016/01/12/world/americas/" in html
    assert "Import all 1 as shown" in html


def test_review_page_reads_the_kept_results_and_never_parses(
    client, project, owner, seeds_dir, monkeypatch
):
    client.force_login(owner)
    _upload(client, project, *(_seed(seeds_dir, p) for p in ["000", "002", "003"]))
    calls = []
    real = importers.import_bytes
    monkeypatch.setattr(
        importers, "import_bytes", lambda *a, **k: calls.append(a) or real(*a, **k)
    )
    html = _review(client, project)
    assert "Import all 3 as shown" in html
    assert calls == []
    # Changing one file's format reads that file again, and only it.
    pending = PendingImport.objects.get(filename__startswith="000")
    response = _post(
        client,
        "import_choices",
        project,
        pending,
        _choices_data(pending, format="plain"),
        htmx=True,
    )
    assert response.status_code == 200
    assert len(calls) == 1
    assert "Plain text" in response.content.decode()
    _review(client, project)
    assert len(calls) == 1


def test_format_change_reads_the_file_again_and_the_import_keeps_it(
    client, project, owner, seeds_dir
):
    client.force_login(owner)
    _upload(client, project, _seed(seeds_dir, "004"))
    pending = PendingImport.objects.get()
    assert pending.summary["format"] == "plain"
    response = _post(
        client,
        "import_choices",
        project,
        pending,
        _choices_data(pending, format="markdown"),
        htmx=True,
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert response["HX-Retarget"] == f"#pending-{pending.pk}"
    assert "<dd>Markdown" in html
    assert 'id="import-summary" class="import-summary"' in html
    assert 'hx-swap-oob="true"' in html
    pending.refresh_from_db()
    assert (pending.status, pending.summary["format"]) == (Status.READY, "markdown")
    assert not Document.objects.exists()  # choosing saves no document
    _post(client, "import_confirm", project, pending)
    assert Document.objects.get().format == "markdown"


def test_a_large_files_new_format_is_read_in_the_background(
    client, project, owner, settings
):
    client.force_login(owner)
    _upload(client, project, SimpleUploadedFile("long.txt", _large_text()))
    pending = PendingImport.objects.get()
    assert pending.status == Status.READY
    settings.TASKS = QUEUED
    response = _post(
        client,
        "import_choices",
        project,
        pending,
        _choices_data(pending, format="markdown"),
        htmx=True,
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Waiting to be read" in html
    pending.refresh_from_db()
    assert pending.status == Status.QUEUED
    assert pending.choices["format"] == "markdown"


def test_unknown_format_is_refused_and_kept_for_review(
    client, project, owner, seeds_dir
):
    client.force_login(owner)
    _upload(client, project, _seed(seeds_dir, "004"))
    pending = PendingImport.objects.get()
    response = _post(
        client,
        "import_confirm",
        project,
        pending,
        _choices_data(pending, format="docx"),
        htmx=True,
    )
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not Document.objects.exists()
    pending.refresh_from_db()
    assert (pending.status, pending.choices) == (Status.READY, {})


def test_title_authors_and_date_are_edited_on_review_and_used(
    client, project, owner, seeds_dir
):
    client.force_login(owner)
    _upload(client, project, _seed(seeds_dir, "003"))
    pending = PendingImport.objects.get()
    edited = _choices_data(
        pending,
        title="Extradition, Revisited",
        authors="Ana Ruiz,  Tom Li ,",
        published_date="2016-02-01",
    )
    saved = _post(client, "import_choices", project, pending, edited, htmx=True)
    assert saved.status_code == 200
    assert "Choices saved." in saved.content.decode()
    assert "<article" not in saved.content.decode()  # only the note changes
    html = _review(client, project)
    assert 'value="Extradition, Revisited"' in html
    assert 'value="Ana Ruiz, Tom Li"' in html
    assert 'value="2016-02-01"' in html

    _post(client, "import_confirm", project, pending, _choices_data(pending))
    document = Document.objects.get()
    assert document.title == "Extradition, Revisited"
    assert document.authors == ["Ana Ruiz", "Tom Li"]
    assert document.published_date == datetime.date(2016, 2, 1)
    # What was not edited is as detected.
    assert document.keywords[0] == "Mexico"


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("title", "x" * 501, "at most 500 characters"),
        ("title", "", "This field is required"),
        ("published_date", "2016-02-30", "Enter a valid date"),
        ("published_date", "next Tuesday", "Enter a valid date"),
        ("authors", "A" * 201, "at most 200 characters"),
        ("drop", "x", "Select a valid choice"),
        ("drop", "0", "Select a valid choice"),  # not a block offered
        ("format", "docx", "Select a valid choice"),
    ],
)
@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_invalid_choices_are_refused_with_the_reason_and_nothing_saved(
    client, project, owner, seeds_dir, field, value, error, htmx
):
    client.force_login(owner)
    _upload(client, project, _seed(seeds_dir, "002"))
    pending = PendingImport.objects.get()
    data = _choices_data(pending, **{field: value})
    for view in ["import_choices", "import_confirm"]:
        response = _post(client, view, project, pending, data, htmx=htmx)
        assert response.status_code == 400
        assert error in response.content.decode()
    pending.refresh_from_db()
    assert (pending.status, pending.choices) == (Status.READY, {})
    assert not Document.objects.exists()


@pytest.mark.parametrize("field", ["title", "authors"])
def test_nul_in_a_field_is_refused_not_a_500(client, project, owner, seeds_dir, field):
    client.force_login(owner)
    _upload(client, project, _seed(seeds_dir, "004"))
    pending = PendingImport.objects.get()
    data = _choices_data(pending, **{field: "Ana\x00Ruiz"})
    for view in ["import_choices", "import_confirm"]:
        assert _post(client, view, project, pending, data).status_code == 400
    pending.refresh_from_db()
    assert pending.choices == {}


def test_boilerplate_is_offered_and_removed_only_when_ticked(
    client, project, owner, seeds_dir
):
    client.force_login(owner)
    _upload(client, project, _seed(seeds_dir, "002"))
    html = _review(client, project)
    assert "look like page boilerplate" in html
    assert "Subscribe Now" in html
    pending = PendingImport.objects.get()
    # Untouched, nothing is removed.
    _post(client, "import_confirm", project, pending)
    kept = Document.objects.get()
    assert "Subscribe Now" in kept.text
    kept.delete()

    _upload(client, project, _seed(seeds_dir, "002"))
    pending = PendingImport.objects.get(status=Status.READY)
    offered = [
        int(part.split('"')[0])
        for part in _review(client, project).split('name="drop" value="')[1:]
    ]
    assert offered == [index for index, _ in pending.summary["boilerplate"]]
    _post(
        client, "import_confirm", project, pending, _choices_data(pending, drop=offered)
    )
    cleaned = Document.objects.get()
    assert "Subscribe Now" not in cleaned.text
    assert "More By Robert C. Bonner" not in cleaned.text
    assert "the two neighbors to strengthen their security relationship" in cleaned.text


# -- Import all, one by one, all or nothing ----------------------------------------


def test_import_all_honours_each_files_saved_choices(client, project, owner, seeds_dir):
    client.force_login(owner)
    _upload(client, project, *(_seed(seeds_dir, p) for p in ["002", "003", "004"]))
    boilerplate = PendingImport.objects.get(filename__startswith="002")
    article = PendingImport.objects.get(filename__startswith="003")
    plain = PendingImport.objects.get(filename__startswith="004")
    offered = [index for index, _ in boilerplate.summary["boilerplate"]]
    for pending, changes in [
        (boilerplate, {"drop": offered, "title": "Security, Bonner"}),
        (article, {"authors": "Ana Ruiz", "published_date": "2016-01-12"}),
        (plain, {"format": "markdown"}),
    ]:
        data = _choices_data(pending, **changes)
        response = _post(client, "import_choices", project, pending, data, htmx=True)
        assert response.status_code == 200

    response = client.post(
        reverse("corpus:import_all", args=[project.slug]), follow=True
    )
    html = response.content.decode()
    assert html.count("Imported as") == 3
    cleaned = Document.objects.get(original_filename=boilerplate.filename)
    assert cleaned.title == "Security, Bonner"
    assert "Subscribe Now" not in cleaned.text
    dated = Document.objects.get(original_filename=article.filename)
    assert (dated.authors, dated.published_date) == (
        ["Ana Ruiz"],
        datetime.date(2016, 1, 12),
    )
    assert dated.title == "El Chapo Case Draws Mexico Closer to U.S."
    assert Document.objects.get(original_filename=plain.filename).format == "markdown"


def test_import_all_reports_each_file(client, project, members, seeds_dir):
    client.force_login(members["curator"])
    _upload(
        client,
        project,
        *(_seed(seeds_dir, prefix) for prefix in ["000", "001", "002", "003", "004"]),
    )
    assert PendingImport.objects.filter(status=Status.READY).count() == 5
    response = client.post(
        reverse("corpus:import_all", args=[project.slug]), follow=True
    )
    html = response.content.decode()
    assert "5 files sent for import" in html
    assert html.count("Imported as") == 5
    assert Document.objects.filter(project=project).count() == 5
    assert set(Document.objects.values_list("format", flat=True)) == {
        "markdown",
        "pdf_text",
        "plain",
        "article",
    }
    assert _import_all_label(html) is None  # nothing left to import
    # The uploads that became documents keep only their record.
    for pending in PendingImport.objects.all():
        assert (pending.status, bytes(pending.data), pending.parsed) == (
            Status.IMPORTED,
            b"",
            None,
        )
        assert pending.document.original_filename == pending.filename


def test_import_all_with_htmx_answers_the_review_region(
    client, project, owner, seeds_dir
):
    client.force_login(owner)
    _upload(client, project, _seed(seeds_dir, "000"), _seed(seeds_dir, "004"))
    response = client.post(
        reverse("corpus:import_all", args=[project.slug]), headers=HTMX
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.startswith('<div id="import-review">')
    assert html.count("Imported as") == 2
    assert "Clear the 2 imported files from this list" in html


def test_the_review_page_leaves_the_imported_documents_texts_in_the_database(
    client, project, owner, seeds_dir
):
    """Each upload imported shows its document's title: the page reads none
    of the documents' texts, blocks or originals (megabytes each)."""
    client.force_login(owner)
    _upload(client, project, _seed(seeds_dir, "000"), _seed(seeds_dir, "004"))
    client.post(reverse("corpus:import_all", args=[project.slug]), headers=HTMX)
    with CaptureQueriesContext(connection) as queries:
        html = _review(client, project)
    assert html.count("Imported as") == 2
    assert not document_bodies_read(queries)


def test_import_all_count_follows_single_imports_and_discards(
    client, project, owner, seeds_dir
):
    client.force_login(owner)
    _upload(client, project, *(_seed(seeds_dir, p) for p in ["000", "003", "004"]))
    assert _import_all_label(_review(client, project)) == "3"
    first, second, third = PendingImport.objects.all()

    imported = _post(client, "import_confirm", project, first, htmx=True)
    html = imported.content.decode()
    assert imported.status_code == 200
    assert "Imported as" in html
    # The card is the target; the summary with its count comes out of band.
    assert re.search(r'id="import-summary"[^>]*hx-swap-oob="true"', html)
    assert _import_all_label(html) == "2"

    discarded = _post(client, "import_discard", project, second, {}, htmx=True)
    html = discarded.content.decode()
    assert "Discarded; nothing was imported." in html
    assert _import_all_label(html) == "1"
    assert _import_all_label(_review(client, project)) == "1"
    assert list(PendingImport.objects.exclude(status=Status.IMPORTED)) == [third]


def test_each_file_is_imported_all_or_nothing(
    client, project, owner, seeds_dir, monkeypatch
):
    """A failure after the document was written leaves nothing of that file;
    the others are imported, and the answer is no 500."""
    client.force_login(owner)
    _upload(client, project, *(_seed(seeds_dir, p) for p in ["000", "003", "004"]))
    doomed = PendingImport.objects.get(filename__startswith="003")
    mark = import_work._mark_imported

    def fail_for_one(pending, document):
        assert Document.objects.filter(pk=document.pk).exists()  # written, then:
        if pending.pk == doomed.pk:
            raise RuntimeError("the disk is full")
        mark(pending, document)

    monkeypatch.setattr(import_work, "_mark_imported", fail_for_one)
    response = client.post(
        reverse("corpus:import_all", args=[project.slug]), follow=True
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("Imported as") == 2
    assert "Not imported: Something went wrong on our side while saving it" in html
    assert not Document.objects.filter(original_filename=doomed.filename).exists()
    assert Document.objects.count() == 2
    doomed.refresh_from_db()
    assert doomed.status == Status.FAILED
    assert doomed.parsed is not None and bytes(doomed.data)  # kept to try again

    monkeypatch.undo()
    retried = _post(client, "import_confirm", project, doomed, htmx=True)
    assert retried.status_code == 200
    assert Document.objects.filter(original_filename=doomed.filename).exists()


def test_a_duplicate_in_a_batch_stops_only_itself(client, project, owner, seeds_dir):
    client.force_login(owner)
    _upload(client, project, _seed(seeds_dir, "004"))
    client.post(reverse("corpus:import_all", args=[project.slug]))
    _upload(client, project, _seed(seeds_dir, "004"), _seed(seeds_dir, "000"))
    review = _review(client, project)
    assert "already in the project" in review
    done = client.post(
        reverse("corpus:import_all", args=[project.slug]), follow=True
    ).content.decode()
    assert "Not imported: This text is already in the project as" in done
    assert Document.objects.count() == 2
    failed = PendingImport.objects.get(status=Status.FAILED)
    assert failed.document == Document.objects.get(original_filename=failed.filename)


def test_text_in_the_trash_is_named_not_a_500(client, project, owner, seeds_dir):
    upload = _seed(seeds_dir, "004")
    imported = importers.import_bytes(upload.read(), filename=upload.name)
    upload.seek(0)
    make_document(
        project=project,
        title="Old copy",
        text=imported.text,
        blocks=[b.as_dict() for b in imported.blocks],
        trashed_at=timezone.now(),
    )
    assert not Document.objects.exists()  # only the trash holds it
    client.force_login(owner)
    _upload(client, project, upload)
    assert "This text is in the trash as “Old copy”" in _review(client, project)
    pending = PendingImport.objects.get()
    response = _post(client, "import_confirm", project, pending, htmx=True)
    # Not a bad request: the attempt and its outcome are recorded on the upload.
    assert response.status_code == 200
    message = "This text is in the trash as “Old copy”; an owner can restore it."
    assert f"Not imported: {message}" in response.content.decode()
    assert Document.all_objects.count() == 1
    pending.refresh_from_db()
    assert (pending.status, pending.message) == (Status.FAILED, message)
    plain = _post(client, "import_confirm", project, pending, follow=True)
    assert f"{pending.filename}: Not imported. {message}" in plain.content.decode()


def test_a_failed_file_is_ready_again_once_its_choices_change(
    client, project, owner, seeds_dir
):
    client.force_login(owner)
    _upload(client, project, _seed(seeds_dir, "004"))
    client.post(reverse("corpus:import_all", args=[project.slug]))
    _upload(client, project, _seed(seeds_dir, "004"))
    pending = PendingImport.objects.exclude(status=Status.IMPORTED).get()
    assert _post(client, "import_confirm", project, pending).status_code == 302
    pending.refresh_from_db()
    assert pending.status == Status.FAILED
    assert _import_all_label(_review(client, project)) is None
    # Another format gives another text, which the project does not have yet.
    data = _choices_data(pending, format="markdown")
    response = _post(client, "import_choices", project, pending, data, htmx=True)
    assert response.status_code == 200
    assert _import_all_label(response.content.decode()) == "1"
    client.post(reverse("corpus:import_all", args=[project.slug]))
    assert Document.objects.count() == 2


def test_discard_removes_the_pending_upload_only(client, project, owner, seeds_dir):
    client.force_login(owner)
    _upload(client, project, _seed(seeds_dir, "004"))
    pending = PendingImport.objects.get()
    response = _post(client, "import_discard", project, pending, {})
    assert response.status_code == 302
    assert not PendingImport.objects.exists()
    assert not Document.objects.exists()


def test_clear_forgets_the_imported_uploads_only(client, project, owner, seeds_dir):
    client.force_login(owner)
    _upload(client, project, _seed(seeds_dir, "000"))
    client.post(reverse("corpus:import_all", args=[project.slug]))
    _upload(client, project, _seed(seeds_dir, "004"))
    response = client.post(reverse("corpus:import_clear", args=[project.slug]))
    assert response.status_code == 302
    assert list(PendingImport.objects.values_list("status", flat=True)) == [
        Status.READY
    ]
    assert Document.objects.count() == 1


# -- Progress of background work ---------------------------------------------------


def test_progress_of_a_file_read_in_the_background(
    client, project, owner, queued_tasks
):
    client.force_login(owner)
    _upload(client, project, SimpleUploadedFile("long.txt", _large_text()))
    pending = PendingImport.objects.get()
    progress_url = reverse("corpus:import_progress_hx", args=[project.slug])

    page = _review(client, project)
    assert "Waiting to be read…" in page
    assert f'id="pending-{pending.pk}-progress"' in page  # its progress bar
    assert f'name="seen" value="{pending.pk}:queued"' in page
    assert f'hx-get="{progress_url}" hx-trigger="every 2s"' in page
    assert f'href="/p/{project.slug}/import/review/#pending-{pending.pk}"' in page
    assert "Reading 1 file in the background" in page
    assert _import_all_label(page) is None

    # Nothing changed: the summary alone, still polling.
    unchanged = client.get(
        progress_url, {"seen": f"{pending.pk}:queued"}, headers=HTMX
    ).content.decode()
    assert f"pending-{pending.pk}" not in unchanged
    assert 'hx-trigger="every 2s"' in unchanged

    import_work.parse_pending(pending_id=pending.pk, revision=1)
    changed = client.get(
        progress_url, {"seen": f"{pending.pk}:queued"}, headers=HTMX
    ).content.decode()
    assert re.search(rf'id="pending-{pending.pk}"[^>]*hx-swap-oob="true"', changed)
    assert 'value="Paragraph 0 of a long report' in changed  # the title, editable
    assert "every 2s" not in changed  # nothing busy: polling stops
    assert _import_all_label(changed) == "1"

    response = _post(client, "import_confirm", project, pending, htmx=True)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Waiting to be imported…" in html
    assert "Importing 1 file in the background" in html
    assert not Document.objects.exists()

    import_work.import_pending(pending_id=pending.pk, revision=2)
    done = client.get(
        progress_url, {"seen": f"{pending.pk}:import_queued"}, headers=HTMX
    ).content.decode()
    assert "Imported as “Paragraph 0 of a long report" in done
    assert Document.objects.get().original_filename == "long.txt"


def test_progress_shows_refusals_and_forgets_discarded_files(
    client, project, owner, queued_tasks
):
    client.force_login(owner)
    data = b"<html><body>" + b"<p></p>" * 50_000 + b"</body></html>"
    _upload(client, project, SimpleUploadedFile("hollow.html", data))
    pending = PendingImport.objects.get()
    import_work.parse_pending(pending_id=pending.pk, revision=1)
    progress_url = reverse("corpus:import_progress_hx", args=[project.slug])
    html = client.get(
        progress_url, {"seen": [f"{pending.pk}:queued", "123456:parsing"]}, headers=HTMX
    ).content.decode()
    assert "has no text that could be imported" in html
    assert "Read it again in this format" in html
    assert '<div id="pending-123456" hx-swap-oob="delete"></div>' in html


@pytest.mark.parametrize(
    "seen", ["", "x", "1:2:3", "-4:queued", "99999999999999999999999:queued", "٣:x"]
)
def test_progress_ignores_malformed_tokens(client, project, owner, seen):
    client.force_login(owner)
    response = client.get(
        reverse("corpus:import_progress_hx", args=[project.slug]),
        {"seen": seen},
        headers=HTMX,
    )
    assert response.status_code == 200


def test_progress_without_htmx_goes_to_the_review_page(client, project, owner):
    client.force_login(owner)
    response = client.get(reverse("corpus:import_progress_hx", args=[project.slug]))
    assert response.status_code == 302
    assert response["Location"] == reverse("corpus:import_review", args=[project.slug])


def test_work_that_seems_stuck_can_be_started_again(client, project, owner, settings):
    settings.TASKS = QUEUED
    client.force_login(owner)
    _upload(client, project, SimpleUploadedFile("long.txt", _large_text()))
    pending = PendingImport.objects.get()
    assert "Try again" not in _review(client, project)
    PendingImport.objects.update(
        status_changed_at=timezone.now() - datetime.timedelta(hours=1)
    )
    page = _review(client, project)
    assert "the background worker may have stopped" in page
    assert f'name="seen" value="{pending.pk}:queued:stale"' in page

    settings.TASKS = IMMEDIATE
    response = _post(client, "import_retry", project, pending, {}, htmx=True)
    assert response.status_code == 200
    pending.refresh_from_db()
    assert (pending.status, pending.revision) == (Status.READY, 2)
    # The task queued first finds itself overtaken and does nothing.
    assert import_work.parse_pending(pending_id=pending.pk, revision=1) == (
        "superseded"
    )


def test_work_in_progress_is_not_started_twice(client, project, owner, queued_tasks):
    client.force_login(owner)
    _upload(client, project, SimpleUploadedFile("long.txt", _large_text()))
    pending = PendingImport.objects.get()
    _post(client, "import_retry", project, pending, {})
    pending.refresh_from_db()
    assert pending.revision == 1  # not stale: nothing started again


def test_choices_and_import_wait_while_the_worker_has_the_file(
    client, project, owner, queued_tasks
):
    client.force_login(owner)
    _upload(client, project, SimpleUploadedFile("long.txt", _large_text()))
    pending = PendingImport.objects.get()
    data = {"format": "plain", "title": "T"}
    for view in ["import_choices", "import_confirm"]:
        response = _post(client, view, project, pending, data, htmx=True)
        assert response.status_code == 409
        assert "Waiting to be read" in response.content.decode()
        assert _post(client, view, project, pending, data).status_code == 302
    pending.refresh_from_db()
    assert (pending.status, pending.choices) == (Status.QUEUED, {})


def test_refused_file_cannot_be_imported_but_can_be_read_again(
    client, project, owner, queued_tasks
):
    client.force_login(owner)
    data = b"<html><body>" + b"<p></p>" * 50_000 + b"</body></html>"
    _upload(client, project, SimpleUploadedFile("hollow.html", data))
    pending = PendingImport.objects.get()
    import_work.parse_pending(pending_id=pending.pk, revision=1)
    response = _post(client, "import_confirm", project, pending, {"title": "x"})
    assert response.status_code == 302
    assert not Document.objects.exists()
    response = _post(
        client, "import_choices", project, pending, {"format": "plain"}, htmx=True
    )
    assert response.status_code == 200
    pending.refresh_from_db()
    assert (pending.status, pending.choices["format"]) == (Status.QUEUED, "plain")


def test_another_users_upload_is_404_for_every_action(
    client, project, members, seeds_dir
):
    client.force_login(members["curator"])
    _upload(client, project, _seed(seeds_dir, "004"))
    theirs = PendingImport.objects.get()
    client.force_login(members["owner"])
    for view in ["import_confirm", "import_choices", "import_retry", "import_discard"]:
        response = _post(client, view, project, theirs, {"title": "x"})
        assert response.status_code == 404
    client.post(reverse("corpus:import_all", args=[project.slug]))
    client.post(reverse("corpus:import_clear", args=[project.slug]))
    theirs.refresh_from_db()
    assert theirs.status == Status.READY
    assert not Document.objects.exists()


@pytest.mark.parametrize(
    "path",
    [
        "import/99999999999999999999999/",
        "import/0/choices/",
        "import/-1/retry/",
        "import/%D9%A3/discard/",
    ],
)
def test_malformed_ids_are_404(client, project, owner, path):
    client.force_login(owner)
    response = client.post(f"/p/{project.slug}/{path}", {"title": "x"})
    assert response.status_code == 404


def test_the_import_is_refused_when_the_role_changed_meanwhile(
    client, project, members, seeds_dir, settings
):
    curator = members["curator"]
    client.force_login(curator)
    _upload(client, project, _seed(seeds_dir, "004"))
    pending = PendingImport.objects.get()
    settings.TASKS = QUEUED
    import_services.start_import(
        pending=pending, budget=import_services.InlineBudget(0)
    )
    curator.memberships.update(role="viewer")
    import_work.import_pending(pending_id=pending.pk, revision=pending.revision)
    pending.refresh_from_db()
    assert pending.status == Status.FAILED
    assert "no longer import" in pending.message
    assert not Document.objects.exists()


def test_a_fault_in_an_importer_refuses_that_file_only(
    client, project, owner, seeds_dir, monkeypatch, settings
):
    real = importers.parse_plain

    def faulty(text):
        if "Boom" in text:
            raise RuntimeError("a bug in the importer")
        return real(text)

    monkeypatch.setattr(importers, "parse_plain", faulty)
    client.force_login(owner)
    response = _upload(
        client,
        project,
        SimpleUploadedFile("boom.txt", b"Boom goes the parser.\n"),
        _seed(seeds_dir, "004"),
        htmx=True,
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "boom.txt</strong>: refused. Something went wrong on our side" in html
    assert "004_6dd3b6e22d44469c.txt</strong>: Ready for review" in html

    # In the background alike: the file is marked, the worker goes on.
    settings.TASKS = QUEUED
    _upload(client, project, SimpleUploadedFile("boom.txt", _large_text() + b"Boom"))
    pending = PendingImport.objects.get(filename="boom.txt")
    assert import_work.parse_pending(pending_id=pending.pk, revision=1) == (
        Status.REFUSED
    )
    pending.refresh_from_db()
    assert pending.message.startswith("Something went wrong on our side while reading")


def test_review_page_queries_do_not_grow_with_the_uploads(
    client, project, owner, seeds_dir
):
    client.force_login(owner)
    url = reverse("corpus:import_review", args=[project.slug])
    counts = []
    for prefixes in (["000"], ["001", "002", "003", "004"]):
        _upload(client, project, *(_seed(seeds_dir, p) for p in prefixes))
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts.append(len(queries))
        # The heavy columns stay in the database.
        for query in queries:
            select = query["sql"].split(" FROM ")[0]
            assert '"parsed"' not in select and '"data"' not in select
    assert counts[0] == counts[1]
