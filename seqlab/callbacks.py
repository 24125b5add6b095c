"""Keras callbacks for seqlab's training loops."""

import json
import math
import os
import time

import keras

from seqlab.errors import TrainingError
from seqlab.io import atomic_save_model, atomic_write

BEST = "best.keras"
LAST = "last.keras"
STATE = "state.json"


def read_state(directory):
    """The saved training state of a run directory, or None."""
    path = os.path.join(directory, STATE)
    if not (os.path.exists(path) and os.path.exists(os.path.join(directory, LAST))):
        return None
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


#: Config keys a resumed run may change: training longer or on a budget.
RESUMABLE_CHANGES = ("epochs", "patience", "time_budget")


def _run_defining(config):
    """A config without the keys a resumed run may change."""
    if config is None:
        return None
    training = {k: v for k, v in config["training"].items()
                if k not in RESUMABLE_CHANGES}
    return {**config, "training": training}


def _saved_config(output):
    path = os.path.join(output, "config.json")
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def resumable_state(config, resume=True):
    """The state of an unfinished run of ``config`` in its output directory,
    or None (nothing to resume, or ``resume`` is False).

    Raises:
        ConfigError: the directory holds a run of a different config.
    """
    from seqlab.errors import ConfigError

    output = config["output"]
    state = read_state(output) if resume else None
    if state and _run_defining(_saved_config(output)) != _run_defining(config):
        raise ConfigError(
            f"{output} holds a run of a different config; resuming it would mix "
            f"the two (only training.{', training.'.join(RESUMABLE_CHANGES)} may "
            f"change). Choose another output directory, or restart (--restart).")
    return state


class DevCheckpoint(keras.callbacks.Callback):
    """Select the model on a dev score, stop early, checkpoint atomically.

    After every epoch: score the model on dev (``score_fn(model)``, higher is
    better), save ``best.keras`` when it improved, always save
    ``last.keras`` and ``state.json`` (so an interrupted run resumes from
    the last finished epoch), and stop after ``patience`` epochs without
    improvement. Files are replaced atomically: an interruption leaves the
    previous version.

    Args:
        score_fn: model -> float.
        directory: where the files go.
        patience: epochs without improvement before stopping (0: never stop).
        state: a state read by `read_state` when resuming.
        name: what the score is called in logs (``"dev_f1"``).
        display: score -> the text printed for it (default: a percentage).
        logged: score -> the value put in the logs and history (default:
            the score itself; a perplexity run logs ``-score``).
    """

    def __init__(self, score_fn, directory, patience=5, state=None, name="dev_f1",
                 display=None, logged=None):
        super().__init__()
        self.score_fn, self.directory = score_fn, directory
        self.patience, self.name = patience, name
        self.display = display or (lambda score: f"{100 * score:.2f}")
        self.logged = logged or (lambda score: score)
        state = state or {}
        self.best = state.get("best", -math.inf)
        self.best_epoch = state.get("best_epoch", 0)
        self.wait = state.get("wait", 0)
        self.history = state.get("history", [])

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        score = float(self.score_fn(self.model))
        logs[self.name] = self.logged(score)
        if score > self.best:
            self.best, self.best_epoch, self.wait = score, epoch + 1, 0
            atomic_save_model(self.model, os.path.join(self.directory, BEST))
        else:
            self.wait += 1
        self.history.append({"epoch": epoch + 1, **{k: float(v) for k, v in logs.items()}})
        atomic_save_model(self.model, os.path.join(self.directory, LAST))
        atomic_write(os.path.join(self.directory, STATE), json.dumps({
            "epoch": epoch + 1, "best": self.best, "best_epoch": self.best_epoch,
            "wait": self.wait, "history": self.history}, indent=1))
        print(f"epoch {epoch + 1}: {self.name} {self.display(score)} "
              f"(best {self.display(self.best)} at epoch {self.best_epoch})", flush=True)
        if self.patience and self.wait >= self.patience:
            self.model.stop_training = True


class StopOnNaN(keras.callbacks.Callback):
    """Stop with a `TrainingError` naming the step when the loss is not finite.

    The checkpoints of earlier epochs are left as they are.
    """

    def __init__(self, checkpoint_directory=None):
        super().__init__()
        self.checkpoint_directory = checkpoint_directory
        self.epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            kept = ""
            if self.checkpoint_directory and os.path.exists(
                    os.path.join(self.checkpoint_directory, LAST)):
                kept = (f" The last good checkpoint, "
                        f"{os.path.join(self.checkpoint_directory, LAST)}, is kept.")
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

    def __init__(self, seconds):
        super().__init__()
        self.seconds = float(seconds)
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
            print(f"Stopping after epoch {epoch + 1}: another epoch would "
                  f"exceed the {self.seconds:.0f} s time budget.", flush=True)


def inverse_time_decay(learning_rate, decay):
    """lr(epoch) = learning_rate / (1 + decay * epoch) (Lample et al. 2016)."""
    return keras.callbacks.LearningRateScheduler(
        lambda epoch: learning_rate / (1.0 + decay * epoch))
