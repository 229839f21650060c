"""A document's text, blocks, links and original are megabytes a row: only
the pages that show a text read them. Every page of the app (the CSP test's
list, which the URL conf keeps whole) is visited by the owner, and the
statements each makes are looked at."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.browser.test_csp import ANONYMOUS_PAGES, PAGES, world  # noqa: F401
from tests.conftest import document_bodies_read

# The pages that show a document's text: the reading view, two texts side by
# side, a revision of a text.
SHOWING_A_TEXT = {
    "annotations:document_detail",
    "annotations:link_compare",
    "annotations:revision_detail",
}


@pytest.mark.django_db
def test_only_the_pages_that_show_a_text_read_it(client, world):  # noqa: F811
    client.force_login(world.owner)
    reading = set()
    for name, url in PAGES.items():
        if name in ANONYMOUS_PAGES:
            continue
        address = url(world)  # (which may make what the page shows)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(address)
        assert response.status_code in {200, 302}, name
        if document_bodies_read(queries):
            reading.add(name)
    assert reading == SHOWING_A_TEXT
