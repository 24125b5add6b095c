"""Stacks of recurrent layers built from registered cells."""

import keras
from keras import ops

from seqlab import registry
from seqlab.config.schema import MERGE_MODES  # declared once, with the config key
from seqlab.errors import ConfigError
from seqlab.memory import on_accelerator
from seqlab.validation import check_positive_int


def make_initializer(spec):
    """A fresh initializer from a spec, or None (the cell's own default)."""
    return None if spec is None else registry.create("initializers", spec)


def make_recurrent_layer(cell, units, kernel_initializer=None,
                         recurrent_initializer=None, **rnn_kwargs):
    """Build one recurrent layer from a cell spec.

    Args:
        cell: a cell spec (name or dict with ``"name"`` and options).
        units: positive int.
        kernel_initializer, recurrent_initializer: initializer specs or None.
        **rnn_kwargs: ``return_sequences``, ``return_state``,
            ``go_backwards``, ``name``, passed to the cell's factory.

    Raises:
        PluginError: the cell's factory did not return a ``keras.layers.RNN``.
    """
    return registry.create(
        "cells", cell, units,
        kernel_initializer=make_initializer(kernel_initializer),
        recurrent_initializer=make_initializer(recurrent_initializer),
        **rnn_kwargs,
    )


def reverse_padded(x, lengths):
    """Each row of ``x`` (``(batch, time, ...)``) with its first ``lengths``
    steps in reverse order and the rest where they were, as
    ``tf.reverse_sequence`` does: position ``t < length`` takes position
    ``length - 1 - t``.

    The permutation is its own inverse, so its gradient is the same gather
    of the incoming gradient, not the scatter-add that the gradient of a
    gather is in general (serial on a CPU, atomic on a GPU)."""
    steps = ops.arange(ops.shape(x)[1], dtype="int32")[None, :]
    lengths = ops.cast(lengths, "int32")[:, None]
    index = ops.where(steps < lengths, lengths - 1 - steps, steps)
    for _ in range(len(x.shape) - 2):
        index = ops.expand_dims(index, -1)

    @ops.custom_gradient
    def permute(values):
        def gradient(*upstream, **kwargs):
            # TensorFlow passes the incoming gradient as an argument, JAX
            # as `upstream=`.
            incoming = kwargs.get("upstream", upstream[0] if upstream else None)
            return ops.take_along_axis(incoming, index, axis=1)

        return ops.take_along_axis(values, index, axis=1), gradient

    return permute(x)


class _Stack(keras.layers.Layer):
    """Shared arguments, validation and config of the two stacks."""

    def __init__(self, cell="lstm", units=100, depth=1, dropout=0.0,
                 kernel_initializer=None, recurrent_initializer=None, **kwargs):
        check_positive_int("units", units)
        check_positive_int("depth", depth)
        if not 0.0 <= dropout < 1.0:
            raise ConfigError(
                f"`dropout` must be in [0, 1). Received: dropout={dropout!r}")
        super().__init__(**kwargs)
        self.cell = registry.normalise_spec(cell, "cells")
        self.units = units
        self.depth = depth
        self.dropout = dropout
        self.kernel_initializer = kernel_initializer
        self.recurrent_initializer = recurrent_initializer
        self.supports_masking = True
        self.dropouts = [keras.layers.Dropout(dropout, name=f"dropout_{i}")
                         for i in range(depth - 1)]

    def _recurrent(self, **rnn_kwargs):
        return make_recurrent_layer(
            self.cell, self.units, self.kernel_initializer,
            self.recurrent_initializer, return_sequences=True, **rnn_kwargs)

    def call(self, inputs, mask=None, training=None):
        x = inputs
        for i in range(self.depth):
            if i:
                x = self.dropouts[i - 1](x, training=training)
            x = self._run_layer(i, x, mask, training)
        return x

    def compute_mask(self, inputs, mask=None):
        return mask

    def get_config(self):
        return {
            **super().get_config(),
            "cell": self.cell, "units": self.units, "depth": self.depth,
            "dropout": self.dropout,
            "kernel_initializer": self.kernel_initializer,
            "recurrent_initializer": self.recurrent_initializer,
        }


@keras.saving.register_keras_serializable(package="seqlab")
class StackedBidirectional(_Stack):
    """A deep bidirectional RNN (Irsoy & Cardie 2014).

    Layer ``i`` reads the merged forward and backward states of layer
    ``i - 1``, so every layer sees the whole sentence in both directions.

    A ``mask`` must mark right padding (each row's real steps first, as
    seqlab's batches and Keras's cuDNN kernels have them). On a GPU or TPU
    the recurrences then run unmasked, each row's real steps reversed for
    the backward direction: real positions get exactly the masked values,
    Keras keeps its fused kernels, and outputs at padded positions are not
    defined. On a CPU, where reversing the rows saved nothing (decoding
    CoNLL-2003's test split: the same speed to 20% slower, both backends;
    benchmarks/bidirectional_mask.py), the backward direction runs masked
    and the forward one unmasked (its padding comes after the real steps;
    Keras's mask only adds selects to every step: the small tagger of
    benchmarks/throughput.py trained 7% faster under JAX). ``read_unmasked``
    chooses: True, False (the CPU's way), or None (the device decides at
    the first call; it is not saved, so a model trained on a GPU reads the
    CPU's way on a CPU).

    Args:
        cell: cell spec, e.g. ``"lstm"`` or ``{"name": "elman",
            "activation": "relu"}``.
        units: positive int, width of each direction.
        depth: positive int, number of bidirectional layers.
        merge_mode: how the two directions are merged: ``"concat"`` (the
            paper's choice), ``"sum"``, ``"mul"`` or ``"ave"``.
        dropout: dropout rate between layers.
        kernel_initializer, recurrent_initializer: initializer specs, or
            None for the cell's defaults.

    Example:
        >>> layer = StackedBidirectional("gru", units=16, depth=3)
        >>> layer(np.zeros((2, 7, 8))).shape
        (2, 7, 32)
    """

    def __init__(self, cell="lstm", units=100, depth=1, merge_mode="concat",
                 dropout=0.0, kernel_initializer=None,
                 recurrent_initializer=None, **kwargs):
        if merge_mode not in MERGE_MODES:
            raise ConfigError(
                f"`merge_mode` must be one of {', '.join(MERGE_MODES)}. "
                f"Received: merge_mode={merge_mode!r}")
        super().__init__(cell, units, depth, dropout, kernel_initializer,
                         recurrent_initializer, **kwargs)
        self.merge_mode = merge_mode
        self.read_unmasked = None
        # Not keras.layers.Bidirectional: it rebuilds the forward layer from
        # its serialized config, which would force every plugin cell to be
        # registered with Keras just to run.
        self.forward_layers = [self._recurrent(name=f"forward_{i}")
                               for i in range(depth)]
        self.backward_layers = [
            self._recurrent(name=f"backward_{i}", go_backwards=True)
            for i in range(depth)]

    def _run_layer(self, i, x, mask, training):
        if self.read_unmasked is None:
            self.read_unmasked = on_accelerator()
        if mask is None or not self.read_unmasked:
            # Right padding comes after a row's real steps, so the forward
            # direction needs no mask to give them their masked values
            # (Keras's masked loop only adds a select per step and state).
            forward = self.forward_layers[i](x, training=training)
            # go_backwards returns the outputs in reversed time order
            backward = ops.flip(
                self.backward_layers[i](x, mask=mask, training=training), axis=1)
        else:
            # Right padding, read without the mask, which gives every real
            # position the masked recurrence's value and lets Keras take
            # its unmasked (fused, cuDNN) kernels. The forward direction
            # reaches the padding only after the real tokens. The backward
            # layer reads each row's real tokens last to first and then its
            # padding: fed the row with its real tokens moved to the end
            # (go_backwards reverses it again), its outputs come in reading
            # order and are put back at their positions. Outputs at padding
            # are not those of a masked run; the mask still goes on to the
            # head and the loss, which ignore them.
            lengths = ops.sum(ops.cast(mask, "int32"), axis=1)
            forward = self.forward_layers[i](x, training=training)
            reversed_rows = reverse_padded(x, lengths)
            backward = reverse_padded(
                self.backward_layers[i](ops.flip(reversed_rows, axis=1), training=training),
                lengths)
        if self.merge_mode == "concat":
            return ops.concatenate([forward, backward], axis=-1)
        if self.merge_mode == "sum":
            return forward + backward
        if self.merge_mode == "mul":
            return forward * backward
        return (forward + backward) / 2.0

    def compute_output_shape(self, input_shape):
        width = self.units * (2 if self.merge_mode == "concat" else 1)
        return tuple(input_shape[:-1]) + (width,)

    def get_config(self):
        return {**super().get_config(), "merge_mode": self.merge_mode}


@keras.saving.register_keras_serializable(package="seqlab")
class StackedRNN(_Stack):
    """A deep left-to-right RNN, as used by language models.

    Args are those of `StackedBidirectional` without ``merge_mode``.

    ``call(inputs, initial_state=..., return_state=True)`` starts from given
    states and also returns the final ones: one list of state tensors per
    layer (one tensor for Elman cells, ``[h, c]`` for an LSTM). That is how
    a language model carries its hidden state from one window of text to
    the next (truncated backpropagation through time).
    """

    def __init__(self, cell="lstm", units=100, depth=1, dropout=0.0,
                 kernel_initializer=None, recurrent_initializer=None, **kwargs):
        super().__init__(cell, units, depth, dropout, kernel_initializer,
                         recurrent_initializer, **kwargs)
        self.recurrent_layers = [self._recurrent(name=f"rnn_{i}", return_state=True)
                                 for i in range(depth)]

    def state_sizes(self):
        """The width of each state tensor, per layer: ``[[200, 200], ...]``."""
        sizes = []
        for layer in self.recurrent_layers:
            size = layer.cell.state_size
            sizes.append(list(size) if isinstance(size, (list, tuple)) else [size])
        return sizes

    def zero_states(self, batch_size):
        """All-zero states for ``batch_size`` streams."""
        return [[ops.zeros((batch_size, size)) for size in layer]
                for layer in self.state_sizes()]

    def call(self, inputs, mask=None, training=None, initial_state=None,
             return_state=False):
        x, states = inputs, []
        for i, layer in enumerate(self.recurrent_layers):
            if i:
                x = self.dropouts[i - 1](x, training=training)
            start = None if initial_state is None else list(initial_state[i])
            output = layer(x, mask=mask, training=training, initial_state=start)
            x, final = output[0], list(output[1:])
            states.append(final)
        return (x, states) if return_state else x
