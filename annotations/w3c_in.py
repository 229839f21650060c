"""What a W3C Web Annotation a client sends asks for, checked: the passage its
selectors name in a document's text, its note and tags, or the note it replies
to. Plain functions: a refusal is a `Refused` with the message (and what was
expected) that the protocol answers 400 with.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from annotations.models import Visibility
from annotations.w3c import PREFIX, Iris

MAX_TAGS = 50


class Refused(Exception):
    """The annotation cannot be taken; `status` 400 (bad input) or 404 (a target
    that is not here)."""

    def __init__(self, message: str, status: int = 400, **details):
        super().__init__(message)
        self.message, self.status, self.details = message, status, details


@dataclass
class Wanted:
    """A note as the client described it."""

    body: str = ""
    tags: list[str] = field(default_factory=list)
    visibility: str = Visibility.PROJECT
    via: str = ""
    canonical: str = ""


def _types(value) -> set[str]:
    return set(value) if isinstance(value, list) else {value}


def annotation(data) -> dict:
    """`data` if it is a JSON object describing an Annotation."""
    if not isinstance(data, dict):
        raise Refused("The body must be a JSON object: one Annotation.")
    if "Annotation" not in _types(data.get("type")) and "oa:Annotation" not in (
        _types(data.get("@type"))
    ):
        raise Refused('This is not an annotation: its "type" must be "Annotation".')
    return data


def wanted(data: dict) -> Wanted:
    """The note, tags and visibility asked for, and the client's own IRIs."""
    bodies = data.get("body", [])
    bodies = bodies if isinstance(bodies, list) else [bodies]
    result = Wanted()
    notes = []
    for body in bodies:
        if not isinstance(body, dict) or "TextualBody" not in _types(body.get("type")):
            raise Refused("Only TextualBody bodies (a note, a tag) can be taken.")
        value = body.get("value")
        if not isinstance(value, str):
            raise Refused('A TextualBody needs its text in "value".')
        if body.get("purpose") == "tagging":
            result.tags.append(value)
        else:
            notes.append(value)
    if len(notes) > 1:
        raise Refused("One note per annotation: send one commenting body.")
    result.body = notes[0] if notes else ""
    if len(result.tags) > MAX_TAGS:
        raise Refused(f"At most {MAX_TAGS} tags on an annotation.")
    visibility = data.get(f"{PREFIX}:visibility", Visibility.PROJECT)
    if visibility not in Visibility.values:
        raise Refused(
            f"{PREFIX}:visibility must be one of: {', '.join(Visibility.values)}."
        )
    result.visibility = visibility
    for name in ("id", "canonical"):
        value = data.get(name, "")
        if not isinstance(value, str) or len(value) > 2000:
            raise Refused(f'"{name}" must be an IRI.')
    result.via, result.canonical = data.get("id", ""), data.get("canonical", "")
    return result


def local_id(iri, iris: Iris, kind: str) -> int:
    """The id in one of this project's IRIs (`kind`: "document" or
    "annotation"); 404 for an IRI of another project or server."""
    if not isinstance(iri, str):
        raise Refused(f"The target must name a {kind} by its IRI.")
    wanted_prefix = {
        "document": f"{iris.base}/p/{iris.slug}/d/",
        "annotation": iris.container,
    }[kind]
    parts = urlsplit(iri)
    tail = iri.removeprefix(wanted_prefix).rstrip("/")
    if not iri.startswith(wanted_prefix) or parts.query or not tail.isdigit():
        raise Refused(f"No such {kind} in this project: {iri}", status=404)
    return int(tail)


@dataclass(frozen=True)
class Target:
    document_id: int
    selectors: list


def target(data: dict, iris: Iris) -> Target:
    """The document and selectors of a note's target."""
    found = data.get("target")
    if isinstance(found, list):
        if len(found) != 1:
            raise Refused("One target per annotation.")
        found = found[0]
    if isinstance(found, str):
        raise Refused("Name a passage: a target with a source and a selector.")
    if not isinstance(found, dict):
        raise Refused('The annotation needs a "target".')
    selectors = found.get("selector", [])
    selectors = selectors if isinstance(selectors, list) else [selectors]
    return Target(local_id(found.get("source"), iris, "document"), selectors)


def passage(text: str, selectors: list) -> tuple[int, int]:
    """Where the selectors put the passage in `text` (code points): by position,
    checked against the quote when both are given, or by the quote alone when
    it is found once (its prefix and suffix telling places apart)."""
    quote = position = None
    for selector in selectors:
        if not isinstance(selector, dict):
            raise Refused("A selector must be an object.")
        kind = selector.get("type")
        if kind == "TextQuoteSelector":
            quote = selector
        elif kind == "TextPositionSelector":
            position = selector
        else:
            raise Refused(
                "Selectors taken: TextQuoteSelector, TextPositionSelector "
                f"(not {kind})."
            )
    if quote is None and position is None:
        raise Refused(
            "Name the passage with a TextQuoteSelector or a TextPositionSelector."
        )
    exact = quote.get("exact") if quote else None
    if quote is not None and (not isinstance(exact, str) or not exact):
        raise Refused('A TextQuoteSelector needs the quoted text in "exact".')
    if position is not None:
        start, end = position.get("start"), position.get("end")
        if not (
            isinstance(start, int)
            and isinstance(end, int)
            and 0 <= start < end <= len(text)
        ):
            raise Refused(
                "The TextPositionSelector lies outside the text "
                f"(0 to {len(text)} characters, counted in code points)."
            )
        if exact is not None and text[start:end] != exact:
            raise Refused(
                "The quote does not match the text at that position.",
                expected=text[start:end],
            )
        return start, end
    prefix, suffix = quote.get("prefix") or "", quote.get("suffix") or ""
    places = []
    at = text.find(exact)
    while at >= 0:
        before, after = text[:at], text[at + len(exact) :]
        if before.endswith(prefix) and after.startswith(suffix):
            places.append(at)
        at = text.find(exact, at + 1)
    if not places:
        raise Refused("The quote is not in the document's text.")
    if len(places) > 1:
        raise Refused(
            f"The quote is in the text {len(places)} times: add a prefix and a "
            "suffix, or a TextPositionSelector."
        )
    return places[0], places[0] + len(exact)
