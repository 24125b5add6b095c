"""The contract every registered component meets, and its save/load round trip.

Parametrized over the registry itself: a new built-in (or an installed
plugin, like the tutorial's ``mgu`` cell) is tested by being registered.
"""

import itertools

import keras
import numpy as np
import pytest
from keras import ops

import seqlab
from seqlab import registry
from seqlab.hookspecs import HeadContext
from seqlab.layers import OutputHead

from conftest import padded_batch

pytestmark = pytest.mark.backend


def names(kind):
    return [c.name for c in registry.components(kind)]


def tiny_tagger(**kwargs):
    options = dict(vocab_size=30, num_tags=5, units=6, embedding_dim=4, depth=2)
    options.update(kwargs)
    return seqlab.Tagger(**options)


def assert_round_trip(model, inputs, tmp_path, outputs=lambda m, x: m.predict(x, verbose=0)):
    before = ops.convert_to_numpy(outputs(model, inputs))
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = seqlab.load_model(path)
    after = ops.convert_to_numpy(outputs(loaded, inputs))
    np.testing.assert_allclose(after, before, rtol=1e-5, atol=1e-6)
    assert loaded.get_config() == model.get_config()
    return loaded


@pytest.mark.parametrize("cell", names("cells"))
def test_cell_contract(cell, rng, seed, tmp_path):
    layer = registry.create("cells", cell, 7, kernel_initializer=None,
                            recurrent_initializer=None, return_sequences=True)
    assert isinstance(layer, keras.layers.RNN)
    x = rng.normal(size=(3, 5, 4)).astype("float32")
    mask = np.array([[1] * 5, [1] * 3 + [0] * 2, [1] + [0] * 4], bool)
    out = ops.convert_to_numpy(layer(x, mask=mask))
    assert out.shape == (3, 5, 7)
    # What follows a sequence's end must not change its outputs.
    noisy = x.copy()
    noisy[~mask] = 100.0
    out_noisy = ops.convert_to_numpy(layer(noisy, mask=mask))
    np.testing.assert_allclose(out_noisy[mask], out[mask], rtol=1e-5, atol=1e-6)
    clone = layer.__class__.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()


@pytest.mark.parametrize("cell", names("cells"))
def test_cell_in_a_tagger_saves_and_loads(cell, rng, seed, tmp_path):
    words, _ = padded_batch(rng)
    assert_round_trip(tiny_tagger(cell=cell), words, tmp_path)


@pytest.mark.parametrize("initializer", names("initializers"))
def test_initializer_contract(initializer, rng, seed, tmp_path):
    init = registry.create("initializers", initializer)
    assert isinstance(init, keras.initializers.Initializer)
    assert ops.convert_to_numpy(init((6, 6))).shape == (6, 6)
    clone = init.__class__.from_config(init.get_config())
    assert clone.get_config() == init.get_config()
    words, _ = padded_batch(rng)
    model = tiny_tagger(cell="elman", recurrent_initializer=initializer,
                        kernel_initializer=initializer)
    assert_round_trip(model, words, tmp_path)


@pytest.mark.parametrize("clipper", names("gradient_clippers"))
def test_clipper_contract(clipper, rng, seed, tmp_path):
    assert isinstance(registry.create("gradient_clippers", clipper),
                      seqlab.GradientClipper)
    words, tags = padded_batch(rng)
    model = tiny_tagger(cell="gru")
    model.compile(optimizer="adam", clipper=clipper)
    model.fit(words, tags, epochs=2, batch_size=3, verbose=0)
    loaded = assert_round_trip(model, words, tmp_path)
    assert loaded.optimizer.clipper_spec == clipper
    # Training resumes with the restored optimizer state.
    np.testing.assert_allclose(
        ops.convert_to_numpy(loaded.optimizer.iterations),
        ops.convert_to_numpy(model.optimizer.iterations))
    loaded.fit(words, tags, epochs=1, batch_size=3, verbose=0)


@pytest.mark.parametrize("head", names("output_heads"))
@pytest.mark.parametrize("length", [3, 2, 1])
def test_head_contract(head, length, rng, seed):
    """By brute force over every label sequence of a tiny input: the loss is
    a normalised sequence distribution, decode is its argmax, log_probs are
    its marginals. Padding (length 2 of 3) must not change any of it."""
    k, time = 4, 3
    layer = registry.create("output_heads", head, HeadContext(k))
    assert isinstance(layer, OutputHead)
    scores = layer(rng.normal(size=(1, time, 5)).astype("float32"))
    mask = np.arange(time)[None] < length
    sequences = np.array(list(itertools.product(range(k), repeat=length)))
    sequences = np.pad(sequences, ((0, 0), (0, time - length)))
    tiled = ops.repeat(scores, len(sequences), axis=0)
    tiled_mask = np.repeat(mask, len(sequences), axis=0)
    loss = ops.convert_to_numpy(layer.token_loss(sequences, tiled, tiled_mask))
    nll = (loss * tiled_mask).sum(1)
    probability = np.exp(-nll)
    np.testing.assert_allclose(probability.sum(), 1.0, rtol=1e-4)
    decoded = ops.convert_to_numpy(layer.decode(scores, mask))[0]
    np.testing.assert_array_equal(decoded, sequences[np.argmax(probability)])
    log_probs = ops.convert_to_numpy(layer.log_probs(scores, mask))[0]
    for t in range(length):
        marginal = [probability[sequences[:, t] == j].sum() for j in range(k)]
        np.testing.assert_allclose(np.exp(log_probs[t]), marginal, rtol=1e-3, atol=1e-6)
    # path_scores: the probability of every piece of a path (an entity's
    # confidence) is the mass of the sequences that agree with it there.
    for path in (decoded, sequences[len(sequences) // 3]):
        first, step, last = (ops.convert_to_numpy(x)[0] for x in layer.path_scores(
            scores, path[None].astype("int32"), mask))
        for start in range(length):
            for end in range(start, length):
                expected = probability[(sequences[:, start:end + 1]
                                        == path[start:end + 1]).all(axis=1)].sum()
                log_p = first[start] + step[start + 1:end + 1].sum() + last[end]
                np.testing.assert_allclose(np.exp(log_p), expected, rtol=1e-3, atol=1e-6)
    clone = layer.__class__.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()


@pytest.mark.parametrize("head", names("output_heads"))
@pytest.mark.parametrize("model_kind", ["tagger", "language_model"])
def test_head_in_models_saves_and_loads(head, model_kind, rng, seed, tmp_path):
    words, tags = padded_batch(rng, num_tags=5)
    if model_kind == "tagger":
        model = tiny_tagger(head=head)
    else:
        model = seqlab.LanguageModel(vocab_size=30, units=6, head=head)
    model.compile(optimizer="adam")
    targets = tags if model_kind == "tagger" else np.roll(words, -1, axis=1)
    model.fit(words, targets, epochs=1, batch_size=3, verbose=0)
    assert_round_trip(model, words, tmp_path,
                      outputs=lambda m, x: m.log_probs(x))
