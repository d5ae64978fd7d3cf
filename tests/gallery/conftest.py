"""Fixtures of the gallery tests: a deterministic extractor and synthetic signatures."""

from __future__ import annotations

import pytest

from tests.conftest import draw_scribble
from tests.gallery.fakes import PixelExtractor


@pytest.fixture(scope="session")
def pixel_extractor() -> PixelExtractor:
    return PixelExtractor()


@pytest.fixture(scope="session")
def signatures():
    """40 distinct synthetic signatures (uint8 grayscale)."""
    return [draw_scribble(100 + seed, (160, 80)) for seed in range(40)]


@pytest.fixture
def gallery(tmp_path, pixel_extractor):
    import signver_keras as sv

    with sv.SignatureGallery(tmp_path / "people.db", extractor=pixel_extractor) as opened:
        yield opened


@pytest.fixture(scope="session")
def postgres_server():
    """Base URL of a PostgreSQL server on 127.0.0.1 (skips where it cannot start)."""
    from tests.gallery.postgres_server import postgres_server_fixture

    yield from postgres_server_fixture()


@pytest.fixture
def postgres_url(postgres_server, request):
    """A fresh, empty database on the test server."""
    import psycopg

    name = "t_" + "".join(c if c.isalnum() else "_" for c in request.node.name)[:50].lower()
    with psycopg.connect(f"{postgres_server}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')
    return f"{postgres_server}/{name}"
