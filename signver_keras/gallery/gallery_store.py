"""Storage backends of `SignatureGallery`: the SQL both share, and the SQLite backend.

All of the gallery's SQL lives here, written once with `?` placeholders, and
reads return named records (`Person`, `Reference`, `StoredCrop`); a backend only says how to
connect, how to open a read snapshot or a write transaction, and how to encode
an embedding for its column type. Every gallery change runs in one write
transaction that also bumps the generation counter (so caches and the
approximate index know when they are stale).
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from signver_keras.errors import GalleryNotFoundError, GallerySchemaError, NotAGalleryError
from signver_keras.gallery import gallery_schema as schema
from signver_keras.gallery.gallery_records import Person, Reference, StoredCrop

#: The first 16 bytes of every SQLite database file.
SQLITE_HEADER = b"SQLite format 3\x00"


def check_gallery_file(path: str | os.PathLike) -> None:
    """Refuses a SQLite gallery path that holds no database, before anything opens it.

    `SQLiteStore` creates a missing gallery (and turns an empty file into one),
    which is right for enrolling and wrong for reading: a mistyped path would
    silently become a new, empty gallery. Commands that only read call this first.

    Raises:
        GalleryNotFoundError: nothing exists at `path`.
        NotAGalleryError: `path` is a folder, an empty file, or not a SQLite database.
    """
    path = Path(path)
    if not path.exists():
        raise GalleryNotFoundError(
            f"No gallery at '{path}': the file does not exist. Galleries are created by "
            "enrolling (`signver-keras gallery enroll`, `SignatureGallery(path).enroll`)."
        )
    if path.is_dir():
        raise NotAGalleryError(f"Gallery path '{path}' is a folder, not a file.")
    with open(path, "rb") as file:
        header = file.read(len(SQLITE_HEADER))
    if header != SQLITE_HEADER:
        what = "an empty file (0 bytes)" if not header else "not a SQLite database"
        raise NotAGalleryError(f"'{path}' is not a signver-keras gallery: it is {what}.")


class GalleryStore:
    """SQL shared by every backend. Subclasses implement the connection handling."""

    dialect = "sqlite"
    location = ""
    #: Whether `_initialize` may create the tables of a new gallery.
    create = True
    #: Where the approximate index is persisted (None: kept in memory only).
    index_path: Path | None = None

    # --- backend hooks ---------------------------------------------------------
    def read(self) -> contextlib.AbstractContextManager:
        """A consistent snapshot for reading (yields a cursor)."""
        raise NotImplementedError

    def write(self) -> contextlib.AbstractContextManager:
        """One atomic transaction (yields a cursor): all of it or nothing is stored."""
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def q(self, cur, sql: str, params: Iterable[Any] = ()):
        cur.execute(sql, tuple(params))
        return cur

    def encode_embedding(self, vector: np.ndarray) -> Any:
        return np.ascontiguousarray(vector, dtype="<f4").tobytes()

    def decode_embeddings(self, values: list[Any]) -> np.ndarray:
        if not values:
            return np.zeros((0, 0), np.float32)
        return np.frombuffer(b"".join(values), dtype="<f4").reshape(len(values), -1)

    embedding_sql = "?"  # how a parameter is written where an embedding is inserted
    embedding_select = "embedding"

    # --- schema ------------------------------------------------------------------
    def _tables(self, cur) -> set[str]:
        raise NotImplementedError

    def _initialize(self) -> None:
        """Creates the tables in an empty database, migrates an older gallery, and
        refuses databases that are not galleries or are newer than this code."""
        with self.write() as cur:
            tables = self._tables(cur)
            if not tables and not self.create:
                raise GalleryNotFoundError(
                    f"{self.location} holds no gallery (it has no tables); it was opened "
                    "read-only, so none was created."
                )
            if not tables:
                for statement in schema.create_statements(self.dialect):
                    self.q(cur, statement)
                version = [schema.SCHEMA_VERSION]
                self.q(cur, "INSERT INTO schema_version (version) VALUES (?)", version)
                self.q(
                    cur,
                    "INSERT INTO gallery_meta (key, value) "
                    "VALUES ('format', ?), ('generation', '0')",
                    [schema.FORMAT_MARKER],
                )
                return
            if "gallery_meta" not in tables or "schema_version" not in tables:
                raise NotAGalleryError(
                    f"{self.location} is a database but not a signver-keras gallery (it has tables "
                    f"{sorted(tables)[:6]}). Pass a new file name to create a gallery."
                )
            marker = self.q(cur, "SELECT value FROM gallery_meta WHERE key = 'format'").fetchone()
            if marker is None or marker[0] != schema.FORMAT_MARKER:
                raise NotAGalleryError(
                    f"{self.location} is not a signver-keras gallery: expected format marker "
                    f"'{schema.FORMAT_MARKER}', got {marker[0] if marker else None!r}."
                )
            row = self.q(cur, "SELECT version FROM schema_version").fetchone()
            version = int(row[0]) if row else -1
            if version > schema.SCHEMA_VERSION or version not in (
                *schema.MIGRATIONS,
                schema.SCHEMA_VERSION,
            ):
                raise GallerySchemaError(
                    f"{self.location} has gallery schema version {version}; this signver-keras "
                    f"reads versions 0 to {schema.SCHEMA_VERSION}. Upgrade signver-keras to open "
                    "it (or export it with the version that wrote it)."
                )
            if version < schema.SCHEMA_VERSION:
                for statement in schema.migration_statements(version, self.dialect):
                    self.q(cur, statement)
                self.q(cur, "UPDATE schema_version SET version = ?", [schema.SCHEMA_VERSION])

    # --- gallery operations (inside read()/write()) -----------------------------
    def meta(self, cur) -> dict[str, str]:
        return dict(self.q(cur, "SELECT key, value FROM gallery_meta").fetchall())

    def set_meta(self, cur, key: str, value: str) -> None:
        self.q(cur, "DELETE FROM gallery_meta WHERE key = ?", [key])
        self.q(cur, "INSERT INTO gallery_meta (key, value) VALUES (?, ?)", [key, value])

    def generation(self, cur) -> int:
        row = self.q(cur, "SELECT value FROM gallery_meta WHERE key = 'generation'").fetchone()
        return int(row[0]) if row else 0

    def bump_generation(self, cur, person_ids: Iterable[str]) -> int:
        generation = self.generation(cur) + 1
        self.set_meta(cur, "generation", str(generation))
        for person_id in set(person_ids):
            self.q(
                cur,
                "INSERT INTO gallery_changes (generation, person_id) VALUES (?, ?)",
                [generation, person_id],
            )
        return generation

    def changes_since(self, cur, generation: int) -> set[str]:
        rows = self.q(
            cur, "SELECT DISTINCT person_id FROM gallery_changes WHERE generation > ?", [generation]
        ).fetchall()
        return {row[0] for row in rows}

    def person_pk(self, cur, person_id: str) -> int | None:
        row = self.q(cur, "SELECT id FROM persons WHERE person_id = ?", [person_id]).fetchone()
        return int(row[0]) if row else None

    def upsert_person(
        self, cur, person_id: str, metadata: dict | None, created_at: float | None = None
    ) -> int:
        """The person's row id, creating the person (at `created_at`, default now) if new.

        `metadata`, when given, replaces an existing person's metadata.
        """
        pk = self.person_pk(cur, person_id)
        if pk is None:
            self.q(
                cur,
                "INSERT INTO persons (person_id, metadata, created_at) VALUES (?, ?, ?)",
                [
                    person_id,
                    json.dumps(metadata or {}),
                    time.time() if created_at is None else created_at,
                ],
            )
            return self.person_pk(cur, person_id)
        if metadata is not None:
            self.q(cur, "UPDATE persons SET metadata = ? WHERE id = ?", [json.dumps(metadata), pk])
        return pk

    def hashes(self, cur, pk: int) -> set[str]:
        rows = self.q(
            cur, "SELECT image_sha256 FROM reference_signatures WHERE person_pk = ?", [pk]
        ).fetchall()
        return {row[0] for row in rows}

    def insert_reference(self, cur, pk: int, row: dict[str, Any]) -> None:
        self.q(
            cur,
            "INSERT INTO reference_signatures (person_pk, image_sha256, crop_png, embedding, "
            "extractor_id, extractor_preset, source_document, box, enrolled_at) "
            f"VALUES (?, ?, ?, {self.embedding_sql}, ?, ?, ?, ?, ?)",
            [
                pk,
                row["image_sha256"],
                row["crop_png"],
                self.encode_embedding(row["embedding"]),
                row["extractor_id"],
                row["extractor_preset"],
                row["source_document"],
                None if row["box"] is None else json.dumps([float(v) for v in row["box"]]),
                row["enrolled_at"],
            ],
        )

    def after_person_changed(self, cur, pk: int) -> None:
        """Hook for backends that keep per-person aggregates (pgvector centroids)."""

    def delete_person(self, cur, pk: int) -> None:
        self.q(cur, "DELETE FROM reference_signatures WHERE person_pk = ?", [pk])
        self.q(cur, "DELETE FROM persons WHERE id = ?", [pk])

    def persons(self, cur) -> list[Person]:
        """Every person with their number of references, sorted by id."""
        rows = self.q(
            cur,
            "SELECT p.person_id, p.metadata, p.created_at, COUNT(r.id) FROM persons p "
            "LEFT JOIN reference_signatures r ON r.person_pk = p.id "
            "GROUP BY p.id, p.person_id, p.metadata, p.created_at ORDER BY p.person_id",
        ).fetchall()
        return [
            Person(person_id, json.loads(metadata), int(count), float(created_at))
            for person_id, metadata, created_at, count in rows
        ]

    _REFERENCE_COLUMNS = (
        "r.id, p.person_id, r.image_sha256, r.extractor_id, r.extractor_preset, "
        "r.source_document, r.box, r.enrolled_at, r.crop_png"
    )

    def references(self, cur, person_ids: list[str] | None = None) -> list[Reference]:
        """References (of `person_ids`, default all), by person then id."""
        sql = (
            f"SELECT {self._REFERENCE_COLUMNS}, r.{self.embedding_select} "
            "FROM reference_signatures r JOIN persons p ON p.id = r.person_pk"
        )
        params: list[Any] = []
        if person_ids is not None:
            if not person_ids:
                return []
            sql += f" WHERE p.person_id IN ({', '.join('?' * len(person_ids))})"
            params = list(person_ids)
        rows = self.q(cur, sql + " ORDER BY p.person_id, r.id", params).fetchall()
        return [self._reference(row) for row in rows]

    def _reference(self, row: tuple) -> Reference:
        ref_id, person, digest, extractor_id, preset, document, box, at, crop, raw = row
        return Reference(
            id=int(ref_id),
            person_id=person,
            image_sha256=digest,
            extractor_id=extractor_id,
            extractor_preset=preset,
            source_document=document,
            box=None if box is None else json.loads(box),
            enrolled_at=float(at),
            crop_png=None if crop is None else bytes(crop),
            embedding=self.decode_embeddings([raw])[0],
        )

    def embeddings(self, cur, person_ids: list[str] | None = None) -> tuple[list[str], np.ndarray]:
        """(person id per row, (N, D) float32 embeddings), rows grouped by person."""
        sql = (
            f"SELECT p.person_id, r.{self.embedding_select} FROM reference_signatures r "
            "JOIN persons p ON p.id = r.person_pk"
        )
        params: list[Any] = []
        if person_ids is not None:
            if not person_ids:
                return [], np.zeros((0, 0), np.float32)
            sql += f" WHERE p.person_id IN ({', '.join('?' * len(person_ids))})"
            params = list(person_ids)
        rows = self.q(cur, sql + " ORDER BY p.person_id, r.id", params).fetchall()
        return [row[0] for row in rows], self.decode_embeddings([row[1] for row in rows])

    def other_embeddings(self, cur, person_id: str, limit: int) -> np.ndarray:
        """Up to `limit` embeddings of other persons' references, earliest enrolled first."""
        sql = (
            f"SELECT r.{self.embedding_select} FROM reference_signatures r "
            "JOIN persons p ON p.id = r.person_pk WHERE p.person_id <> ? ORDER BY r.id LIMIT ?"
        )
        rows = self.q(cur, sql, [person_id, limit]).fetchall()
        return self.decode_embeddings([row[0] for row in rows])

    def crops(self, cur) -> list[StoredCrop]:
        """Every reference's row id and crop, by id."""
        rows = self.q(cur, "SELECT id, crop_png FROM reference_signatures ORDER BY id").fetchall()
        return [
            StoredCrop(int(ref_id), None if crop is None else bytes(crop)) for ref_id, crop in rows
        ]

    def update_embedding(
        self, cur, ref_id: int, vector: np.ndarray, extractor_id: str, preset: str | None
    ) -> None:
        self.q(
            cur,
            f"UPDATE reference_signatures SET embedding = {self.embedding_sql}, extractor_id = ?, "
            "extractor_preset = ? WHERE id = ?",
            [self.encode_embedding(vector), extractor_id, preset, ref_id],
        )

    def search_persons(self, cur, query: np.ndarray, k: int) -> list[tuple[str, float]] | None:
        """Server-side 1:N search, or None where the backend has none (pgvector has one)."""
        return None


class SQLiteStore(GalleryStore):
    """The default backend: one SQLite file in WAL mode (readers never block the writer).

    Writes use `BEGIN IMMEDIATE` and `synchronous=FULL`: a process killed at
    any point leaves the file as before or after the transaction.
    """

    dialect = "sqlite"

    def __init__(self, path: str | os.PathLike, create: bool = True):
        self.path = Path(path)
        self.location = f"'{self.path}'"
        self.create = create
        self.index_path = self.path.with_name(self.path.name + ".index.npz")
        if not create:
            check_gallery_file(self.path)
        if self.path.is_dir():
            raise NotAGalleryError(f"Gallery path {self.location} is a folder, not a file.")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._connection = sqlite3.connect(
            self.path, timeout=60.0, isolation_level=None, check_same_thread=False
        )
        try:
            self._connection.execute("PRAGMA journal_mode=WAL")
            self._connection.execute("PRAGMA synchronous=FULL")
            self._connection.execute("PRAGMA foreign_keys=ON")
            self._initialize()
        except sqlite3.DatabaseError as error:
            self._connection.close()
            raise NotAGalleryError(
                f"{self.location} is not a signver-keras gallery: SQLite cannot read it ({error})."
            ) from error
        except Exception:
            self._connection.close()
            raise

    def _tables(self, cur) -> set[str]:
        rows = self.q(cur, "SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
        return {row[0] for row in rows} - {"sqlite_sequence"}

    @contextlib.contextmanager
    def read(self) -> Iterator[sqlite3.Cursor]:
        cur = self._connection.cursor()
        cur.execute("BEGIN")  # deferred: one WAL snapshot for every SELECT inside
        try:
            yield cur
        finally:
            cur.execute("COMMIT")

    @contextlib.contextmanager
    def write(self) -> Iterator[sqlite3.Cursor]:
        cur = self._connection.cursor()
        cur.execute("BEGIN IMMEDIATE")
        try:
            yield cur
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        cur.execute("COMMIT")

    def close(self) -> None:
        self._connection.close()

    def use_single_file(self) -> None:
        """Leaves WAL mode, so the database is one self-contained file (for exports)."""
        self._connection.execute("PRAGMA journal_mode=DELETE")
