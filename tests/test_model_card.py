"""Model cards say, per project target, what was measured and how far off it is."""

from signver_keras.model_card import (
    _calibration_section,
    _protocol_details,
    _targets_section,
    _training_section,
)


def test_targets_section_derives_threshold_gap_and_lowest_class():
    extractor = {
        "results": {
            "sigcomp2011_dutch:test": {
                "eer_skilled": 0.10,
                "eer_random": 0.005,
                "far_skilled_at_threshold": 0.08,
                "frr_random_at_threshold": 0.16,
            }
        }
    }
    text = "\n".join(_targets_section("extractor", extractor))
    assert "| skilled-forgery EER on `sigcomp2011_dutch:test` | ≤ 5.00% | 10.00% | not met" in text
    assert "| random-forgery EER on `sigcomp2011_dutch:test` | ≤ 1.00% | 0.50% | met |" in text
    assert "minus the skilled EER on `sigcomp2011_dutch:test` | ≤ 2.00% | 2.00% | met |" in text
    assert "bhsig260_subset" not in text  # not evaluated: no row
    assert "writer classifier" not in text  # the preset has none

    extractor["results"]["sigcomp2011_dutch:test"]["eer_random_classifier"] = 0.02
    text = "\n".join(_targets_section("extractor", extractor))
    assert (
        "| random-forgery EER (writer classifier, all enrolled) on `sigcomp2011_dutch:test` "
        "| ≤ 1.00% | 2.00% | not met (1.00% off) |"
    ) in text

    detector = {
        "results": {
            "synthetic-photo:200": {
                "per_class": {"signature": {"ap50": 0.97}, "date": {"ap50": 0.85}}
            }
        }
    }
    text = "\n".join(_targets_section("detector", detector))
    assert "| lowest per-class AP50 on `synthetic-photo:200` | ≥ 90.00% | 85.00% | not met" in text


def test_cards_read_the_reference_counts_of_presets_saved_by_earlier_versions():
    # Earlier versions stored the counts as "references" and "calibrated_references".
    for key in ("reference_count", "references"):
        metrics = {key: 5, "threshold": 0.3}
        assert _protocol_details(metrics) == " (5 references per writer, threshold 0.3)"
        calibration = {"threshold": 0.3, "rule": "eer_skilled", key: 5}
        assert "| 0.3000 | eer_skilled | 5 |" in "\n".join(_calibration_section(calibration))


def test_detector_card_lists_real_page_sets_and_synthetic_page_counts():
    training = {
        "data": {
            "datasets": ["tobacco800_signatures_train"],
            "synthetic": {"photo": 700, "hires": 300},
        }
    }
    text = "\n".join(_training_section(training, "detector", "signver_detector_base"))
    assert "- `tobacco800_signatures_train`: Tobacco-800 signature boxes" in text
    assert "- synthetic pages (photo 700, hires 300): pages, pairs and writers generated" in text
    assert "`photo`" not in text  # a page kind is not a dataset
