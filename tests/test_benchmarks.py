"""The benchmark scripts' own logic (the runs themselves are not tests)."""

import sys
from pathlib import Path

import numpy as np
import pytest

import seqlab

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import opinion_mpqa  # noqa: E402


@pytest.mark.parametrize("cell", ["relu", "lstm", "gru"])
@pytest.mark.parametrize("depth, units", [(3, 100), (1, 237)])
def test_parameter_formula_matches_the_model(cell, depth, units):
    model = seqlab.Tagger(vocab_size=50, num_tags=3, cell=cell, units=units, depth=depth,
                          embedding_dim=opinion_mpqa.EMBEDDING)
    model(np.ones((1, 4), "int32"))
    counted = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    embedding = 50 * opinion_mpqa.EMBEDDING
    assert opinion_mpqa.parameters(depth, units, cell) == counted - embedding


def test_deep_and_shallow_models_are_matched_within_one_percent():
    for cell in opinion_mpqa.GATES:
        units = opinion_mpqa.matching_width(3, 100, 1, cell)
        deep, shallow = (opinion_mpqa.parameters(3, 100, cell),
                         opinion_mpqa.parameters(1, units, cell))
        assert abs(deep - shallow) / deep < 0.01


def test_the_default_config_is_the_best_configuration_benchmarked():
    """Six lines (data paths, scheme, vectors) train what the benchmark's
    best row trains: seqlab's defaults are ner_conll2003.BEST_CONFIG."""
    import ner_conll2003
    from seqlab.config import DEFAULTS

    for section, values in ner_conll2003.BEST_CONFIG.items():
        assert DEFAULTS[section] == values, section
    glove = ner_conll2003.ROWS["glove"]("glove.6B.50d.txt")
    assert {k: v for k, v in glove["model"].items() if k != "pretrained"} == {
        k: v for k, v in DEFAULTS["model"].items() if k != "pretrained"}
