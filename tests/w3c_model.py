"""The W3C Web Annotation test suite (annotation-model), run on a JSON-LD document.

Later tests check that what the app serves passes every MUST assertion of the
suite: `must_failures(document, "Annotation")` is empty, or names what failed.
The suite is read where it lies (APPARATUS_W3C, by default `shared/w3c` beside
the repository), never copied in, and its schemas are evaluated as written by
jsonschema, one known defect aside (PART_OF_DESCRIPTION_TESTS).

How the suite is meant to be run, from its CONTRIBUTING guide and JSONtest.js,
the runner the Web Platform Tests drive it with:

- A `.test` file lists `assertions`, in order. An entry is a file name (relative
  to the `.test` file's folder when it has no slash, else to the suite's root),
  an inline assertion object, an object with `assertionFile` whose other keys
  override the file's, a nested list, or a condition object (one with its own
  `assertions` and `compareWith`: "and", the default, or "or").
- An assertion is a draft-04 JSON Schema plus: `assertionType` ("must", the
  default, "should", "may"), `expectedResult` ("valid", the default, or
  "invalid": the assertion holds when the document does not match),
  `errorMessage`, and `onUnexpectedResult` (`fail`/`passAnd` + `Continue`, the
  default, `Skip`: the rest of this list is not run, or `Abort`: nothing after
  it is run). A `.test`'s `skipFailures` lists the types whose failures are not
  reported (they mean "feature not used").
- Schemas `$ref` the shared definitions by their `id` ("annotations.json#/...").
- A condition object holds when its children's results, combined with its
  `compareWith`, are as its `expectedResult` says; it is reported once, under
  its own title, not child by child (JSONtest.js reports each child too, which
  would fail an "or" group's losing branches, and ignores the group's
  expectedResult, which the guide's example sets to "valid").
- The two formats the schemas use are checked as ajv, the suite's validator,
  checks them (jsonschema alone would let any string pass): see _FORMATS.
- "Applicable only when a key is present" is written into the schemas themselves
  (`...ValidIfPresent`: a `properties` constraint without `required`), so it
  needs no help here.

Which tests describe which kind of document is decided by the suite's folders:
`annotations/` for an Annotation, `collections/` for an AnnotationCollection,
`collections/pages/` for an AnnotationPage, and also for a collection whose
`first` page is embedded (the page tests look into `first` for it).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

import pytest
from jsonschema import Draft4Validator, FormatChecker
from referencing import Registry
from referencing.jsonschema import DRAFT4

W3C_DIR = Path(
    os.environ.get(
        "APPARATUS_W3C", Path(__file__).resolve().parents[2] / "shared" / "w3c"
    )
)

KINDS = {
    "Annotation": ("annotations",),
    "AnnotationCollection": ("collections",),
    "AnnotationPage": ("collections/pages",),
}

_ACTIONS = {"Continue": "continue", "Skip": "skip", "Abort": "abort"}


@dataclass(frozen=True)
class Assertion:
    """One assertion of a `.test`, loaded and ready to run."""

    name: str
    level: str
    expect_valid: bool
    on_unexpected: str
    message: str
    validator: Draft4Validator | None = None
    children: tuple = ()
    compare_with: str = "and"


@dataclass(frozen=True)
class Result:
    """What one assertion made of a document."""

    test: str
    assertion: str
    level: str
    passed: bool
    message: str

    def __str__(self) -> str:
        return f"{self.test}: {self.assertion}: {self.message}"


def must_failures(document: dict, kind: str) -> list[str]:
    """What the document fails of the suite's MUST assertions for its kind,
    one readable line each (test file, assertion, the suite's error message)."""
    return [
        str(r) for r in evaluate(document, kind) if r.level == "must" and not r.passed
    ]


def advisories(document: dict, kind: str) -> list[str]:
    """The SHOULD and MAY assertions the document does not meet (and the suite
    reports): advice, not failures."""
    return [
        str(r) for r in evaluate(document, kind) if r.level != "must" and not r.passed
    ]


def evaluate(document: dict, kind: str) -> list[Result]:
    """Every assertion the suite reports for `document` read as a `kind`, passed
    or not, in the suite's order."""
    return [r for path in suite_tests(kind, document) for r in run_test(path, document)]


def run_test(test_path: Path, document: dict) -> list[Result]:
    """What one `.test` file reports for `document`: its failures of the types
    in `skipFailures` are left out, as the suite's runner leaves them out."""
    hidden = set(_load_json(test_path).get("skipFailures", []))
    results, _, _ = _run(load_test(test_path), document, test_path.name)
    return [r for r in results if r.passed or r.level not in hidden]


def suite_tests(kind: str, document: dict | None = None) -> list[Path]:
    """The suite's `.test` files that describe a document of this kind (a
    collection's embedded first page adds the page tests)."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {sorted(KINDS)}, not {kind!r}")
    folders = list(KINDS[kind])
    if kind == "AnnotationCollection" and isinstance(
        (document or {}).get("first"), dict
    ):
        folders += KINDS["AnnotationPage"]
    return [path for f in folders for path in sorted((suite_dir() / f).glob("*.test"))]


def assertions(kind: str) -> list[Assertion]:
    """Every assertion (and condition object) the kind's own tests load,
    flattened (for a collection, without the page tests an embedded page adds)."""
    found = []

    def walk(entries):
        for entry in entries:
            if isinstance(entry, tuple):
                walk(entry)
            else:
                found.append(entry)
                walk(entry.children)

    for path in suite_tests(kind):
        walk(load_test(path))
    return found


def suite_dir() -> Path:
    """The annotation-model suite; the tests fail, not skip, when it is missing."""
    suite = W3C_DIR / "annotation-model"
    if not (suite / "definitions").is_dir():
        pytest.fail(
            f"W3C annotation-model suite not found at {suite} (set APPARATUS_W3C "
            "to the folder holding annotation-model/)."
        )
    return suite


@cache
def load_test(test_path: Path) -> tuple:
    """A `.test` file's assertion list, each entry loaded and compiled."""
    entries = _load_json(test_path)["assertions"]
    return _load_entries(entries, test_path.parent)


def _load_entries(entries: list, folder: Path) -> tuple:
    return tuple(
        _load_entries(entry, folder)
        if isinstance(entry, list)
        else _load_assertion(entry, folder, position)
        for position, entry in enumerate(entries, 1)
    )


def _load_assertion(entry: str | dict, folder: Path, position: int) -> Assertion:
    if isinstance(entry, str):
        entry = {"assertionFile": entry}
    schema = dict(entry)
    name = schema.get("id") or schema.get("title") or f"inline assertion {position}"
    if "assertionFile" in schema:
        reference = schema.pop("assertionFile")
        schema = {**_load_json(_assertion_path(reference, folder)), **schema}
        name = reference.rsplit("/", 1)[-1]
    level = schema.get("assertionType", "must").lower()
    on_unexpected = schema.get("onUnexpectedResult", "failAndContinue")
    common = {
        "name": name,
        "level": level if level in ("must", "should", "may") else "must",
        "expect_valid": schema.get("expectedResult", "valid") == "valid",
        "on_unexpected": _ACTIONS.get(re.sub("^(fail|pass)And", "", on_unexpected)),
        "message": schema.get("errorMessage") or schema.get("title") or name,
    }
    if common["on_unexpected"] is None:
        raise ValueError(f"{name}: unknown onUnexpectedResult {on_unexpected!r}")
    if "assertions" in schema:
        return Assertion(
            **common,
            children=_load_entries(schema["assertions"], folder),
            compare_with=schema.get("compareWith", "and"),
        )
    return Assertion(
        **common,
        validator=Draft4Validator(
            schema, registry=_definitions(), format_checker=_FORMATS
        ),
    )


def _assertion_path(reference: str, folder: Path) -> Path:
    """Where a `.test` entry points: beside the `.test` without a slash, from
    the suite's root with one (CONTRIBUTING, "Assertion Lists")."""
    if reference.startswith(("/", "http:", "https:")):
        raise ValueError(f"{reference}: absolute assertion references are not read")
    return folder / reference if "/" not in reference else suite_dir() / reference


def _run(entries: tuple, document: dict, test: str) -> tuple[list, list, str]:
    """Runs a list of entries in order: (reported results, whether each entry
    held, and "continue", "skip" or "abort" for what follows)."""
    results, held, action = [], [], "continue"
    for entry in entries:
        if action != "continue":
            break
        if isinstance(entry, tuple):
            inner, _, inner_action = _run(entry, document, test)
            results += inner
            action = "abort" if inner_action == "abort" else "continue"
            continue
        if not _applies(entry.name, document):
            continue
        if entry.validator is None:
            _, child_held, child_action = _run(entry.children, document, test)
            combine = any if entry.compare_with == "or" else all
            matched = combine(child_held)
            if child_action == "abort":
                action = "abort"
        else:
            matched = entry.validator.is_valid(document)
        passed = matched == entry.expect_valid
        held.append(passed)
        results.append(Result(test, entry.name, entry.level, passed, entry.message))
        if not passed and action == "continue":
            action = entry.on_unexpected
    return results, held, action


# The suite's one known defect. The page tests of a Collection described in the
# page's `partOf` (their titles: "i.e., in description of Collection included
# using partOf key") require `partOf` to be an object, so they fail a page whose
# partOf is its Collection's IRI, which the model allows: anno.jsonld types
# partOf as an @id, and 5.2-pagePartOfValidated accepts an IRI. They apply only
# to such a description. (test_w3c_runner checks the defect is still there.)
PART_OF_DESCRIPTION_TESTS = frozenset(
    {
        "3.3.1-pageCreatedValidated.json",
        "3.3.1-pageModifiedValidated.json",
        "3.3.6-pageRightsValidated.json",
        "5.2-pageFirstValidated.json",
        "5.2-pageLabelValidated.json",
        "5.2-pageLastValidated.json",
        "5.2-pageTotalValidated.json",
    }
)


def _applies(name: str, document: dict) -> bool:
    return name not in PART_OF_DESCRIPTION_TESTS or not isinstance(
        document.get("partOf"), str
    )


@cache
def _definitions() -> Registry:
    """The suite's shared definitions, registered under their own `id`, which
    is how the assertions `$ref` them."""
    resources = []
    for path in sorted((suite_dir() / "definitions").glob("*.json")):
        contents = _load_json(path)
        resources.append(
            (contents.get("id", path.name), DRAFT4.create_resource(contents))
        )
    return Registry().with_resources(resources)


def _load_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


class _SuiteFormats(FormatChecker):
    """The formats the suite uses; any other one is an error rather than the
    silent pass jsonschema gives a format it does not know."""

    def check(self, instance, format):
        if format not in self.checkers:
            raise LookupError(f"the suite uses format {format!r}, not checked here")
        super().check(instance, format)


_FORMATS = _SuiteFormats(formats=())

# As ajv (the suite's validator) reads them: a URI has a scheme and no
# whitespace (so a relative reference is not one); a date-time is RFC 3339,
# with its offset, and a real date and time.
_URI = re.compile(r"[a-z][a-z0-9+\-.]*:\S*", re.IGNORECASE)
_DATE_TIME = re.compile(
    r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", re.IGNORECASE
)


@_FORMATS.checks("uri")
def _is_uri(value) -> bool:
    return not isinstance(value, str) or _URI.fullmatch(value) is not None


@_FORMATS.checks("date-time", raises=ValueError)
def _is_date_time(value) -> bool:
    if not isinstance(value, str):
        return True
    if not _DATE_TIME.fullmatch(value):
        return False
    datetime.fromisoformat(value.upper().replace(" ", "T"))
    return True
