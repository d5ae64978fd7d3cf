import textwrap

import numpy as np
import pytest

import signver_keras as sv
from tests.cross_backend import TARGETS, run_in_other_backend, target_backend
from tests.tiny_models import tiny_detector


def page(height=120, width=300, seed=0) -> np.ndarray:
    gray = np.full((height, width), 230, np.uint8)
    rng = np.random.default_rng(seed)
    gray[rng.random(gray.shape) < 0.05] = 30
    return gray


@pytest.fixture(scope="module")
def detector():
    return tiny_detector()


def test_output_contract(detector):
    results = detector.detect([page(), page(50, 40)], score_threshold=0.0)
    assert len(results) == 2
    for result, (height, width) in zip(results, [(120, 300), (50, 40)], strict=True):
        assert set(result) == {"boxes", "scores", "labels", "names"}
        count = len(result["scores"])
        assert result["boxes"].dtype == np.float32 and result["boxes"].shape == (count, 4)
        assert result["scores"].dtype == np.float32 and result["labels"].dtype == np.int32
        assert result["names"] == [detector.class_names[label] for label in result["labels"]]
        boxes = result["boxes"]
        assert np.all(boxes >= 0) and np.all(boxes[:, [0, 2]] <= width)
        assert np.all(boxes[:, [1, 3]] <= height)
    # One image in, a list of one dict out.
    assert len(detector.detect(page())) == 1
    assert detector.class_names == ("signature", "initials", "redaction", "date")


def test_detect_maps_boxes_back_to_page_pixels(detector, perfect_predictions, monkeypatch):
    gray = page(120, 300)  # landscape: letterboxed with bands above and below
    page_boxes = np.array([[60, 30, 240, 90], [10, 5, 50, 20]], np.float32)
    labels = [0, 3]
    _, transforms = detector.preprocessor.letterbox(gray)
    net_boxes = detector.preprocessor.letterbox_boxes(page_boxes, transforms[0])
    assert net_boxes[:, 1].min() > 0.2 * 64  # the page sits in the middle band
    targets = detector.label_encoder()([net_boxes], [labels])
    monkeypatch.setattr(detector, "_forward", lambda batch: perfect_predictions(targets))
    [result] = detector.detect(gray, score_threshold=0.5)
    order = np.argsort(result["labels"])
    np.testing.assert_allclose(result["boxes"][order], page_boxes, atol=0.05)
    assert [result["names"][i] for i in order] == ["signature", "date"]


def test_detect_fits_redaction_boxes_to_the_bar(detector, perfect_predictions, monkeypatch):
    gray = np.full((200, 200), 230, np.uint8)
    rows, cols = np.mgrid[:200, :200]
    gray[np.abs(rows - 100 - 0.15 * (cols - 100)) < 8] = 15  # a bar tilted by ~8.5 degrees
    gray[:, :40] = gray[:, 160:] = 230
    thin = np.array([[40, 92, 160, 108]], np.float32)
    _, transforms = detector.preprocessor.letterbox(gray)
    # The same thin box predicted twice, as a redaction and as a signature.
    net_box = detector.preprocessor.letterbox_boxes(thin, transforms[0])
    targets = detector.label_encoder()([net_box] * 2, [[2], [0]])
    predictions = perfect_predictions(targets)
    for index, label in enumerate([2, 0]):
        monkeypatch.setattr(detector, "_forward", lambda batch, i=index: predictions[i : i + 1])
        [result] = detector.detect(gray, score_threshold=0.5)
        assert result["labels"].tolist() == [label]
        top, bottom = result["boxes"][0, [1, 3]]
        if label == 2:  # the bar spans y 83-117 between x 40 and 160
            assert top < 86 and bottom > 114
        else:  # a signature box is the network's
            assert abs(top - 92) < 1 and abs(bottom - 108) < 1


def test_preset_round_trip(tmp_path):
    detector = tiny_detector(class_names=("signature", "initials"), score_threshold=0.05)
    detector.save_to_preset(tmp_path / "det")
    restored = sv.SignatureDetector.from_preset(tmp_path / "det")
    assert restored.class_names == ("signature", "initials")
    assert restored.score_threshold == 0.05
    assert restored.preprocessor.letterbox_size == 64
    batch, _ = detector.preprocessor.letterbox(page())
    np.testing.assert_array_equal(restored._forward(batch), detector._forward(batch))
    for got, want in zip(restored.detect(page(), 0.0), detector.detect(page(), 0.0), strict=True):
        np.testing.assert_array_equal(got["boxes"], want["boxes"])
        assert got["names"] == want["names"]


def test_fit_reduces_loss():
    detector = tiny_detector()
    batch, transforms = detector.preprocessor.letterbox([page(seed=1), page(80, 60, seed=2)])
    boxes = [
        detector.preprocessor.letterbox_boxes([[60, 30, 240, 90]], transforms[0]),
        detector.preprocessor.letterbox_boxes([[5, 10, 50, 40]], transforms[1]),
    ]
    targets = detector.label_encoder()(boxes, [[0], [2]])
    history = detector.fit(batch, targets, batch_size=2, epochs=6, shuffle=False, verbose=0)
    losses = history.history["loss"]
    assert np.isfinite(losses).all() and losses[-1] < losses[0]


def test_bad_inputs(detector, tmp_path):
    with pytest.raises(sv.ImageNotFoundError):
        detector.detect(tmp_path / "missing.png")
    with pytest.raises(sv.InvalidImageError, match="empty list"):
        detector.detect([])
    with pytest.raises(sv.InvalidImageError, match="dtype"):
        detector.detect(np.array([["a"]]))
    with pytest.raises(ValueError, match="score_threshold"):
        detector.detect(page(), score_threshold=1.5)
    with pytest.raises(ValueError, match="batch_size"):
        detector.detect(page(), batch_size=0)
    with pytest.raises(ValueError, match="multiples of 16"):
        sv.models.SignatureDetectorBackbone(
            image_shape=(60, 60, 1), stage_filters=(8, 8, 16), stage_blocks=(1, 1, 1)
        )


CROSS_BACKEND_SCRIPT = textwrap.dedent(
    """
    import sys
    import numpy as np
    import signver_keras as sv
    detector = sv.SignatureDetector.from_preset(sys.argv[1])
    pages = list(np.load(sys.argv[2]))
    [result] = detector.detect(pages[:1], score_threshold=0.0)
    batch, _ = detector.preprocessor.letterbox(pages)
    np.savez(sys.argv[3], raw=np.asarray(detector._forward(batch)), boxes=result["boxes"])
    """
)


@pytest.mark.cross_backend
@pytest.mark.parametrize("target", TARGETS)
def test_other_backend_gives_same_outputs(target, detector, tmp_path):
    backend = target_backend(target)
    detector.save_to_preset(tmp_path / "det")
    pages = np.stack([page(seed=3), page(seed=4)])
    np.save(tmp_path / "pages.npy", pages)
    run_in_other_backend(
        CROSS_BACKEND_SCRIPT,
        tmp_path / "det",
        tmp_path / "pages.npy",
        tmp_path / "out.npz",
        backend=backend,
    )
    theirs = np.load(tmp_path / "out.npz")
    batch, _ = detector.preprocessor.letterbox(list(pages))
    np.testing.assert_allclose(theirs["raw"], detector._forward(batch), atol=1e-4)
    [ours] = detector.detect(list(pages[:1]), score_threshold=0.0)
    np.testing.assert_allclose(theirs["boxes"], ours["boxes"], atol=1e-2)
