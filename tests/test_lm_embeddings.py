"""The lm_embeddings encoder: a tagger reads the states of seqlab's own
character language models (contextual string embeddings)."""

import json
import os
import zipfile

import keras
import numpy as np
import pytest
from keras import ops

import seqlab
from seqlab.cli import main
from seqlab.data.batching import SequenceBatches
from seqlab.data.vocabulary import Vocabulary

SENTENCES = [["The", "cat", "sat", "."], ["Mary", "'s", "cat", "!"], ["a"],
             ["Zoë", "ran", "to", "Tokyo", ",", "Anna", "said"]]


def _tagger(char_lms, **options):
    forward, backward = char_lms
    return seqlab.Tagger(
        vocabulary=Vocabulary(["The", "cat", "sat"]), tag_names=["O", "B-X", "I-X"],
        units=4, head="crf", encoders=["word_embedding", {
            "name": "lm_embeddings", "forward": forward, "backward": backward, **options}])


def _states(model, text):
    """The model's last-layer states over <eos> + text (reversed for a
    backward model), read alone."""
    chars = text if model.direction == "forward" else text[::-1]
    ids = [model.vocabulary.index["<eos>"]] + [model.vocabulary.index.get(c, 1) for c in chars]
    return ops.convert_to_numpy(model.decoder(model.embedding(np.array([ids], "int32"))))[0]


@pytest.mark.backend
def test_each_token_reads_the_models_states_at_its_boundaries(char_lms):
    tagger = _tagger(char_lms)
    encoder = tagger.token_encoders[1]
    forward, backward = (seqlab.load_model(path, compile=False) for path in char_lms)
    (batch,) = SequenceBatches(tagger.encode_inputs(SENTENCES), batch_size=8)[0]
    assert batch["lm_forward"].shape[1] > batch["words"].shape[1]
    vectors = ops.convert_to_numpy(encoder({k: batch[k] for k in encoder.input_keys}))
    assert vectors.shape == (4, batch["words"].shape[1], 7 + 5)
    order = sorted(range(len(SENTENCES)), key=lambda i: len(SENTENCES[i]))  # bucketed
    for row, index in enumerate(order):
        tokens = SENTENCES[index]
        text = " ".join(tokens)
        ahead, behind = _states(forward, text), _states(backward, text)
        start = 0
        for i, token in enumerate(tokens):
            end = start + len(token)
            # forward: after the character that follows the token (a space,
            # or the <eos> that ends the line: the state after all of it)
            want_forward = ahead[1 + end] if end < len(text) else _after_eos(forward, text)
            # backward: after the character before it, read right to left
            want_backward = (behind[1 + len(text) - start] if start else
                             _after_eos(backward, text))
            np.testing.assert_allclose(vectors[row, i, :7], want_forward, atol=1e-5)
            np.testing.assert_allclose(vectors[row, i, 7:], want_backward, atol=1e-5)
            start = end + 1
        assert not vectors[row, len(tokens):].any()  # padding tokens read nothing


def _after_eos(model, text):
    """The state after <eos> + text + <eos> (the stream's last position)."""
    chars = text if model.direction == "forward" else text[::-1]
    eos = model.vocabulary.index["<eos>"]
    ids = [eos] + [model.vocabulary.index.get(c, 1) for c in chars] + [eos]
    return ops.convert_to_numpy(model.decoder(model.embedding(np.array([ids], "int32"))))[0, -1]


@pytest.mark.backend
@pytest.mark.parametrize("fine_tune", [False, True])
def test_the_models_stay_as_trained_unless_fine_tuned(char_lms, fine_tune):
    keras.utils.set_random_seed(0)
    tagger = _tagger(char_lms, fine_tune=fine_tune)
    encoder = tagger.token_encoders[1]
    x = tagger.encode_inputs(SENTENCES)
    y = [[1] + [0] * (len(s) - 1) for s in SENTENCES]
    tagger.compile(optimizer=keras.optimizers.Adam(0.05))
    before = [ops.convert_to_numpy(w) for w in encoder.weights]
    tagger.fit(SequenceBatches(x, y, batch_size=2), epochs=2, verbose=0)
    changed = [not np.array_equal(a, ops.convert_to_numpy(w))
               for a, w in zip(before, encoder.weights)]
    assert len(encoder.trainable_weights) == (len(encoder.weights) if fine_tune else 0)
    assert all(changed) if fine_tune else not any(changed)


@pytest.mark.backend
def test_a_saved_tagger_holds_the_models_and_reads_no_path(char_lms, tmp_path):

    tagger = _tagger(char_lms)
    expected = tagger.tag(SENTENCES)
    path = tmp_path / "tagger.keras"
    tagger.save(path)
    for lm in char_lms:
        os.remove(lm)  # the tagger file is all that tagging needs
    loaded = seqlab.load_model(path)
    assert loaded.tag(SENTENCES) == expected
    (spec,) = [s for s in loaded.get_config()["encoders"] if isinstance(s, dict)]
    assert set(spec) == {"name", "forward_model", "backward_model", "fine_tune"}
    assert spec["forward_model"]["units"] == 7 and spec["backward_model"]["depth"] == 1
    # A model file that names a language model's path is refused.
    forged = tmp_path / "forged.keras"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(forged, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "config.json":
                config = json.loads(data)
                for encoder in config["config"]["encoders"]:
                    if isinstance(encoder, dict):
                        encoder.pop("forward_model")
                        encoder["forward"] = char_lms[0]
                data = json.dumps(config).encode()
            target.writestr(item, data)
    with pytest.raises(seqlab.UnsafeModelError, match=r"forward"):
        seqlab.load_model(forged)


def test_language_models_of_the_wrong_kind_are_refused_in_one_line(char_lms, tmp_path,
                                                                    small_lm_run):
    forward, backward = char_lms
    word_model = os.path.join(small_lm_run.output, "best.keras")
    cases = [
        ({}, "lm_embeddings needs character language models"),
        ({"forward": forward, "units": 8}, "from files .* or the shape of new ones"),
        ({"units": 8, "fine_tune": False}, "must train them: leave fine_tune out"),
        ({"forward": forward, "fine_tune": False, "lm_loss": 0.5},
         "lm_loss trains the language models: set fine_tune = true"),
        ({"units": 8, "lm_loss": -1}, "lm_loss must be a number >= 0"),
        ({"units": 8, "directions": ["up"]}, "directions must be some of forward, backward"),
        ({"forward": backward}, r"is a char-level backward language model; it needs a "
                                r"character-level forward one"),
        ({"backward": forward}, r"needs a character-level backward one \(seqlab lm train "
                                r"with data.unit = \"char\", model.direction = \"backward\"\)"),
        ({"forward": word_model}, "is a word-level forward language model"),
        ({"forward": forward, "forward_model": {}}, "takes forward or forward_model, not both"),
        ({"forward_model": {"units": 3}}, "forward_model must be a dict with the keys"),
        ({"forward": str(tmp_path / "missing.keras")}, "missing.keras"),
    ]
    for options, message in cases:
        with pytest.raises(seqlab.SeqlabError, match=message) as error:
            seqlab.Tagger(vocabulary=Vocabulary(["a"]), tag_names=["O"],
                          char_vocabulary=Vocabulary(list("ab")),
                          encoders=[{"name": "lm_embeddings", **options}])
        assert "\n" not in str(error.value)
    with pytest.raises(seqlab.ConfigError, match="the tagger has no character vocabulary"):
        seqlab.Tagger(vocabulary=Vocabulary(["a"]), tag_names=["O"],
                      encoders=[{"name": "lm_embeddings", "units": 8}])
    twice = {"name": "lm_embeddings", "forward": forward}
    with pytest.raises(seqlab.ConfigError, match=r"both make the input 'lm_forward'; a "
                                                 r"tagger takes one encoder of that kind"):
        seqlab.Tagger(vocabulary=Vocabulary(["a"]), tag_names=["O"], encoders=[twice, twice])


def test_a_config_trains_evaluates_tags_and_resumes_with_lm_embeddings(tmp_path, capsys):
    from seqlab.demo import write_ner_corpus

    corpus = write_ner_corpus(tmp_path / "corpus", seed=3, train=40, dev=10, test=10)
    lines = [" ".join(line.split()[0] for line in block.splitlines() if line.strip())
             for block in open(corpus["train"]).read().split("\n\n") if block.strip()]
    (tmp_path / "text.txt").write_text("\n".join(lines) + "\n")
    for direction in ("forward", "backward"):
        (tmp_path / f"{direction}.toml").write_text(f"""output = "lm-{direction}"
[data]
train = "text.txt"
dev = "text.txt"
unit = "char"
[model]
units = 12
direction = "{direction}"
[training]
epochs = 1
batch_size = 4
num_steps = 20
""")
        assert main(["lm", "train", str(tmp_path / f"{direction}.toml")]) == 0
    (tmp_path / "lms").mkdir()
    config = tmp_path / "lms" / "ner.toml"  # model paths are relative to the config
    config.write_text(f"""output = "run"
[data]
train = "{corpus['train']}"
dev = "{corpus['dev']}"
test = "{corpus['test']}"
format = "two_column"
[model]
units = 8
embedding_dim = 8
encoders = ["word_embedding", {{name = "lm_embeddings", forward = "../lm-forward/best.keras", backward = "../lm-backward/best.keras"}}]
[training]
epochs = 1
batch_size = 8
""")
    capsys.readouterr()
    assert main(["train", str(config)]) == 0
    assert "test" in capsys.readouterr().out
    model = str(tmp_path / "lms" / "run" / "best.keras")
    assert main(["train", str(config), "--epochs", "2"]) == 0  # resumes after epoch 1
    captured = capsys.readouterr()
    assert "Resuming" in captured.out + captured.err and "epoch 2:" in captured.out
    assert main(["evaluate", model, corpus["test"], "--format", "two_column"]) == 0
    assert "f1-score" in capsys.readouterr().out
    text = tmp_path / "raw.txt"
    text.write_text("Maria Garcia flew to Tokyo.\n")
    assert main(["tag", model, str(text)]) == 0
    assert len(capsys.readouterr().out.strip().splitlines()) == 6  # a token per line
    assert main(["export", model, str(tmp_path / "export")]) == 2
    err = capsys.readouterr().err.strip()
    assert "reads text through 'lm_embeddings'" in err and "does not export such taggers yet" in err
    assert "\n" not in err


@pytest.mark.backend
def test_new_models_co_trained_on_the_training_sentences_learn_the_text(tmp_path):
    """No language model, no text besides the training data (Liu et al.
    2018): new character models learn it as language models with lm_loss."""
    keras.utils.set_random_seed(0)
    sentences = [s.split() for s in ["the cat sat on the mat", "a dog sat on a log",
                                     "the dog saw the cat"]] * 4
    from seqlab.data import Sentence
    tagger = seqlab.Tagger(
        vocabulary=Vocabulary(["the", "cat", "dog"]), tag_names=["O", "B-X", "I-X"], units=4,
        char_vocabulary=Vocabulary.characters([Sentence(s) for s in sentences]),
        encoders=["word_embedding", {"name": "lm_embeddings", "units": 16, "lm_loss": 1.0,
                                     "directions": ["forward"]}])
    encoder = tagger.token_encoders[1]
    assert encoder.directions == ["forward"] and encoder.fine_tune
    x = tagger.encode_inputs(sentences)
    y = [[0] * len(s) for s in sentences]
    (batch,) = SequenceBatches(x, batch_size=12)[0]
    read = {k: batch[k] for k in encoder.input_keys}

    def next_char_loss():
        states = encoder.decoder("forward")(encoder.embedding("forward")(read["lm_forward"]))
        return float(ops.convert_to_numpy(
            encoder._next_char_loss("forward", states, read["lm_forward"])))

    before = next_char_loss()
    tagger(batch, training=True)
    assert len(tagger.losses) == 1  # the co-training loss, in training only
    tagger(batch, training=False)
    assert not tagger.losses
    tagger.compile(optimizer=keras.optimizers.Adam(0.02))
    tagger.fit(SequenceBatches(x, y, batch_size=4), epochs=15, verbose=0)
    assert next_char_loss() < 0.5 * before  # about log(20) nats at first
    path = tmp_path / "cotrained.keras"
    tagger.save(path)
    loaded = seqlab.load_model(path)
    (spec,) = [s for s in loaded.get_config()["encoders"] if isinstance(s, dict)]
    assert set(spec) == {"name", "forward_model", "fine_tune", "lm_loss"} and spec["fine_tune"]
    assert loaded.tag(sentences[:3]) == tagger.tag(sentences[:3])
    # the next-character head and its optimizer slots load too (a resumed
    # run goes on exactly), though a prediction never calls the head
    assert len(loaded.weights) == len(tagger.weights)
    assert len(loaded.optimizer.variables) == len(tagger.optimizer.variables)
    for a, b in zip(loaded.optimizer.variables, tagger.optimizer.variables):
        np.testing.assert_array_equal(ops.convert_to_numpy(a), ops.convert_to_numpy(b))


def test_co_training_is_refused_where_replicas_would_lose_its_loss(tmp_path):
    """Under tf.distribute Keras keeps one list of added losses, which the
    replicas' threads clear for each other: refused, not mistrained (JAX
    trains it on several devices as on one)."""
    import types

    from seqlab.demo import write_ner_corpus
    from seqlab.tagging import TaggerTask

    corpus = write_ner_corpus(tmp_path / "corpus", seed=3, train=8, dev=4, test=4)
    config = seqlab.load_config(data={
        "output": str(tmp_path / "run"), "data": {**corpus, "format": "two_column"},
        "model": {"units": 4, "encoders": ["word_embedding", {
            "name": "lm_embeddings", "units": 4, "lm_loss": 0.5}]}})
    task = TaggerTask(config)
    task.distribution = types.SimpleNamespace(replicas=2, keeps_layer_losses=False,
                                              processes=1, shard_batch=None)
    task.read_data()
    with pytest.raises(seqlab.ConfigError, match=r"Token encoder 'lm_embeddings' adds a loss "
                       r"in training .* 2 replicas would train without part of it\. Train "
                       r"it on several devices with the JAX backend"):
        task.fit_data(task.build_model(), 0)
    task.distribution.keeps_layer_losses = True
    assert task.fit_data(task.build_model(), 0)["steps_per_epoch"] >= 1
