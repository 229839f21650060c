"""What the curation queue reads: every annotation of a project a curator may
decide on, filtered, newest first, a page at a time. (The decisions are
services.set_status and services.decide_all.)"""

from __future__ import annotations

from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from annotations.forms import QueueFilterForm
from annotations.models import Annotation, Status
from corpus import bodycache
from corpus.models import Document, Membership, Project

QUEUE_PAGE_SIZE = 50
# A row shows the start of its note: this many lines and characters at most.
NOTE_EXCERPT_LINES = 4
NOTE_EXCERPT_CHARS = 240


def note_excerpt(body: str) -> tuple[str, bool]:
    """The start of a note (Markdown) for a queue row, a few lines at most, and
    whether anything was left out. Cut mid-syntax, Markdown shows the rest as
    text; the whole note is in the thread."""
    text = body.strip()
    lines = text.splitlines()
    cut = len(lines) > NOTE_EXCERPT_LINES
    if cut:
        text = "\n".join(lines[:NOTE_EXCERPT_LINES]).rstrip()
    if len(text) > NOTE_EXCERPT_CHARS:
        head = text[:NOTE_EXCERPT_CHARS]
        # At a word, unless the only space is near the start.
        at_space = head.rfind(" ")
        if not text[NOTE_EXCERPT_CHARS].isspace() and at_space > len(head) // 2:
            head = head[:at_space]
        text, cut = head, True
    return (text.rstrip() + " …" if cut else text), cut


def _rows(membership: Membership) -> QuerySet:
    """The queue's annotations with what a row shows, newest first."""
    # A row shows its document's title only. The rest stays in the database:
    # the text and blocks are megabytes, and on SQLite even a small column
    # stored after them means walking their overflow pages, for each row read.
    not_shown = [
        f"document__{field.name}"
        for field in Document._meta.concrete_fields
        if field.name not in {"id", "project", "title"}
    ]
    return (
        Annotation.objects.shown_to_member(membership)
        .select_related("document", "author")
        .defer(*not_shown)
        .prefetch_related("tags")
        .with_reply_count()
        .order_by("-created_at", "-pk")
    )


# The queue's filters (QueueFilterForm) and the lookups they make.
QUEUE_FILTERS = {
    "status": "status",
    "document": "document_id",
    "tag": "tags__name__iexact",
    "author": "author__username",
    "since": "created_at__date__gte",
    "until": "created_at__date__lte",
}


def queue(membership: Membership, form: QueueFilterForm) -> QuerySet:
    data = form.cleaned_data if form.is_valid() else {"status": Status.SUBMITTED}
    return _rows(membership).filtered(data, QUEUE_FILTERS)


def queue_row(membership: Membership, pk: int) -> Annotation | None:
    """One row of the queue, whatever the filters (a row just decided on)."""
    return _rows(membership).filter(pk=pk).first()


def prepare_rows(rows) -> list[Annotation]:
    """The rows with their note excerpts (`note_excerpt`, `note_cut`)."""
    rows = list(rows)
    for row in rows:
        row.note_excerpt, row.note_cut = note_excerpt(row.body)
    return rows


QUEUE_ROW = "annotations/curation/_queue_row.html"
# Rows are drawn with this in place of the CSRF token, which differs from
# reader to reader, and given the page's token as they go out. A NUL never
# comes from a user (config.request_checks refuses it in every request).
TOKEN_SLOT = "\x00csrf\x00"  # noqa: S105 (a placeholder, not a secret)
# The rows each worker drew lately. A row changes only with its annotation's
# revision (a decision, an edit, a reply, a tag renamed or merged all move
# it), its author's name, its document's title and the address decisions go
# to (the queue's filters): all in the key.
_drawn = bodycache.LRU(
    size=10_000, budget=16 * 1024 * 1024, weigh=bodycache.weight_of_html
)


def drawn_rows(
    project: Project,
    rows: list[Annotation],
    *,
    decide_url: str,
    token: str,
    selected: set[int] = frozenset(),
) -> list[Annotation]:
    """The queue's rows, each with its HTML (`html`): from the worker's cache,
    or drawn from _queue_row.html (with the start of its note) and kept. A row
    with a decision's errors, or ticked, is drawn for this answer alone."""
    for row in rows:
        plain = getattr(row, "decision_form", None) is None and row.pk not in selected
        key = (
            row.pk,
            row.created_at,  # a purged annotation's id may come again
            project.slug,
            row.revision,
            row.author.get_username(),
            row.document.title,
            decide_url,
        )
        html = _drawn.get(key) if plain else None
        if html is None:
            row.note_excerpt, row.note_cut = note_excerpt(row.body)
            html = render_to_string(
                QUEUE_ROW,
                {
                    "project": project,
                    "a": row,
                    "decide_url": decide_url,
                    "selected": selected,
                    "csrf_token": TOKEN_SLOT,
                },
            )
            if plain:
                _drawn.put(key, html)
        row.html = _with_token(html, token)
    return rows


def _with_token(html: str, token: str) -> SafeString:
    return mark_safe(html.replace(TOKEN_SLOT, token))  # noqa: S308 (a template's output)


def clear() -> None:
    """Forget the rows drawn (tests, whose rows are rolled back)."""
    _drawn.clear()
