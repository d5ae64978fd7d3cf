"""NumPy stages: the same results as the Keras models, cached per preset, never stale."""

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from signver_keras.runtime import numpy_tasks
from signver_keras.runtime.graph import Graph, UnsupportedGraphError, export_graph
from tests.conftest import draw_scribble
from tests.tiny_models import tiny_cleaner, tiny_detector, tiny_extractor


def _numpy_twin(task, family, tmp_path):
    numpy_tasks.save_numpy_stage(task, family, tmp_path / "stage")
    stage = numpy_tasks.load_numpy_stage(tmp_path / "stage", family)
    assert isinstance(stage, numpy_tasks.NUMPY_STAGES[family])
    return stage


def test_numpy_extractor_embeds_like_keras(tmp_path, scribbles):
    extractor = tiny_extractor()
    extractor.writer_background = np.eye(16, dtype=np.float32)[:4]
    stage = _numpy_twin(extractor, "extractor", tmp_path)
    expected, found = extractor.embed(scribbles), stage.embed(scribbles)
    np.testing.assert_allclose(found, expected, atol=1e-5)
    assert found.extractor_id == expected.extractor_id  # embeddings stay comparable
    assert stage.calibration == extractor.calibration
    np.testing.assert_array_equal(stage.writer_background, extractor.writer_background)


def test_numpy_cleaner_cleans_like_keras(tmp_path, scribbles):
    cleaner = tiny_cleaner()
    stage = _numpy_twin(cleaner, "cleaner", tmp_path)
    for expected, found in zip(cleaner.clean(scribbles), stage.clean(scribbles), strict=True):
        assert found.shape == expected.shape
        assert np.abs(found.astype(int) - expected).max() <= 1


def test_numpy_detector_detects_like_keras(tmp_path):
    detector = tiny_detector(score_threshold=0.0)
    stage = _numpy_twin(detector, "detector", tmp_path)
    page = np.full((90, 70), 255, np.uint8)
    page[40:60, 10:60] = draw_scribble(3, (50, 20))
    [expected], [found] = detector.detect(page), stage.detect(page)
    assert found["names"] == expected["names"] and len(found["names"]) > 0
    np.testing.assert_allclose(found["boxes"], expected["boxes"], atol=1e-3)
    np.testing.assert_allclose(found["scores"], expected["scores"], atol=1e-5)


def test_layers_without_a_numpy_op_are_refused():
    inputs = keras.Input((8, 8, 1))
    model = keras.Model(inputs, keras.layers.Conv2DTranspose(2, 3)(inputs))
    with pytest.raises(UnsupportedGraphError, match="Conv2DTranspose"):
        export_graph(model)


def test_damaged_cache_entries_are_ignored(tmp_path):
    folder = tmp_path / "stage"
    numpy_tasks.save_numpy_stage(tiny_extractor(), "extractor", folder)
    weights = (folder / "weights.npz").read_bytes()
    (folder / "weights.npz").write_bytes(weights[: len(weights) // 2])  # a disk filled up
    assert Graph.load(folder) is None
    (folder / "graph.json").write_text("{not json")
    assert numpy_tasks.load_numpy_stage(folder, "extractor") is None


def test_cache_entry_follows_the_preset_files(tmp_path, monkeypatch):
    monkeypatch.setenv("SIGNVER_KERAS_CACHE", str(tmp_path / "cache"))
    preset = tmp_path / "my_extractor"
    tiny_extractor().save_to_preset(preset)
    before = numpy_tasks.graph_folder(preset, "extractor")
    assert before.parent == tmp_path / "cache" / "graphs"
    (preset / "README.md").write_text("a new model card")  # computes nothing
    assert numpy_tasks.graph_folder(preset, "extractor") == before
    retrained = tiny_extractor()
    retrained.set_weights([w + 0.01 for w in retrained.get_weights()])
    retrained.save_to_preset(preset)  # same path, new weights: never the stale graph
    assert numpy_tasks.graph_folder(preset, "extractor") != before
    monkeypatch.setenv("SIGNVER_KERAS_CACHE", "")
    assert numpy_tasks.graph_folder(preset, "extractor") is None


def test_second_process_loads_the_stage_without_keras(tmp_path, scribbles):
    preset = tmp_path / "my_extractor"
    tiny_extractor().save_to_preset(preset)
    np.save(tmp_path / "query.npy", scribbles[0])
    code = (
        "import json, sys\n"
        "import numpy as np\n"
        "from signver_keras.runtime.numpy_tasks import load_stage\n"
        f"stage = load_stage('extractor', {str(preset)!r})\n"
        f"embedding = stage.embed(np.load({str(tmp_path / 'query.npy')!r}))\n"
        "print(json.dumps({'class': type(stage).__name__, 'keras': 'keras' in sys.modules,\n"
        "                  'embedding': embedding[0].tolist()}))"
    )
    env = {**os.environ, "SIGNVER_KERAS_CACHE": str(tmp_path / "cache")}
    runs = [
        json.loads(
            subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, env=env,
                timeout=300, check=True,
            ).stdout.strip().splitlines()[-1]
        )
        for _ in range(2)
    ]  # fmt: skip
    assert [run["class"] for run in runs] == ["NumpyExtractor"] * 2
    assert runs[0]["keras"] and not runs[1]["keras"]  # Keras only to record the stage
    np.testing.assert_allclose(runs[1]["embedding"], runs[0]["embedding"], atol=1e-6)
    keras_embedding = tiny_extractor().embed(scribbles[0])[0]
    np.testing.assert_allclose(runs[1]["embedding"], keras_embedding, atol=1e-5)


def test_a_model_the_numpy_runner_cannot_run_still_loads(tmp_path, monkeypatch):
    monkeypatch.setenv("SIGNVER_KERAS_CACHE", str(tmp_path / "cache"))
    preset = tmp_path / "my_cleaner"
    tiny_cleaner().save_to_preset(preset)

    def refuse(task):
        raise UnsupportedGraphError("a layer the NumPy runner lacks")

    monkeypatch.setattr(numpy_tasks, "export_graph", refuse)
    for _ in range(2):
        cleaner = numpy_tasks.load_stage("cleaner", preset)
        assert type(cleaner).__name__ == "SignatureCleaner"
    assert not (tmp_path / "cache" / "graphs").exists()
