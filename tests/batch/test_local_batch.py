"""`signver-keras batch`: rows per detection, bad pages, resume, workers, CLI."""

from __future__ import annotations

import json

import numpy as np
import pyarrow.parquet as pq
import pytest

from signver_keras.batch import collect_pages, page_rows, result_schema, run_batch
from signver_keras.batch.output import done_pages, parts_dir, write_part
from signver_keras.cli.main import main


def test_rows_per_detection_and_an_error_row_for_a_bad_page(tiny_pipeline, sample_pages, tmp_path):
    out = tmp_path / "results.parquet"
    summary = run_batch([sample_pages], out, preset=tiny_pipeline, workers=1, chunk_size=3)
    assert (summary.pages, summary.processed, summary.errors) == (7, 7, 1)
    table = pq.read_table(out)
    assert table.schema.equals(result_schema())
    assert table.num_rows == summary.rows
    rows = table.to_pylist()
    broken = [row for row in rows if row["page"].endswith("zz_broken.png")]
    assert len(broken) == 1 and broken[0]["error"] and broken[0]["box"] is None
    good = [row for row in rows if row["error"] is None]
    assert {row["page"] for row in good} == set(collect_pages([sample_pages])[:-1])
    for row in good:
        if row["detection"] is None:
            continue
        x0, y0, x1, y1 = row["box"]
        assert 0 <= x0 <= x1 <= row["page_width"] and 0 <= y0 <= y1 <= row["page_height"]
        assert len(row["embedding"]) == 16
        np.testing.assert_allclose(np.linalg.norm(row["embedding"]), 1.0, atol=1e-5)
    assert not parts_dir(out).exists()


def test_resume_skips_pages_already_done(tiny_pipeline, sample_pages, tmp_path):
    import signver_keras as sv

    out = tmp_path / "results.parquet"
    pages = collect_pages([sample_pages])
    verifier = sv.SignatureVerifier.from_preset(tiny_pipeline)
    # An interrupted run left a part file for the first two pages.
    write_part([row for page in pages[:2] for row in page_rows(verifier, page)], out, "old")
    assert done_pages(out) == set(pages[:2])
    summary = run_batch([sample_pages], out, preset=tiny_pipeline, workers=2, chunk_size=2)
    assert (summary.skipped, summary.processed) == (2, 5)
    again = run_batch([sample_pages], out, preset=tiny_pipeline, workers=2)
    assert (again.skipped, again.processed, again.rows) == (7, 0, summary.rows)
    table = pq.read_table(out)
    assert sorted(set(table["page"].to_pylist())) == pages
    # One worker or two, fresh or resumed: the same rows.
    fresh = tmp_path / "fresh.parquet"
    run_batch([sample_pages], fresh, preset=tiny_pipeline, workers=1, chunk_size=10)
    assert pq.read_table(fresh).equals(table)


def test_inputs_folders_globs_manifests(sample_pages, tmp_path):
    pages = collect_pages([sample_pages])
    assert len(pages) == 7
    assert collect_pages([str(sample_pages / "page0*.png")]) == pages[:6]
    (tmp_path / "list.txt").write_text(f"# pages\n{pages[0]}\n{pages[1]}\n")
    (tmp_path / "m.csv").write_text(f"path,writer\n{pages[2]},a\n")
    assert collect_pages([tmp_path / "list.txt", tmp_path / "m.csv"]) == pages[:3]
    with pytest.raises(FileNotFoundError, match="missing"):
        collect_pages([tmp_path / "missing"])


def test_cli(tiny_pipeline, sample_pages, tmp_path, capsys):
    out = tmp_path / "cli.parquet"
    argv = ["--json", "batch", str(sample_pages), "--out", str(out), "--preset", tiny_pipeline]
    assert main(argv) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["processed"] == 7 and payload["errors"] == 1
    assert main(["batch", str(tmp_path / "nope"), "--out", str(out)]) == 2
    assert "error: No such file" in capsys.readouterr().err
