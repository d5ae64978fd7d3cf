"""PostgreSQL backend of `SignatureGallery` (psycopg 3: `signver-keras[gallery-postgres]`).

With the pgvector extension on the server, embeddings are stored as `vector`
and every person keeps a centroid column (the mean of their reference
embeddings), so `identify` runs on the server (`ORDER BY centroid <#> query`).
Without it, embeddings go into a plain `REAL[]` column and search runs in
process, like the SQLite backend.
"""

from __future__ import annotations

import contextlib
import zlib
from collections.abc import Iterator
from typing import Any

import numpy as np

from signver_keras.errors import GalleryError, NotAGalleryError
from signver_keras.gallery.gallery_store import GalleryStore


def _vector_literal(vector: np.ndarray) -> str:
    return "[" + ",".join(f"{float(v):.9g}" for v in np.asarray(vector).ravel()) + "]"


class PostgresStore(GalleryStore):
    """A gallery in a PostgreSQL database given by a `postgresql://` URL.

    Args:
        url: str. libpq connection URL.
        use_pgvector: bool or None. None uses pgvector when the server has it
            (for a new gallery) or when the gallery was created with it.
    """

    def __init__(self, url: str, use_pgvector: bool | None = None, create: bool = True):
        self.create = create
        try:
            import psycopg
        except ImportError as error:
            raise GalleryError(
                "PostgreSQL galleries need psycopg 3: "
                "pip install 'signver-keras[gallery-postgres]'."
            ) from error
        self.location = f"PostgreSQL gallery '{_redact(url)}'"
        try:
            self._connection = psycopg.connect(url, autocommit=True)
        except psycopg.OperationalError as error:
            raise GalleryError(f"Cannot connect to {self.location}: {error}".strip()) from error
        # Serialises writers (a transaction-scoped advisory lock keyed on this purpose).
        self._lock_key = zlib.crc32(b"signver-keras-gallery") & 0x7FFFFFFF
        try:
            self.dialect = self._choose_dialect(use_pgvector)
            if self.dialect == "pgvector":
                self.embedding_sql = "CAST(? AS vector)"
                self.embedding_select = "embedding::real[]"
            self._initialize()
        except psycopg.Error as error:
            self._connection.close()
            raise NotAGalleryError(f"{self.location} cannot be used: {error}") from error
        except Exception:
            self._connection.close()
            raise

    def _choose_dialect(self, use_pgvector: bool | None) -> str:
        cur = self._connection.cursor()
        existing = cur.execute(
            "SELECT udt_name FROM information_schema.columns WHERE table_schema = current_schema() "
            "AND table_name = 'reference_signatures' AND column_name = 'embedding'"
        ).fetchone()
        if existing is not None:
            return "pgvector" if existing[0] == "vector" else "postgres"
        if use_pgvector is False:
            return "postgres"
        available = cur.execute(
            "SELECT 1 FROM pg_available_extensions WHERE name = 'vector'"
        ).fetchone()
        if available is None:
            if use_pgvector:
                raise GalleryError(f"{self.location}: the server has no pgvector extension.")
            return "postgres"
        cur.execute("CREATE EXTENSION IF NOT EXISTS vector")
        return "pgvector"

    @property
    def has_pgvector(self) -> bool:
        return self.dialect == "pgvector"

    def q(self, cur, sql: str, params=()):
        cur.execute(sql.replace("?", "%s"), tuple(params))
        return cur

    def encode_embedding(self, vector: np.ndarray) -> Any:
        if self.dialect == "pgvector":
            return _vector_literal(vector)
        return [float(v) for v in np.asarray(vector, np.float32).ravel()]

    def decode_embeddings(self, values: list[Any]) -> np.ndarray:
        if not values:
            return np.zeros((0, 0), np.float32)
        return np.asarray(values, dtype=np.float32).reshape(len(values), -1)

    def _tables(self, cur) -> set[str]:
        rows = self.q(
            cur, "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
        ).fetchall()
        return {row[0] for row in rows}

    @contextlib.contextmanager
    def read(self) -> Iterator[Any]:
        cur = self._connection.cursor()
        cur.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        try:
            yield cur
        finally:
            cur.execute("COMMIT")

    @contextlib.contextmanager
    def write(self) -> Iterator[Any]:
        cur = self._connection.cursor()
        cur.execute("BEGIN")
        try:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (self._lock_key,))
            yield cur
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        cur.execute("COMMIT")

    def close(self) -> None:
        self._connection.close()

    def after_person_changed(self, cur, pk: int) -> None:
        if self.dialect == "pgvector":
            self.q(
                cur,
                "UPDATE persons SET centroid = (SELECT AVG(embedding) FROM reference_signatures "
                "WHERE person_pk = ?) WHERE id = ?",
                [pk, pk],
            )

    def search_persons(self, cur, query: np.ndarray, k: int) -> list[tuple[str, float]] | None:
        if self.dialect != "pgvector":
            return None
        literal = _vector_literal(query)
        rows = self.q(
            cur,
            "SELECT person_id, -(centroid <#> CAST(? AS vector)) FROM persons "
            "WHERE centroid IS NOT NULL ORDER BY centroid <#> CAST(? AS vector) LIMIT ?",
            [literal, literal, k],
        ).fetchall()
        return [(row[0], float(row[1])) for row in rows]


def _redact(url: str) -> str:
    """Hides a password in a connection URL before it goes into a message."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        credentials, host = rest.rsplit("@", 1)
        user = credentials.split(":", 1)[0]
        return f"{scheme}://{user}@{host}"
    return url
