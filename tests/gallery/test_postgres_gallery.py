"""The PostgreSQL backend against real servers on loopback: plain arrays (Debian's server) and
pgvector (the `pgserver` wheel's server, which bundles the extension)."""

import numpy as np
import psycopg
import pytest

import signver_keras as sv
from signver_keras.errors import (
    DuplicateReferenceError,
    GalleryError,
    NotAGalleryError,
    PersonNotFoundError,
)


def test_enroll_verify_identify_remove(postgres_url, pixel_extractor, signatures):
    with sv.SignatureGallery(
        postgres_url,
        extractor=pixel_extractor,
        use_pgvector=False,
        writer_threshold_min_references=5,
    ) as g:
        assert g.store.dialect == "postgres"
        g.enroll("alice", signatures[:5], metadata={"dept": "sales"}, source="a.pdf")
        g.enroll("bob", signatures[5:8])
        with pytest.raises(DuplicateReferenceError):
            g.enroll("bob", signatures[5:6])
        assert [(p.person_id, p.reference_count) for p in g.persons()] == [("alice", 5), ("bob", 3)]
        ref = g.references("alice")[0]
        assert ref.source_document == "a.pdf" and ref.extractor_id == pixel_extractor.fingerprint()
        np.testing.assert_array_equal(ref.crop(), signatures[0])
        assert g.identify(signatures[6], k=2)[0].person_id == "bob"
        result = g.verify("alice", signatures[1])
        assert result.rule == "writer" and result.reference_count == 5
        table = {"alice": pixel_extractor.embed(signatures[:5])}
        expected = sv.Matcher(0.8).score(pixel_extractor.embed(signatures[1]), table["alice"])
        assert result.score == pytest.approx(expected, abs=1e-5)
        assert g.remove("bob") == 3
        with pytest.raises(PersonNotFoundError):
            g.verify("bob", signatures[6])
        assert [m.person_id for m in g.identify(signatures[6], k=5)] == ["alice"]


def test_export_to_sqlite_and_back(postgres_url, pixel_extractor, signatures, tmp_path):
    with sv.SignatureGallery(postgres_url, extractor=pixel_extractor) as g:
        g.enroll("alice", signatures[:3])
        exported = g.export(tmp_path / "pg.gallery")
    with sv.SignatureGallery(exported, extractor=pixel_extractor) as local:
        assert local.identify(signatures[1], k=1)[0].person_id == "alice"
        local.enroll("carol", signatures[20:22])
        back = local.export(tmp_path / "back.gallery")
    with sv.SignatureGallery(postgres_url, extractor=pixel_extractor) as g:
        assert g.import_(back) == {"persons": 2, "references": 2, "skipped": 3}
        assert g.identify(signatures[21], k=1)[0].person_id == "carol"


def test_a_database_that_is_not_a_gallery(postgres_url):
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        connection.execute("CREATE TABLE invoices (id INTEGER)")
    with pytest.raises(NotAGalleryError, match="invoices"):
        sv.SignatureGallery(postgres_url)


def test_unreachable_server_is_a_clear_error():
    with pytest.raises(GalleryError, match="Cannot connect"):
        sv.SignatureGallery("postgresql://postgres@127.0.0.1:1/nothing?connect_timeout=2")


def test_pgvector_server_is_used(pgvector_url, pixel_extractor, signatures):
    with sv.SignatureGallery(pgvector_url, extractor=pixel_extractor) as g:
        assert g.store.dialect == "pgvector"
        g.enroll("alice", signatures[:3])
        g.enroll("bob", signatures[3:6])
        ranked = g.identify(signatures[4], k=2)
        assert ranked[0].person_id == "bob"
        refs = pixel_extractor.embed(signatures[3:6])
        expected = sv.Matcher(0.8).score(pixel_extractor.embed(signatures[4]), refs)
        assert ranked[0].score == pytest.approx(expected, abs=1e-4)
