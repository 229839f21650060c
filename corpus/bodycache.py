"""Per-process caches for a document's heavy, immutable parts.

A document's text, blocks and links (Document.BODY_FIELDS) are written once, at
import, and nothing changes them; a copy is kept under the document's
content_hash and updated_at, so that any change (a text fix, should one come,
must change the hash) and any metadata save find a new key, and a copy kept in
the worker is never stale. Each gunicorn worker keeps its own few documents
(LRU), which spares the reading view and every annotation write the transfer
and JSON decoding of a 1 MB row. The text rendered with highlights is cached
the same way (annotations.highlights.rendered_text), under the revision its
readers' class sees, so that every change they may see makes a new key.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


class LRU:
    """A small thread-safe least-recently-used map."""

    def __init__(self, size: int):
        self.size = size
        self._items: OrderedDict[Any, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_make(self, key, make: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = make()
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


_bodies = LRU(size=16)
_bounds = LRU(size=16)
rendered = LRU(size=8)


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

    def load():
        return (
            Document.objects.filter(pk=document.pk)
            .values_list(*Document.BODY_FIELDS)
            .get()
        )

    # updated_at too: a metadata save is rare and a stale block list never is.
    text, blocks, links = _bodies.get_or_make(
        (document.pk, document.content_hash, document.updated_at), load
    )
    document.text, document.blocks, document.links = text, blocks, links


def clear() -> None:
    _bodies.clear()
    _bounds.clear()
    rendered.clear()
