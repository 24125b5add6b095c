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
    "clipped", "loss"}``; per epoch it adds ``gradient_norm_mean``,
    ``gradient_norm_max`` and ``clipped_fraction`` to the epoch logs (so they
    appear in the training history and the run's ``report.json``).

    Args:
        path: if given, a JSON file the per-step records are written to at
            the end of every epoch (atomically).
        plot: if given, a PNG path: the gradient norm per step on a log
            scale, with the steps where clipping fired marked.

    Example:
        >>> stats = seqlab.diagnostics.GradientStatistics("grads.json", "grads.png")
        >>> model.fit(x, y, callbacks=[stats])
        >>> stats.summary()
        {'steps': 1327, 'gradient_norm_mean': 2.9, 'clipped_fraction': 0.12, ...}
    """

    def __init__(self, path=None, plot=None):
        super().__init__()
        self.path, self.plot = path, plot
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

    def on_train_batch_end(self, batch, logs=None):
        optimizer = self._optimizer()
        clipped_steps = int(np.asarray(optimizer.clipped_steps.value))
        loss = (logs or {}).get("loss")
        self.steps.append({
            "step": len(self.steps) + 1, "epoch": self.epoch + 1,
            "gradient_norm": float(np.asarray(optimizer.gradient_norm.value)),
            "clipped_norm": float(np.asarray(optimizer.clipped_norm.value)),
            "clipped": clipped_steps > self._clipped_before,
            "loss": None if loss is None else float(loss)})
        self._clipped_before = clipped_steps

    def on_epoch_end(self, epoch, logs=None):
        epoch_steps = self.steps[self._epoch_start:]
        if logs is not None and epoch_steps:
            norms = [s["gradient_norm"] for s in epoch_steps]
            logs["gradient_norm_mean"] = float(np.mean(norms))
            logs["gradient_norm_max"] = float(np.max(norms))
            logs["clipped_fraction"] = float(np.mean([s["clipped"] for s in epoch_steps]))
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
