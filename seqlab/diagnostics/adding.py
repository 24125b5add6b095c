"""The adding problem: the lecture's long-range memory task, and its model."""

import keras
import numpy as np

from seqlab.errors import ConfigError
from seqlab.layers.stacked import make_recurrent_layer
from seqlab.validation import check_positive_int


def adding_problem(num_sequences, steps, seed=None):
    """The adding problem (Hochreiter & Schmidhuber 1997; Le, Jaitly & Hinton 2015).

    Each sequence has two features per step: a number drawn uniformly from
    [0, 1) and a marker that is 1 at exactly two steps, one in each half,
    and 0 elsewhere. The target is the sum of the two marked numbers.
    Predicting the mean (1.0) scores an MSE of 1/6 (about 0.167): the
    baseline. A model must remember the marked numbers over up to
    ``steps`` steps.

    Returns:
        ``(inputs, targets)``: float32 arrays ``(num_sequences, steps, 2)``
        and ``(num_sequences,)``.
    """
    check_positive_int("num_sequences", num_sequences)
    check_positive_int("steps", steps)
    if steps < 2:
        raise ConfigError(f"The adding problem needs steps >= 2 (one marker per "
                          f"half). Received: steps={steps}")
    rng = np.random.default_rng(seed)
    values = rng.random((num_sequences, steps), dtype=np.float32)
    half = steps // 2
    first = rng.integers(0, half, num_sequences)
    second = rng.integers(half, steps, num_sequences)
    markers = np.zeros((num_sequences, steps), np.float32)
    rows = np.arange(num_sequences)
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    targets = values[rows, first] + values[rows, second]
    return np.stack([values, markers], axis=-1), targets.astype(np.float32)


def sequence_regressor(cell, units=100, input_dim=2, kernel_initializer=None,
                       recurrent_initializer=None):
    """A recurrent layer of any registered cell read at the last step, then
    a linear output: the model of the adding problem.

    Compile it with ``seqlab.GradientClippingOptimizer(optimizer, clipper)``
    to choose the clipping strategy.
    """
    inputs = keras.Input((None, input_dim), name="sequence")
    hidden = make_recurrent_layer(cell, units, kernel_initializer,
                                  recurrent_initializer, name="rnn")(inputs)
    output = keras.layers.Dense(1, name="output")(hidden)
    return keras.Model(inputs, keras.ops.squeeze(output, -1), name="sequence_regressor")
