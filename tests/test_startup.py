"""Start-up cost: lazy public names, no backend until a model is used, no TensorFlow under JAX."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import signver_keras as sv

HEAVY = ("keras", "keras_hub", "jax", "tensorflow", "numpy", "PIL", "sklearn")


def _run(code: str, **env: str) -> dict:
    """Runs `code` in a fresh interpreter; it prints one JSON line, returned parsed."""
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=300,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_import_and_help_load_no_backend():
    loaded = _run(
        "import json, sys\n"
        "import signver_keras as sv\n"
        "from signver_keras.cli.main import build_parser\n"
        "build_parser()\n"
        f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))"
    )
    assert loaded == []


def test_every_public_name_resolves_and_is_listed():
    for name in sv.__all__:
        assert getattr(sv, name) is not None, name
    assert set(sv.__all__) <= set(dir(sv))
    assert "SignatureExtractorBackbone" in dir(sv.models)
    assert sv.models.SignatureExtractorBackbone.__name__ == "SignatureExtractorBackbone"


def test_jax_caches_compiled_programs(tmp_path, scribbles):
    np.save(tmp_path / "query.npy", scribbles[0])
    report = _run(
        "import json, sys\n"
        "import numpy as np\n"
        "import signver_keras as sv\n"
        "extractor = sv.SignatureExtractor.from_preset('signver_extractor_base')\n"
        f"extractor.embed(np.load({str(tmp_path / 'query.npy')!r}))\n"
        "print(json.dumps({'embedded': True}))",
        KERAS_BACKEND="jax",
        SIGNVER_KERAS_CACHE=str(tmp_path / "cache"),
    )
    assert report == {"embedded": True}
    assert any((tmp_path / "cache" / "jax").iterdir())


def test_console_script_keeps_tensorflow_out_under_jax():
    samples = os.path.join(os.path.dirname(sv.__file__), "samples")
    refs = [os.path.join(samples, f"reference_{i}.png") for i in (1, 2, 3)]
    argv = ["signver-keras", "verify", os.path.join(samples, "query_genuine.png"), "--refs", *refs]
    report = _run(
        "import atexit, json, sys\n"
        f"sys.argv = {argv!r}\n"
        "atexit.register(lambda: print(json.dumps(\n"
        "    {'tensorflow': sys.modules.get('tensorflow') is not None}\n"
        ")))\n"
        "from signver_keras.cli.main import run\n"
        "run()",
        KERAS_BACKEND="jax",
    )
    assert report == {"tensorflow": False}


@pytest.mark.parametrize("backend", [None, "jax"])
def test_second_verify_runs_without_a_backend(tmp_path, backend):
    samples = os.path.join(os.path.dirname(sv.__file__), "samples")
    refs = [os.path.join(samples, f"reference_{i}.png") for i in (1, 2, 3)]
    argv = ["signver-keras", "verify", os.path.join(samples, "query_genuine.png"), "--refs", *refs]
    code = (
        "import atexit, json, sys\n"
        f"sys.argv = {argv!r} + ['--json']\n"
        "def report():\n"
        "    keras = sys.modules.get('keras')\n"
        "    print(json.dumps({'keras_backend': keras and keras.config.backend(),\n"
        "                      'tensorflow': sys.modules.get('tensorflow') is not None}))\n"
        "atexit.register(report)\n"
        "from signver_keras.cli.main import run\n"
        "run()"
    )
    env = {key: value for key, value in os.environ.items() if key != "KERAS_BACKEND"}
    env.update(
        {
            "SIGNVER_KERAS_CACHE": str(tmp_path / "cache"),
            **({"KERAS_BACKEND": backend} if backend else {}),
        }
    )
    runs = [
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env,
            timeout=300, check=True,
        )
        for _ in range(2)
    ]  # fmt: skip
    first, second = (run.stdout.strip().splitlines() for run in runs)
    # Keras only on the first run, to record the NumPy stages: with its NumPy backend
    # (nothing to compile) unless the user chose one.
    assert json.loads(first[-1]) == {"keras_backend": backend or "numpy", "tensorflow": False}
    assert json.loads(second[-1]) == {"keras_backend": None, "tensorflow": False}
    assert runs[0].stderr == runs[1].stderr == ""
    verdict = [json.loads("\n".join(run[:-1])) for run in (first, second)]
    assert verdict[1]["accepted"] == verdict[0]["accepted"] is True
    assert abs(verdict[1]["score"] - verdict[0]["score"]) < 1e-3
