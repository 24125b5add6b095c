"""The ``lstm`` cell: Keras's LSTM layer, fused (cuDNN) where the backend has it."""

import keras


def lstm(units, kernel_initializer=None, recurrent_initializer=None,
         unit_forget_bias=True, **rnn_kwargs):
    """LSTM (Hochreiter & Schmidhuber 1997), Keras's fused-capable layer."""
    return keras.layers.LSTM(
        units, kernel_initializer=kernel_initializer or "glorot_uniform",
        recurrent_initializer=recurrent_initializer or "orthogonal",
        unit_forget_bias=unit_forget_bias, **rnn_kwargs)
