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


@pytest.fixture(scope="session")
def pgvector_server():
    """Base URL of a PostgreSQL server with the pgvector extension (the `pgserver` wheel's)."""
    pytest.importorskip("pgserver", reason="pip install pgserver (bundles pgvector)")
    from pgserver._commands import POSTGRES_BIN_PATH

    from tests.gallery.postgres_server import postgres_server_fixture

    yield from postgres_server_fixture(str(POSTGRES_BIN_PATH))


@pytest.fixture
def postgres_url(postgres_server, request):
    """A fresh, empty database on the test server."""
    return _fresh_database(postgres_server, request.node.name)


@pytest.fixture
def pgvector_url(pgvector_server, request):
    """A fresh, empty database on the pgvector server."""
    return _fresh_database(pgvector_server, request.node.name)


def _fresh_database(server: str, test_name: str) -> str:
    import psycopg

    name = "t_" + "".join(c if c.isalnum() else "_" for c in test_name)[:50].lower()
    with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')
    return f"{server}/{name}"
