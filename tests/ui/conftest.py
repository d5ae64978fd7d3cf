"""Fixtures of the UI tests: the app as a real `signver-keras ui` subprocess on a free loopback
port, and a headless Debian Chromium driven by Playwright's Python API."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

pytest.importorskip("gradio", reason="the UI needs the ui extra: pip install 'signver-keras[ui]'")

from tests.ui.tiny_pipeline import build_tiny_pipeline  # noqa: E402

CHROMIUM = os.environ.get("SIGNVER_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(preset: Path, gallery: Path, tmp: Path, timeout: float = 240.0):
    """Starts `signver-keras ui` and waits until it answers; returns (process, url)."""
    port = free_port()
    env = {**os.environ, "TMPDIR": str(tmp), "GRADIO_ANALYTICS_ENABLED": "False"}
    log = open(tmp / "server.log", "w")  # noqa: SIM115 - closed by stop_app
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "signver_keras.cli.main",
            "ui",
            "--preset",
            str(preset),
            "--gallery",
            str(gallery),
            "--port",
            str(port),
            "--max-upload-mb",
            "5",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the app exited: {(tmp / 'server.log').read_text()[-3000:]}")
        try:
            urllib.request.urlopen(url, timeout=2)
            return process, url, log
        except OSError:
            time.sleep(0.5)
    process.kill()
    raise RuntimeError("the app did not answer in time")


def stop_app(process, log) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    log.close()


@pytest.fixture(scope="session")
def ui_server(tmp_path_factory):
    """`(url, tmp, gallery)` of a running app over a tiny random pipeline."""
    root = tmp_path_factory.mktemp("ui")
    preset = build_tiny_pipeline(root / "pipeline")
    tmp = root / "tmp"
    tmp.mkdir()
    gallery = root / "people.db"
    process, url, log = start_app(preset, gallery, tmp)
    yield url, tmp, gallery, process
    stop_app(process, log)
    # Uploads and rendered pages lived in a temporary folder removed at exit.
    assert not list(tmp.glob("signver-ui-*")), "the app left its temporary folder behind"


@pytest.fixture(scope="session")
def browser():
    """A headless Chromium context (Debian's chromium, a fresh empty profile)."""
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install -y chromium)")
    profile = tempfile.mkdtemp(prefix="signver-chromium-")
    with playwright_api.sync_playwright() as p:
        try:
            # Playwright passes the profile as --user-data-dir itself.
            context = p.chromium.launch_persistent_context(
                profile,
                executable_path=CHROMIUM,
                args=CHROMIUM_ARGS,
                headless=True,
                viewport={"width": 1400, "height": 1000},
            )
        except Exception as error:  # noqa: BLE001 - any start failure means: cannot test here
            pytest.skip(f"Chromium cannot start here: {error}")
        yield context
        context.close()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def page(browser, ui_server):
    page = browser.new_page()
    page.set_default_timeout(90_000)
    page.goto(ui_server[0])
    yield page
    page.close()
