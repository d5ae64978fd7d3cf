"""`signver-keras gallery ...` and `signver-keras identify` end to end (tiny pipeline preset)."""

import json

import pytest
from PIL import Image

import signver_keras as sv
from signver_keras.cli.main import main


@pytest.fixture(scope="module")
def files(tmp_path_factory, tiny_extractor, signatures):
    root = tmp_path_factory.mktemp("gallery_cli")
    sv.SignatureVerifier(extractor=tiny_extractor).save_to_preset(root / "pipeline")
    paths = []
    for i, image in enumerate(signatures[:6]):
        Image.fromarray(image).save(root / f"s{i}.png")
        paths.append(str(root / f"s{i}.png"))
    return root, paths


def _json(capsys, argv):
    assert main(["--json", *argv]) == 0
    return json.loads(capsys.readouterr().out)


def test_gallery_commands(files, capsys, tmp_path):
    root, paths = files
    db, preset = str(tmp_path / "g.db"), ["--preset", str(root / "pipeline")]
    out = _json(
        capsys, ["gallery", "enroll", db, "alice", *paths[:3], "--metadata", '{"a": 1}', *preset]
    )
    assert out == {"person_id": "alice", "added": 3, "reference_count": 3}
    _json(capsys, ["gallery", "enroll", db, "bob", *paths[3:5], *preset])
    listed = _json(capsys, ["gallery", "list", db])
    assert [(r["person_id"], r["reference_count"]) for r in listed] == [("alice", 3), ("bob", 2)]
    refs = _json(capsys, ["gallery", "list", db, "alice"])
    assert refs[0]["source"] == paths[0]
    verdict = _json(capsys, ["gallery", "verify", db, "alice", paths[0], *preset])
    assert verdict["rule"] == "global" and verdict["reference_count"] == 3
    # The tiny pipeline's extractor carries no writer classifier: a clear error, exit 2.
    assert main(["gallery", "verify", db, "alice", paths[0], "--writer-classifier", *preset]) == 2
    assert "carries a writer classifier" in capsys.readouterr().err
    ranked = _json(capsys, ["gallery", "identify", db, paths[4], "-k", "2", *preset])
    assert len(ranked) == 2 and ranked[0]["rank"] == 1
    assert _json(capsys, ["identify", paths[4], "--gallery", db, "-k", "2", *preset]) == ranked
    backup = str(tmp_path / "backup.gallery")
    assert _json(capsys, ["gallery", "export", db, backup])["persons"] == 2
    other = str(tmp_path / "other.db")
    assert _json(capsys, ["gallery", "import", other, backup])["references"] == 5
    assert _json(capsys, ["gallery", "remove", db, "bob"]) == {
        "person_id": "bob",
        "removed_references": 2,
    }
    assert main(["gallery", "list", db]) == 0
    assert "alice" in capsys.readouterr().out


def test_gallery_errors_are_one_line(files, capsys, tmp_path):
    root, paths = files
    db = str(tmp_path / "g.db")
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"garbage")
    preset = ["--preset", str(root / "pipeline")]
    assert main(["gallery", "enroll", db, "x", paths[0], str(broken), *preset]) == 2
    err = capsys.readouterr().err
    assert "broken.png" in err and len(err.strip().splitlines()) == 1
    assert main(["gallery", "remove", db, "nobody"]) == 2
    assert "No person 'nobody'" in capsys.readouterr().err
    notes = tmp_path / "notes.txt"
    notes.write_text("plain text " * 50)
    assert main(["identify", paths[0], "--gallery", str(notes), *preset]) == 2
    assert "not a signver-keras gallery" in capsys.readouterr().err


def test_read_commands_never_create_a_gallery(files, capsys, tmp_path):
    root, paths = files
    missing = tmp_path / "no" / "such" / "dir" / "x.db"
    preset = ["--preset", str(root / "pipeline")]
    for argv in (
        ["gallery", "list", str(missing)],
        ["gallery", "remove", str(missing), "alice"],
        ["gallery", "export", str(missing), str(tmp_path / "out.gallery")],
        ["gallery", "verify", str(missing), "alice", paths[0], *preset],
        ["gallery", "identify", str(missing), paths[0], *preset],
        ["identify", paths[0], "--gallery", str(missing), *preset],
    ):
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert "No gallery at" in err and str(missing) in err and len(err.splitlines()) == 1
    assert not (tmp_path / "no").exists()

    empty = tmp_path / "empty.db"
    empty.touch()
    assert main(["gallery", "list", str(empty)]) == 2
    assert "empty file (0 bytes)" in capsys.readouterr().err
    assert main(["gallery", "import", str(tmp_path / "new.db"), str(empty)]) == 2
    assert "empty file" in capsys.readouterr().err
    assert empty.stat().st_size == 0 and not (tmp_path / "new.db").exists()


def test_enrolling_a_blank_crop_names_the_file_and_enrolls_nothing(files, capsys, tmp_path):
    root, paths = files
    blank = tmp_path / "blank.png"
    Image.new("L", (120, 60), 255).save(blank)
    db = tmp_path / "g.db"
    argv = ["gallery", "enroll", str(db), "x", paths[0], str(blank)]
    assert main([*argv, "--preset", str(root / "pipeline")]) == 2
    err = capsys.readouterr().err
    assert "blank.png" in err and "no ink" in err and "Nothing was enrolled" in err
    assert main(["gallery", "list", str(db)]) == 0
    assert "The gallery is empty." in capsys.readouterr().out
