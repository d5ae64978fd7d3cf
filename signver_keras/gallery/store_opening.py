"""Which store holds a gallery: a SQLite file, or a PostgreSQL database given by its URL."""

from __future__ import annotations

import os

from signver_keras.gallery.gallery_store import GalleryStore, SQLiteStore

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def is_postgres_url(path_or_url: str | os.PathLike) -> bool:
    """Whether `path_or_url` names a PostgreSQL gallery (else it is a SQLite file)."""
    return os.fspath(path_or_url).startswith(POSTGRES_SCHEMES)


def open_store(
    path_or_url: str | os.PathLike, use_pgvector: bool | None = None, create: bool = True
) -> GalleryStore:
    """Opens (or, with `create`, creates) the gallery store at a path or `postgresql://` URL.

    Example:
    ```python
    store = open_store("people.db")
    with store.read() as cur:
        print(store.persons(cur))
    store.close()
    ```
    """
    location = os.fspath(path_or_url)
    if is_postgres_url(location):
        from signver_keras.gallery.postgres_store import PostgresStore

        return PostgresStore(location, use_pgvector=use_pgvector, create=create)
    return SQLiteStore(location, create=create)
