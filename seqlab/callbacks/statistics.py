"""Gradient statistics during training: a callback reading, after chosen
steps, what `seqlab.GradientClippingOptimizer` measured inside the compiled
step (the global gradient norm before clipping, the norm applied, and
whether the clipper changed the gradients).
"""

import json
import math

import keras
import numpy as np

from seqlab import plots
from seqlab.errors import ConfigError
from seqlab.io import atomic_write
from seqlab.clipping import GradientClippingOptimizer
from seqlab.validation import check_positive_int


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
        self._clipped_before = int(np.asarray(optimizer.clipped_steps))

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
        clipped_steps = int(np.asarray(optimizer.clipped_steps))
        loss = (logs or {}).get("loss")
        record = {
            "step": self._seen, "epoch": self.epoch + 1,
            "gradient_norm": float(np.asarray(optimizer.gradient_norm)),
            "clipped_norm": float(np.asarray(optimizer.clipped_norm)),
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
        norm = float(np.asarray(optimizer.gradient_norm))
        return float(np.asarray(optimizer.clipped_norm)) < norm * (1.0 - 1e-6)

    def on_epoch_end(self, epoch, logs=None):
        epoch_steps = self.steps[self._epoch_start:]
        if logs is not None and epoch_steps:
            norms = [s["gradient_norm"] for s in epoch_steps]
            logs["gradient_norm_mean"] = float(np.mean(norms))
            logs["gradient_norm_max"] = float(np.max(norms))
            if self.every == 1:
                logs["clipped_fraction"] = float(np.mean([s["clipped"] for s in epoch_steps]))
            else:
                clipped = int(np.asarray(self._optimizer().clipped_steps))
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
            plots.plot_gradient_statistics(self.steps, self.plot)
