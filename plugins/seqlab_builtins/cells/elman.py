"""Elman networks: the ``elman`` cell (tanh or sigmoid, Mikolov's RNNLM),
``relu``, and ``irnn`` (Le, Jaitly & Hinton 2015)."""

import keras
from keras import ops

import seqlab
from seqlab.layers import ProjectedCell, ProjectedRNN

ACTIVATIONS = ("tanh", "sigmoid", "relu")


@keras.saving.register_keras_serializable(package="seqlab")
class ElmanCell(ProjectedCell):
    """h_t = f(W x_t + U h_{t-1} + b) (Elman 1990).

    Args:
        units: hidden width.
        activation: ``"tanh"``, ``"sigmoid"`` (Mikolov's RNNLM) or ``"relu"``.
        **kwargs: initializers and ``use_bias``, see `ProjectedCell`.
    """

    def __init__(self, units, activation="tanh", **kwargs):
        if activation not in ACTIVATIONS:
            raise seqlab.ConfigError(
                f"`activation` must be one of {', '.join(ACTIVATIONS)}. "
                f"Received: activation={activation!r}")
        super().__init__(units, **kwargs)
        self.activation = activation
        self._activation = keras.activations.get(activation)

    def step(self, projected, states):
        h = self._activation(projected + ops.matmul(states[0], self.recurrent_kernel))
        return h, [h]

    def get_config(self):
        return {**super().get_config(), "activation": self.activation}


def elman(units, activation="tanh", kernel_initializer=None,
          recurrent_initializer=None, **rnn_kwargs):
    """Elman RNN; ``activation="sigmoid"`` gives Mikolov's RNNLM."""
    cell = ElmanCell(units, activation=activation,
                     kernel_initializer=kernel_initializer or "glorot_uniform",
                     recurrent_initializer=recurrent_initializer or "orthogonal")
    return ProjectedRNN(cell, **rnn_kwargs)


def relu(units, kernel_initializer=None, recurrent_initializer=None,
         **rnn_kwargs):
    """Elman RNN with ReLU units and the usual (orthogonal) recurrent init."""
    return elman(units, "relu", kernel_initializer, recurrent_initializer,
                 **rnn_kwargs)


def irnn(units, gain=1.0, kernel_initializer=None, recurrent_initializer=None,
         **rnn_kwargs):
    """IRNN (Le, Jaitly & Hinton 2015): ReLU units, recurrent weights start at
    ``gain`` times the identity, biases at zero, input weights N(0, 0.001^2)."""
    return elman(
        units, "relu",
        kernel_initializer or keras.initializers.RandomNormal(stddev=0.001),
        recurrent_initializer or keras.initializers.Identity(gain=gain),
        **rnn_kwargs)
