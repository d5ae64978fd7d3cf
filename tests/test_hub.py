"""Hugging Face Hub transport against a real Hub-compatible server on loopback (olah).

Downloads go over HTTP from `tests/hub_server.py`'s olah instance into a fresh
HF_HOME. olah has no upload API (it is a read-only mirror), so `push_to_hub` is
checked by capturing what would be sent to `create_repo` / `upload_folder`, and
the uploaded folder is then published to olah and loaded back from `hf://`.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

import signver_keras as sv
from signver_keras import hub
from tests.hub_server import free_port

pytestmark = pytest.mark.hub


CALIBRATION = {
    "threshold": 0.5,
    "source": "tests",
    "writer_classifier": {"threshold": 0.1, "c": 1.0, "min_references": 5},
}
BACKGROUND = np.eye(16, dtype=np.float32)[:6]


def make_extractor(seed: int) -> sv.SignatureExtractor:
    """A tiny extractor with a writer classifier (its background is a preset file)."""
    import keras

    keras.utils.set_random_seed(seed)
    extractor = sv.SignatureExtractor(
        backbone=sv.models.SignatureExtractorBackbone(
            image_shape=(32, 64, 1), stem_filters=8, stage_filters=(8, 16), embedding_dim=16
        ),
        preprocessor=sv.models.SignatureExtractorPreprocessor(target_size=(32, 64)),
        calibration=CALIBRATION,
    )
    extractor.writer_background = BACKGROUND
    return extractor


@pytest.fixture(scope="module")
def versions(tmp_path_factory, scribbles):
    """Two extractors with different weights, saved as presets, and their embeddings."""
    root = tmp_path_factory.mktemp("presets")
    out = []
    for seed in (1, 2):
        model = make_extractor(seed)
        folder = root / f"v{seed}"
        model.save_to_preset(folder)
        out.append((folder, np.asarray(model.embed(scribbles))))
    assert not np.array_equal(out[0][1], out[1][1])
    return out


@pytest.fixture(scope="module")
def published(local_hub, versions):
    """`signver-test/extractor`: v1 (tagged `v1`), then v2 on top of main."""
    first = local_hub.publish(versions[0][0], "signver-test/extractor", "v1")
    local_hub.tag("signver-test/extractor", "v1")
    second = local_hub.publish(versions[1][0], "signver-test/extractor", "v2")
    return {"repo": "signver-test/extractor", "v1": first, "v2": second}


@pytest.fixture(scope="module")
def single(local_hub, versions):
    """`signver-test/extractor-single`: one commit, so `main` can only mean v2.

    (Under load olah has been seen resolving `main` of the two-commit repo to its
    first commit; the revision tests pin commits explicitly instead.)
    """
    return local_hub.publish(versions[1][0], "signver-test/extractor-single", "v2")


def test_from_hf_downloads_and_matches_the_original(
    local_hub, hub_env, single, versions, scribbles
):
    home = hub_env.use(local_hub.url)
    loaded = sv.SignatureExtractor.from_preset("hf://signver-test/extractor-single")
    np.testing.assert_array_equal(np.asarray(loaded.embed(scribbles)), versions[1][1])
    assert loaded.calibration == CALIBRATION
    np.testing.assert_array_equal(loaded.writer_background, BACKGROUND)
    assert loaded.writer_classifier() == sv.WriterClassifier(0.1, 1.0, 5)
    snapshots = home / "hub" / "models--signver-test--extractor-single" / "snapshots"
    assert [p.name for p in snapshots.iterdir()] == [single]


@pytest.mark.parametrize("revision", ["v1", "commit"])
def test_revision_pins_an_older_commit(
    local_hub, hub_env, published, versions, scribbles, revision
):
    hub_env.use(local_hub.url)
    pin = published["v1"] if revision == "commit" else revision
    loaded = sv.SignatureExtractor.from_preset(f"hf://signver-test/extractor@{pin}")
    np.testing.assert_array_equal(np.asarray(loaded.embed(scribbles)), versions[0][1])


def test_unknown_repo_is_preset_not_found(local_hub, hub_env, published):
    hub_env.use(local_hub.url)
    with pytest.raises(sv.PresetNotFoundError, match="signver-test/missing"):
        sv.SignatureExtractor.from_preset("hf://signver-test/missing")


def test_unknown_revision_is_preset_not_found(local_hub, hub_env, published):
    hub_env.use(local_hub.url)
    # The real Hub answers RevisionNotFound; olah answers RepoNotFound. Both must name it.
    with pytest.raises(sv.PresetNotFoundError, match="no-such-tag"):
        sv.SignatureExtractor.from_preset("hf://signver-test/extractor@no-such-tag")


def test_unreachable_endpoint_is_hub_unavailable_with_offline_advice(hub_env):
    closed = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    hub_env.use(closed)
    with pytest.raises(sv.HubUnavailableError) as info:
        sv.SignatureExtractor.from_preset("hf://signver-test/extractor")
    message = str(info.value)
    assert closed in message
    assert "HF_HUB_OFFLINE=1" in message and "hf download signver-test/extractor" in message
    assert isinstance(info.value, ConnectionError)
    assert len(message.splitlines()) == 1 and ".." not in message


def test_offline_mode_loads_from_the_cache(local_hub, hub_env, single, versions, scribbles):
    hub_env.use(local_hub.url)
    sv.SignatureExtractor.from_preset("hf://signver-test/extractor-single")
    # Offline, with an endpoint that would refuse connections: only the cache can answer.
    hub_env.use(f"http://127.0.0.1:{free_port()}", offline=True, fresh_home=False)
    loaded = sv.SignatureExtractor.from_preset("hf://signver-test/extractor-single")
    np.testing.assert_array_equal(np.asarray(loaded.embed(scribbles)), versions[1][1])


def test_offline_mode_without_cache_is_hub_unavailable(local_hub, hub_env):
    hub_env.use(local_hub.url, offline=True)
    with pytest.raises(sv.HubUnavailableError, match="HF_HUB_OFFLINE is set") as info:
        sv.SignatureExtractor.from_preset("hf://signver-test/extractor")
    message = str(info.value)
    # Already offline: the advice is to download elsewhere or go online, not to set it again.
    assert "set HF_HUB_OFFLINE=1" not in message and "hf download signver-test/extractor" in message
    assert len(message.splitlines()) == 1 and ".." not in message


def test_malformed_handle_is_preset_not_found():
    with pytest.raises(sv.PresetNotFoundError, match="hf://org/name"):
        hub.parse_hf_handle("hf://just-a-name")


class CapturedUpload:
    """Records create_repo / upload_folder calls and keeps a copy of the uploaded folder."""

    def __init__(self, keep: Path):
        self.keep = keep
        self.calls: list[tuple[str, dict]] = []

    def create_repo(self, **kwargs):
        from huggingface_hub import RepoUrl

        self.calls.append(("create_repo", kwargs))
        return RepoUrl(f"http://hub.invalid/{kwargs['repo_id']}", endpoint="http://hub.invalid")

    def upload_folder(self, **kwargs):
        self.calls.append(("upload_folder", kwargs))
        shutil.copytree(kwargs["folder_path"], self.keep)


def test_push_to_hub_uploads_the_preset_and_card_then_loads_back(
    local_hub, hub_env, monkeypatch, tmp_path, scribbles
):
    # olah is a read-only mirror (no create-repo, commit or preupload routes), so the
    # upload itself is captured; what was uploaded is then served by olah and loaded.
    model = make_extractor(3)
    expected = np.asarray(model.embed(scribbles))
    capture = CapturedUpload(tmp_path / "uploaded")
    monkeypatch.setattr(hub.huggingface_hub, "create_repo", capture.create_repo)
    monkeypatch.setattr(hub.huggingface_hub, "upload_folder", capture.upload_folder)

    url = model.push_to_hub("signver-test/pushed", private=True, description="Test upload.")

    assert url == "http://hub.invalid/signver-test/pushed"
    assert [name for name, _ in capture.calls] == ["create_repo", "upload_folder"]
    create, upload = capture.calls[0][1], capture.calls[1][1]
    assert create == {"repo_id": "signver-test/pushed", "private": True, "exist_ok": True}
    assert upload["repo_id"] == "signver-test/pushed"
    uploaded = capture.keep
    files = sorted(p.name for p in uploaded.iterdir())
    assert {"README.md", "config.json", "metadata.json", "task.json"} <= set(files)
    assert any(name.endswith(".weights.h5") for name in files)
    card = (uploaded / "README.md").read_text()
    assert card.startswith("---\n") and "Test upload." in card
    assert 'from_preset("hf://signver-test/pushed")' in card  # how to load names the Hub

    local_hub.publish(uploaded, "signver-test/pushed")
    hub_env.use(local_hub.url)
    loaded = sv.SignatureExtractor.from_preset("hf://signver-test/pushed")
    np.testing.assert_array_equal(np.asarray(loaded.embed(scribbles)), expected)


def test_push_to_an_unreachable_endpoint_is_hub_unavailable(hub_env, monkeypatch):
    hub_env.use(f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("HF_TOKEN", "hf_test_token")
    with pytest.raises(sv.HubUnavailableError, match="signver-test/pushed"):
        make_extractor(3).push_to_hub("signver-test/pushed")


def test_olah_refuses_uploads(local_hub, hub_env, monkeypatch):
    # Documents why the upload above is captured: olah has no create-repo route
    # (405) nor preupload/commit routes (404). If this starts failing, olah gained
    # uploads and the push test can become a real round trip.
    hub_env.use(local_hub.url)
    monkeypatch.setenv("HF_TOKEN", "hf_test_token")
    with pytest.raises(sv.HubUnavailableError, match="405"):
        make_extractor(3).push_to_hub("signver-test/refused")


def test_pipeline_round_trip_through_the_hub(local_hub, hub_env, tmp_path, scribbles):
    extractor = make_extractor(4)
    verifier = sv.SignatureVerifier(
        extractor=extractor, detector=None, cleaner=None, matcher=sv.Matcher(threshold=0.5)
    )
    verifier.save_to_preset(tmp_path / "pipeline")
    local_hub.publish(tmp_path / "pipeline", "signver-test/pipeline")
    hub_env.use(local_hub.url)

    loaded = sv.SignatureVerifier.from_preset("hf://signver-test/pipeline")

    assert loaded.detector is None and loaded.cleaner is None
    np.testing.assert_array_equal(
        np.asarray(loaded.embed(scribbles)), np.asarray(verifier.embed(scribbles))
    )
    result = loaded.verify(scribbles[0], scribbles[1:3])
    assert result.threshold == 0.5
    assert result.score == pytest.approx(verifier.verify(scribbles[0], scribbles[1:3]).score)


def test_pipeline_keeps_its_matcher_threshold(local_hub, hub_env, tmp_path):
    verifier = sv.SignatureVerifier(extractor=make_extractor(5), matcher=sv.Matcher(0.75))
    verifier.save_to_preset(tmp_path / "pipeline")
    local_hub.publish(tmp_path / "pipeline", "signver-test/pipeline-threshold")
    hub_env.use(local_hub.url)
    loaded = sv.SignatureVerifier.from_preset("hf://signver-test/pipeline-threshold")
    assert loaded.matcher is not None and loaded.matcher.threshold == 0.75
