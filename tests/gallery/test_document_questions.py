"""signer_report and find_documents with a duck-typed detector (boxes recorded per page)."""

import pytest
from PIL import Image

import signver_keras as sv
from signver_keras.errors import GalleryError, PersonNotFoundError
from tests.gallery.fakes import FakeDetector, compose_page


@pytest.fixture
def setup(tmp_path, pixel_extractor, signatures):
    detector = FakeDetector()
    verifier = sv.SignatureVerifier(extractor=pixel_extractor, detector=detector)
    gallery = sv.SignatureGallery(tmp_path / "g.db", verifier=verifier)
    # each person's references are copies of one signature with small shifts of ink
    for name, base in (("alice", 0), ("bob", 1), ("carol", 2)):
        gallery.enroll(name, [signatures[base], signatures[base][:, 1:], signatures[base][1:]])
    yield gallery, detector, signatures
    gallery.close()


def test_signer_report_says_who_signed_where(setup):
    gallery, detector, signatures = setup
    page, boxes = compose_page([signatures[0], signatures[30], signatures[1]])
    detector.register(page, boxes)
    report = gallery.signer_report(page, expected=["alice", "carol"])
    assert [s.person_id for s in report.signatures] == ["alice", None, "bob"]
    assert [s.box for s in report.signatures] == [[float(v) for v in b] for b in boxes]
    assert report.signed == {"alice": [0], "bob": [2]}
    assert report.missing == ["carol"] and report.unknown == [1]
    assert report.signatures[0].accepted and not report.signatures[1].accepted
    assert report.to_dict()["missing"] == ["carol"]
    with pytest.raises(PersonNotFoundError, match="dave"):
        gallery.signer_report(page, expected=["dave"])


def test_find_documents_lists_pages_with_that_signature(setup, tmp_path):
    gallery, detector, signatures = setup
    folder = tmp_path / "pages"
    (folder / "sub").mkdir(parents=True)
    pages = {
        "a.png": [signatures[0], signatures[31]],
        "b.png": [signatures[32]],
        "sub/c.png": [signatures[1], signatures[0]],
    }
    for i, (name, crops) in enumerate(pages.items()):
        page, boxes = compose_page(crops, seed=i)
        detector.register(page, boxes)
        Image.fromarray(page).save(folder / name)
    (folder / "notes.png").write_bytes(b"not an image")
    with pytest.warns(UserWarning, match="notes.png"):
        hits = gallery.find_documents("alice", folder)
    assert [h.document.removeprefix(str(folder) + "/") for h in hits] == ["a.png", "sub/c.png"]
    assert all(h.score >= h.threshold for h in hits)


def test_document_questions_need_a_detector(tmp_path, pixel_extractor):
    with sv.SignatureGallery(tmp_path / "g.db", extractor=pixel_extractor) as gallery:
        with pytest.raises(GalleryError, match="need a detector"):
            gallery.signer_report("page.png")
