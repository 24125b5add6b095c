"""The ``gru`` cell: Keras's GRU layer, fused (cuDNN) where the backend has it."""

import keras


def gru(units, kernel_initializer=None, recurrent_initializer=None,
        **rnn_kwargs):
    """GRU (Cho et al. 2014), ``reset_after`` form, which cuDNN runs."""
    return keras.layers.GRU(
        units, kernel_initializer=kernel_initializer or "glorot_uniform",
        recurrent_initializer=recurrent_initializer or "orthogonal",
        reset_after=True, **rnn_kwargs)
