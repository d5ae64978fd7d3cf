"""SignatureGallery: enrollment, provenance, verify/identify, bad input, schema, extractors."""

import json
import sqlite3

import numpy as np
import pytest
from PIL import Image

import signver_keras as sv
from signver_keras.errors import (
    DuplicateReferenceError,
    GalleryExtractorMismatchError,
    GallerySchemaError,
    InvalidImageError,
    NotAGalleryError,
    PersonNotFoundError,
)
from signver_keras.gallery import gallery_schema
from tests.gallery.fakes import PixelExtractor


def test_enroll_stores_provenance_and_crops(tmp_path, tiny_extractor, scribbles):
    path = tmp_path / "s0.png"
    Image.fromarray(scribbles[0]).save(path)
    with sv.SignatureGallery(tmp_path / "g.db", extractor=tiny_extractor) as gallery:
        added = gallery.enroll(
            "alice",
            [str(path), scribbles[1]],
            metadata={"dept": "sales"},
            source=[None, {"document": "contract.pdf", "box": [1, 2, 30, 40]}],
        )
        assert added == 2
        (person,) = gallery.persons()
        assert (person.person_id, person.metadata, person.reference_count) == (
            "alice",
            {"dept": "sales"},
            2,
        )
        first, second = gallery.references("alice")
    assert first.extractor_id == tiny_extractor.fingerprint() == second.extractor_id
    assert first.extractor_preset == tiny_extractor.name
    assert first.source_document == str(path) and first.box is None
    assert second.source_document == "contract.pdf" and second.box == [1.0, 2.0, 30.0, 40.0]
    np.testing.assert_array_equal(first.crop(), scribbles[0])
    np.testing.assert_array_equal(second.crop(), scribbles[1])
    np.testing.assert_allclose(second.embedding, tiny_extractor.embed(scribbles[1])[0], atol=1e-5)
    assert first.enrolled_at > 1e9


def test_verify_uses_all_references_and_calibrated_threshold(gallery, signatures):
    gallery.enroll("alice", signatures[:3])
    gallery.enroll("bob", signatures[3:6])
    result = gallery.verify("alice", signatures[0])
    refs = gallery.extractor.embed(signatures[:3])
    expected = sv.Matcher(0.8).score(gallery.extractor.embed(signatures[0]), refs)
    assert result.rule == "global" and result.threshold == 0.8 and result.reference_count == 3
    assert result.score == pytest.approx(expected, abs=1e-6)
    assert not gallery.verify("alice", signatures[10]).accepted


def test_writer_dependent_threshold_after_five_references(tmp_path, pixel_extractor, signatures):
    gallery = sv.SignatureGallery(
        tmp_path / "people.db", extractor=pixel_extractor, writer_threshold_min_references=5
    )
    gallery.enroll("alice", signatures[:5])
    query = signatures[0]
    result = gallery.verify("alice", query)
    refs = np.asarray(gallery.extractor.embed(signatures[:5]))
    sims = refs @ refs.T
    loo = (sims.sum(1) - np.diag(sims)) / 4
    mu, sigma = loo.mean(), max(loo.std(ddof=1), 0.01)
    assert result.rule == "writer"
    assert result.threshold == pytest.approx(np.clip(mu - 2 * sigma, 0.7, 0.9), abs=1e-6)
    assert result.z_score == pytest.approx((result.score - mu) / sigma, abs=1e-5)
    assert result.accepted == (result.score >= result.threshold)
    assert gallery.verify("alice", signatures[1]).rule == "writer"  # the Matcher's policy
    gallery.close()


def person_signatures(base: np.ndarray, count: int) -> list[np.ndarray]:
    """`count` distinct variants of one scribble (shifted and thickened): one "writer"."""
    variants = []
    for shift in range(count):
        variant = np.roll(base, 2 * shift, axis=1)
        if shift % 2:
            variant = np.minimum(variant, np.roll(variant, 1, axis=0))
        variants.append(variant)
    return variants


class CheckingPixelExtractor(PixelExtractor):
    """`PixelExtractor` with the `check_input` argument `SignatureVerifier.embed` passes."""

    def embed(self, images, batch_size: int = 64, check_input: bool = True):
        return super().embed(images, batch_size)


@pytest.mark.parametrize("reference_count", [1, 5, 10])
def test_gallery_and_verifier_decide_alike(tmp_path, signatures, reference_count):
    extractor = CheckingPixelExtractor(background=signatures[20:40])
    extractor.calibration = {
        "threshold": 0.2,
        "reference_count": 5,
        "score_rule": {"name": "distance_ratio", "cohort_size": 3, "cohort_weight": 1.0},
        "thresholds": {str(n): {"threshold": t} for n, t in ((1, 0.5), (5, 0.2), (10, 0.1))},
    }
    alice = person_signatures(signatures[0], reference_count + 1)
    queries = [alice[-1], signatures[1], signatures[2], alice[0]]
    verifier = sv.SignatureVerifier(extractor)
    with sv.SignatureGallery(tmp_path / "people.db", extractor=extractor) as gallery:
        gallery.enroll("alice", alice[:reference_count])
        decisions = []
        for query in queries:
            stored = gallery.verify("alice", query)
            direct = verifier.verify(query, alice[:reference_count])
            assert stored.accepted == direct.accepted
            assert stored.score == pytest.approx(direct.score, abs=1e-5)
            assert stored.threshold == direct.threshold
            assert stored.calibrated_reference_count == direct.calibrated_reference_count
            assert direct.calibrated_reference_count == reference_count
            assert stored.rule == direct.rule == "global"
            decisions.append(direct.accepted)
    assert True in decisions and False in decisions  # the decisions are not all the same


def test_identify_ranks_like_the_matcher(gallery, signatures):
    for i in range(6):
        gallery.enroll(f"p{i}", signatures[3 * i : 3 * i + 3])
    query = gallery.extractor.embed(signatures[4])
    ranked = gallery.identify(query[0], k=3)
    table = {f"p{i}": gallery.extractor.embed(signatures[3 * i : 3 * i + 3]) for i in range(6)}
    expected = sv.Matcher(0.8).identify(query, table, k=3)
    assert [m.person_id for m in ranked] == [p for p, _ in expected]
    np.testing.assert_allclose([m.score for m in ranked], [s for _, s in expected], atol=1e-5)
    assert gallery.identify(signatures[4], k=1)[0].person_id == "p1"  # image query


def test_approximate_index_matches_exact_and_follows_changes(tmp_path):
    rng = np.random.default_rng(0)
    dim, n = 32, 300
    vectors = rng.standard_normal((n, dim)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    path = tmp_path / "big.db"
    gallery = sv.SignatureGallery(path, approximate_from=100)
    _fill(gallery, vectors)
    query = vectors[7] + 0.05 * rng.standard_normal(dim).astype(np.float32)
    approximate = gallery.identify(query, k=5)
    assert gallery.index.approximate and path.with_name("big.db.index.npz").exists()
    means = vectors  # one reference per person
    top = np.argsort(-(means @ query))[:5]
    assert [m.person_id for m in approximate] == [f"p{i:04d}" for i in top]
    # changes are applied incrementally: removed persons vanish, new ones appear
    gallery.remove("p0007")
    assert "p0007" not in [m.person_id for m in gallery.identify(query, k=5)]
    _fill(gallery, vectors[7:8], prefix="new")
    assert gallery.identify(query, k=1)[0].person_id == "new0000"
    # another process (here: another instance) reuses the saved index and catches up
    other = sv.SignatureGallery(path, approximate_from=100)
    assert other.identify(query, k=1)[0].person_id == "new0000"
    gallery.close()
    other.close()


def _fill(gallery, vectors, prefix="p"):
    """Enrolls one reference per vector through the store (no crops: synthetic embeddings)."""
    import time

    with gallery.store.write() as cur:
        gallery.store.set_meta(cur, "embedding_dim", str(vectors.shape[1]))
        names = []
        for i, vector in enumerate(vectors):
            name = f"{prefix}{i:04d}"
            pk = gallery.store.upsert_person(cur, name, None)
            gallery.store.insert_reference(
                cur,
                pk,
                dict(
                    image_sha256=str(i),
                    crop_png=None,
                    embedding=vector,
                    extractor_id=None,
                    extractor_preset=None,
                    source_document=None,
                    box=None,
                    enrolled_at=time.time(),
                ),
            )
            names.append(name)
        gallery.store.bump_generation(cur, names)


def test_unknown_person(gallery, signatures):
    gallery.enroll("alice", signatures[:2])
    for call in (
        lambda: gallery.verify("bob", signatures[0]),
        lambda: gallery.remove("bob"),
        lambda: gallery.references("bob"),
    ):
        with pytest.raises(PersonNotFoundError, match="No person 'bob'.*Enrolled: alice"):
            call()


def test_duplicates_are_refused_whole_batch(gallery, signatures):
    gallery.enroll("alice", signatures[:2])
    with pytest.raises(DuplicateReferenceError, match="image 2 .*already enrolled"):
        gallery.enroll("alice", [signatures[5], signatures[1]])
    with pytest.raises(DuplicateReferenceError, match="images 1 and 2 are the same"):
        gallery.enroll("alice", [signatures[6], signatures[6]])
    assert gallery.persons()[0].reference_count == 2
    gallery.enroll("bob", signatures[:1])  # the same image for another person is allowed


def test_empty_and_corrupt_batches_enroll_nothing(gallery, signatures, tmp_path):
    with pytest.raises(InvalidImageError, match="empty list"):
        gallery.enroll("alice", [])
    good = tmp_path / "good.png"
    Image.fromarray(signatures[0]).save(good)
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    with pytest.raises(
        InvalidImageError, match=r"image 2 of 3: .*broken\.png.*Nothing was enrolled"
    ):
        gallery.enroll("alice", [str(good), str(broken), signatures[1]])
    assert gallery.persons() == [] and "alice" not in gallery
    with gallery.store.read() as cur:
        assert gallery.store.generation(cur) == 0


def test_files_that_are_not_galleries(tmp_path):
    text = tmp_path / "notes.db"
    text.write_text("hello, I am not a database" * 100)
    with pytest.raises(NotAGalleryError, match="not a signver-keras gallery"):
        sv.SignatureGallery(text)
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as connection:
        connection.execute("CREATE TABLE invoices (id INTEGER)")
    with pytest.raises(NotAGalleryError, match="invoices"):
        sv.SignatureGallery(other)


def _fabricate_v0(path, embedding):
    """The pre-release layout (schema version 0) with one person and one reference."""
    with sqlite3.connect(path) as c:
        c.executescript(
            """
            CREATE TABLE schema_version (version INTEGER NOT NULL);
            INSERT INTO schema_version VALUES (0);
            CREATE TABLE gallery_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            INSERT INTO gallery_meta VALUES ('format', 'signver-keras-gallery');
            CREATE TABLE persons (id INTEGER PRIMARY KEY AUTOINCREMENT,
                person_id TEXT NOT NULL UNIQUE, metadata TEXT NOT NULL, created_at REAL NOT NULL);
            CREATE TABLE reference_signatures (id INTEGER PRIMARY KEY AUTOINCREMENT,
                person_pk BIGINT NOT NULL REFERENCES persons(id) ON DELETE CASCADE,
                image_sha256 TEXT NOT NULL, crop_png BLOB, embedding BLOB NOT NULL,
                extractor_id TEXT, source_document TEXT, enrolled_at REAL NOT NULL,
                UNIQUE (person_pk, image_sha256));
            INSERT INTO persons VALUES (1, 'old', '{}', 1.0);
            """
        )
        c.execute(
            "INSERT INTO reference_signatures (person_pk, image_sha256, embedding, "
            "extractor_id, source_document, enrolled_at) VALUES (1, 'h', ?, NULL, 'x.png', 2.0)",
            [np.asarray(embedding, "<f4").tobytes()],
        )


def test_schema_v0_is_migrated(tmp_path):
    path = tmp_path / "v0.db"
    _fabricate_v0(path, np.eye(8, dtype=np.float32)[0])
    with sv.SignatureGallery(path) as gallery:
        (ref,) = gallery.references("old")
        assert ref.box is None and ref.source_document == "x.png"
        assert gallery.identify(np.eye(8, dtype=np.float32)[0], k=1)[0].person_id == "old"
    with sqlite3.connect(path) as c:
        assert c.execute("SELECT version FROM schema_version").fetchone()[0] == 1
        assert "gallery_changes" in {r[0] for r in c.execute("SELECT name FROM sqlite_master")}


def test_newer_schema_is_refused(tmp_path, gallery):
    path = gallery.store.path
    gallery.close()
    with sqlite3.connect(path) as c:
        c.execute("UPDATE schema_version SET version = 99")
    with pytest.raises(GallerySchemaError, match="version 99.*Upgrade"):
        sv.SignatureGallery(path)


def test_other_extractor_is_refused_until_reembed(tmp_path, signatures):
    path = tmp_path / "g.db"
    with sv.SignatureGallery(path, extractor=PixelExtractor()) as gallery:
        gallery.enroll("alice", signatures[:3])
        gallery.enroll("bob", signatures[3:6])
        foreign = PixelExtractor(size=(8, 16)).embed(signatures[0])
        with pytest.raises(GalleryExtractorMismatchError, match="reembed"):
            gallery.identify(foreign[0])
    upgraded = PixelExtractor(size=(8, 16))
    with sv.SignatureGallery(path, extractor=upgraded) as gallery:
        with pytest.raises(GalleryExtractorMismatchError, match="reembed"):
            gallery.identify(signatures[0])
        with pytest.raises(GalleryExtractorMismatchError):
            gallery.enroll("carol", signatures[6:8])
        assert gallery.reembed() == 6
        assert gallery.reembed() == 0
        assert gallery.identify(signatures[4], k=1)[0].person_id == "bob"
        assert {r.extractor_id for r in gallery.references("alice")} == {upgraded.fingerprint()}
        assert (
            gallery.verify("alice", signatures[0]).score
            > gallery.verify("alice", signatures[4]).score
        )


def test_export_import_round_trip(tmp_path, gallery, signatures):
    gallery.enroll("alice", signatures[:3], metadata={"k": 1}, source="doc.pdf")
    gallery.enroll("bob", signatures[3:5])
    exported = gallery.export(tmp_path / "backup.gallery")
    with pytest.raises(FileExistsError):
        gallery.export(exported)
    with sv.SignatureGallery(tmp_path / "copy.db", extractor=gallery.extractor) as copy:
        assert copy.import_(exported) == {"persons": 2, "references": 5, "skipped": 0}
        assert copy.import_(exported) == {"persons": 2, "references": 0, "skipped": 5}
        assert [p.metadata for p in copy.persons()] == [{"k": 1}, {}]
        a, b = gallery.references("alice")[0], copy.references("alice")[0]
        assert (a.image_sha256, a.source_document, a.enrolled_at) == (
            b.image_sha256,
            b.source_document,
            b.enrolled_at,
        )
        assert copy.identify(signatures[3], k=1)[0].person_id == "bob"
    # into a gallery of another extractor: the crops are re-embedded
    other = PixelExtractor(size=(8, 16))
    with sv.SignatureGallery(tmp_path / "other.db", extractor=other) as target:
        target.enroll("carol", signatures[10:12])
        assert target.import_(exported)["references"] == 5
        assert {r.extractor_id for r in target.references("bob")} == {other.fingerprint()}
        assert target.identify(signatures[3], k=1)[0].person_id == "bob"


def test_schema_versions_have_migrations():
    assert set(gallery_schema.MIGRATIONS) == set(range(gallery_schema.SCHEMA_VERSION))
    assert json.dumps(gallery_schema.create_statements("sqlite"))


def test_writer_classifier_judges_persons_with_enough_references(tmp_path, signatures):
    extractor = PixelExtractor(background=signatures[20:40])
    alice = [np.roll(signatures[0], shift, axis=1) for shift in range(0, 12, 2)]
    with sv.SignatureGallery(
        tmp_path / "people.db", extractor=extractor, writer_classifier=True
    ) as gallery:
        gallery.enroll("alice", alice[:5])
        gallery.enroll("bob", signatures[3:8])
        gallery.enroll("cy", signatures[8:11])
        own = gallery.verify("alice", alice[5])
        assert own.rule == "classifier" and own.reference_count == 5 and own.threshold == 0.0
        assert own.accepted and own.score > 0
        other = gallery.verify("alice", signatures[4])  # bob's, enrolled: a training negative
        assert other.rule == "classifier" and not other.accepted
        assert gallery.verify("cy", signatures[8]).rule == "global"  # 3 references: too few


def test_writer_classifier_needs_an_extractor_that_carries_one(tmp_path, pixel_extractor):
    with pytest.raises(ValueError, match="carries a writer classifier"):
        sv.SignatureGallery(tmp_path / "p.db", extractor=pixel_extractor, writer_classifier=True)
