"""Scores over tag sequences."""

import pytest

from seqlab.evaluation import entity_scores, overlap_scores, perplexity, token_accuracy

GOLD = [["B-PER", "I-PER", "O", "B-LOC"], ["O", "B-ORG", "I-ORG", "O"]]
PRED = [["B-PER", "I-PER", "O", "B-ORG"], ["O", "B-ORG", "O", "O"]]


def test_entity_scores_by_hand():
    scores = entity_scores(GOLD, PRED, "iob2")
    # predicted: PER(0,2) right, ORG(3,4) wrong, ORG(1,2) wrong; gold: 3
    assert scores["precision"] == pytest.approx(1 / 3)
    assert scores["recall"] == pytest.approx(1 / 3)
    assert scores["per_type"]["PER"]["f1-score"] == 1.0
    assert "micro avg" in scores["report"]


def test_iob1_is_converted_before_scoring():
    gold = [["I-PER", "B-PER", "O"]]
    assert entity_scores(gold, gold, "iob1")["f1"] == 1.0
    assert entity_scores(gold, [["I-PER", "I-PER", "O"]], "iob1")["f1"] == 0.0


def test_strict_mode_rejects_ill_formed_predictions():
    gold, pred = [["B-PER", "I-PER", "O"]], [["I-PER", "I-PER", "O"]]
    assert entity_scores(gold, pred, "iob2")["f1"] == 1.0  # conlleval-style
    assert entity_scores(gold, pred, "iob2", mode="strict")["f1"] == 0.0


def test_token_accuracy():
    assert token_accuracy(GOLD, PRED) == pytest.approx(6 / 8)


def test_overlap_scores_by_hand():
    gold = [["O", "B-DSE", "I-DSE", "I-DSE", "O", "B-DSE"]]
    pred = [["O", "O", "B-DSE", "O", "I-DSE", "I-DSE"]]  # I after O opens a span
    scores = overlap_scores(gold, pred)
    # predicted spans (2,3) and (4,6); gold (1,4) and (5,6)
    assert scores["binary"]["precision"] == 1.0
    assert scores["binary"]["recall"] == 1.0
    assert scores["proportional"]["precision"] == pytest.approx((1 / 1 + 1 / 2) / 2)
    assert scores["proportional"]["recall"] == pytest.approx((1 / 3 + 1 / 1) / 2)


def test_typed_overlap_counts_only_spans_of_one_type():
    gold = [["B-PER", "I-PER", "O", "B-LOC"]]
    pred = [["B-LOC", "I-LOC", "O", "B-LOC"]]  # right place, wrong type, then right
    untyped = overlap_scores(gold, pred)
    typed = overlap_scores(gold, pred, typed=True)
    assert untyped["binary"]["f1"] == 1.0  # types ignored, as in the paper
    assert typed["binary"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5}
    assert typed["per_type"]["LOC"]["binary"] == {"precision": 0.5, "recall": 1.0,
                                                  "f1": pytest.approx(2 / 3)}
    assert typed["per_type"]["PER"]["binary"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0}
    assert "per_type" not in untyped


def test_overlap_zero_over_zero_is_zero():
    scores = overlap_scores([["O", "O"]], [["O", "O"]])
    assert scores["binary"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0}


@pytest.mark.parametrize("mode", ["default", "strict"])
def test_entity_scores_without_any_entity_are_zero_not_a_crash(mode):
    """seqeval's report fails (max() of an empty sequence) when neither side
    has an entity: a split without entities, tagged without any."""
    scores = entity_scores([["O", "O"], ["O"]], [["O", "O"], ["O"]], mode=mode)
    assert (scores["precision"], scores["recall"], scores["f1"]) == (0.0, 0.0, 0.0)
    assert scores["per_type"] == {}
    assert "no entities" in scores["report"]
    # an ill-formed I- alone is no entity in strict mode, one in default
    scores = entity_scores([["O", "O"]], [["I-X", "O"]], mode=mode)
    assert scores["f1"] == 0.0
    assert ("X" in scores["per_type"]) == (mode == "default")


def test_misaligned_input():
    with pytest.raises(ValueError, match="sentence 0: gold has 2 tags, predicted 1"):
        token_accuracy([["O", "O"]], [["O"]])


def test_perplexity():
    assert perplexity(0.0, 10) == 1.0
    with pytest.raises(ValueError):
        perplexity(1.0, 0)
