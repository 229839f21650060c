"""The import_texts management command, run against the seed texts."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from corpus.models import Document


def run(*args, **options) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_texts", *args, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def test_imports_every_seed_and_reports_duplicates_on_a_second_run(
    project, members, seeds_dir
):
    out, err = run(str(seeds_dir), project=project.slug, user="owner-user")
    assert "Imported 5, skipped 0 duplicate(s), refused 0." in out
    assert err.count("\n") == 5 and "[" in err and "5/5" in err
    documents = Document.objects.filter(project=project)
    assert sorted(documents.values_list("format", flat=True)) == [
        "article",
        "markdown",
        "pdf_text",
        "plain",
        "plain",
    ]
    assert {d.imported_by.username for d in documents} == {"owner-user"}
    article = documents.get(format="article")
    assert article.title == "El Chapo Case Draws Mexico Closer to U.S."
    assert article.keywords[0] == "Mexico"
    assert article.original == (seeds_dir / "003_5f6357f5e21fa928.txt").read_bytes()

    out, _ = run(str(seeds_dir), project=project.slug)
    assert "Imported 0, skipped 5 duplicate(s), refused 0." in out
    assert documents.count() == 5


def test_refused_files_are_listed_with_reasons_and_fail_the_command(project, tmp_path):
    (tmp_path / "good.md").write_text("# A Heading\n\nSome text.\n")
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "fake.txt").write_bytes(b"%PDF-1.4 binary")
    out = io.StringIO()
    with pytest.raises(CommandError, match="2 file"):
        call_command(
            "import_texts",
            str(tmp_path),
            project=project.slug,
            stdout=out,
            stderr=io.StringIO(),
        )
    report = out.getvalue()
    assert "Imported 1, skipped 0 duplicate(s), refused 2." in report
    assert "empty.txt: “empty.txt” is empty" in report
    assert "fake.txt: “fake.txt” looks like a binary file (PDF?)" in report
    assert Document.objects.filter(project=project).count() == 1


def test_directories_are_searched_recursively_for_text_files_only(project, tmp_path):
    nested = tmp_path / "a" / "b"
    nested.mkdir(parents=True)
    (nested / "deep.htm").write_text("<html><body><p>Deep page text.</p></body></html>")
    (nested / "image.png").write_bytes(b"\x89PNG")
    (tmp_path / "top.txt").write_text("Top level text.")
    out, _ = run(str(tmp_path), project=project.slug)
    assert "Imported 2," in out


def test_format_option_overrides_detection(project, tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("# Not a heading\n\nText.")
    run(str(path), project=project.slug, format="plain")
    document = Document.objects.get(project=project)
    assert document.format == "plain" and document.text.startswith("# Not")


def test_upload_limit_setting_applies(project, tmp_path, settings):
    settings.APPARATUS_MAX_UPLOAD_BYTES = 10
    path = tmp_path / "long.txt"
    path.write_text("This text is longer than ten bytes.")
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command(
            "import_texts",
            str(path),
            project=project.slug,
            stdout=out,
            stderr=io.StringIO(),
        )
    assert "limit" in out.getvalue()
    assert not Document.objects.exists()


def test_unknown_project_is_a_clear_error(db, tmp_path):
    with pytest.raises(CommandError, match="No project with the slug “nope”"):
        run(str(tmp_path), project="nope")


def test_unknown_user_is_a_clear_error(project, tmp_path):
    with pytest.raises(CommandError, match="No user named “ghost”"):
        run(str(tmp_path), project=project.slug, user="ghost")


def test_progress_bar_redraws_in_place_on_a_terminal(project, tmp_path):
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    for n in range(3):
        (tmp_path / f"file{n}.txt").write_text(f"Text number {n}.")
    err = Terminal()
    call_command(
        "import_texts",
        str(tmp_path),
        project=project.slug,
        stdout=io.StringIO(),
        stderr=err,
    )
    drawn = err.getvalue()
    assert drawn.count("\r") == 3 and drawn.count("\n") == 1
    assert "3/3" in drawn
