"""The app in a real browser: upload, verify, enroll/identify, bad uploads."""

from __future__ import annotations

import re

from signver_keras import samples


def _upload(page, elem_id: str, files) -> None:
    page.locator(f"#{elem_id} input[type=file]").set_input_files(
        [str(f) for f in files] if isinstance(files, list) else str(files)
    )


def test_sample_page_shows_overlay_and_tags(page):
    _upload(page, "pages-in", samples.DOCUMENT)
    page.locator("#overlay img").wait_for(state="visible")
    tags = page.locator("#tags")
    tags.get_by_text("signatures:").wait_for()
    assert "Signed: yes" in tags.inner_text()
    assert "signatures: 3" in tags.inner_text()  # the test preset keeps 3 signature boxes


def test_verify_sample_signatures_shows_a_verdict(page):
    page.get_by_role("tab", name="Verify").click()
    _upload(page, "query-in", samples.QUERY_GENUINE)
    _upload(page, "refs-in", list(samples.REFERENCES))
    page.locator("#verify-btn").click()
    page.locator("#verdict").get_by_text("threshold").wait_for()
    text = page.locator("#verdict").inner_text()
    assert "ACCEPTED" in text or "REJECTED" in text
    page.locator("#score-plot img").wait_for(state="visible")


def test_enroll_two_people_and_identify_one(page, ui_server):
    page.get_by_role("tab", name="Gallery").click()
    for person, files in (
        ("alice", list(samples.REFERENCES)),
        ("bob", [samples.QUERY_FORGERY]),
    ):
        page.locator("#enroll-id").get_by_role("textbox").fill(person)
        _upload(page, "enroll-files", files)
        page.locator("#enroll-btn").click()
        page.locator("#gallery-status").get_by_text(f"for '{person}'").wait_for()
    assert "bob" in page.locator("#persons").inner_text()
    _upload(page, "identify-in", samples.QUERY_GENUINE)
    page.locator("#identify-btn").click()
    page.locator("#identify-summary").get_by_text("Best match").wait_for()
    assert ui_server[2].exists()


def test_corrupt_upload_shows_a_message_and_the_server_keeps_running(page, ui_server, tmp_path):
    corrupt = tmp_path / "corrupt.png"
    corrupt.write_bytes(b"\x89PNG\r\n\x1a\n" + b"not really a png" * 20)
    _upload(page, "pages-in", corrupt)
    page.get_by_text(
        re.compile(r"'corrupt\.png' is (corrupt|not a readable image)")
    ).first.wait_for()
    assert "Traceback" not in page.content()
    assert ui_server[3].poll() is None
    page.goto(ui_server[0])  # still serving: a fresh session works
    _upload(page, "pages-in", samples.DOCUMENT)
    page.locator("#tags").get_by_text("signatures:").wait_for()
