"""The margin beside the reading page's text: a page of its entries (filtered,
in text order), each entry drawn once per change to its annotation, the news of
entries a change brings, and the counts.

Every function here runs a fixed number of queries, whatever the number of
annotations on the document (DESIGN invariant 5).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.timesince import timesince

from annotations import permissions
from annotations.forms import MarginFilterForm
from annotations.markdown import render_markdown
from annotations.models import Annotation, Status
from annotations.templatetags import annotations_tags
from corpus import bodycache
from corpus.models import Document, Membership

MARGIN_PAGE_SIZE = 50
# The margin's filters (MarginFilterForm) that look up what they are given.
MARGIN_FILTERS = {
    "tag": "tags__name__iexact",
    "author": "author__username",
    "status": "status",
}
# The margin shows the start of each note: its first paragraph, up to about
# this many characters (the stylesheet shows three lines of it).
EXCERPT_CHARS = 280
# A margin entry quotes its passage up to this many characters.
QUOTE_CHARS = 140
MARGIN_ITEM = "annotations/reading/_margin_item.html"


def margin_queryset(
    membership: Membership, document: Document, form: MarginFilterForm
) -> QuerySet:
    annotations = (
        Annotation.objects.shown_to_member(membership)
        .for_document(document)
        .select_related("author")
        .with_reply_count()
        .in_text_order()
    )
    if not form.is_valid():
        return annotations
    data = form.cleaned_data
    annotations = annotations.filtered(data, MARGIN_FILTERS)
    if data["mine"]:
        annotations = annotations.filter(author_id=membership.user_id)
    if data["approved"]:
        annotations = annotations.filter(status=Status.APPROVED)
    return annotations


def visible_count(
    membership: Membership, document: Document, approved_only: bool = False
) -> int:
    """What the reader sees on the document, in their reading mode."""
    shown = Annotation.objects.shown_to_member(membership).for_document(document)
    if approved_only:
        shown = shown.filter(status=Status.APPROVED)
    return shown.count()


def margin_page(
    membership: Membership, document: Document, form: MarginFilterForm, page
) -> Page:
    """A page of the margin list, each annotation with its drawn `entry`."""
    paginator = Paginator(margin_queryset(membership, document, form), MARGIN_PAGE_SIZE)
    shown = paginator.get_page(page)
    shown.object_list = with_entries(membership, shown.object_list)
    return shown


# The margin entries each worker drew lately. An entry changes only with its
# annotation's revision (a note edited, a reply, a decision, a tag renamed or
# merged all move it), its author's name, whether colleagues see it yet, the
# time since it was made as the entry words it and the address: all in the key.
_entries = bodycache.LRU(
    size=20_000, budget=16 * 1024 * 1024, weigh=bodycache.weight_of_html
)


def with_entries(
    membership: Membership,
    annotations,
    *,
    news: bool = False,
    tags: dict[int, list[tuple[int, str]]] | None = None,
) -> list[Annotation]:
    """The annotations, each with its margin entry drawn (`entry`): from the
    worker's cache, or, for those it does not hold, from _margin_item.html with
    what it shows worked out here (address, quote cut to length, the start of
    the note, tags: one query for all of them, or none for those `tags` gives,
    annotation -> (id, name), from the blocks just redrawn)."""
    shown = list(annotations)
    now = timezone.now()
    missing = {}
    for annotation in shown:
        annotation.ago = timesince(annotation.created_at, now)
        annotation.awaiting_approval = permissions.awaiting_approval(
            membership, annotation
        )
        annotation.key = (
            annotation.pk,
            annotation.created_at,  # a purged annotation's id may come again
            membership.project.slug,  # in the entry's address
            annotation.revision,
            annotation.author.get_username(),
            annotation.awaiting_approval,
            annotation.ago,
            news,
        )
        annotation.entry = _entries.get(annotation.key)
        if annotation.entry is None:
            missing[annotation.pk] = annotation
    if missing:
        _draw(membership, missing, news, tags or {})
    return shown


@dataclass(frozen=True)
class Chip:
    """What a tag chip shows of a tag (_tag_chip.html)."""

    pk: int
    name: str
    parent = None


def _draw(
    membership: Membership,
    missing: dict[int, Annotation],
    news: bool,
    tags: dict[int, list[tuple[int, str]]],
) -> None:
    # One reverse() for all, not two per entry.
    address = reverse(
        "annotations:annotation_detail", args=[membership.project.slug, 0]
    ).removesuffix("0/")
    unknown = []
    for pk, annotation in missing.items():
        if pk in tags:
            annotation.tag_list = [Chip(*tag) for tag in tags[pk]]
        else:
            annotation.tag_list = []
            unknown.append(pk)
    if unknown:
        links = Annotation.tags.through.objects.filter(annotation_id__in=unknown)
        for link in links.select_related("tag").order_by("tag__name"):
            missing[link.annotation_id].tag_list.append(link.tag)
    for annotation in missing.values():
        annotation.address = f"{address}{annotation.pk}/"
        annotation.quote = truncate(annotation.exact, QUOTE_CHARS)
        annotation.excerpt = note_excerpt(annotation.body)
        annotation.entry = mark_safe(  # noqa: S308 (a template's output)
            render_to_string(MARGIN_ITEM, {"a": annotation, "news": news})
        )
        _entries.put(annotation.key, annotation.entry)


def truncate(text: str, length: int) -> str:
    """`text` cut to `length` characters with an ellipsis, as the truncatechars
    filter does."""
    return text if len(text) <= length else text[: length - 1] + "…"


def margin_news(
    membership: Membership,
    document: Document,
    filters: MarginFilterForm,
    pks,
    count: int | None = None,
    *,
    tags: dict[int, list[tuple[int, str]]] | None = None,
) -> dict:
    """The margin entries of the annotations `pks` that the reader's filters show
    (to file in place or redraw), the others' ids (to take out), and the counts
    (`count`, the reader's, when the caller knows it)."""
    listed = margin_queryset(membership, document, filters)
    entries = (
        with_entries(membership, listed.filter(pk__in=pks), news=True, tags=tags)
        if pks
        else []
    )
    if count is None:
        count = visible_count(membership, document, filters.approved_only)
    return {
        "margin_entries": entries,
        "margin_gone": sorted(set(pks) - {entry.pk for entry in entries}),
        "annotation_count": count,
        "margin_total": listed.count() if filters.narrows else count,
    }


def note_excerpt(body: str) -> SafeString:
    """The first lines of a note as sanitised HTML: its first paragraph, cut at
    a word past EXCERPT_CHARS; an ellipsis says there is more. Empty for a
    highlight without a note."""
    text = body.replace("\r\n", "\n").strip()
    if not text:
        return mark_safe("")  # noqa: S308 (empty)
    first, _gap, rest = text.partition("\n\n")
    more = bool(rest.strip())
    if len(first) > EXCERPT_CHARS:
        words = first[:EXCERPT_CHARS].rsplit(None, 1)
        first = words[0] if len(words) > 1 else first[:EXCERPT_CHARS]
        more = True
    return _excerpt_html(f"{first} …" if more else first)


@functools.lru_cache(maxsize=4096)
def _excerpt_html(excerpt: str) -> SafeString:
    """An excerpt drawn, once per worker: its key is the excerpt (a few hundred
    characters at most), never the whole note."""
    # render_markdown sanitises what it returns.
    return mark_safe(render_markdown(excerpt))  # noqa: S308


def author_choices(document: Document) -> list[str]:
    """The members, for the margin's author filter."""
    return list(
        Membership.objects.filter(project_id=document.project_id)
        .order_by("user__username")
        .values_list("user__username", flat=True)
    )


def clear() -> None:
    """Forget the entries and notes drawn (tests, whose rows are rolled back)."""
    _entries.clear()
    _excerpt_html.cache_clear()
    annotations_tags.clear()
