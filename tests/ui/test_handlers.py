"""The app's handlers without a browser: bad uploads, PDFs, redraws without the model, and
the gallery untouched until Enroll."""

from __future__ import annotations

import os

import pytest
from PIL import Image

import signver_keras as sv
from signver_keras import samples
from tests.ui.tiny_pipeline import build_tiny_pipeline

handlers = pytest.importorskip("signver_keras.ui.handlers")


@pytest.fixture(scope="module")
def ctx(tmp_path_factory):
    root = tmp_path_factory.mktemp("handlers")
    verifier = sv.SignatureVerifier.from_preset(build_tiny_pipeline(root / "pipeline"))
    context = handlers.AppContext(verifier, root / "work", str(root / "people.db"))
    yield context
    context.close()


def test_bad_uploads_raise_named_errors(ctx, tmp_path):
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    text = tmp_path / "notes.txt"
    text.write_text("not an image")
    huge = tmp_path / "huge.png"
    Image.new("1", (20000, 20000), 1).save(huge)  # a few KB on disk, 400 MP decoded
    with pytest.raises(sv.InvalidImageError, match="empty"):
        handlers.detect_documents(ctx, [empty])
    with pytest.raises(sv.InvalidImageError, match="not a readable image"):
        handlers.detect_documents(ctx, [text])
    with pytest.raises(sv.ImageTooLargeError, match="400000000 pixels"):
        handlers.detect_documents(ctx, [huge])
    with pytest.raises(sv.InvalidImageError, match="No file"):
        handlers.detect_documents(ctx, [])


def test_pdf_pages_are_rendered_and_an_empty_pdf_is_refused(ctx, tmp_path):
    pdfium = pytest.importorskip("pypdfium2")
    document = tmp_path / "two.pdf"
    page = Image.open(samples.DOCUMENT).convert("RGB")
    page.save(document, save_all=True, append_images=[page])
    state = handlers.detect_documents(ctx, [document])
    assert [p["name"] for p in state["pages"]] == ["two.pdf (page 1)", "two.pdf (page 2)"]
    empty = tmp_path / "empty.pdf"
    pdfium.PdfDocument.new().save(str(empty))
    with pytest.raises(sv.InvalidImageError, match="has no pages"):  # PDFium: or damaged
        handlers.detect_documents(ctx, [empty])


def test_threshold_redraw_does_not_run_the_model(ctx, monkeypatch):
    state = handlers.detect_documents(ctx, [samples.DOCUMENT])
    monkeypatch.setattr(ctx.verifier.detector, "detect", None)  # any model call would fail
    everything = handlers.render_page(ctx, state, 0, 0.0)
    nothing = handlers.render_page(ctx, state, 0, 1.0)
    assert len(everything["crops"]) == 3 and "signatures:** 3" in everything["tags"]
    assert nothing["crops"] == [] and "Signed:** no" in nothing["tags"]
    assert everything["overlay"].size == Image.open(samples.DOCUMENT).size


def test_gallery_is_written_only_by_enroll(ctx):
    gallery_file = ctx.gallery_path
    state = handlers.detect_documents(ctx, [samples.DOCUMENT])
    handlers.verify(ctx, str(samples.QUERY_GENUINE), None, None, samples.REFERENCES, None)
    assert handlers.persons_table(ctx) == []
    with pytest.raises(sv.errors.GalleryError, match="enroll"):
        handlers.identify(ctx, str(samples.QUERY_GENUINE), None, None, 3)
    assert not os.path.exists(gallery_file)
    # A crop big enough to hold a signature (the test detector also finds slivers).
    crop = next(
        value
        for _, value in handlers.crop_choices(state, 0.0)
        if min(handlers.get_crop(state, value)[0].shape[:2]) >= 8
    )
    message = handlers.enroll(ctx, "alice", list(samples.REFERENCES), [crop], state)
    assert "Enrolled 4 reference(s)" in message
    handlers.enroll(ctx, "bob", [samples.QUERY_FORGERY], None, None)
    report = handlers.who_signed(ctx, state, 0, 0.0, "alice, bob")
    assert "| 1 |" in report and "expected parties signed" in report
    with pytest.raises(sv.errors.PersonNotFoundError, match="carol"):
        handlers.who_signed(ctx, state, 0, 0.0, "carol")
    assert handlers.identify(ctx, None, crop, state, 2)["matches"][0].person_id in ("alice", "bob")
    assert handlers.remove(ctx, "bob") == "Removed 'bob' and 1 reference(s)."


def test_verify_shows_before_and_after_cleaning_and_the_plot(ctx):
    result = handlers.verify(ctx, str(samples.QUERY_FORGERY), None, None, samples.REFERENCES, None)
    assert result["verdict"].startswith(("## ACCEPTED", "## REJECTED"))
    assert len(result["images"]) == 2 * 4  # query + 3 references, before and after
    assert result["plot"].size[0] > 300
