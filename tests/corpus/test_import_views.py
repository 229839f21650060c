"""Import through the web: upload, per-file report, review, confirm, discard."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from corpus.models import Document, PendingImport


def _upload(client, project, *files, htmx=False):
    return client.post(
        reverse("corpus:import_upload", args=[project.slug]),
        {"files": list(files)},
        headers={"HX-Request": "true"} if htmx else {},
    )


def _seed(seeds_dir, prefix: str) -> SimpleUploadedFile:
    path = next(seeds_dir.glob(f"{prefix}_*.txt"))
    return SimpleUploadedFile(path.name, path.read_bytes(), content_type="text/plain")


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
    assert list(PendingImport.objects.values_list("filename", flat=True)) == [
        "004_6dd3b6e22d44469c.txt"
    ]
    assert not Document.objects.exists()


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


def test_review_shows_format_metadata_and_first_paragraphs(
    client, project, owner, seeds_dir
):
    client.force_login(owner)
    _upload(client, project, _seed(seeds_dir, "003"))
    html = client.get(
        reverse("corpus:import_review", args=[project.slug])
    ).content.decode()
    assert "Article with a metadata header" in html
    assert "El Chapo Case Draws Mexico Closer to U.S." in html
    assert "MEXICO CITY" in html  # first paragraph of the body
    assert "https://www.nytimes.com/2016/01/12/world/americas/" in html


def test_confirm_saves_the_document_with_its_original_bytes(
    client, project, owner, seeds_dir
):
    client.force_login(owner)
    upload = _seed(seeds_dir, "000")
    original = upload.read()
    upload.seek(0)
    _upload(client, project, upload)
    pending = PendingImport.objects.get()
    response = client.post(
        reverse("corpus:import_confirm", args=[project.slug, pending.pk]),
        {"action": "import", "format": ""},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    document = Document.objects.get()
    assert "Imported as" in response.content.decode()
    assert document.get_absolute_url() in response.content.decode()
    assert bytes(document.original) == original
    assert document.format == "markdown"
    assert document.imported_by == owner
    assert not PendingImport.objects.exists()


def test_format_override_changes_the_preview_and_the_saved_format(
    client, project, owner, seeds_dir
):
    client.force_login(owner)
    _upload(client, project, _seed(seeds_dir, "004"))
    pending = PendingImport.objects.get()
    url = reverse("corpus:import_confirm", args=[project.slug, pending.pk])
    preview = client.post(
        url, {"action": "preview", "format": "markdown"}, headers={"HX-Request": "true"}
    )
    assert preview.status_code == 200
    assert "<dd>Markdown" in preview.content.decode()
    assert PendingImport.objects.exists()  # a preview saves nothing
    client.post(url, {"action": "import", "format": "markdown"})
    assert Document.objects.get().format == "markdown"


def test_unknown_format_is_refused_and_kept_for_review(
    client, project, owner, seeds_dir
):
    client.force_login(owner)
    _upload(client, project, _seed(seeds_dir, "004"))
    pending = PendingImport.objects.get()
    response = client.post(
        reverse("corpus:import_confirm", args=[project.slug, pending.pk]),
        {"action": "import", "format": "docx"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 400
    assert not Document.objects.exists()
    assert PendingImport.objects.filter(pk=pending.pk).exists()


def test_boilerplate_is_offered_and_removed_only_when_ticked(
    client, project, owner, seeds_dir
):
    client.force_login(owner)
    _upload(client, project, _seed(seeds_dir, "002"))
    html = client.get(
        reverse("corpus:import_review", args=[project.slug])
    ).content.decode()
    assert "look like page boilerplate" in html
    assert "Subscribe Now" in html
    pending = PendingImport.objects.get()
    url = reverse("corpus:import_confirm", args=[project.slug, pending.pk])
    # Untouched, nothing is removed.
    client.post(url, {"action": "import"})
    kept = Document.objects.get()
    assert "Subscribe Now" in kept.text
    kept.delete()

    _upload(client, project, _seed(seeds_dir, "002"))
    pending = PendingImport.objects.get()
    review = client.get(
        reverse("corpus:import_review", args=[project.slug])
    ).content.decode()
    offered = [
        int(part.split('"')[0]) for part in review.split('name="drop" value="')[1:]
    ]
    assert offered
    client.post(
        reverse("corpus:import_confirm", args=[project.slug, pending.pk]),
        {"action": "import", "drop": offered},
    )
    cleaned = Document.objects.get()
    assert "Subscribe Now" not in cleaned.text
    assert "More By Robert C. Bonner" not in cleaned.text
    assert "the two neighbors to strengthen their security relationship" in cleaned.text


def test_importing_the_same_text_twice_warns_and_does_not_duplicate(
    client, project, owner, seeds_dir
):
    client.force_login(owner)
    _upload(client, project, _seed(seeds_dir, "004"))
    client.post(reverse("corpus:import_all", args=[project.slug]))
    _upload(client, project, _seed(seeds_dir, "004"))
    review = client.get(
        reverse("corpus:import_review", args=[project.slug])
    ).content.decode()
    assert "already in the project" in review
    done = client.post(
        reverse("corpus:import_all", args=[project.slug])
    ).content.decode()
    assert "not imported" in done and "already in the project" in done
    assert Document.objects.count() == 1


def test_import_all_reports_each_file(client, project, members, seeds_dir):
    client.force_login(members["curator"])
    _upload(
        client,
        project,
        *(_seed(seeds_dir, prefix) for prefix in ["000", "001", "002", "003", "004"]),
    )
    assert PendingImport.objects.count() == 5
    html = client.post(
        reverse("corpus:import_all", args=[project.slug])
    ).content.decode()
    assert html.count("Imported as") == 5
    assert Document.objects.filter(project=project).count() == 5
    assert set(Document.objects.values_list("format", flat=True)) == {
        "markdown",
        "pdf_text",
        "plain",
        "article",
    }


def test_discard_removes_the_pending_upload_only(client, project, owner, seeds_dir):
    client.force_login(owner)
    _upload(client, project, _seed(seeds_dir, "004"))
    pending = PendingImport.objects.get()
    response = client.post(
        reverse("corpus:import_discard", args=[project.slug, pending.pk])
    )
    assert response.status_code == 302
    assert not PendingImport.objects.exists()
    assert not Document.objects.exists()


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
