"""Training dynamics: gradient statistics during training.

`GradientStatistics` is a Keras callback that reads, after every step, what
`seqlab.GradientClippingOptimizer` measured inside the compiled step: the
global gradient norm before clipping, the norm actually applied, and
whether the clipper changed the gradients.
"""

import json
import math
import os

import keras
import numpy as np

from seqlab.errors import ConfigError
from seqlab.io import atomic_write
from seqlab.training import GradientClippingOptimizer


class GradientStatistics(keras.callbacks.Callback):
    """Record the global gradient norm of every step and how often clipping fired.

    Needs a model compiled by seqlab (its optimizer is a
    `seqlab.GradientClippingOptimizer`). Per step it appends to
    `steps` a dict ``{"step", "epoch", "gradient_norm", "clipped_norm",
    "clipped", "loss", "threshold"}`` (the clipper's threshold, where it has
    one: for ``adaptive_norm`` the one its running statistics give); per epoch it adds ``gradient_norm_mean``,
    ``gradient_norm_max`` and ``clipped_fraction`` to the epoch logs (so they
    appear in the training history and the run's ``report.json``).

    Args:
        path: if given, a JSON file the per-step records are written to at
            the end of every epoch (atomically).
        plot: if given, a PNG path: the gradient norm per step on a log
            scale, with the steps where clipping fired marked.
        every: record every ``every``-th step. Reading the statistics waits
            for the step to finish (and on JAX copies the training state
            back to the model), which stalls an accelerator's pipeline;
            ``every=50`` keeps that cost small. The epoch's clipped
            fraction is exact whatever ``every`` is (it comes from the
            optimizer's counter); the norm statistics come from the
            recorded steps.

    Example:
        >>> stats = seqlab.diagnostics.GradientStatistics("grads.json", "grads.png")
        >>> model.fit(x, y, callbacks=[stats])
        >>> stats.summary()
        {'steps': 1327, 'gradient_norm_mean': 2.9, 'clipped_fraction': 0.12, ...}
    """

    def __init__(self, path=None, plot=None, every=1):
        from seqlab.layers.recurrent import check_positive_int

        check_positive_int("every", every)
        super().__init__()
        self.path, self.plot, self.every = path, plot, every
        self._seen = 0
        self._epoch_steps = 0
        self._epoch_clipped = 0
        self.steps = []
        self.epoch = 0
        self._epoch_start = 0
        self._clipped_before = None

    def _optimizer(self):
        optimizer = self.model.optimizer
        if not isinstance(optimizer, GradientClippingOptimizer):
            raise ConfigError(
                "GradientStatistics needs a model compiled with seqlab's "
                "compile(optimizer, clipper=...) (a GradientClippingOptimizer); "
                f"this one's optimizer is {type(optimizer).__name__}.")
        return optimizer

    def on_train_begin(self, logs=None):
        optimizer = self._optimizer()
        if not optimizer.built:
            optimizer.build(self.model.trainable_variables)
        self._clipped_before = int(np.asarray(optimizer.clipped_steps.value))

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch
        self._epoch_start = len(self.steps)
        self._epoch_steps = 0
        self._epoch_clipped = self._clipped_before

    def on_train_batch_end(self, batch, logs=None):
        self._seen += 1
        self._epoch_steps += 1
        if (self._seen - 1) % self.every:
            return
        optimizer = self._optimizer()
        clipped_steps = int(np.asarray(optimizer.clipped_steps.value))
        loss = (logs or {}).get("loss")
        record = {
            "step": self._seen, "epoch": self.epoch + 1,
            "gradient_norm": float(np.asarray(optimizer.gradient_norm.value)),
            "clipped_norm": float(np.asarray(optimizer.clipped_norm.value)),
            "clipped": clipped_steps > self._clipped_before if self.every == 1
            else self._step_clipped(optimizer),
            "loss": None if loss is None else float(loss)}
        threshold = getattr(optimizer.clipper, "threshold", None)
        if callable(threshold):  # adaptive clippers: the threshold for the next step
            record["threshold"] = float(np.asarray(threshold()))
        elif isinstance(threshold, (int, float)):
            record["threshold"] = float(threshold)
        self.steps.append(record)
        self._clipped_before = clipped_steps

    @staticmethod
    def _step_clipped(optimizer):
        # Sampled steps: did this step's clipper change the gradients?
        norm = float(np.asarray(optimizer.gradient_norm.value))
        return float(np.asarray(optimizer.clipped_norm.value)) < norm * (1.0 - 1e-6)

    def on_epoch_end(self, epoch, logs=None):
        epoch_steps = self.steps[self._epoch_start:]
        if logs is not None and epoch_steps:
            norms = [s["gradient_norm"] for s in epoch_steps]
            logs["gradient_norm_mean"] = float(np.mean(norms))
            logs["gradient_norm_max"] = float(np.max(norms))
            if self.every == 1:
                logs["clipped_fraction"] = float(np.mean([s["clipped"] for s in epoch_steps]))
            else:
                clipped = int(np.asarray(self._optimizer().clipped_steps.value))
                logs["clipped_fraction"] = ((clipped - self._epoch_clipped)
                                            / max(1, self._epoch_steps))
                self._clipped_before = clipped
        self.save()

    def summary(self):
        """Totals over all recorded steps."""
        norms = np.asarray([s["gradient_norm"] for s in self.steps] or [math.nan])
        return {"steps": len(self.steps),
                "gradient_norm_mean": float(np.mean(norms)),
                "gradient_norm_median": float(np.median(norms)),
                "gradient_norm_max": float(np.max(norms)),
                "clipped_steps": int(sum(s["clipped"] for s in self.steps)),
                "clipped_fraction": (float(np.mean([s["clipped"] for s in self.steps]))
                                     if self.steps else math.nan)}

    def save(self):
        """Write the JSON and the plot, where paths were given."""
        if self.path:
            atomic_write(self.path, json.dumps(
                {"summary": self.summary(), "steps": self.steps}, indent=0))
        if self.plot and self.steps:
            plot_gradient_statistics(self.steps, self.plot)


def _pyplot():
    """matplotlib's pyplot on the headless Agg backend, or a clear error."""
    try:
        import matplotlib
    except ImportError:
        raise ConfigError("Plotting needs matplotlib: pip install 'seqlab[plot]' "
                          "(or pip install matplotlib).") from None
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt
    return plt


def plot_gradient_statistics(steps, path, title="Gradient norm per training step"):
    """Plot per-step gradient norms (log scale), marking clipped steps."""
    plt = _pyplot()
    x = [s["step"] for s in steps]
    norms = [s["gradient_norm"] for s in steps]
    fig, ax = plt.subplots(figsize=(7, 3.5))
    ax.plot(x, norms, lw=0.8, label="global gradient norm (before clipping)")
    clipped = [(s["step"], s["gradient_norm"]) for s in steps if s["clipped"]]
    if clipped:
        ax.scatter(*zip(*clipped), s=6, color="tab:red", zorder=3,
                   label=f"clipped ({len(clipped)} of {len(steps)} steps)")
    ax.set_yscale("log")
    ax.set_xlabel("training step")
    ax.set_ylabel("||g||")
    ax.set_title(title)
    ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    _save_figure(fig, path)
    plt.close(fig)


def _save_figure(fig, path):
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    temporary = f"{path}.tmp.png"
    fig.savefig(temporary, dpi=110)
    os.replace(temporary, path)


# -- per-timestep gradient norms --------------------------------------------

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
    from seqlab import registry
    from seqlab.errors import PluginError
    from seqlab.layers.recurrent import ProjectedRNN, check_positive_int
    from seqlab.layers.stacked import make_recurrent_layer

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
        component = registry.get("cells", registry.parse_spec(cell)[0])
        raise PluginError(
            f"Cell {component.name!r} from plugin {component.plugin!r} returned a "
            f"{type(layer).__name__} without a step cell (`.cell` with a "
            f"`state_size`), so its hidden states cannot be probed.",
            plugin=component.plugin)
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
        plot_timestep_gradients(results, plot_path)
    return results


def plot_timestep_gradients(results, path):
    """Log-scale plot of ||dE_T/dh_t|| against t, one line per cell."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4))
    for label, result in results.items():
        norms = np.maximum(np.asarray(result["gradient_norm"]), 1e-45)
        line, = ax.plot(result["t"], norms, label=label, lw=1.6)
        low, high = (np.maximum(np.asarray(q), 1e-45)
                     for q in result["gradient_norm_quartiles"])
        ax.fill_between(result["t"], low, high, color=line.get_color(), alpha=0.15)
    any_result = next(iter(results.values()))
    ax.set_yscale("log")
    ax.set_xlabel("time step t")
    ax.set_ylabel(r"$\|\partial E_T / \partial h_t\|$")
    ax.set_title(f"How far the error at T = {any_result['steps']} reaches back "
                 f"({any_result['units']} units)")
    ax.legend(fontsize=8)
    ax.grid(True, which="major", alpha=0.3)
    fig.tight_layout()
    _save_figure(fig, path)
    plt.close(fig)


# -- the adding problem -------------------------------------------------------

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
    from seqlab.layers.recurrent import check_positive_int

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
    from seqlab.layers.stacked import make_recurrent_layer

    inputs = keras.Input((None, input_dim), name="sequence")
    hidden = make_recurrent_layer(cell, units, kernel_initializer,
                                  recurrent_initializer, name="rnn")(inputs)
    output = keras.layers.Dense(1, name="output")(hidden)
    return keras.Model(inputs, keras.ops.squeeze(output, -1), name="sequence_regressor")
