"""Atomicity and isolation across real processes: SIGKILL mid-enroll, readers during writes.

The child processes import the gallery through `fakes.light_import_snippet`
(no Keras start-up) and embed with `PixelExtractor`.
"""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

import signver_keras as sv
from tests.conftest import draw_scribble
from tests.gallery.fakes import PixelExtractor, light_import_snippet

REPO = str(Path(__file__).resolve().parents[2])


def _child(code: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", light_import_snippet(REPO) + code, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )


@pytest.fixture(scope="module")
def image_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("images")
    for i in range(80):
        Image.fromarray(draw_scribble(1000 + i)).save(folder / f"{i:03d}.png")
    return sorted(str(p) for p in folder.glob("*.png"))


def _state(path):
    with sv.SignatureGallery(path) as gallery:
        with gallery.store.read() as cur:
            generation = gallery.store.generation(cur)
            integrity = cur.execute("PRAGMA integrity_check").fetchone()[0]
        refs = {
            p.person_id: [r.image_sha256 for r in gallery.references(p.person_id)]
            for p in gallery.persons()
        }
    return generation, integrity, refs


ENROLL_SLOWLY = """
import time
gallery = SignatureGallery(sys.argv[1], extractor=PixelExtractor())
insert = gallery.store.insert_reference
def slow_insert(cur, pk, row):
    insert(cur, pk, row)
    print("row", flush=True)
    time.sleep(0.01)
gallery.store.insert_reference = slow_insert
gallery.enroll("victim", sys.argv[2:])
print("done", flush=True)
"""


def test_sigkill_during_enroll_leaves_before_or_after(tmp_path, image_folder):
    path = tmp_path / "g.db"
    with sv.SignatureGallery(path, extractor=PixelExtractor()) as gallery:
        gallery.enroll("survivor", image_folder[:3])
    before = _state(path)

    child = _child(ENROLL_SLOWLY, str(path), *image_folder[3:63])
    rows = 0
    for line in child.stdout:
        rows += line.strip() == "row"
        if rows == 20:  # well inside the one transaction of 60 inserts
            os.kill(child.pid, signal.SIGKILL)
            break
    assert child.wait(timeout=60) == -signal.SIGKILL, child.stderr.read()
    assert _state(path) == before

    child = _child(ENROLL_SLOWLY, str(path), *image_folder[3:63])
    out, err = child.communicate(timeout=120)
    assert child.returncode == 0 and out.strip().endswith("done"), err
    generation, integrity, refs = _state(path)
    assert (generation, integrity) == (before[0] + 1, "ok")
    assert refs["survivor"] == before[2]["survivor"] and len(refs["victim"]) == 60


WRITER = """
import time
gallery = SignatureGallery(sys.argv[1], extractor=PixelExtractor())
paths = sys.argv[2:]
for i in range(len(paths) // 4):
    gallery.enroll(f"w{i:02d}", paths[4 * i : 4 * i + 4])
    time.sleep(0.05)
print("done", flush=True)
"""

READER = """
import os, time
gallery = SignatureGallery(sys.argv[1], extractor=PixelExtractor())
first = sys.argv[3]
seen, checks, problems, score = 0, 0, [], None
while True:
    finished = os.path.exists(sys.argv[2])
    persons = gallery.persons()
    if any(p.reference_count != 4 for p in persons):
        problems.append(f"partial person: {[(p.person_id, p.reference_count) for p in persons]}")
    if len(persons) < seen:
        problems.append(f"persons went from {seen} to {len(persons)}")
    seen = len(persons)
    if persons:
        top = gallery.identify(first, k=3)
        if top[0].person_id != "w00" or len(top) < min(3, seen):
            problems.append(f"identify gave {top}")
        result = gallery.verify("w00", first)  # w00 never changes: same answer every time
        score = result.score if score is None else score
        if result.reference_count != 4 or abs(result.score - score) > 1e-6:
            problems.append(f"verify gave {result}")
    checks += 1
    if finished:
        break
print("checks", checks, "final", seen, "problems", problems[:3], flush=True)
"""


def test_readers_see_consistent_galleries_while_a_writer_enrolls(tmp_path, image_folder):
    path, done = tmp_path / "g.db", tmp_path / "writer.done"
    sv.SignatureGallery(path).close()  # created before the processes race to create it
    readers = [_child(READER, str(path), str(done), image_folder[0]) for _ in range(3)]
    writer = _child(WRITER, str(path), *image_folder[:80])
    out, err = writer.communicate(timeout=120)
    assert writer.returncode == 0, err
    done.touch()
    for reader in readers:
        out, err = reader.communicate(timeout=120)
        assert reader.returncode == 0, err
        assert "problems []" in out and "final 20" in out, out
        assert int(out.split()[1]) > 1, out
