"""Stacked bidirectional and unidirectional layers, ProjectedRNN."""

import keras
import numpy as np
import pytest
from keras import ops

import seqlab
from seqlab.layers import ProjectedCell, ProjectedRNN, StackedBidirectional, StackedRNN

pytestmark = pytest.mark.backend


def test_each_layer_reads_both_directions_of_the_layer_below(rng, seed):
    layer = StackedBidirectional("elman", units=5, depth=3)
    out = layer(rng.normal(size=(2, 4, 3)).astype("float32"))
    assert tuple(out.shape) == (2, 4, 10)
    input_widths = [
        (f.cell.kernel.shape[0], b.cell.kernel.shape[0])
        for f, b in zip(layer.forward_layers, layer.backward_layers)]
    assert input_widths == [(3, 3), (10, 10), (10, 10)]
    assert [b.go_backwards for b in layer.backward_layers] == [True] * 3
    assert [f.go_backwards for f in layer.forward_layers] == [False] * 3


@pytest.mark.parametrize("merge_mode, width", [("concat", 8), ("sum", 4), ("ave", 4), ("mul", 4)])
def test_merge_modes(merge_mode, width, rng, seed):
    layer = StackedBidirectional("gru", units=4, depth=2, merge_mode=merge_mode)
    x = rng.normal(size=(2, 3, 5)).astype("float32")
    assert tuple(layer(x).shape) == (2, 3, width)
    assert layer.compute_output_shape((2, 3, 5)) == (2, 3, width)


def test_backward_direction_ignores_padding(rng, seed):
    """The backward pass of a padded sentence must equal that of the unpadded one."""
    layer = StackedBidirectional("lstm", units=4, depth=2)
    x = rng.normal(size=(1, 6, 3)).astype("float32")
    short = ops.convert_to_numpy(layer(x[:, :4]))
    mask = np.array([[True] * 4 + [False] * 2])
    padded = ops.convert_to_numpy(layer(x, mask=mask))
    np.testing.assert_allclose(padded[:, :4], short, rtol=1e-5, atol=1e-6)


def test_backward_direction_reads_the_future(rng, seed):
    layer = StackedBidirectional("elman", units=3, depth=1, merge_mode="concat")
    x = rng.normal(size=(1, 5, 2)).astype("float32")
    changed = x.copy()
    changed[:, -1] += 5.0
    a, b = ops.convert_to_numpy(layer(x)), ops.convert_to_numpy(layer(changed))
    np.testing.assert_allclose(a[:, :4, :3], b[:, :4, :3], rtol=1e-6)  # forward half
    assert not np.allclose(a[:, 0, 3:], b[:, 0, 3:])  # backward half at t=0 saw t=4


def test_stacked_rnn_is_causal(rng, seed):
    layer = StackedRNN("elman", units=4, depth=2)
    x = rng.normal(size=(1, 6, 3)).astype("float32")
    changed = x.copy()
    changed[:, 4:] += 10.0
    a, b = ops.convert_to_numpy(layer(x)), ops.convert_to_numpy(layer(changed))
    np.testing.assert_allclose(a[:, :4], b[:, :4], rtol=1e-6)
    assert not np.allclose(a[:, 4:], b[:, 4:])


def test_projected_rnn_matches_the_elman_recurrence(rng, seed):
    rnn = seqlab.registry.create("cells", {"name": "elman", "activation": "sigmoid"}, 3,
                                 return_sequences=True)
    assert isinstance(rnn, ProjectedRNN)
    x = rng.normal(size=(2, 5, 4)).astype("float32")
    out = ops.convert_to_numpy(rnn(x))
    cell = rnn.cell
    W, U, b = (ops.convert_to_numpy(v) for v in (cell.kernel, cell.recurrent_kernel, cell.bias))
    h = np.zeros((2, 3))
    for t in range(5):
        h = 1 / (1 + np.exp(-(x[:, t] @ W + h @ U + b)))
        np.testing.assert_allclose(out[:, t], h, rtol=1e-5, atol=1e-6)


def test_irnn_starts_from_the_identity():
    rnn = seqlab.registry.create("cells", {"name": "irnn", "gain": 0.5}, 4,
                                 return_sequences=True)
    rnn(np.zeros((1, 2, 3), "float32"))
    np.testing.assert_allclose(ops.convert_to_numpy(rnn.cell.recurrent_kernel),
                               0.5 * np.eye(4))
    assert rnn.cell.activation == "relu"


def test_projected_rnn_requires_a_projected_cell():
    with pytest.raises(seqlab.ConfigError, match="ProjectedCell"):
        ProjectedRNN(keras.layers.SimpleRNNCell(3))


def test_projected_cell_without_step_says_so():
    rnn = ProjectedRNN(ProjectedCell(3))
    with pytest.raises(NotImplementedError, match="must implement step"):
        rnn(np.zeros((1, 2, 3), "float32"))


@pytest.mark.parametrize("kwargs, message", [
    ({"depth": 0}, "`depth` must be a positive integer. Received: depth=0"),
    ({"units": 2.5}, "`units` must be a positive integer. Received: units=2.5"),
    ({"dropout": 1.0}, "`dropout` must be in \\[0, 1\\)"),
    ({"merge_mode": "max"}, "`merge_mode` must be one of concat, sum, mul, ave. Received: merge_mode='max'"),
    ({"cell": "lstn"}, "Unknown cell 'lstn'"),
    ({"cell": {"name": "elman", "activation": "softplus"}}, "`activation` must be one of"),
])
def test_argument_errors(kwargs, message):
    with pytest.raises(seqlab.SeqlabError, match=message):
        StackedBidirectional(**{"cell": "elman", **kwargs})


def test_a_cell_factory_returning_the_wrong_type_names_its_plugin(register_plugin):
    class BadCell:
        @staticmethod
        @seqlab.hookimpl
        def seqlab_register_cells(register):
            register("bad_cell", lambda units, **kwargs: keras.layers.Dense(units))

    register_plugin(BadCell, "bad_cell_plugin")
    with pytest.raises(seqlab.PluginError, match="'bad_cell' from plugin 'bad_cell_plugin' returned Dense"):
        StackedRNN("bad_cell", units=3)


def test_layer_configs_round_trip():
    for layer in (StackedBidirectional({"name": "elman", "activation": "relu"}, 4, 2, "sum", 0.1,
                                       "uniform", {"name": "identity", "gain": 0.9}),
                  StackedRNN("gru", 3, 2)):
        clone = layer.__class__.from_config(layer.get_config())
        assert clone.get_config() == layer.get_config()


def _outputs_and_gradients(layer, x, mask, weight=1.0):
    """``layer(x, mask=mask)`` and the gradients of ``sum(out**2 * weight)``
    with respect to its trainable weights, as NumPy arrays, on either backend."""
    weights = layer.trainable_weights
    if keras.backend.backend() == "jax":
        import jax

        def loss(values):
            fixed = [v.value for v in layer.non_trainable_variables]
            out = layer.stateless_call(values, fixed, x, mask=mask)[0]
            return ops.sum(ops.square(out) * weight)

        return (ops.convert_to_numpy(layer(x, mask=mask)),
                [np.asarray(g) for g in jax.grad(loss)([v.value for v in weights])])
    import tensorflow as tf

    with tf.GradientTape() as tape:
        out = layer(x, mask=mask)
        total = ops.sum(ops.square(out) * weight)
    return ops.convert_to_numpy(out), [g.numpy() for g in tape.gradient(total, weights)]


class _TwoGateCell(ProjectedCell):
    """A user's cell with two gates (a minimal gated unit), written to the
    documented contract: only `step`."""

    gates = 2

    def step(self, projected, states):
        z_in, h_in = ops.split(projected, 2, axis=-1)
        z_rec, h_rec = ops.split(ops.matmul(states[0], self.recurrent_kernel), 2, axis=-1)
        z = ops.sigmoid(z_in + z_rec)
        h = z * states[0] + (1 - z) * ops.tanh(h_in + h_rec)
        return h, [h]


@pytest.mark.parametrize("cell", [
    {"name": "elman", "activation": "tanh"}, {"name": "elman", "activation": "sigmoid"},
    "relu", "irnn", "two_gate"])
@pytest.mark.parametrize("input_dim", [2, 9])
def test_projecting_in_the_step_gives_the_sequence_projections_numbers(cell, input_dim, rng,
                                                                      seed):
    """A narrow input is projected inside the loop (as SimpleRNN does), a
    wide one before it: the outputs and every gradient are the same either
    way, masked and read backwards too, so the choice changes speed only."""
    def make():
        if cell == "two_gate":
            return ProjectedRNN(_TwoGateCell(4), return_sequences=True, go_backwards=True)
        return seqlab.registry.create("cells", cell, 4, return_sequences=True)

    x = rng.normal(size=(3, 6, input_dim)).astype("float32")
    mask = np.array([[True] * 6, [True] * 4 + [False] * 2, [True] + [False] * 5])
    chosen, other = make(), make()
    chosen.build(x.shape)
    other.build(x.shape)
    other.set_weights(chosen.get_weights())
    width = chosen.cell.gates * 4
    assert chosen.cell.project_in_step == (input_dim < width)
    other.cell.project_in_step = not chosen.cell.project_in_step

    out_a, grads_a = _outputs_and_gradients(chosen, x, mask)
    out_b, grads_b = _outputs_and_gradients(other, x, mask)
    np.testing.assert_allclose(out_a, out_b, rtol=1e-5, atol=1e-6)
    assert len(grads_a) == 3
    for a, b in zip(grads_a, grads_b):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


def test_a_saved_projected_rnn_loads_and_chooses_again(tmp_path, rng, seed):
    """The choice is not saved: a model saved with either loop loads with
    the same config and weights and gives the same outputs."""
    x = rng.normal(size=(2, 5, 2)).astype("float32")
    inputs = keras.Input((None, 2))
    rnn = seqlab.registry.create("cells", "irnn", 6, return_sequences=True)
    model = keras.Model(inputs, rnn(inputs))
    assert rnn.cell.project_in_step
    assert "project_in_step" not in rnn.get_config()["cell"]["config"]
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_allclose(ops.convert_to_numpy(loaded(x)), ops.convert_to_numpy(model(x)),
                               rtol=1e-6)


class _MaskedStack(StackedBidirectional):
    """The stack as it ran before 2026-12-06: both directions masked."""

    def _run_layer(self, i, x, mask, training):
        forward = self.forward_layers[i](x, mask=mask, training=training)
        backward = ops.flip(self.backward_layers[i](x, mask=mask, training=training), axis=1)
        return ops.concatenate([forward, backward], axis=-1)


@pytest.mark.parametrize("read_unmasked", [True, False])
@pytest.mark.parametrize("cell", ["lstm", "gru", "elman", "irnn"])
def test_unmasked_directions_give_every_real_position_the_masked_value(cell, read_unmasked,
                                                                       rng, seed):
    """On an accelerator the stack runs its recurrences without the mask
    (right padding: the backward direction reads each row's real steps
    reversed), so Keras can take its fused kernels; on a CPU the forward
    direction runs unmasked and the backward one masked. Either way, at
    every real position, two layers deep, the outputs and the gradients of
    a loss over real positions equal the masked stack's."""
    x = rng.normal(size=(4, 7, 3)).astype("float32")
    lengths = np.array([7, 4, 1, 0])
    mask = np.arange(7)[None, :] < lengths[:, None]
    ours, masked = StackedBidirectional(cell, units=5, depth=2), _MaskedStack(cell, units=5, depth=2)
    ours.read_unmasked = read_unmasked
    ours(x, mask=mask)
    masked(x, mask=mask)
    masked.set_weights(ours.get_weights())
    real = mask[:, :, None].astype("float32")

    out_a, grads_a = _outputs_and_gradients(ours, x, mask, real)
    out_b, grads_b = _outputs_and_gradients(masked, x, mask, real)
    np.testing.assert_allclose(out_a * real, out_b * real, rtol=1e-5, atol=1e-6)
    assert not np.allclose(out_a[0], 0.0)
    assert len(grads_a) == len(grads_b) >= 6
    for a, b in zip(grads_a, grads_b):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


def test_training_on_a_cpu_gives_the_masked_values_too(rng, seed):
    """In training as in decoding (the CPU's way: the forward direction
    unmasked, the backward one masked), every real position gets the
    masked stack's value."""
    x = rng.normal(size=(3, 6, 3)).astype("float32")
    mask = np.arange(6)[None, :] < np.array([6, 2, 0])[:, None]
    ours, masked = StackedBidirectional("lstm", units=4, depth=2), _MaskedStack("lstm", units=4,
                                                                                depth=2)
    ours(x, mask=mask)
    masked(x, mask=mask)
    masked.set_weights(ours.get_weights())
    assert ours.read_unmasked is False  # a CPU
    real = mask[:, :, None]
    for training in (True, False):
        np.testing.assert_allclose(
            ops.convert_to_numpy(ours(x, mask=mask, training=training)) * real,
            ops.convert_to_numpy(masked(x, mask=mask)) * real, rtol=1e-5, atol=1e-6)


def test_reverse_padded_reverses_each_rows_real_steps_only():
    from seqlab.layers.stacked import reverse_padded

    x = np.arange(2 * 4).reshape(2, 4).astype("float32")
    out = ops.convert_to_numpy(reverse_padded(x[:, :, None], np.array([3, 0])))[:, :, 0]
    np.testing.assert_array_equal(out, [[2, 1, 0, 3], [4, 5, 6, 7]])


def test_the_stack_reads_masked_on_a_cpu_and_unmasked_on_an_accelerator(monkeypatch):
    import seqlab.layers.stacked as stacked

    x = np.zeros((1, 3, 2), "float32")
    mask = np.array([[True, True, False]])
    for accelerator in (False, True):
        monkeypatch.setattr(stacked, "on_accelerator", lambda: accelerator)
        layer = StackedBidirectional("elman", units=2)
        layer(x, mask=mask)
        assert layer.read_unmasked is accelerator


def test_the_gradient_of_reverse_padded_is_the_same_permutation(rng):
    """Reversing each row's real steps is its own inverse: the gradient of
    ``sum(w * reverse_padded(x))`` is ``reverse_padded(w)``."""
    from seqlab.layers.stacked import reverse_padded

    x = rng.normal(size=(3, 5, 2)).astype("float32")
    w = rng.normal(size=(3, 5, 2)).astype("float32")
    lengths = np.array([5, 2, 0])
    if keras.backend.backend() == "jax":
        import jax

        gradient = np.asarray(jax.grad(lambda v: ops.sum(w * reverse_padded(v, lengths)))(x))
    else:
        import tensorflow as tf

        v = tf.constant(x)
        with tf.GradientTape() as tape:
            tape.watch(v)
            total = ops.sum(w * reverse_padded(v, lengths))
        gradient = tape.gradient(total, v).numpy()
    expected = w.copy()
    expected[0] = w[0, ::-1]
    expected[1, :2] = w[1, 1::-1]
    np.testing.assert_array_equal(gradient, expected)
