"""Training taggers from files: selection on dev, checkpoints, resuming."""

import json
import os

import numpy as np
import pytest
from keras import ops

import seqlab
from seqlab.config import load_config
from seqlab.data import Vocabulary, read_two_column
from seqlab.demo import write_ner_corpus
from seqlab.tagging import evaluate_tagger, train_tagger


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return write_ner_corpus(tmp_path_factory.mktemp("corpus"), seed=3,
                            train=600, dev=60, test=60)


def config_for(corpus, output, *overrides):
    return load_config(data={
        "output": str(output),
        "data": {**corpus, "format": "two_column", "scheme": "iob2"},
        "model": {"units": 16, "embedding_dim": 16, "depth": 1, "dropout": 0.1,
                  "head": "softmax", "encoders": ["word_embedding"],
                  "word_dropout": 0.1},
        "training": {"epochs": 3, "learning_rate": 0.02, "patience": 0},
    }, overrides=overrides)


def test_train_select_and_report(corpus, tmp_path):
    run = train_tagger(config_for(corpus, tmp_path / "run"), verbose=0)
    assert len(run.history) == 3
    best = max(run.history, key=lambda h: h["dev_f1"])
    assert run.best_epoch == best["epoch"]
    assert run.dev["f1"] == pytest.approx(best["dev_f1"])
    assert run.test["f1"] > 0.5
    files = set(os.listdir(tmp_path / "run"))
    assert {"best.keras", "last.keras", "state.json", "report.json", "config.json",
            "dev.predictions.conll", "test.predictions.conll"} <= files
    report = json.loads((tmp_path / "run" / "report.json").read_text())
    assert report["test"]["f1"] == pytest.approx(run.test["f1"])
    # one file is enough to tag: vocabulary and tags travel in the model
    loaded = seqlab.load_model(tmp_path / "run" / "best.keras")
    assert loaded.tag([["Anna", "flew", "to", "never-seen-word"]])[0][3] in loaded.tag_names


def test_prediction_file_scores_the_same(corpus, tmp_path):
    run = train_tagger(config_for(corpus, tmp_path / "run", "training.epochs=1"), verbose=0)
    rows = [line.split() for line in
            (tmp_path / "run" / "test.predictions.conll").read_text().splitlines()]
    gold, pred, g, p = [], [], [], []
    for row in rows + [[]]:
        if not row:
            if g:
                gold.append(g), pred.append(p)
            g, p = [], []
        else:
            g.append(row[1]), p.append(row[2])
    assert seqlab.evaluation.entity_scores(gold, pred)["f1"] == pytest.approx(run.test["f1"])


def test_interrupted_run_resumes(corpus, tmp_path):
    config = config_for(corpus, tmp_path / "run")
    config.training.epochs = 1
    first = train_tagger(config, verbose=0)
    assert json.loads((tmp_path / "run" / "state.json").read_text())["epoch"] == 1
    # training longer resumes after the last finished epoch
    config.training.epochs = 2
    second = train_tagger(config, verbose=0)
    assert [h["epoch"] for h in second.history] == [1, 2]
    assert second.history[0] == first.history[0]
    # any other change would mix two runs, and is refused
    config.training.learning_rate = 0.5
    with pytest.raises(seqlab.ConfigError, match="different config"):
        train_tagger(config, verbose=0)


def test_nan_loss_stops_with_the_step_and_keeps_the_checkpoint(corpus, tmp_path, register_plugin):
    from seqlab_builtins.heads.softmax import SoftmaxHead

    class NaNAfterWarmup(SoftmaxHead):
        def token_loss(self, targets, scores, mask=None):
            loss = super().token_loss(targets, scores, mask)
            return loss * np.float32("nan")

    class Plugin:
        @staticmethod
        @seqlab.hookimpl
        def seqlab_register_output_heads(register):
            register("nan_head", NaNAfterWarmup)

    register_plugin(Plugin, "nan-head")
    config = config_for(corpus, tmp_path / "run", 'model.head="nan_head"')
    with pytest.raises(seqlab.TrainingError, match="loss became nan at epoch 1, step 1"):
        train_tagger(config, verbose=0)


def test_evaluate_tagger_converts_schemes(corpus, tmp_path):
    run = train_tagger(config_for(corpus, tmp_path / "run", "training.epochs=1"), verbose=0)
    assert run.model.scheme == "iobes"
    sentences = read_two_column(corpus["test"], scheme="iob2")
    scores = evaluate_tagger(run.model, sentences, "iob2")
    assert scores["f1"] == pytest.approx(run.test["f1"])
    assert set(scores) >= {"strict", "token_accuracy", "untyped_overlap", "typed_overlap",
                           "per_type", "report"}


def test_tagger_without_vocabulary_cannot_tag():
    model = seqlab.Tagger(vocab_size=10, num_tags=2, units=4)
    with pytest.raises(seqlab.ConfigError, match="no vocabulary or tag names"):
        model.tag([["a"]])


def test_vocabulary_normalisation_and_unknown_words():
    from seqlab.data import Sentence

    vocabulary = Vocabulary.build([Sentence(["The", "1996", "the", "UN"])],
                                  lowercase=True, digits=True)
    assert vocabulary.tokens == ["<pad>", "<unk>", "the", "0000", "un"]
    assert vocabulary.ids(["THE", "2003", "zebra"]) == [2, 3, 1]
    assert Vocabulary.from_config(vocabulary.get_config()) == vocabulary


@pytest.mark.backend
def test_word_dropout_only_in_training(seed):
    layer = seqlab.layers.WordDropout(0.5)
    ids = np.arange(2, 1002).reshape(1, -1)
    assert np.array_equal(ops.convert_to_numpy(layer(ids)), ids)
    dropped = ops.convert_to_numpy(layer(ids, training=True))
    assert 0.4 < (dropped == 1).mean() < 0.6
    assert np.all((dropped == ids) | (dropped == 1))
    padded = np.zeros((1, 50), "int32")
    assert np.all(ops.convert_to_numpy(layer(padded, training=True)) == 0)


def test_crf_tagger_trains_and_reloads(corpus, tmp_path):
    run = train_tagger(config_for(corpus, tmp_path / "run", 'model.head="crf"'), verbose=0)
    assert run.test["f1"] > 0.5
    loaded = seqlab.load_model(tmp_path / "run" / "best.keras")
    sentences = [["Anna", "Chen", "flew", "to", "Oslo", "."], ["Okafor", "won"]]
    assert loaded.tag(sentences) == run.model.tag(sentences)
    transitions = ops.convert_to_numpy(loaded.head.transitions)
    assert np.abs(transitions).max() > 0  # learned, and saved with the model


@pytest.mark.backend
def test_the_seed_makes_runs_repeatable(corpus, tmp_path):
    def history(seed, name):
        config = config_for(corpus, tmp_path / name, "training.epochs=1",
                            f"training.seed={seed}", "model.dropout=0.3")
        return train_tagger(config, verbose=0).history

    first = history(7, "a")
    assert history(7, "b") == first
    assert history(8, "c") != first


def test_the_selection_metric_is_a_config_key(corpus, tmp_path):
    from seqlab.config import TAGGER_METRICS
    from seqlab.reporting import summary
    from seqlab.tagging import METRICS

    assert tuple(METRICS) == TAGGER_METRICS
    gold, predicted = [["B-X", "I-X", "O", "O"]], [["B-X", "O", "O", "B-X"]]
    assert [METRICS[m](gold, predicted, "iob2") for m in TAGGER_METRICS] == pytest.approx(
        [0.0, 2 / 3, 0.5, 0.5])  # exact 0; binary P 1/2, R 1; proportional P 1/2, R 1/2; 2 of 4 tokens
    metric = "binary_overlap"

    run = train_tagger(config_for(corpus, tmp_path / "run", f'training.metric="{metric}"',
                                  "training.epochs=2"), verbose=0)
    scores = [h[f"dev_{metric}"] for h in run.history]
    assert "dev_f1" not in run.history[0]
    assert run.best_epoch == 1 + int(np.argmax(scores))
    dev = run.dev["untyped_overlap"]["binary"]["f1"]
    assert dev == pytest.approx(max(scores))  # the reported model is the one selected
    report = json.loads((tmp_path / "run" / "report.json").read_text())
    assert report["metric"] == metric
    assert f"dev_{metric}" in summary(tmp_path / "run", plot=False)
    with pytest.raises(seqlab.ConfigError, match="training.metric = 'overlap': expected one of "
                                                 "'f1', 'binary_overlap'"):
        config_for(corpus, tmp_path / "x", 'training.metric="overlap"')


# TensorFlow only: encoders meet their contract under JAX in test_encoders.py.
def test_pipeline_with_char_features(tmp_path):
    corpus = write_ner_corpus(tmp_path / "data", seed=1, train=600, dev=50, test=50)
    config = load_config(data={
        "output": str(tmp_path / "run"),
        "data": {**corpus, "format": "two_column", "scheme": "iob2"},
        "model": {"units": 16, "depth": 1, "dropout": 0.1,
                  "encoders": [{"name": "word_embedding", "dim": 16},
                               {"name": "char_cnn", "filters": 16}]},
        "training": {"epochs": 3, "learning_rate": 0.02},
    })
    run = train_tagger(config, verbose=0)
    assert run.model.reads_chars
    assert run.test["f1"] > 0.1  # a broken pipeline tags everything O: 0
