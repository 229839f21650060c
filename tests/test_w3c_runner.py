"""The runner of the W3C annotation-model suite (tests/w3c_model.py) itself: it
loads the suite's MUST assertions, passes correct documents, and names the
assertion each broken one fails, so the tests that use it on what the app
serves can be trusted. The documents are ours; the suite is read where it lies."""

from __future__ import annotations

import copy
import json

import pytest

from tests import w3c_model
from tests.w3c_model import advisories, evaluate, must_failures

SITE = "https://apparatus.example"
COLLECTION_IRI = f"{SITE}/projects/tale/annotations/"
DELETE = object()

ANNOTATION = {
    "@context": "http://www.w3.org/ns/anno.jsonld",
    "id": f"{SITE}/annotations/17",
    "type": "Annotation",
    "motivation": "commenting",
    "creator": {"id": f"{SITE}/people/ada", "type": "Person", "name": "Ada Lovelace"},
    "created": "2025-03-14T09:26:53Z",
    "modified": "2025-03-15T10:00:00.250+01:00",
    "body": [
        {
            "type": "TextualBody",
            "value": "The scribe corrects himself here.",
            "format": "text/plain",
            "language": "en",
            "purpose": "commenting",
        },
        {"type": "TextualBody", "value": "scribal-correction", "purpose": "tagging"},
    ],
    "target": {
        "type": "SpecificResource",
        "source": f"{SITE}/projects/tale/documents/prologue/",
        "selector": [
            {
                "type": "TextQuoteSelector",
                "exact": "the king",
                "prefix": "Then ",
                "suffix": " rode out",
            },
            {"type": "TextPositionSelector", "start": 120, "end": 128},
        ],
    },
}

# An annotation as a page lists it: the page carries the @context.
ITEM = {
    "id": f"{SITE}/annotations/18",
    "type": "Annotation",
    "bodyValue": "A second hand starts here.",
    "target": f"{SITE}/projects/tale/documents/prologue/",
}

COLLECTION = {
    "@context": "http://www.w3.org/ns/anno.jsonld",
    "id": COLLECTION_IRI,
    "type": "AnnotationCollection",
    "label": "Annotations on The Tale",
    "total": 3,
    "first": {
        "id": f"{COLLECTION_IRI}?page=1",
        "type": "AnnotationPage",
        "partOf": COLLECTION_IRI,
        "startIndex": 0,
        "next": f"{COLLECTION_IRI}?page=2",
        "items": [ITEM, f"{SITE}/annotations/19"],
    },
    "last": f"{COLLECTION_IRI}?page=2",
}

PAGE = {
    "@context": "http://www.w3.org/ns/anno.jsonld",
    "id": f"{COLLECTION_IRI}?page=2",
    "type": "AnnotationPage",
    "partOf": COLLECTION_IRI,
    "startIndex": 2,
    "prev": f"{COLLECTION_IRI}?page=1",
    "items": [ITEM],
}


def variant(document: dict, path: tuple, value) -> dict:
    """A copy of `document` with the value at `path` replaced, or deleted."""
    changed = copy.deepcopy(document)
    *parents, last = path
    holder = changed
    for key in parents:
        holder = holder[key]
    if value is DELETE:
        del holder[last]
    else:
        holder[last] = value
    return changed


def failed(document: dict, kind: str) -> set[str]:
    """The assertion files named by must_failures' lines ("test: file: message")."""
    return {line.split(": ")[1] for line in must_failures(document, kind)}


@pytest.mark.parametrize(
    ("kind", "at_least"),
    [("Annotation", 54), ("AnnotationCollection", 10), ("AnnotationPage", 15)],
)
def test_the_suite_loads_its_must_assertions(kind, at_least):
    musts = [a for a in w3c_model.assertions(kind) if a.level == "must"]
    assert len(musts) >= at_least
    assert all(a.validator is not None or a.children for a in musts)


@pytest.mark.parametrize(
    ("document", "kind", "at_least"),
    [
        (ANNOTATION, "Annotation", 54),
        (COLLECTION, "AnnotationCollection", 25),
        (PAGE, "AnnotationPage", 15 - len(w3c_model.PART_OF_DESCRIPTION_TESTS)),
    ],
)
def test_a_correct_document_passes_every_must_assertion(document, kind, at_least):
    results = evaluate(document, kind)
    assert must_failures(document, kind) == []
    assert sum(r.level == "must" and r.passed for r in results) >= at_least


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (("@context",), DELETE, {"3.1-annotationContextValidated.json"}),
        (
            ("@context",),
            ["http://www.w3.org/ns/oa.jsonld"],
            {"3.1-annotationContextValidated.json"},
        ),
        (("type",), "Note", {"3.1-annotationTypeValidated.json"}),
        (("id",), DELETE, {"3.1-annotationIdValidated.json"}),
        (("id",), "annotations/17", {"3.1-annotationIdValidated.json"}),
        (("id",), f"{SITE}/annotations/1 7", {"3.1-annotationIdValidated.json"}),
        (
            ("target",),
            DELETE,
            {"3.1-targetKeyFound.json", "3.2-targetObjectsRecognized.json"},
        ),
        (
            ("target",),
            {"type": "TextualBody", "value": "A target is no body."},
            {"3.2-targetObjectsRecognized.json", "3.2.4-targNoTypeTextualBody.json"},
        ),
        (("body", 0, "value"), DELETE, {"3.2-bodyObjectsRecognized.json"}),
        (("body", 0, "textDirection"), "up", {"3.2.1-bodyTextDirectionValidated.json"}),
        (("bodyValue",), "Both at once.", {"3.2.5-notBodyBodyValue.json"}),
        (
            ("target", "selector", 0, "type"),
            "TextQuote",
            {"4.2-selectorValidIfPresent.json"},
        ),
        (
            ("target", "selector", 0, "exact"),
            DELETE,
            {"4.2-selectorValidIfPresent.json", "4.2.4-textQuoteSelectorValid.json"},
        ),
        (
            ("target", "selector", 1, "start"),
            -1,
            {
                "4.2-selectorValidIfPresent.json",
                "4.2-TextDataPositionSelectorValid.json",
            },
        ),
        (("created",), "2025-03-14", {"3.3.1-annotationCreatedValidated.json"}),
        (
            ("created",),
            "2025-02-30T09:00:00Z",
            {"3.3.1-annotationCreatedValidated.json"},
        ),
        (
            ("modified",),
            "2025-03-15T10:00:00",
            {"3.3.1-annotationModifiedValidated.json"},
        ),
    ],
    ids=[
        "no-context",
        "other-context",
        "wrong-type",
        "no-id",
        "relative-id",
        "id-with-space",
        "no-target",
        "textual-body-as-target",
        "textual-body-without-value",
        "bad-text-direction",
        "body-and-bodyValue",
        "unknown-selector-type",
        "quote-selector-without-exact",
        "negative-position",
        "created-date-only",
        "created-february-30",
        "modified-without-offset",
    ],
)
def test_a_broken_annotation_fails_the_assertion_it_breaks(path, value, expected):
    assert failed(variant(ANNOTATION, path, value), "Annotation") == expected


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("@context",), ["http://www.w3.org/ns/anno.jsonld", {"ap": f"{SITE}/ns#"}]),
        (("type",), ["Annotation", "Note"]),
        (("body", 0, "type"), DELETE),
        (("target",), f"{SITE}/projects/tale/documents/prologue/"),
        (("motivation",), "noting"),
    ],
    ids=["context-list", "type-list", "body-without-type", "iri-target", "motive"],
)
def test_what_the_model_allows_is_no_must_failure(path, value):
    assert must_failures(variant(ANNOTATION, path, value), "Annotation") == []


def test_a_failure_names_the_test_file_the_assertion_and_the_suite_message():
    assertion = w3c_model.suite_dir() / "annotations/3.1-annotationIdValidated.json"
    message = json.loads(assertion.read_text())["errorMessage"]
    broken = variant(ANNOTATION, ("id",), "annotations/17")

    assert must_failures(broken, "Annotation") == [
        f"annotationMusts.test: 3.1-annotationIdValidated.json: {message}"
    ]


def test_should_and_may_assertions_are_advice_not_failures():
    broken = variant(ANNOTATION, ("creator",), 6)

    assert must_failures(broken, "Annotation") == []
    assert any(
        "3.3.1-annotationCreatorImplemented.json" in line
        for line in advisories(broken, "Annotation")
    )
    assert not any(
        "3.3.1-annotationCreatorImplemented.json" in line
        for line in advisories(ANNOTATION, "Annotation")
    )


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (
            ("@context",),
            DELETE,
            {"5.1-collectionContextValidated.json", "5.2-pageContextValidated.json"},
        ),
        (("type",), "Collection", {"5.1-collectionTypeValidated.json"}),
        (("id",), "annotations/", {"5.1-collectionIdValidated.json"}),
        (("label",), 42, {"5.1-collectionLabelValidated.json"}),
        (("total",), -1, {"5.1-collectionTotalValidated.json"}),
        (("first",), DELETE, {"5.1-collectionFirstValidated.json"}),
        (("last",), "?page=2", {"5.1-collectionLastValidated.json"}),
        (("created",), "today", {"3.3.1-collectionCreatedValidated.json"}),
        (("first", "items"), DELETE, {"5.2-pageItemsValidated.json"}),
        (("first", "items", 0, "type"), "Note", {"5.2-pageItemsValidated.json"}),
        (("first", "id"), DELETE, {"5.2-pageIdValidated.json"}),
        (("first", "partOf"), "annotations", {"5.2-pagePartOfValidated.json"}),
        (("first", "startIndex"), -1, {"5.2-pageStartIndexValidated.json"}),
        (("first", "next"), "?page=2", {"5.2-pageNextValidated.json"}),
        (
            ("first", "type"),
            "Page",
            {"5.1-collectionFirstValidated.json", "5.2-pageTypeValidated.json"},
        ),
    ],
    ids=[
        "no-context",
        "wrong-type",
        "relative-id",
        "label-not-text",
        "negative-total",
        "total-without-first",
        "relative-last",
        "created-not-date-time",
        "page-without-items",
        "page-item-not-annotation",
        "page-without-id",
        "page-partOf-not-iri",
        "page-negative-startIndex",
        "page-relative-next",
        "page-wrong-type",
    ],
)
def test_a_broken_collection_fails_the_assertion_it_breaks(path, value, expected):
    assert failed(variant(COLLECTION, path, value), "AnnotationCollection") == expected


def test_a_collection_that_links_its_first_page_is_not_held_to_the_page_tests():
    linked = variant(COLLECTION, ("first",), f"{COLLECTION_IRI}?page=1")

    assert must_failures(linked, "AnnotationCollection") == []
    tests = {r.test for r in evaluate(linked, "AnnotationCollection")}
    assert tests == {"collectionMusts.test", "collectionOptionals.test"}


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (("@context",), DELETE, {"5.2-pageContextValidated.json"}),
        (("id",), "?page=2", {"5.2-pageIdValidated.json"}),
        (("items",), DELETE, {"5.2-pageItemsValidated.json"}),
        (("items",), ITEM, {"5.2-pageItemsValidated.json"}),
        (("partOf",), "annotations/", {"5.2-pagePartOfValidated.json"}),
        (("prev",), "?page=1", {"5.2-pagePrevValidated.json"}),
        (("startIndex",), 1.5, {"5.2-pageStartIndexValidated.json"}),
        (
            ("partOf",),
            {"id": COLLECTION_IRI, "total": "many"},
            {"5.2-pageTotalValidated.json"},
        ),
        (
            ("partOf",),
            {"id": COLLECTION_IRI, "created": "today"},
            {"3.3.1-pageCreatedValidated.json"},
        ),
        (
            ("type",),
            "Page",
            {
                "5.2-pageIdValidated.json",
                "5.2-pageNextValidated.json",
                "5.2-pagePartOfValidated.json",
                "5.2-pagePrevValidated.json",
                "5.2-pageStartIndexValidated.json",
                "5.2-pageTypeValidated.json",
            },
        ),
    ],
    ids=[
        "no-context",
        "relative-id",
        "no-items",
        "items-not-a-list",
        "partOf-not-iri",
        "relative-prev",
        "fractional-startIndex",
        "described-collection-bad-total",
        "described-collection-bad-created",
        "wrong-type",
    ],
)
def test_a_broken_page_fails_the_assertion_it_breaks(path, value, expected):
    assert failed(variant(PAGE, path, value), "AnnotationPage") == expected


def test_the_page_tests_of_a_described_collection_still_reject_a_partof_iri():
    """The suite defect w3c_model works around is still there: when this fails,
    the suite was fixed, and PART_OF_DESCRIPTION_TESTS can go."""
    rejecting = {
        a.name
        for a in w3c_model.assertions("AnnotationPage")
        if a.level == "must" and not a.validator.is_valid(PAGE)
    }
    assert rejecting == w3c_model.PART_OF_DESCRIPTION_TESTS


def test_the_page_tests_of_a_described_collection_run_when_it_is_described():
    described = variant(PAGE, ("partOf",), {"id": COLLECTION_IRI, "total": 3})
    passed = {r.assertion for r in evaluate(described, "AnnotationPage") if r.passed}

    assert passed >= w3c_model.PART_OF_DESCRIPTION_TESTS


def _write(folder, name: str, content: dict) -> None:
    (folder / name).write_text(json.dumps(content))


def test_the_runner_follows_the_suites_evaluation_rules(tmp_path):
    """Rules the suite's own files do not all use yet: inline assertions,
    assertionFile overrides, expectedResult "invalid", "or" groups, skip and
    abort, skipFailures."""
    _write(tmp_path, "has_b.json", {"id": "has_b.json", "required": ["b"]})
    _write(
        tmp_path,
        "rules.test",
        {
            "skipFailures": ["may"],
            "assertions": [
                {"title": "has a", "required": ["a"]},
                {
                    "assertionFile": "has_b.json",
                    "expectedResult": "invalid",
                    "errorMessage": "b must be absent",
                },
                {
                    "title": "x or b",
                    "compareWith": "or",
                    "assertions": [{"required": ["x"]}, "has_b.json"],
                },
                {
                    "title": "x and b",
                    "assertions": [{"required": ["x"]}, "has_b.json"],
                },
                {"title": "has z", "required": ["z"], "assertionType": "may"},
                [
                    {
                        "title": "has c",
                        "required": ["c"],
                        "onUnexpectedResult": "failAndSkip",
                    },
                    {"title": "has q", "required": ["q"]},
                ],
                {"title": "has d", "required": ["d"]},
                {
                    "title": "has f",
                    "required": ["f"],
                    "onUnexpectedResult": "failAndAbort",
                },
                {"title": "has g", "required": ["g"]},
            ],
        },
    )

    results = w3c_model.run_test(tmp_path / "rules.test", {"a": 1, "b": 2, "d": 4})

    assert [(r.assertion, r.passed) for r in results] == [
        ("has a", True),
        ("has_b.json", False),
        ("x or b", True),
        ("x and b", False),
        ("has c", False),
        ("has d", True),
        ("has f", False),
    ]
    assert results[1].message == "b must be absent"


def test_a_format_the_runner_does_not_check_is_an_error(tmp_path):
    _write(
        tmp_path,
        "formats.test",
        {"assertions": [{"title": "mail", "properties": {"m": {"format": "email"}}}]},
    )

    with pytest.raises(LookupError, match="email"):
        w3c_model.run_test(tmp_path / "formats.test", {"m": "ada@example.org"})


def test_a_missing_suite_fails_loudly(monkeypatch, tmp_path):
    monkeypatch.setattr(w3c_model, "W3C_DIR", tmp_path / "absent")

    with pytest.raises(pytest.fail.Exception, match="APPARATUS_W3C"):
        w3c_model.suite_dir()
