"""Annotations, replies and links as W3C Web Annotations (JSON-LD).

The Web Annotation Data Model (https://www.w3.org/TR/annotation-model/):

- a note is an Annotation whose target is its passage of the document (the
  document's IRI, with a TextQuoteSelector and a TextPositionSelector counting
  code points, as our offsets do), its note a TextualBody (purpose
  "commenting", Markdown) and each tag a TextualBody (purpose "tagging");
- a reply is an Annotation with motivation "replying" whose target is the
  note's IRI;
- a link is an Annotation with motivation "linking" whose target is the note
  it starts from and whose body is the other end: a note, a document, or an
  outside source;
- what the model has no term for (curation status, visibility, the relation
  type, the history) is kept in the `apparatus:` namespace, so nothing is lost.

Plain functions of rows the caller has read (export.py reads them in batches),
with the IRIs an `Iris` gives: no query here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from annotations.models import Anchoring, EventKind

ANNO_CONTEXT = "http://www.w3.org/ns/anno.jsonld"
MEDIA_TYPE = f'application/ld+json; profile="{ANNO_CONTEXT}"'
PREFIX = "apparatus"


@dataclass(frozen=True)
class Iris:
    """The IRIs of one project's resources on this server (`base`: its origin)."""

    base: str
    slug: str

    @classmethod
    def of_request(cls, request, slug: str) -> Iris:
        """On the origin the request came to (behind the TLS proxy: https)."""
        return cls(base=request.build_absolute_uri("/").rstrip("/"), slug=slug)

    @property
    def namespace(self) -> str:
        return f"{self.base}/ns#"

    @property
    def context(self) -> list:
        return [ANNO_CONTEXT, {PREFIX: self.namespace}]

    @property
    def container(self) -> str:
        return f"{self.base}/p/{self.slug}/annotations/"

    def document_container(self, pk: int) -> str:
        return f"{self.container}documents/{pk}/"

    @property
    def documents(self) -> str:
        """Where the project's documents' IRIs begin."""
        return f"{self.base}/p/{self.slug}/d/"

    def document(self, pk: int) -> str:
        return f"{self.documents}{pk}/"

    def annotation(self, pk: int) -> str:
        return f"{self.container}{pk}"

    def reply(self, pk: int) -> str:
        return f"{self.container}replies/{pk}"

    def link(self, pk: int) -> str:
        return f"{self.container}links/{pk}"

    def person(self, pk: int) -> str:
        return f"{self.base}/people/{pk}"


def when(moment: datetime) -> str:
    """An xsd:dateTime in UTC, as the model asks, to the microsecond we keep."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def person(iris: Iris, user) -> dict:
    return {
        "id": iris.person(user.pk),
        "type": "Person",
        "name": user.get_full_name() or user.get_username(),
        "nickname": user.get_username(),
    }


def passage(iris: Iris, annotation) -> dict:
    """The annotation's passage: a SpecificResource of its document, with the
    revision of the text its selectors count in (`text_revision`, read with
    the row). An orphan (its passage lost in a revision) keeps its last quote
    only: its offsets point into no text a reader can open."""
    quote = {
        "type": "TextQuoteSelector",
        "exact": annotation.exact,
        "prefix": annotation.prefix,
        "suffix": annotation.suffix,
    }
    if annotation.anchoring != Anchoring.ANCHORED:
        return {
            "type": "SpecificResource",
            "source": iris.document(annotation.document_id),
            "selector": quote,
            f"{PREFIX}:anchoring": annotation.anchoring,
        }
    target = {
        "type": "SpecificResource",
        "source": iris.document(annotation.document_id),
        "selector": [
            quote,
            {
                "type": "TextPositionSelector",
                "start": annotation.start,
                "end": annotation.end,
            },
        ],
    }
    revision = getattr(annotation, "text_revision", None)
    if revision is not None:
        target[f"{PREFIX}:textRevision"] = revision
    return target


def note(iris: Iris, annotation, tags: list[str], events: list = ()) -> dict:
    """A note (`annotation`, its author read with it) with its tags' names and
    its history (AnnotationEvent rows, actors read with them)."""
    body = []
    if annotation.body:
        body.append(
            {
                "type": "TextualBody",
                "value": annotation.body,
                "format": "text/markdown",
                "purpose": "commenting",
            }
        )
    body += [
        {"type": "TextualBody", "value": name, "purpose": "tagging"} for name in tags
    ]
    item = {
        "id": iris.annotation(annotation.pk),
        "type": "Annotation",
        "motivation": _motivation(annotation.body, tags),
        "created": when(annotation.created_at),
        "modified": when(annotation.updated_at),
        "creator": person(iris, annotation.author),
    }
    if body:
        item["body"] = body
    item["target"] = passage(iris, annotation)
    for name in ("via", "canonical"):
        if getattr(annotation, name, ""):
            item[name] = getattr(annotation, name)
    item[f"{PREFIX}:status"] = annotation.status
    item[f"{PREFIX}:visibility"] = annotation.visibility
    if events:
        item[f"{PREFIX}:history"] = [history_entry(iris, event) for event in events]
    return item


def _motivation(body: str, tags: list[str]) -> str:
    if body:
        return "commenting"
    return "tagging" if tags else "highlighting"


def history_entry(iris: Iris, event) -> dict:
    """One entry of a note's history, as its thread shows it to every reader:
    who, when, what kind of change, a status change's before and after, and
    the reason. The before and after of other changes (an earlier text, tags,
    visibility, a link's end) may be what this reader was never shown."""
    entry = {
        f"{PREFIX}:kind": event.kind,
        f"{PREFIX}:actor": iris.person(event.actor_id),
        f"{PREFIX}:at": when(event.at),
    }
    if event.kind == EventKind.STATUS:
        for name in ("before", "after"):
            value = getattr(event, name)
            if isinstance(value, str):
                entry[f"{PREFIX}:{name}"] = value
    if event.reason:
        entry[f"{PREFIX}:reason"] = event.reason
    return entry


def reply(iris: Iris, row) -> dict:
    """A reply (its author read with it) to its note."""
    return {
        "id": iris.reply(row.pk),
        "type": "Annotation",
        "motivation": "replying",
        "created": when(row.created_at),
        "modified": when(row.updated_at),
        "creator": person(iris, row.author),
        "body": {
            "type": "TextualBody",
            "value": row.body,
            "format": "text/markdown",
            "purpose": "replying",
        },
        "target": iris.annotation(row.annotation_id),
    }


def link(iris: Iris, row) -> dict:
    """A link (its author and relation read with it) from its source note to a
    note, a document or an outside source."""
    if row.target_annotation_id is not None:
        body = iris.annotation(row.target_annotation_id)
    elif row.target_document_id is not None:
        body = iris.document(row.target_document_id)
    else:
        body = {"id": row.target_url, "type": "Text"}
        if row.target_title:
            body["title"] = row.target_title
    item = {
        "id": iris.link(row.pk),
        "type": "Annotation",
        "motivation": "linking",
        "created": when(row.created_at),
        "creator": person(iris, row.author),
        "body": body,
        "target": iris.annotation(row.source_id),
        f"{PREFIX}:relation": row.relation.name,
    }
    for name in ("citation", "note"):
        if getattr(row, name):
            item[f"{PREFIX}:{name}"] = getattr(row, name)
    if row.accessed:
        item[f"{PREFIX}:accessed"] = row.accessed.isoformat()
    return item
