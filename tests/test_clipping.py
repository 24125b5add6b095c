"""Clipping inside the compiled step: the applied update is bounded exactly."""

import keras
import numpy as np
import pytest
from keras import ops

import seqlab

from conftest import padded_batch

pytestmark = pytest.mark.backend


INITIAL = {}


def weights(model):
    return [ops.convert_to_numpy(w) for w in model.trainable_weights]


def norm(arrays):
    return float(np.sqrt(sum(np.sum(a.astype(np.float64) ** 2) for a in arrays)))


def sgd_updates(clipper, words, tags, steps=1):
    """Per-step updates (w_before - w_after) of SGD(lr=1): the applied gradients.

    Every call starts from the same initial weights, so updates of different
    clippers are comparable.
    """
    keras.utils.set_random_seed(7)
    model = seqlab.Tagger(vocab_size=30, num_tags=5, cell="elman", units=6,
                          embedding_dim=4, depth=2)
    model(words)
    model.set_weights(INITIAL.setdefault(
        keras.backend.backend(), model.get_weights()))
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=1.0), clipper=clipper)
    updates = []
    for _ in range(steps):
        before = weights(model)
        model.train_on_batch(words, tags)
        updates.append([b - a for b, a in zip(before, weights(model))])
    return model, updates


@pytest.fixture
def batch(rng):
    return padded_batch(rng)


def test_none_applies_the_raw_gradient(batch):
    model, (update,) = sgd_updates("none", *batch)
    assert norm(update) == pytest.approx(float(model.optimizer.gradient_norm), rel=1e-4)
    assert int(model.optimizer.clipped_steps) == 0


def test_global_norm_rescales_to_the_threshold(batch):
    _, (raw,) = sgd_updates("none", *batch)
    raw_norm = norm(raw)
    threshold = raw_norm / 4
    model, (update,) = sgd_updates({"name": "global_norm", "threshold": threshold},
                                   *batch)
    assert norm(update) == pytest.approx(threshold, rel=1e-4)
    for u, r in zip(update, raw):  # same direction, scaled
        np.testing.assert_allclose(u, r * threshold / raw_norm, rtol=1e-3, atol=1e-7)
    assert int(model.optimizer.clipped_steps) == 1
    assert float(model.optimizer.clipped_norm) == pytest.approx(threshold, rel=1e-4)


def test_global_norm_leaves_small_gradients_alone(batch):
    _, (raw,) = sgd_updates("none", *batch)
    model, (update,) = sgd_updates({"name": "global_norm", "threshold": 1e6},
                                   *batch)
    for u, r in zip(update, raw):
        np.testing.assert_allclose(u, r, rtol=1e-4, atol=1e-7)
    assert int(model.optimizer.clipped_steps) == 0


def test_value_clips_each_entry(batch):
    _, (raw,) = sgd_updates("none", *batch)
    threshold = float(np.median(np.abs(np.concatenate([r.ravel() for r in raw]))))
    model, (update,) = sgd_updates({"name": "value", "threshold": threshold},
                                   *batch)
    for u, r in zip(update, raw):
        np.testing.assert_allclose(u, np.clip(r, -threshold, threshold),
                                   rtol=1e-3, atol=1e-7)
    assert max(np.abs(u).max() for u in update) <= threshold * (1 + 1e-5)
    assert int(model.optimizer.clipped_steps) == 1
    # A clipper that does not know its output's norm has it measured.
    assert float(model.optimizer.clipped_norm) == pytest.approx(norm(update), rel=1e-4)


def test_adaptive_norm_clips_relative_to_the_running_average(batch):
    factor = 0.25
    _, (raw_first, raw_second) = sgd_updates("none", *batch, steps=2)
    model, (first, second) = sgd_updates(
        {"name": "adaptive_norm", "factor": factor, "decay": 0.9}, *batch, steps=2)
    # Step 1 is never clipped; after it the (bias-corrected) average is the
    # first norm, so step 2 is cut to factor * that norm.
    for u, r in zip(first, raw_first):
        np.testing.assert_allclose(u, r, rtol=1e-4, atol=1e-7)
    threshold = factor * norm(raw_first)
    assert norm(raw_second) > threshold  # the case under test
    assert norm(second) == pytest.approx(threshold, rel=1e-4)
    for u, r in zip(second, raw_second):
        np.testing.assert_allclose(u, r * threshold / norm(raw_second), rtol=1e-3, atol=1e-7)
    assert int(model.optimizer.clipped_steps) == 1


def test_weight_decay_shrinks_every_weight_beside_the_gradient(batch):
    from seqlab.config.schema import LanguageModelTraining
    from seqlab.runs import optimizer_from_config

    model, (raw,) = sgd_updates("none", *batch)
    start = INITIAL[keras.backend.backend()]
    optimizer = optimizer_from_config(LanguageModelTraining(optimizer="sgd", learning_rate=1.0,
                                                            weight_decay=0.1))
    model.set_weights(start)
    model.compile(optimizer=optimizer, clipper={"name": "global_norm", "threshold": 1e6})
    before = weights(model)
    model.train_on_batch(*batch)
    decayed = [b - a for b, a in zip(before, weights(model))]
    assert len(decayed) == len(raw)
    for update, gradient, weight in zip(decayed, raw, before):
        np.testing.assert_allclose(update, gradient + 0.1 * weight, rtol=1e-3, atol=1e-6)
    # The clipper saw the gradient alone.
    assert float(model.optimizer.gradient_norm) == pytest.approx(norm(raw), rel=1e-4)


def test_compile_rejects_a_loss():
    model = seqlab.Tagger(vocab_size=10, num_tags=3)
    with pytest.raises(seqlab.ConfigError, match="loss from the output head"):
        model.compile(optimizer="adam", loss="mse")


def test_inner_optimizer_must_not_clip_itself():
    with pytest.raises(seqlab.ConfigError, match="already clips \\(clipnorm\\)"):
        seqlab.GradientClippingOptimizer(keras.optimizers.Adam(clipnorm=1.0))


def test_unknown_clipper():
    with pytest.raises(seqlab.UnknownComponentError, match="gradient clipper 'norm'"):
        seqlab.GradientClippingOptimizer("adam", "norm")


@pytest.mark.parametrize("options, message", [
    ({"name": "global_norm", "threshold": 0}, "threshold"),
    ({"name": "value", "threshold": -1.0}, "threshold"),
    ({"name": "adaptive_norm", "decay": 1.0}, "decay"),
])
def test_clipper_options_are_validated(options, message):
    with pytest.raises(seqlab.ConfigError, match=message):
        seqlab.GradientClippingOptimizer("adam", options)


def test_learning_rate_is_the_inner_optimizers():
    optimizer = seqlab.GradientClippingOptimizer(keras.optimizers.SGD(0.5))
    assert float(ops.convert_to_numpy(optimizer.learning_rate)) == pytest.approx(0.5)
    optimizer.learning_rate = 0.25
    assert float(ops.convert_to_numpy(
        optimizer.inner_optimizer.learning_rate)) == pytest.approx(0.25)


def test_each_step_carries_two_arrays_of_statistics_and_no_spare_counter(batch):
    # Every optimizer variable is an argument of every compiled step (JAX:
    # about a microsecond each): the six statistics live in two vectors, and
    # the wrapper's own step counter and learning rate (never read) are left out.
    model, _ = sgd_updates({"name": "global_norm", "threshold": 1.0}, *batch)
    optimizer = model.optimizer
    own = [v.name for v in optimizer.variables[:2]]
    assert own == ["statistics", "counters"]
    assert len(optimizer.variables) == 2 + len(optimizer.inner_optimizer.variables)
    assert optimizer.iterations is optimizer.inner_optimizer.iterations
    assert int(optimizer.iterations) == 1
    norm_ = float(optimizer.gradient_norm)
    assert float(optimizer.gradient_norm_sum) == pytest.approx(norm_)
    assert float(optimizer.gradient_norm_max) == pytest.approx(norm_)
    assert int(optimizer.nonfinite_step) == 0
    optimizer.reset_gradient_norm_max()
    assert float(optimizer.gradient_norm_max) == 0.0
    assert float(optimizer.gradient_norm) == pytest.approx(norm_)


def test_a_checkpoint_saved_with_scalar_statistics_still_loads_exactly(batch):
    # Before 2026-12-07 the wrapper saved the base class's step counter and
    # learning rate, then six scalars, then the clipper's and the inner
    # optimizer's variables: such a store loads into the new layout.
    spec = {"name": "adaptive_norm", "factor": 0.5, "decay": 0.9}
    model, _ = sgd_updates(spec, *batch, steps=2)
    optimizer = model.optimizer
    clipper_and_inner = [np.array(ops.convert_to_numpy(v)) for v in optimizer.variables[2:]]
    old = [np.asarray(7, "int64"), np.asarray(0.0, "float32"),
           np.float32(3.5), np.float32(2.0), np.int32(4), np.float32(30.0),
           np.float32(9.0), np.int32(6)] + [a + 1 for a in clipper_and_inner]
    store = {str(i): value for i, value in enumerate(old)}
    fresh, _ = sgd_updates(spec, *batch, steps=1)
    fresh.optimizer.load_own_variables(store)
    loaded = fresh.optimizer
    assert (float(loaded.gradient_norm), float(loaded.clipped_norm),
            int(loaded.clipped_steps), float(loaded.gradient_norm_sum),
            float(loaded.gradient_norm_max), int(loaded.nonfinite_step)) == (
                3.5, 2.0, 4, 30.0, 9.0, 6)
    for variable, expected in zip(loaded.variables[2:], clipper_and_inner):
        np.testing.assert_array_equal(ops.convert_to_numpy(variable), expected + 1)
    # A store of neither layout is refused with Keras's warning, loading nothing.
    with pytest.warns(UserWarning, match="Skipping variable loading"):
        loaded.load_own_variables({"0": np.float32(1.0)})
    assert int(loaded.clipped_steps) == 4
