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
