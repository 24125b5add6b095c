"""The Minimal Gated Unit: the cell class and its factory (imported by
seqlab when a model first uses ``mgu``)."""

import keras
from keras import ops

from seqlab.layers import ProjectedCell, ProjectedRNN


@keras.saving.register_keras_serializable(package="seqlab_example_cell")
class MGUCell(ProjectedCell):
    # The input is projected once per sequence to two blocks: gate, candidate.
    gates = 2

    def step(self, projected, states):
        h = states[0]
        x_f, x_h = ops.split(projected, 2, axis=-1)
        u_f, u_h = ops.split(self.recurrent_kernel, 2, axis=-1)
        f = ops.sigmoid(x_f + ops.matmul(h, u_f))
        candidate = ops.tanh(x_h + ops.matmul(f * h, u_h))
        h = (1.0 - f) * h + f * candidate
        return h, [h]


def mgu(units, kernel_initializer=None, recurrent_initializer=None, **rnn_kwargs):
    cell = MGUCell(units,
                   kernel_initializer=kernel_initializer or "glorot_uniform",
                   recurrent_initializer=recurrent_initializer or "orthogonal")
    return ProjectedRNN(cell, **rnn_kwargs)
