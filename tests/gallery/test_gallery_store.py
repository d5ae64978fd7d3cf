"""Opening galleries read-only: a missing, empty or foreign file is refused, never created."""

import sqlite3

import pytest

import signver_keras as sv
from signver_keras.errors import GalleryNotFoundError, NotAGalleryError
from signver_keras.gallery.gallery_store import check_gallery_file


def test_read_only_open_refuses_what_is_not_a_gallery(tmp_path):
    missing = tmp_path / "typo" / "people.db"
    with pytest.raises(GalleryNotFoundError, match="does not exist"):
        sv.SignatureGallery(missing, create=False)
    assert not missing.parent.exists()

    empty = tmp_path / "empty.db"
    empty.touch()
    with pytest.raises(NotAGalleryError, match="empty file"):
        sv.SignatureGallery(empty, create=False)
    assert empty.stat().st_size == 0

    no_tables = tmp_path / "no_tables.db"
    sqlite3.connect(no_tables).execute("PRAGMA user_version = 1").connection.close()
    with pytest.raises(GalleryNotFoundError, match="no tables"):
        sv.SignatureGallery(no_tables, create=False)

    text = tmp_path / "notes.txt"
    text.write_text("not a database")
    with pytest.raises(NotAGalleryError, match="not a SQLite database"):
        check_gallery_file(text)


def test_default_open_creates_and_read_only_open_then_reads_it(tmp_path):
    path = tmp_path / "people.db"
    with sv.SignatureGallery(path) as gallery:
        assert gallery.persons() == []
    with sv.SignatureGallery(path, create=False) as gallery:
        assert gallery.persons() == []
