"""The phone-photo simulator: determinism, boxes that follow the page, colour that survives."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from signver_keras.data.synthetic.photo_simulation import BACKGROUNDS, PhotoStyle, simulate_photo

BOX = np.array([[300, 620, 520, 680]], np.float32)


def _page(colour=(230, 20, 230)) -> np.ndarray:  # magenta: no background has it
    page = np.full((880, 680, 3), 245, np.uint8)
    x1, y1, x2, y2 = BOX[0].astype(int)
    page[y1:y2, x1:x2] = colour
    return page


def _style(seed: int, **changes) -> PhotoStyle:
    # No thumb: it may legitimately cover the marker.
    sampled = PhotoStyle.sample(np.random.default_rng(seed))
    return dataclasses.replace(sampled, **{"hand": False, **changes})


def _marker_box(image: np.ndarray) -> np.ndarray:
    rgb = image.astype(int)
    ys, xs = np.nonzero((rgb[..., 0] - rgb[..., 1] > 50) & (rgb[..., 2] - rgb[..., 1] > 50))
    return np.array([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], np.float32)


def test_same_seed_same_photo_and_another_seed_differs():
    page = _page()
    a = simulate_photo(page, np.random.default_rng(4), boxes=BOX)
    b = simulate_photo(page, np.random.default_rng(4), boxes=BOX)
    c = simulate_photo(page, np.random.default_rng(5), boxes=BOX)
    np.testing.assert_array_equal(a.image, b.image)
    np.testing.assert_array_equal(a.boxes, b.boxes)
    assert not np.array_equal(a.image, c.image)


def test_output_is_rgb_uint8_of_the_requested_size():
    gray = np.full((500, 400), 240, np.uint8)
    photo = simulate_photo(gray, np.random.default_rng(0))
    assert photo.image.shape == (500, 400, 3) and photo.image.dtype == np.uint8
    photo = simulate_photo(gray, np.random.default_rng(0), size=(300, 640))
    assert photo.image.shape == (300, 640, 3)
    assert photo.boxes.shape == (0, 4) and photo.label_map is None


@pytest.mark.parametrize("seed", range(6))
def test_moved_box_stays_on_the_ink(seed):
    style = _style(seed, motion=0.0, defocus=0.3, defocus_gradient=0.0)
    photo = simulate_photo(_page(), np.random.default_rng(seed), boxes=BOX, style=style)
    assert photo.visible.tolist() == [True]
    np.testing.assert_allclose(photo.boxes[0], _marker_box(photo.image), atol=4.0)


@pytest.mark.parametrize("background", BACKGROUNDS)
def test_instance_map_boxes_are_tight_on_every_background(background):
    label_map = np.zeros((880, 680), np.uint8)
    x1, y1, x2, y2 = BOX[0].astype(int)
    label_map[y1:y2, x1:x2] = 1
    style = _style(1, background=background, motion=0.0, defocus=0.3, defocus_gradient=0.0)
    photo = simulate_photo(_page(), np.random.default_rng(1), label_map=label_map, style=style)
    assert photo.label_map.shape == (880, 680) and photo.label_map.max() == 1
    np.testing.assert_allclose(photo.boxes[0], _marker_box(photo.image), atol=3.0)


def test_blue_ink_stays_blue_under_any_colour_cast():
    page = _page(colour=(30, 50, 160))
    for seed in range(4):
        photo = simulate_photo(page, np.random.default_rng(seed), boxes=BOX, style=_style(seed))
        x1, y1, x2, y2 = photo.boxes[0].astype(int)
        inner = photo.image[y1 + 8 : y2 - 8, x1 + 8 : x2 - 8].reshape(-1, 3).astype(float)
        red, _, blue = inner.mean(axis=0)
        assert blue > red + 30


def test_thumb_hides_what_it_covers():
    # A thumb grips the page edge; an object under it is removed from the instance map.
    label_map = np.zeros((880, 680), np.uint8)
    label_map[:, :] = 1  # the whole page is one object: the thumb must cut into it
    style = _style(2, hand=True)
    photo = simulate_photo(_page(), np.random.default_rng(2), label_map=label_map, style=style)
    plain = simulate_photo(
        _page(), np.random.default_rng(2), label_map=label_map, style=_style(2, hand=False)
    )
    assert (photo.label_map == 1).sum() < (plain.label_map == 1).sum()


def test_bad_inputs_say_what_was_expected():
    with pytest.raises(ValueError, match=r"uint8 array of shape \(H, W\) or \(H, W, 3\)"):
        simulate_photo(np.zeros((50, 50), np.float32), np.random.default_rng(0))
    with pytest.raises(ValueError, match="label_map should have the page's shape"):
        simulate_photo(_page(), np.random.default_rng(0), label_map=np.zeros((5, 5), np.uint8))
    with pytest.raises(ValueError, match="background should be one of"):
        PhotoStyle(background="moon")
