import os

import numpy as np
import pluggy
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402

import seqlab  # noqa: E402
from seqlab import hookspecs, plugins  # noqa: E402


def pytest_report_header(config):
    return f"keras backend: {keras.backend.backend()}"


@pytest.fixture
def register_plugin():
    """Register in-process plugins for one test; unregistered afterwards."""
    names = []

    def register(plugin, name):
        plugins.pm.register(plugin, name=name)
        names.append(name)
        return plugin

    yield register
    for name in names:
        if plugins.pm.get_plugin(name) is not None:
            plugins.pm.unregister(name=name)


@pytest.fixture
def fresh_plugins(monkeypatch):
    """An empty plugin manager that loads plugins anew (entry points too)."""
    pm = pluggy.PluginManager("seqlab")
    pm.add_hookspecs(hookspecs)
    monkeypatch.setattr(plugins, "pm", pm)
    monkeypatch.setattr(plugins, "_loaded", False)
    monkeypatch.setattr(plugins, "_packages", {})
    return pm


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture
def seed():
    keras.utils.set_random_seed(1234)


def padded_batch(rng, batch=6, time=9, vocab=30, num_tags=5):
    """Word ids (0 = padding, ragged lengths) and tags."""
    lengths = rng.integers(3, time + 1, size=batch)
    lengths[0] = time
    words = rng.integers(1, vocab, size=(batch, time))
    tags = rng.integers(0, num_tags, size=(batch, time))
    for i, n in enumerate(lengths):
        words[i, n:] = 0
        tags[i, n:] = 0
    return words, tags


def saved_weights(path):
    """The weights of the model saved at ``path``, as NumPy arrays."""
    from seqlab.saving import load_model

    return [np.asarray(w) for w in load_model(path).get_weights()]


def same_weights(a, b):
    """Whether two lists of weight arrays are bitwise equal."""
    return len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b))


@pytest.fixture(scope="session")
def small_tagger_run(tmp_path_factory):
    """One run of the default tagger's shape (word embedding, character
    CNN, BiLSTM, CRF), small, that finds entities in generated data, and
    its test sentences' tokens: shared by the export and serving tests."""
    from seqlab.config import load_config
    from seqlab.demo import write_ner_corpus
    from seqlab.tagging import read_tagged, train_tagger

    folder = tmp_path_factory.mktemp("small-tagger")
    corpus = write_ner_corpus(folder / "corpus", seed=3, train=80, dev=20, test=30)
    config = load_config(data={
        "output": str(folder / "run"), "data": {**corpus, "format": "two_column",
                                                "scheme": "iob2"},
        "model": {"units": 16, "embedding_dim": 16},
        "training": {"epochs": 3, "batch_size": 4, "learning_rate": 0.05}})
    run = train_tagger(config, verbose=0)
    return run, [s.tokens for s in read_tagged(corpus["test"], config.data)]


@pytest.fixture(scope="session")
def small_lm_run(tmp_path_factory):
    """One run of a small word-level language model on a few repeated lines."""
    folder = tmp_path_factory.mktemp("small-lm")
    lines = ["the cat is small", "the dog is big", "a cat saw the dog"] * 20
    for split in ("train", "dev"):
        (folder / f"{split}.txt").write_text("\n".join(lines) + "\n")
    config = seqlab.load_config(task="lm", data={
        "output": str(folder / "run"),
        "data": {"train": str(folder / "train.txt"), "dev": str(folder / "dev.txt")},
        "model": {"units": 8, "depth": 1},
        "training": {"epochs": 1, "batch_size": 2, "num_steps": 4}})
    return seqlab.train_language_model(config, verbose=0)


@pytest.fixture
def char_lms(tmp_path):
    """A forward (2 LSTM layers of 7) and a backward (1 of 5) character
    language model with random weights, saved: paths for lm_embeddings."""
    from seqlab.data.vocabulary import Vocabulary

    chars = list("abcdefghijklmnopqrstuvwxyzTCAMPBEUGH .,!:'") + ["<eos>"]
    paths = []
    for direction, units, depth, seed in (("forward", 7, 2, 1), ("backward", 5, 1, 2)):
        keras.utils.set_random_seed(seed)
        model = seqlab.LanguageModel(cell="lstm", units=units, depth=depth, embedding_dim=6,
                                     vocabulary=Vocabulary(chars), unit="char",
                                     direction=direction)
        model(np.zeros((1, 2), "int32"))
        paths.append(str(tmp_path / f"lm-{direction}.keras"))
        model.save(paths[-1])
    return tuple(paths)
