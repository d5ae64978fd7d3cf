"""WriterClassifier: a person's own SVM separates their signatures from close imitations."""

import numpy as np
import pytest

import signver_keras as sv
from signver_keras.models.matcher.writer_classifier import gallery_negatives


def unit(array):
    return array / np.linalg.norm(array, axis=-1, keepdims=True)


@pytest.fixture
def person():
    rng = np.random.default_rng(0)
    centre = unit(rng.normal(size=32))
    forger = unit(centre + 0.6 * unit(rng.normal(size=32)))  # close, but off-centre

    def draw(around, n):
        return unit(around + 0.05 * rng.normal(size=(n, 32)))

    return {
        "references": draw(centre, 5),
        "genuine": draw(centre, 20),
        "forgeries": draw(forger, 20),
        "negatives": unit(rng.normal(size=(300, 32))),
    }


def test_genuine_outscore_imitations_and_other_persons_score_negative(person):
    classifier = sv.WriterClassifier(threshold=0.0)
    scores = lambda queries: classifier.scores(  # noqa: E731
        queries, person["references"], person["negatives"]
    )
    genuine, forged = scores(person["genuine"]), scores(person["forgeries"])
    assert genuine.min() > forged.max()  # a calibrated threshold can separate them
    others = unit(np.random.default_rng(1).normal(size=(50, 32)))
    assert np.all(scores(others) < 0.0)
    assert scores(person["genuine"][0]).shape == (1,)  # one query as a 1-D row


def test_too_few_references_or_no_negatives_are_refused(person):
    classifier = sv.WriterClassifier(threshold=0.0, min_references=5)
    with pytest.raises(ValueError, match="at least 5 references; received 4"):
        classifier.scores(person["genuine"], person["references"][:4], person["negatives"])
    with pytest.raises(ValueError, match="needs negatives"):
        classifier.scores(person["genuine"], person["references"], person["negatives"][:0])


def test_gallery_negatives_add_a_fixed_sample_of_other_persons(person):
    background, others = person["negatives"][:10], person["genuine"]
    assert gallery_negatives(background, None) is background
    capped = gallery_negatives(background, others, max_others=4)
    assert len(capped) == 14
    np.testing.assert_array_equal(capped, gallery_negatives(background, others, max_others=4))
