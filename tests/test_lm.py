"""Language modelling end to end: corpora, stream batching, carried state,
perplexity, sentence scoring, sampling, training runs and their bad input."""

import json
import math
import os
import re

import keras
import numpy as np
import pytest

import seqlab
import seqlab.lm
from seqlab.cli import main
from seqlab.data.corpus import (build_vocabulary, corpus_ids, read_corpus,
                                stream_windows)

PATTERNS = [["the", "cat", "is", "small"], ["a", "dog", "sat", "on", "the", "mat"],
            ["the", "dog", "is", "big"]]


def write_corpus(directory, seed=0, sizes=(("train", 600), ("dev", 60), ("test", 60))):
    rng = np.random.default_rng(seed)
    paths = {}
    for split, count in sizes:
        lines = [" ".join(PATTERNS[i]) for i in rng.integers(0, len(PATTERNS), count)]
        paths[split] = os.path.join(directory, f"{split}.txt")
        with open(paths[split], "w") as handle:
            handle.write("\n".join(lines) + "\n")
    return paths


def lm_config(tmp_path, paths, *overrides):
    return seqlab.load_config(task="lm", data={
        "output": str(tmp_path / "run"),
        "data": {"train": paths["train"], "dev": paths["dev"], "test": paths["test"]},
        "model": {"units": 16, "depth": 1},
        "training": {"epochs": 2, "batch_size": 4, "num_steps": 8,
                     "optimizer": "adam", "learning_rate": 0.02, "init_scale": 0.0}},
        overrides=list(overrides))


# -- corpora and batching ---------------------------------------------------

def test_read_corpus_appends_eos_and_skips_blank_lines(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text(" the cat\n\n a dog sat \n")
    assert read_corpus(path) == [["the", "cat", "<eos>"], ["a", "dog", "sat", "<eos>"]]


@pytest.mark.parametrize("content, message", [
    (b"", "empty"), (b"\n  \n", "empty"), (b"ok\n\xff\xfe bad\n", ":2: bytes that are not UTF-8")])
def test_bad_corpora_name_the_file(tmp_path, content, message):
    path = tmp_path / "c.txt"
    path.write_bytes(content)
    with pytest.raises(seqlab.DataError, match=message) as error:
        read_corpus(path)
    assert str(path) in str(error.value)


def test_vocabulary_limits_and_the_corpus_unk():
    sentences = [["a", "a", "a", "b", "b", "c", "<unk>", "<eos>"]]
    assert build_vocabulary(sentences).tokens[2:] == ["a", "b", "c", "<eos>"]
    assert build_vocabulary(sentences, max_size=2).tokens[2:] == ["a", "b"]
    assert build_vocabulary(sentences, min_count=2).tokens[2:] == ["a", "b"]
    vocabulary = build_vocabulary(sentences, max_size=2)
    assert list(corpus_ids(sentences, vocabulary)) == [2, 2, 2, 3, 3, 1, 1, 1]


def test_stream_windows_continue_each_other():
    ids = np.arange(1, 103)
    x, y = stream_windows(ids, batch_size=4, num_steps=5)
    # 102 tokens -> 4 rows of 25; (25 - 1) // 5 = 4 windows
    assert x.shape == y.shape == (16, 5)
    rows = ids[:100].reshape(4, 25)
    for k in range(4):
        window = x[4 * k:4 * k + 4]
        np.testing.assert_array_equal(window, rows[:, 5 * k:5 * k + 5])
        np.testing.assert_array_equal(y[4 * k:4 * k + 4], rows[:, 5 * k + 1:5 * k + 6])
    # row b of window k+1 starts where row b of window k ended
    np.testing.assert_array_equal(x[4:8, 0], x[0:4, -1] + 1)


def test_stream_too_short_for_a_window():
    with pytest.raises(seqlab.DataError, match="too short"):
        stream_windows(np.arange(1, 20), batch_size=4, num_steps=5)


# -- the model: carried state, tying, perplexity ------------------------------

@pytest.mark.backend
@pytest.mark.parametrize("cell", ["lstm", "elman", "gru"])
def test_carried_state_equals_one_long_window(cell, rng):
    keras.utils.set_random_seed(0)
    lm = seqlab.LanguageModel(vocab_size=20, cell=cell, units=6, depth=2,
                              stream_batch_size=3)
    x = rng.integers(1, 20, size=(3, 10)).astype("int32")
    whole = np.asarray(lm(x, carry_state=False))
    lm.reset_states()
    first = np.asarray(lm(x[:, :4], carry_state=True))
    second = np.asarray(lm(x[:, 4:], carry_state=True))
    np.testing.assert_allclose(np.concatenate([first, second], axis=1), whole,
                               atol=1e-5)
    lm.reset_states()
    assert all(np.all(np.asarray(v) == 0) for layer in lm.stream_states for v in layer)


@pytest.mark.backend
def test_fit_carries_state_and_reset_starts_each_pass_from_zero(rng):
    keras.utils.set_random_seed(0)
    lm = seqlab.LanguageModel(vocab_size=20, cell="lstm", units=6, stream_batch_size=2)
    lm.compile(optimizer=keras.optimizers.SGD(0.0))  # weights stay as they are
    x = rng.integers(1, 20, size=(4, 5)).astype("int32")
    lm.fit(x, x, batch_size=2, shuffle=False, epochs=1, verbose=0,
           callbacks=[seqlab.lm.ResetStates()])
    carried = [np.asarray(v) for v in lm.stream_states[0]]
    lm.reset_states()
    _, states = lm(np.concatenate([x[:2], x[2:]], axis=1), carry_state=False,
                   return_state=True)
    for kept, expected in zip(carried, states[0]):
        np.testing.assert_allclose(kept, np.asarray(expected), atol=1e-5)


@pytest.mark.backend
def test_a_streaming_model_predicts_any_batch_size(rng):
    lm = seqlab.LanguageModel(vocab_size=20, units=4, stream_batch_size=3)
    assert lm.predict(rng.integers(1, 20, size=(5, 7)), verbose=0).shape == (5, 7, 20)
    assert all(np.all(np.asarray(v) == 0) for layer in lm.stream_states for v in layer)


@pytest.mark.backend
def test_tied_embeddings_share_one_matrix(rng):
    lm = seqlab.LanguageModel(vocab_size=30, units=8, tie_embeddings=True)
    x = rng.integers(1, 30, size=(2, 5))
    lm.compile(optimizer="sgd")
    lm.fit(x, x, verbose=0)
    names = [v.path for v in lm.trainable_variables]
    assert not any("kernel" in n and "head" in n for n in names)
    scores = np.asarray(lm(x, training=False))
    features = lm.decoder(lm.embedding(x))
    expected = np.asarray(features) @ np.asarray(lm.embedding.embeddings).T \
        + np.asarray(lm.head.bias)
    np.testing.assert_allclose(scores, expected, atol=1e-5)


@pytest.mark.parametrize("kwargs, message", [
    ({"tie_embeddings": True, "embedding_dim": 4}, "embedding_dim == units"),
    ({"tie_embeddings": True, "head": "class_softmax"}, "cannot share"),
    ({"stream_batch_size": 0}, "stream_batch_size"),
    ({"unit": "byte"}, "`unit` must be one of word, char"),
    ({"direction": "sideways"}, "`direction` must be one of forward, backward"),
    ({"unit": "char", "vocabulary": {"tokens": ["a", "bc"]}},
     r"entry 3 \('bc'\) of a character model is not one printable character"),
    ({"unit": "char", "vocabulary": {"tokens": ["a", "\t"]}}, "entry 3"),
])
def test_language_model_argument_errors(kwargs, message):
    with pytest.raises(seqlab.ConfigError, match=message):
        seqlab.LanguageModel(**({"vocab_size": 30} if "vocabulary" not in kwargs else {}),
                             units=8, **kwargs)


@pytest.mark.backend
def test_perplexity_scores_every_token_once_whatever_the_windows(rng):
    keras.utils.set_random_seed(0)
    vocabulary = seqlab.data.Vocabulary(["a", "b", "c", "<eos>"])
    lm = seqlab.LanguageModel(vocabulary=vocabulary, cell="lstm", units=6)
    ids = rng.integers(2, 6, size=57).astype("int32")
    # brute force: the whole stream after an <eos>, in one window
    stream = np.concatenate([[vocabulary.index["<eos>"]], ids])[None]
    expected = float(np.sum(np.asarray(lm.token_log_probs(stream[:, :-1], stream[:, 1:]))))
    for batch_size, num_steps in ((1, 7), (1, 100), (3, 5)):
        total, count = seqlab.lm.stream_log_likelihood(lm, ids, batch_size, num_steps)
        assert count == len(ids)
        if batch_size == 1:
            assert total == pytest.approx(expected, rel=1e-5)
    scores = seqlab.lm.perplexity(lm, ids, 1, 7)
    assert scores["perplexity"] == pytest.approx(math.exp(-expected / len(ids)), rel=1e-5)
    assert scores["bits"] == pytest.approx(math.log2(scores["perplexity"]))


# -- training runs ---------------------------------------------------------

@pytest.mark.slow
def test_train_score_and_generate(tmp_path):
    paths = write_corpus(tmp_path)
    run = seqlab.lm.train_language_model(lm_config(tmp_path, paths, "training.epochs=3"),
                                         verbose=0)
    # 3 patterns, so far below the 10-word unigram perplexity
    assert run.test["perplexity"] < 2.0
    assert run.test["tokens"] == 60 + sum(
        len(line.split()) for line in open(paths["test"]))
    good, bad = seqlab.lm.sentence_log_probs(run.model, ["the cat is small",
                                                         "small the is cat"])
    assert good["log_prob"] > bad["log_prob"] + 5
    assert good["tokens"] == 5
    words = seqlab.lm.generate(run.model, 30, temperature=0.5, seed=1)
    assert len(words) == 30 and set(words) <= {t for p in PATTERNS for t in p} | {"<eos>"}
    assert seqlab.lm.generate(run.model, 30, seed=1) == seqlab.lm.generate(
        run.model, 30, seed=1)
    report = json.loads((tmp_path / "run" / "report.json").read_text())
    assert report["best_epoch"] == run.best_epoch
    assert {"gradient_norm_mean", "clipped_fraction", "dev_ppl"} <= set(report["history"][0])
    # a finished run resumes as finished; a longer one continues
    again = seqlab.lm.train_language_model(
        lm_config(tmp_path, paths, "training.epochs=4"), verbose=0)
    assert [h["epoch"] for h in again.history] == [1, 2, 3, 4]


def test_plateau_halving_follows_the_rnnlm_toolkit():
    from seqlab.callbacks import plateau_halving

    ppl = [200.0, 150.0, 140.0, 139.9, 139.5, 120.0]
    # epochs 2 and 3 improve log-likelihood by more than 0.3%; epoch 4 does
    # not: halving starts (epoch 5 runs at 0.5); epoch 5 does not either: stop.
    assert [plateau_halving(1.0, 0.5, 1.003, ppl[:k]) for k in range(6)] == [
        (1.0, 0), (1.0, 0), (1.0, 0), (1.0, 0), (0.5, 0), (0.5, 5)]
    # once halving has started it goes on after every epoch that improves enough
    assert plateau_halving(1.0, 0.5, 1.003, [200.0, 199.9, 150.0, 120.0]) == (0.125, 0)


def test_plateau_schedule_run_stops_and_resumes_as_finished(tmp_path, capsys):
    paths = write_corpus(tmp_path)
    overrides = ['training.lr_schedule="plateau"', "training.min_improvement=1.5",
                 "training.epochs=6"]
    run = seqlab.lm.train_language_model(lm_config(tmp_path, paths, *overrides), verbose=1)
    # log-likelihood never improves by a factor 1.5: halve after epoch 2, stop after 3
    assert [round(h["learning_rate"], 6) for h in run.history] == [0.02, 0.02, 0.01]
    assert "Stopping after epoch 3: dev perplexity improved by less than" in (
        capsys.readouterr().out)
    again = seqlab.lm.train_language_model(lm_config(tmp_path, paths, *overrides), verbose=0)
    assert len(again.history) == 3


@pytest.mark.slow
def test_class_softmax_run(tmp_path):
    paths = write_corpus(tmp_path)
    run = seqlab.lm.train_language_model(lm_config(
        tmp_path, paths, 'model.head="class_softmax"', "model.num_classes=3"), verbose=0)
    assert run.model.head.num_classes == 3
    counts = run.model.head.word_counts
    assert counts[run.model.vocabulary.index["the"]] == max(counts)
    assert run.test["perplexity"] < 3.0


@pytest.mark.slow
def test_nan_loss_names_the_step_and_keeps_the_last_good_checkpoint(tmp_path):
    paths = write_corpus(tmp_path)
    # epoch 1 trains normally; from epoch 2 the learning rate is 1e38
    config = lm_config(tmp_path, paths, "training.epochs=3", "training.lr_decay=1e38",
                       "training.decay_after=1", 'training.optimizer="sgd"',
                       'training.clipper="none"', "training.learning_rate=1.0")
    with pytest.raises(seqlab.TrainingError, match=r"epoch 2, step \d+") as error:
        seqlab.lm.train_language_model(config, verbose=0)
    assert "last.keras" in str(error.value)
    state = json.loads((tmp_path / "run" / "state.json").read_text())
    assert state["epoch"] == 1
    kept = seqlab.load_model(tmp_path / "run" / "last.keras")
    assert all(np.all(np.isfinite(np.asarray(v))) for v in kept.trainable_variables)


def test_empty_training_corpus(tmp_path):
    paths = write_corpus(tmp_path)
    open(paths["train"], "w").close()
    with pytest.raises(seqlab.DataError, match="empty"):
        seqlab.lm.train_language_model(lm_config(tmp_path, paths), verbose=0)


def test_a_stream_batch_that_would_not_fit_in_memory_is_refused(tmp_path, monkeypatch):
    from seqlab import memory

    paths = write_corpus(tmp_path)
    monkeypatch.setattr(memory, "available_bytes", lambda: 2**14)  # 16 KB
    with pytest.raises(seqlab.ConfigError,
                       match=r"training.batch_size = 4 would not fit in memory: a batch of 4 "
                             r"streams in windows of 8 tokens needs about .* Set "
                             r"training.batch_size to at most [0-3]\."):
        seqlab.lm.train_language_model(lm_config(tmp_path, paths), verbose=0)


# -- the command line --------------------------------------------------------

@pytest.mark.slow
def test_command_line(tmp_path, capsys):
    paths = write_corpus(tmp_path)
    config = tmp_path / "lm.toml"
    config.write_text(f'''output = "{tmp_path / 'cli'}"
[data]
train = "{paths['train']}"
dev = "{paths['dev']}"
test = "{paths['test']}"
[model]
units = 16
depth = 1
[training]
epochs = 2
batch_size = 4
num_steps = 8
optimizer = "adam"
learning_rate = 0.02
init_scale = 0.0
''')
    assert main(["lm", "train", str(config), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "test: perplexity" in out and "bits per word" in out
    model = str(tmp_path / "cli" / "best.keras")
    assert main(["lm", "perplexity", model, paths["test"], "--json"]) == 0
    scores = json.loads(capsys.readouterr().out)
    assert scores["perplexity"] == pytest.approx(2 ** scores["bits"])
    pair = tmp_path / "pair.txt"
    pair.write_text("the cat is small\nsmall the is cat\nzorp blick vrom\n")
    assert main(["lm", "score", model, str(pair)]) == 0
    captured = capsys.readouterr()
    lines = captured.out.strip().splitlines()
    assert float(lines[0].split("\t")[0]) > float(lines[1].split("\t")[0])
    # a line of unknown words is marked and warned about, not silently ranked
    assert [line.split("\t")[2] for line in lines] == ["0.00", "0.00", "1.00"]
    assert ("seqlab: warning: 1 of 3 sentences have more than 20% words outside "
            "the model's vocabulary") in captured.err
    assert main(["lm", "perplexity", model, paths["test"]]) == 0
    assert "0.0% of words <unk>)" in capsys.readouterr().out
    assert main(["lm", "generate", model, "--words", "12", "--seed", "0"]) == 0
    assert capsys.readouterr().out.strip()
    # a text in other words: the vocabulary does not match
    other = tmp_path / "other.txt"
    other.write_text("le chat est petit\ndas ist gut\n")
    assert main(["lm", "perplexity", model, str(other)]) == 2
    assert "vocabulary" in capsys.readouterr().err


def test_lm_commands_reject_a_tagger(tmp_path, capsys):
    tagger = seqlab.Tagger(vocab_size=10, num_tags=3, units=4, embedding_dim=4)
    tagger(np.ones((1, 3), "int32"))
    path = str(tmp_path / "tagger.keras")
    tagger.save(path)
    assert main(["lm", "generate", path]) == 2
    assert "holds a Tagger, not a seqlab LanguageModel" in capsys.readouterr().err


@pytest.mark.backend
@pytest.mark.parametrize("cell", ["lstm", "elman"])
def test_right_padding_never_changes_a_real_position(cell, rng):
    """The recurrence runs unmasked (for the fused kernels): exact because
    padding only ever follows the real tokens."""
    keras.utils.set_random_seed(0)
    lm = seqlab.LanguageModel(vocab_size=20, cell=cell, units=6, depth=2)
    short = rng.integers(1, 20, size=(1, 4)).astype("int32")
    padded = np.concatenate([short, np.zeros((1, 5), "int32")], axis=1)
    targets = rng.integers(1, 20, size=(1, 9)).astype("int32")
    np.testing.assert_allclose(np.asarray(lm.token_log_probs(short, targets[:, :4])),
                               np.asarray(lm.token_log_probs(padded, targets))[:, :4],
                               atol=1e-6)


# -- character language models (issue 25, item 1) ------------------------------

def test_a_character_corpus_keeps_spaces_and_case_and_a_backward_one_reverses(tmp_path):
    path = tmp_path / "text.txt"
    path.write_text("Ab c\n\n\tx!\n")
    assert read_corpus(path, unit="char") == [["A", "b", " ", "c", "<eos>"],
                                              ["\t", "x", "!", "<eos>"]]
    assert read_corpus(path, unit="char", direction="backward")[0] == [
        "c", " ", "b", "A", "<eos>"]
    # a tab cannot be printed as a sampled character: it is <unk>
    vocabulary = build_vocabulary(read_corpus(path, unit="char"), unit="char")
    assert "\t" not in vocabulary.index and " " in vocabulary.index
    assert vocabulary.ids(["\t"]) == [1]


def _char_config(tmp_path, name, direction):
    lines = ["The cat sat on the mat.", "A dog ran in the park!", "Anna said: the Cat is small."]
    for split, count in (("train", 60), ("dev", 6)):
        (tmp_path / f"{split}.txt").write_text("\n".join(lines * (count // 3)) + "\n")
    config = tmp_path / f"{name}.toml"
    config.write_text(f"""output = "{tmp_path / name}"
[data]
train = "{tmp_path / 'train.txt'}"
dev = "{tmp_path / 'dev.txt'}"
unit = "char"
[model]
units = 24
depth = 1
direction = "{direction}"
[training]
epochs = 3
batch_size = 8
num_steps = 24
optimizer = "adam"
learning_rate = 0.03
""")
    return str(config)


@pytest.mark.backend
@pytest.mark.parametrize("direction", ["forward", "backward"])
def test_a_character_model_trains_scores_and_samples_characters(direction, tmp_path, capsys):
    assert main(["lm", "train", _char_config(tmp_path, "run", direction)]) == 0
    out = capsys.readouterr().out
    assert "bits per character" in out and "characters)" in out
    assert re.search(r"epoch 3: dev_ppl \d+\.\d\d \(\d\.\d{3} bits per character\) \(best ", out)
    path = str(tmp_path / "run" / "best.keras")
    model = seqlab.load_model(path)
    assert (model.unit, model.direction) == ("char", direction)
    assert " " in model.vocabulary.index and "T" in model.vocabulary.index
    # A string is split into its characters and read the model's way: the
    # same as its ids, reversed for a backward model, scored directly.
    line = "The cat sat on the mat."
    (result,) = seqlab.lm.sentence_log_probs(model, [line])
    ids = model.vocabulary.ids(list(line)[::-1] if direction == "backward" else list(line))
    eos = model.vocabulary.index["<eos>"]
    x, y = np.array([[eos] + ids], "int32"), np.array([ids + [eos]], "int32")
    assert result["log_prob"] == pytest.approx(
        float(np.sum(keras.ops.convert_to_numpy(model.token_log_probs(x, y)))), abs=1e-4)
    assert result["sentence"] == line and result["tokens"] == len(line) + 1
    # it learned the training lines: one scores above its own reversal
    (backwards,) = seqlab.lm.sentence_log_probs(model, [line[::-1]])
    assert result["log_prob"] > backwards["log_prob"]
    lines = tmp_path / "lines.txt"
    lines.write_text(line + "\n")
    assert main(["lm", "score", path, str(lines)]) == 0
    assert capsys.readouterr().out.strip().endswith("\t" + line)
    assert main(["lm", "perplexity", path, str(tmp_path / "dev.txt")]) == 0
    assert "bits per character (perplexity" in capsys.readouterr().out
    greek = tmp_path / "greek.txt"
    greek.write_text("Ωμέγα ψχφ\n")
    assert main(["lm", "perplexity", path, str(greek)]) == 2
    assert "of its characters are not in the model's" in capsys.readouterr().err
    sampled = seqlab.lm.generate(model, 30, prompt="the ", seed=0)
    assert all(len(c) == 1 or c == "<eos>" for c in sampled) and len(sampled) == 30
    assert main(["lm", "generate", path, "--words", "20", "--prompt", "the ", "--seed",
                 "0"]) == 0
    text = capsys.readouterr().out.rstrip("\n")
    # a backward model writes what comes before the prompt
    assert text.endswith("the ") if direction == "backward" else text.startswith("the ")
    assert "<eos>" not in text
