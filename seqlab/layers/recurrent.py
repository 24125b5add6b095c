"""Recurrent layers for generic cells: the input projection where it is cheaper.

A plain ``keras.layers.RNN`` multiplies each step's input by the input kernel
inside the time loop. `ProjectedRNN` does that product for the whole sequence
in one matrix multiplication before the loop when the input is at least as
wide as the projection (a tagger's upper layers, wide embeddings), so the
loop only carries the recurrent part; when the input is narrower (the adding
problem's 2 features into 100 units) it projects inside the step, as
``keras.layers.SimpleRNN`` does: a projected sequence wider than the input
costs more to carry through the loop and back than the small products save
(measured: benchmarks/README.md section 5). The arithmetic is the same
either way. Cells written for it subclass `ProjectedCell`.
"""

import keras
from keras import ops

from seqlab.errors import ConfigError
from seqlab.validation import check_positive_int


@keras.saving.register_keras_serializable(package="seqlab")
class ProjectedCell(keras.layers.Layer):
    """Base class of cells whose input-to-hidden product is precomputed.

    The input is projected to ``gates * units`` features per step (one block
    per gate); `step` receives that slice and the previous states and returns
    ``(output, new_states)``. Subclasses set `gates`, override `step`, and
    override `state_size` if they carry more than one state.

    Args:
        units: positive int, the width of the hidden state.
        kernel_initializer: initializer of the input kernel.
        recurrent_initializer: initializer of the recurrent kernel.
        bias_initializer: initializer of the bias.
        use_bias: whether the projection adds a bias.
    """

    gates = 1

    def __init__(self, units, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 use_bias=True, **kwargs):
        check_positive_int("units", units)
        super().__init__(**kwargs)
        self.units = units
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.recurrent_initializer = keras.initializers.get(recurrent_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.use_bias = use_bias
        # Set by ProjectedRNN.build: project each step's input in `call`
        # rather than receive the whole sequence projected.
        self.project_in_step = False

    @property
    def state_size(self):
        return self.units

    @property
    def output_size(self):
        return self.units

    def build(self, input_shape):
        width = self.gates * self.units
        self.kernel = self.add_weight(
            shape=(input_shape[-1], width), name="kernel",
            initializer=self.kernel_initializer)
        self.recurrent_kernel = self.add_weight(
            shape=(self.units, width), name="recurrent_kernel",
            initializer=self.recurrent_initializer)
        self.bias = self.add_weight(
            shape=(width,), name="bias", initializer=self.bias_initializer
        ) if self.use_bias else None

    def project(self, inputs):
        """Input-to-hidden product for a whole ``(batch, time, dim)`` tensor."""
        projected = ops.matmul(inputs, self.kernel)
        return projected + self.bias if self.use_bias else projected

    def call(self, inputs, states):
        projected = self.project(inputs) if self.project_in_step else inputs
        return self.step(projected, states)

    def step(self, projected, states):
        """One time step. Returns ``(output, new_states)``."""
        raise NotImplementedError(
            f"{type(self).__name__} must implement step(projected, states)."
        )

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": keras.initializers.serialize(self.recurrent_initializer),
            "bias_initializer": keras.initializers.serialize(self.bias_initializer),
            "use_bias": self.use_bias,
        }


@keras.saving.register_keras_serializable(package="seqlab")
class ProjectedRNN(keras.layers.RNN):
    """A ``keras.layers.RNN`` over a `ProjectedCell`.

    Takes every argument of ``keras.layers.RNN`` (``return_sequences``,
    ``return_state``, ``go_backwards``, ``stateful``, ...), so it works inside
    ``keras.layers.Bidirectional`` and with masks.

    Example:
        >>> layer = ProjectedRNN(MyCell(32), return_sequences=True)
        >>> layer(np.zeros((2, 5, 8))).shape
        (2, 5, 32)
    """

    def __init__(self, cell, **kwargs):
        if not isinstance(cell, ProjectedCell):
            raise ConfigError(
                "`cell` must be a seqlab.layers.ProjectedCell; wrap other "
                "Keras cells in keras.layers.RNN instead. "
                f"Received: cell={cell!r}"
            )
        super().__init__(cell, **kwargs)

    def build(self, sequences_shape, initial_state_shape=None):
        super().build(sequences_shape, initial_state_shape)
        # RNN.build has built the cell on the raw input width (the kernel's
        # rows). A projected sequence wider than the input costs more to
        # carry through the loop than projecting each step's input does.
        width = self.cell.gates * self.cell.units
        input_width = sequences_shape[-1]
        self.cell.project_in_step = input_width is not None and input_width < width

    def call(self, sequences, initial_state=None, mask=None, training=False):
        if not self.cell.project_in_step:
            sequences = self.cell.project(sequences)
        return super().call(sequences, initial_state=initial_state, mask=mask,
                            training=training)
