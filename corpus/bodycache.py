"""Per-process caches for a document's heavy, immutable parts.

A document's text, blocks and links (Document.BODY_FIELDS) are written once, at
import, and nothing changes them; a copy is kept under the document's
content_hash and updated_at, so that any change (a text fix, should one come,
must change the hash) and any metadata save find a new key, and a copy kept in
the worker is never stale. Each gunicorn worker keeps its own few documents
(LRU), which spares the reading view and every annotation write the transfer
and JSON decoding of a 1 MB row. The text rendered with highlights is cached
the same way (annotations.rendering.rendered_text), one per class of readers,
brought up to date with every change they may see.
"""

from __future__ import annotations

import sys
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings


class LRU:
    """A thread-safe least-recently-used map of at most `size` items and, with
    `weigh` (an item's size in bytes), at most `budget` bytes (the newest item
    stays whatever it weighs)."""

    def __init__(
        self,
        size: int,
        budget: int | None = None,
        weigh: Callable[[Any], int] | None = None,
    ):
        self.size = size
        self.budget = budget
        self.weigh = weigh
        self.weight = 0
        self._items: OrderedDict[Any, tuple[Any, int]] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_make(self, key, make: Callable[[], Any]) -> Any:
        found = self.get(key)
        if found is not None:
            return found
        value = make()
        self.put(key, value)
        return value

    def get(self, key) -> Any:
        """The value kept under `key` (now the most recently used), or None."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key][0]
        return None

    def put(self, key, value) -> None:
        weight = self.weigh(value) if self.weigh else 0
        with self._lock:
            if key in self._items:
                self.weight -= self._items.pop(key)[1]
            self._items[key] = (value, weight)
            self.weight += weight
            while len(self._items) > 1 and (
                len(self._items) > self.size
                or (self.budget is not None and self.weight > self.budget)
            ):
                self.weight -= self._items.popitem(last=False)[1][1]

    def __len__(self) -> int:
        return len(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.weight = 0


def weight_of_html(html: str) -> int:
    """What a kept piece of HTML takes: the str as Python holds it (one to four
    bytes a character), and its place in the cache (key tuple, links)."""
    return sys.getsizeof(html) + 400


def _body_weight(body: tuple) -> int:
    """About what a document's text, blocks and links take in memory."""
    text, blocks, links = body
    return sys.getsizeof(text) + 400 * len(blocks) + 300 * len(links)


def _rendered_weight(rendered) -> int:
    return rendered.weight() + 1_000


# Each worker keeps the bodies and renderings of the documents read lately, up
# to a memory budget each (BODY_CACHE_MB, docs/deploy.md).
_budget = settings.BODY_CACHE_MB * 1024 * 1024
_bodies = LRU(size=1_000, budget=_budget, weigh=_body_weight)
_bounds = LRU(size=64)
rendered = LRU(size=1_000, budget=_budget, weigh=_rendered_weight)


@dataclass(frozen=True)
class BlockBounds:
    """Where a document's blocks start and end, for bisecting: an annotation
    write looks its selection and its blocks up in them."""

    spans: list[tuple[int, int]]
    starts: list[int]
    ends: list[int]

    @classmethod
    def of(cls, blocks: list[dict]) -> BlockBounds:
        spans = [(block["start"], block["end"]) for block in blocks]
        return cls(spans, [start for start, _ in spans], [end for _, end in spans])


def block_bounds(document) -> BlockBounds:
    """The document's BlockBounds, made once per body (the key of fill_body)."""
    key = (document.pk, document.content_hash, document.updated_at)
    return _bounds.get_or_make(key, lambda: BlockBounds.of(document.blocks))


def fill_body(document) -> None:
    """Give a document loaded without Document.BODY_FIELDS its text, blocks and
    links."""
    from corpus.models import Document

    # updated_at too: a metadata save is rare and a stale block list never is.
    key = (document.pk, document.content_hash, document.updated_at)
    found = _bodies.get(key)
    if found is None:
        # A revision of the text may have been saved since the caller read
        # the row (outside its transaction): its body is never kept under the
        # row's key, and the caller's row becomes the newer one, whole.
        rows = Document.all_objects.filter(pk=document.pk).values_list(
            *Document.BODY_FIELDS, "content_hash", "updated_at"
        )
        *found, digest, updated_at = rows.get()
        if (digest, updated_at) != key[1:]:
            document.refresh_from_db(
                fields=[
                    field.attname
                    for field in Document._meta.concrete_fields
                    if field.name != "original"
                ]
            )
            key = (document.pk, document.content_hash, document.updated_at)
            found = [document.text, document.blocks, document.links]
        _bodies.put(key, tuple(found))
    document.text, document.blocks, document.links = found


def clear() -> None:
    _bodies.clear()
    _bounds.clear()
    rendered.clear()
