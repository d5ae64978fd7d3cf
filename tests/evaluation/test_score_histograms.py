import pytest

from signver_keras.evaluation.verification import TrialScores, score_histograms


def test_score_histograms_share_edges_and_count_every_trial():
    scores = TrialScores(genuine=[0.9, 0.8, 0.85], skilled=[0.5, 0.6], random=[])
    histograms = score_histograms(scores, bins=10)
    assert len(histograms["edges"]) == 11 and "random" not in histograms
    assert sum(histograms["genuine"]) == 3 and sum(histograms["skilled"]) == 2
    with pytest.raises(ValueError, match="No trial scores"):
        score_histograms(TrialScores())
