"""How far gradients travel back in time through a cell: per-timestep
gradient norms ||dE_T/dh_t||, measured inside Keras's own training step on
whichever backend runs.
"""

import json

import keras
import numpy as np

from seqlab import plots, registry
from seqlab.errors import ConfigError
from seqlab.io import atomic_write
from seqlab.layers.recurrent import ProjectedRNN
from seqlab.layers.stacked import make_recurrent_layer
from seqlab.validation import check_positive_int


#: The lecture's comparison: short names for the cells `seqlab diagnose
#: gradients` runs by default. Any registered cell name (a plugin's too) or
#: spec works as well.
LECTURE_CELLS = {
    "sigmoid": {"name": "elman", "activation": "sigmoid"},
    "tanh": {"name": "elman", "activation": "tanh"},
    "relu": "relu",
    "irnn": "irnn",
    "lstm": "lstm",
}


class _ProbeCell(keras.layers.Layer):
    """Runs a cell and adds a probe to its new hidden state.

    The last ``units`` features of each step's input are the probe
    ``delta_t``; everything before them goes to the wrapped cell. With
    ``delta = 0`` the computation is unchanged, and the gradient of a loss
    with respect to ``delta_t`` is its gradient with respect to ``h_t``.
    """

    def __init__(self, cell, units, **kwargs):
        super().__init__(name="probe_cell", **kwargs)
        self.cell, self.units = cell, units
        self.state_size = cell.state_size
        self.output_size = getattr(cell, "output_size", units)

    def build(self, input_shape):
        inner = tuple(input_shape[:-1]) + (input_shape[-1] - self.units,)
        if not self.cell.built:
            self.cell.build(inner)

    def call(self, inputs, states, training=None):
        x, delta = inputs[..., :-self.units], inputs[..., -self.units:]
        output, new_states = self.cell(x, states)
        nested = isinstance(new_states, (list, tuple))
        new_states = list(new_states) if nested else [new_states]
        new_states[0] = new_states[0] + delta
        return output + delta, (new_states if nested else new_states[0])


class _GradientCapture(keras.optimizers.Optimizer):
    """An optimizer that stores the gradients it is given instead of
    applying them: Keras's own training step computes them, on whichever
    backend runs, and the caller reads them afterwards."""

    def __init__(self):
        super().__init__(learning_rate=0.0, name="gradient_capture")
        self.captured = []

    def build(self, var_list):
        if self.built:
            return
        self.captured = [self.add_variable_from_reference(v, "gradient")
                         for v in var_list]
        super().build(var_list)

    def apply(self, grads, trainable_variables=None):
        if not self.built:
            self.build(trainable_variables or self._trainable_variables)
        for slot, grad in zip(self.captured, grads):
            if grad is not None:  # weights the loss does not reach
                slot.assign(grad)


class _Probed(keras.Model):
    """E_T = r . h_T (a fixed random unit readout per sequence), with a
    zero probe added to every hidden state h_t; the probes are the only
    trainable weights."""

    def __init__(self, layer, steps, units, batch):
        super().__init__(name="probed")
        self.layer = layer
        self.probe = self.add_weight(shape=(batch, steps, units), initializer="zeros",
                                     name="probe")

    def call(self, inputs):
        x, readout = inputs
        hidden = self.layer(keras.ops.concatenate([x, self.probe], axis=-1))
        return keras.ops.sum(hidden[:, -1] * readout, axis=-1)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None,
                     training=True):
        return keras.ops.sum(y_pred)


def timestep_gradient_norms(cell, steps=100, units=100, batch=32, input_dim=10,
                            seed=0):
    """Measure how far gradients travel back in time through a cell.

    Runs one recurrent layer of ``cell`` (any registered cell spec) over
    ``steps`` random inputs (N(0, 1), ``input_dim`` features) and takes
    E_T = r . h_T, with r a random unit vector per sequence. Then
    dE_T/dh_T = r has norm 1, and ||dE_T/dh_t|| = ||r^T dh_T/dh_t|| is the
    norm of the product of Jacobians dh_k/dh_{k-1} from t+1 to T applied to
    a random direction: how much of the error signal at T reaches step t.

    Returns:
        A dict: ``t`` (1..T), ``gradient_norm`` (mean over the ``batch``
        sequences of ||dE_T/dh_t||), ``jacobian_norm`` (an estimate of the
        Frobenius norm of dh_T/dh_t: sqrt(units * mean ||dE_T/dh_t||^2)),
        ``gradient_norm_quartiles`` (25% and 75% over sequences), and the
        settings.

    Raises:
        ConfigError: ``steps`` < 2 or another unusable size.
        UnknownComponentError: no such cell.
        PluginError: the cell's layer has no step cell to probe.
    """
    for name, value in (("steps", steps), ("units", units), ("batch", batch),
                        ("input_dim", input_dim)):
        check_positive_int(name, value)
    if steps < 2:
        raise ConfigError(f"`steps` must be at least 2: gradients are traced back "
                          f"from the last step. Received: steps={steps}")
    keras.utils.set_random_seed(seed)
    layer = make_recurrent_layer(cell, units)
    step_cell = getattr(layer, "cell", None)
    if step_cell is None or getattr(step_cell, "state_size", None) is None:
        raise registry.component_error(
            registry.get("cells", registry.parse_spec(cell)[0]),
            f"returned a {type(layer).__name__} without a step cell (`.cell` "
            f"with a `state_size`), so its hidden states cannot be probed.")
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, steps, input_dim)).astype("float32")
    readout = rng.standard_normal((batch, units)).astype("float32")
    readout /= np.linalg.norm(readout, axis=-1, keepdims=True)
    if isinstance(layer, ProjectedRNN):
        # its cell reads inputs projected once for the whole sequence
        step_cell.build((batch, input_dim))
        x = np.asarray(step_cell.project(x))
    probe_layer = keras.layers.RNN(_ProbeCell(step_cell, units), return_sequences=True)
    model = _Probed(probe_layer, steps, units, batch)
    capture = _GradientCapture()
    model.compile(optimizer=capture)
    model.train_on_batch([x, readout], np.zeros((batch,), "float32"))
    index = [i for i, v in enumerate(model.trainable_variables) if v is model.probe][0]
    grads = np.asarray(capture.captured[index].value, dtype=np.float64)  # (batch, T, units)
    norms = np.linalg.norm(grads, axis=-1)                               # (batch, T)
    return {
        "cell": registry.normalise_spec(cell, "cells"), "steps": steps, "units": units,
        "batch": batch, "input_dim": input_dim, "seed": seed,
        "t": list(range(1, steps + 1)),
        "gradient_norm": norms.mean(axis=0).tolist(),
        "gradient_norm_quartiles": np.percentile(norms, [25, 75], axis=0).tolist(),
        "jacobian_norm": np.sqrt(units * np.mean(norms ** 2, axis=0)).tolist(),
    }


def diagnose_gradients(cells=None, steps=100, units=100, batch=32, input_dim=10,
                       seed=0, json_path=None, plot_path=None):
    """`timestep_gradient_norms` for several cells, written as JSON and a plot.

    Args:
        cells: a dict ``{label: cell spec}`` or a list of names; names in
            `LECTURE_CELLS` (``sigmoid``, ``tanh``, ``relu``, ``irnn``,
            ``lstm``) are the lecture's cells, other names are looked up in
            the registry. Default: `LECTURE_CELLS`.
        json_path, plot_path: where to write the numbers and the PNG.

    Returns:
        ``{label: timestep_gradient_norms(...)}``.
    """
    if cells is None:
        cells = LECTURE_CELLS
    if not isinstance(cells, dict):
        cells = {name: name for name in cells}
    cells = {label: LECTURE_CELLS.get(spec, spec) if isinstance(spec, str) else spec
             for label, spec in cells.items()}
    if not cells:
        raise ConfigError("Give at least one cell.")
    results = {label: timestep_gradient_norms(spec, steps, units, batch, input_dim, seed)
               for label, spec in cells.items()}
    if json_path:
        atomic_write(json_path, json.dumps(results, indent=1))
    if plot_path:
        plots.plot_timestep_gradients(results, plot_path)
    return results
