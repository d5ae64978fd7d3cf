"""Matcher: scoring rule, decisions, 1:N ranking and refusal to mix extractors."""

import numpy as np
import pytest

import signver_keras as sv


def unit(*rows):
    array = np.array(rows, np.float32)
    return array / np.linalg.norm(array, axis=1, keepdims=True)


def test_score_is_the_mean_cosine_similarity_to_the_references():
    matcher = sv.Matcher(threshold=0.5)
    query = unit([1, 0])
    references = unit([1, 0], [0, 1])
    assert matcher.score(query, references) == pytest.approx(0.5)
    assert matcher.score(query[0], references) == pytest.approx(0.5)


def test_verify_accepts_at_or_above_the_threshold():
    matcher = sv.Matcher(threshold=0.8)
    result = matcher.verify(unit([1, 0]), unit([1, 0.1], [1, 0.2]))
    assert result.accepted and result.threshold == 0.8 and result.score > 0.8
    assert not matcher.verify(unit([0, 1]), unit([1, 0])).accepted


def test_identify_ranks_persons_best_first():
    gallery = {"ann": unit([1, 0], [1, 0.1]), "bob": unit([0, 1]), "cy": unit([1, 1])}
    ranked = sv.Matcher(threshold=0.5).identify(unit([1, 0.05]), gallery, k=2)
    assert [person for person, _ in ranked] == ["ann", "cy"]


def test_empty_references_and_bad_shapes():
    matcher = sv.Matcher(threshold=0.5)
    with pytest.raises(sv.EmptyReferencesError):
        matcher.score(unit([1, 0]), np.zeros((0, 2), np.float32))
    with pytest.raises(sv.InvalidImageError, match="shape"):
        matcher.score(unit([1, 0]), np.zeros((2, 2, 2), np.float32))


def test_embeddings_of_different_extractors_are_not_compared():
    matcher = sv.Matcher(threshold=0.5)
    query = sv.Embeddings(unit([1, 0]), extractor_id="aaaa")
    references = sv.Embeddings(unit([1, 0]), extractor_id="bbbb")
    with pytest.raises(sv.EmbeddingMismatchError, match="different extractors"):
        matcher.score(query, references)
    with pytest.raises(sv.EmbeddingMismatchError, match="different sizes"):
        matcher.score(unit([1, 0]), unit([1, 0, 0]))


def test_tags_survive_slicing(tiny_extractor, scribbles):
    embeddings = tiny_extractor.embed(scribbles[:3])
    assert embeddings[1:].extractor_id == embeddings.extractor_id


def test_from_preset_reads_the_calibrated_threshold(tiny_extractor, tmp_path):
    tiny_extractor.save_to_preset(tmp_path / "p")
    matcher = sv.Matcher.from_preset(tmp_path / "p")
    assert matcher.threshold == 0.5 and matcher.calibration["rule"] == "test"
