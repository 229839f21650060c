"""Pages go out gzipped to browsers that accept it (config.middleware.
CompressMiddleware): the same bytes once unpacked, a different length each
time (BREACH), and as they were to a client that does not ask."""

from __future__ import annotations

import gzip

from django.test import override_settings

from tests.factories import make_annotation

GZIP = {"Accept-Encoding": "gzip, deflate, br"}


def test_the_reading_page_is_compressed_and_unpacks_to_the_same_page(
    client, document, owner
):
    make_annotation(document, owner, document.text.split()[0], body="A note")
    client.force_login(owner)
    plain = client.get(document.get_absolute_url())
    packed = client.get(document.get_absolute_url(), headers=GZIP)
    assert "Content-Encoding" not in plain
    assert packed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed["Vary"] and "Accept-Encoding" in plain["Vary"]
    assert len(packed.content) < len(plain.content) / 2
    assert int(packed["Content-Length"]) == len(packed.content)
    unpacked = gzip.decompress(packed.content).decode()
    # The same page but for its CSRF token, which is masked anew each time.
    assert unpacked.count("<mark") == plain.content.decode().count("<mark") == 1
    assert document.title in unpacked


def test_each_answer_has_its_own_length_against_breach(client, document, owner):
    client.force_login(owner)
    lengths = {
        len(client.get(document.get_absolute_url(), headers=GZIP).content)
        for _ in range(12)
    }
    assert len(lengths) > 1


@override_settings(GZIP_LEVEL=9)
def test_the_level_is_a_setting(client, document, owner):
    client.force_login(owner)
    smallest = len(client.get(document.get_absolute_url(), headers=GZIP).content)
    with override_settings(GZIP_LEVEL=1):
        quick = len(client.get(document.get_absolute_url(), headers=GZIP).content)
    assert quick > smallest


def test_small_answers_are_left_alone(client, owner):
    client.force_login(owner)
    response = client.get("/healthz/", headers=GZIP)
    assert response.status_code == 200
    assert "Content-Encoding" not in response
