"""Numbers and ids from URLs, query strings and forms, parsed one way everywhere.

Ids are positive and fit a 64-bit signed integer (PostgreSQL's bigint); a
value that is not plain ASCII digits ("²", "٣", "-1", "1e3"), or too long
(a 5,000-digit id), is no id at all: the caller answers 404 or 400, never 500.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlencode

from django import forms

MAX_ID = 2**63 - 1
MAX_PAGE = 1_000_000


def parse_id(value) -> int | None:
    """The id in `value`, or None if it is not one."""
    if not isinstance(value, str):
        value = str(value) if isinstance(value, int) else ""
    value = value.strip()
    if not (0 < len(value) <= 19 and value.isascii() and value.isdigit()):
        return None
    number = int(value)
    return number if 0 < number <= MAX_ID else None


def parse_ids(values: Iterable, limit: int = 1000) -> list[int]:
    """The ids among `values` (others left out), at most `limit` of them."""
    ids = []
    for value in values:
        number = parse_id(value)
        if number is not None:
            ids.append(number)
            if len(ids) >= limit:
                break
    return ids


def parse_page(value) -> int:
    """A page number from a query string: 1 unless a sensible positive number."""
    number = parse_id(value)
    return min(number, MAX_PAGE) if number is not None else 1


def carried_query(query, keys: Iterable[str], max_value: int = 200) -> str:
    """The parts of a query string worth carrying into a redirect: the named
    keys only, with values of a sensible length (a filter, a page). Whatever else
    a request carried never makes the redirect, nor its URL too long to follow."""
    kept = [
        (key, value)
        for key in keys
        for value in query.getlist(key)[:20]
        if len(value) <= max_value
    ]
    return urlencode(kept)


class IdConverter:
    """URL converter for ids: up to 18 digits, so it always fits a bigint."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value) -> str:
        return str(int(value))


class IdField(forms.IntegerField):
    """A form field for an id: ASCII digits, 1 to MAX_ID."""

    default_error_messages = {"invalid": "Choose one of the listed items."}

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        number = parse_id(value)
        if number is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return number
