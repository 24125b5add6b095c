"""Keras callbacks for seqlab's training loops (`seqlab.runs.DevCheckpoint`
lives with the run it checkpoints)."""

import math
import os
import time

import keras

from seqlab.errors import TrainingError


class StopOnNaN(keras.callbacks.Callback):
    """Stop with a `TrainingError` naming the step when the loss is not finite.

    The checkpoints of earlier epochs are left as they are; the message
    names ``kept_checkpoint`` when that file exists.
    """

    def __init__(self, kept_checkpoint=None):
        super().__init__()
        self.kept_checkpoint = kept_checkpoint
        self.epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            kept = ""
            if self.kept_checkpoint and os.path.exists(self.kept_checkpoint):
                kept = f" The last good checkpoint, {self.kept_checkpoint}, is kept."
            raise TrainingError(
                f"The training loss became {float(loss)} at epoch "
                f"{self.epoch + 1}, step {batch + 1}.{kept} Lower the learning "
                f"rate or clip gradients (clipper='global_norm').")


class TimeBudget(keras.callbacks.Callback):
    """Stop training before an epoch that would end after ``seconds``.

    After each epoch it estimates the next one's duration by the longest
    so far and stops when that would overrun the budget, so a run on a
    rented machine ends with its checkpoints and evaluation done.
    """

    def __init__(self, seconds, verbose=1):
        super().__init__()
        self.seconds = float(seconds)
        self.verbose = verbose
        self.start = None
        self.longest = 0.0
        self._epoch_start = None
        self.stopped_early = False

    def on_train_begin(self, logs=None):
        self.start = time.perf_counter()

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        now = time.perf_counter()
        self.longest = max(self.longest, now - self._epoch_start)
        if now - self.start + self.longest > self.seconds:
            self.model.stop_training = True
            self.stopped_early = True
            if self.verbose:
                print(f"Stopping after epoch {epoch + 1}: another epoch would "
                      f"exceed the {self.seconds:.0f} s time budget.", flush=True)


class ResetStates(keras.callbacks.Callback):
    """Zero a language model's carried states at the start of every pass
    over the data (each training epoch and each evaluation)."""

    def on_epoch_begin(self, epoch, logs=None):
        self.model.reset_states()

    def on_test_begin(self, logs=None):
        self.model.reset_states()

    def on_predict_begin(self, logs=None):
        self.model.reset_states()
