"""`TrainingMonitor`: per-epoch gradient statistics and the check that a
step's loss stayed finite."""

import math
import os

import keras

from seqlab.errors import TrainingError
from seqlab.clipping import GradientClippingOptimizer


class TrainingMonitor(keras.callbacks.Callback):
    """Per-epoch gradient statistics and the check for NaN or infinite
    losses, with nothing read between steps.

    seqlab's optimizer (`seqlab.GradientClippingOptimizer`) and its models'
    loss tracker (`seqlab.models.base.LossTracker`) count inside the
    compiled step; this callback reads the counters at the end of each epoch,
    so no step waits for the device (Keras's JAX trainer then dispatches
    steps asynchronously). It adds ``gradient_norm_mean``,
    ``gradient_norm_max`` and ``clipped_fraction`` to the epoch's logs, and
    raises a `TrainingError` naming the epoch and the first bad step when the
    loss or the gradients were not finite, before any later callback (the
    checkpoint) sees the epoch. At most one epoch of computation is lost.

    Args:
        kept_checkpoint: the last good checkpoint, named in the error when
            that file exists.
    """

    def __init__(self, kept_checkpoint=None):
        super().__init__()
        self.kept_checkpoint = kept_checkpoint
        self._start = None

    def _optimizer(self):
        optimizer = self.model.optimizer
        return optimizer if isinstance(optimizer, GradientClippingOptimizer) else None

    @staticmethod
    def _counters(optimizer):
        if not optimizer.built:  # before the first step: every counter starts at 0
            return {"steps": 0, "norm_sum": 0.0, "clipped": 0, "nonfinite": 0}
        return {name: keras.ops.convert_to_numpy(variable).item() for name, variable in (
            ("steps", optimizer.iterations), ("norm_sum", optimizer.gradient_norm_sum),
            ("clipped", optimizer.clipped_steps), ("nonfinite", optimizer.nonfinite_step))}

    def on_epoch_begin(self, epoch, logs=None):
        optimizer = self._optimizer()
        if optimizer is not None:
            if optimizer.built:
                optimizer.reset_gradient_norm_max()
            self._start = self._counters(optimizer)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        optimizer = self._optimizer()
        bad_step = None
        if optimizer is not None:
            now = self._counters(optimizer)
            steps = max(1, now["steps"] - self._start["steps"])
            if now["nonfinite"] > self._start["steps"]:
                bad_step = now["nonfinite"] - self._start["steps"]
            logs["gradient_norm_mean"] = (now["norm_sum"] - self._start["norm_sum"]) / steps
            logs["gradient_norm_max"] = float(keras.ops.convert_to_numpy(optimizer.gradient_norm_max))
            logs["clipped_fraction"] = (now["clipped"] - self._start["clipped"]) / steps
        loss = logs.get("loss")
        loss_finite = loss is None or math.isfinite(float(loss))
        if loss_finite and bad_step is None:
            return
        first_loss_step = getattr(self.model, "first_nonfinite_loss_step", None)
        if not loss_finite and first_loss_step is not None:
            bad_step = first_loss_step() or bad_step
        what = ("The gradients became non-finite" if loss_finite
                else f"The training loss became {float(loss)}")
        where = f"at epoch {epoch + 1}" + (f", step {bad_step}" if bad_step else "")
        kept = ""
        if self.kept_checkpoint and os.path.exists(self.kept_checkpoint):
            kept = f" The last good checkpoint, {self.kept_checkpoint}, is kept."
        raise TrainingError(f"{what} {where}.{kept} Lower the learning rate or clip "
                            f"gradients (clipper='global_norm').")
