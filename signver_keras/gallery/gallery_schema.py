"""The gallery's tables, its schema version and the migrations between versions.

A gallery database holds `schema_version` (one row), `gallery_meta` (key/value:
format marker, generation counter, extractor fingerprint, preset, calibration),
`persons`, `reference_signatures` (one row per enrolled image with its
provenance, stored crop and embedding) and `gallery_changes` (which persons each
generation touched, so an approximate index can be updated instead of rebuilt).

Version history:
    0: the pre-release layout: no `extractor_preset` and `box` columns, no
       `gallery_changes` table.
    1: current.
"""

from __future__ import annotations

SCHEMA_VERSION = 1
FORMAT_MARKER = "signver-keras-gallery"

# `{blob}`, `{real}`, `{serial}`, `{embedding}` are filled in per dialect.
_TABLES = [
    "CREATE TABLE schema_version (version INTEGER NOT NULL)",
    "CREATE TABLE gallery_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE persons (
        id {serial},
        person_id TEXT NOT NULL UNIQUE,
        metadata TEXT NOT NULL,
        created_at {real} NOT NULL{centroid})""",
    """CREATE TABLE reference_signatures (
        id {serial},
        person_pk BIGINT NOT NULL REFERENCES persons(id) ON DELETE CASCADE,
        image_sha256 TEXT NOT NULL,
        crop_png {blob},
        embedding {embedding} NOT NULL,
        extractor_id TEXT,
        extractor_preset TEXT,
        source_document TEXT,
        box TEXT,
        enrolled_at {real} NOT NULL,
        UNIQUE (person_pk, image_sha256))""",
    "CREATE INDEX reference_signatures_person ON reference_signatures(person_pk)",
    "CREATE TABLE gallery_changes (generation BIGINT NOT NULL, person_id TEXT NOT NULL)",
    "CREATE INDEX gallery_changes_generation ON gallery_changes(generation)",
]

DIALECTS = {
    "sqlite": {
        "serial": "INTEGER PRIMARY KEY AUTOINCREMENT",
        "blob": "BLOB",
        "real": "REAL",
        "embedding": "BLOB",
        "centroid": "",
    },
    "postgres": {
        "serial": "BIGSERIAL PRIMARY KEY",
        "blob": "BYTEA",
        "real": "DOUBLE PRECISION",
        "embedding": "REAL[]",
        "centroid": "",
    },
    "pgvector": {
        "serial": "BIGSERIAL PRIMARY KEY",
        "blob": "BYTEA",
        "real": "DOUBLE PRECISION",
        "embedding": "vector",
        # The mean reference embedding: the Matcher's score is an inner product with it.
        "centroid": ",\n        centroid vector",
    },
}


def create_statements(dialect: str) -> list[str]:
    """The statements that create an empty gallery of the current version."""
    types = DIALECTS[dialect]
    return [statement.format(**types) for statement in _TABLES]


def _migrate_0_to_1(dialect: str) -> list[str]:
    return [
        "ALTER TABLE reference_signatures ADD COLUMN extractor_preset TEXT",
        "ALTER TABLE reference_signatures ADD COLUMN box TEXT",
        _TABLES[5],
        _TABLES[6],
        "INSERT INTO gallery_meta (key, value) SELECT 'generation', '0' WHERE NOT EXISTS "
        "(SELECT 1 FROM gallery_meta WHERE key = 'generation')",
    ]


#: version -> statements that bring a gallery from that version to the next one.
MIGRATIONS = {0: _migrate_0_to_1}


def migration_statements(version: int, dialect: str) -> list[str]:
    """All statements from `version` up to `SCHEMA_VERSION` (the caller runs them in one
    transaction and then stores the new version)."""
    statements: list[str] = []
    for step in range(version, SCHEMA_VERSION):
        statements += MIGRATIONS[step](dialect)
    return statements
