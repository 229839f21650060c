"""What a W3C Web Annotation a client sends asks for, checked: the passage its
selectors name in a document's text, its note and tags, or the note it replies
to. Plain functions: a refusal is a `Refused` with the message (and what was
expected) that the protocol answers 400 with.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from annotations.models import Visibility
from annotations.w3c import PREFIX, Iris


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
    visibility: str | None = None  # not said: kept as it is, or shared if new
    via: str = ""
    canonical: str = ""


def _types(value) -> set[str]:
    """The type names a "type" holds (a name, or a list of them)."""
    values = value if isinstance(value, list) else [value]
    return {each for each in values if isinstance(each, str)}


def parsed(raw: bytes):
    """The JSON of a request's body, refused if it is not JSON or holds a NUL
    (no text of ours may: config.request_checks refuses it in forms too)."""
    try:
        data = json.loads(raw)
        nul = _holds_nul(data)
    except (ValueError, UnicodeDecodeError) as error:
        raise Refused(f"The body is not JSON: {error}") from None
    except RecursionError:
        raise Refused("The body is nested too deeply.") from None
    if nul:
        raise Refused("The annotation holds a NUL character, which no text may.")
    return data


def _holds_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(key) or _holds_nul(each) for key, each in value.items())
    if isinstance(value, list):
        return any(_holds_nul(each) for each in value)
    return False


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
    visibility = data.get(f"{PREFIX}:visibility")
    if visibility is not None and visibility not in Visibility.values:
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
        "document": iris.documents,
        "annotation": iris.container,
    }[kind]
    parts = urlsplit(iri)
    tail = iri.removeprefix(wanted_prefix).rstrip("/")
    digits = tail.isascii() and tail.isdecimal()
    if not iri.startswith(wanted_prefix) or parts.query or not digits:
        raise Refused(f"No such {kind} in this project: {iri}", status=404)
    return int(tail)


@dataclass(frozen=True)
class Target:
    document_id: int
    selectors: list
    # The revision of the text the selectors count in (apparatus:textRevision,
    # as the export gives it), when the client says.
    text_revision: int | None = None

    def check_revision(self, current: int) -> None:
        """Refuse selectors counted in another revision of the text than the
        document's now: their positions may point at other words."""
        if self.text_revision is not None and self.text_revision != current:
            raise Refused(
                f"The document's text was revised since (it is at revision "
                f"{current}, the target counts in {self.text_revision}): read "
                "it again and name the passage in the text as it is now.",
                status=409,
            )


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
    revision = found.get(f"{PREFIX}:textRevision")
    if revision is not None and (
        not isinstance(revision, int) or isinstance(revision, bool) or revision < 0
    ):
        raise Refused(f"{PREFIX}:textRevision is a revision's number (0 or more).")
    return Target(local_id(found.get("source"), iris, "document"), selectors, revision)


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
        numbers = all(
            isinstance(value, int) and not isinstance(value, bool)
            for value in (start, end)
        )
        if not (numbers and 0 <= start < end <= len(text)):
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
    if not isinstance(prefix, str) or not isinstance(suffix, str):
        raise Refused("A TextQuoteSelector's prefix and suffix are text.")
    places = []
    at = text.find(exact)
    # Compared in place (no copy of the text at each occurrence), and no
    # further than a second place: the quote is then ambiguous.
    while at >= 0 and len(places) < 2:
        after = at + len(exact)
        if text.endswith(prefix, 0, at) and text.startswith(suffix, after):
            places.append(at)
        at = text.find(exact, at + 1)
    if not places:
        raise Refused("The quote is not in the document's text.")
    if len(places) > 1:
        raise Refused(
            "The quote is in the text more than once: add a prefix and a "
            "suffix, or a TextPositionSelector."
        )
    return places[0], places[0] + len(exact)
