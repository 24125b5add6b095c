"""What a run's trustworthiness rests on, as Keras callbacks: each epoch's
randomness from the seed and the epoch (`EpochSeeds`), selection on dev and
a commit per epoch (`DevCheckpoint`), and the time budget (`TimeBudget`)."""

import math
import os
import sys
import time

import keras
import numpy as np

from seqlab.errors import TrainingError


def say(verbose, message):
    if verbose and message:
        print(message, flush=True)


class EpochProgress(keras.callbacks.ProgbarLogger):
    """Keras's progress bar while an epoch runs, erased when it ends on a
    terminal: `DevCheckpoint`'s line (loss, dev score, time) takes its place,
    so a terminal shows one line per epoch. Without a live display (a log
    file, some notebooks) it ends like Keras's bar, with its line."""

    def on_epoch_begin(self, epoch, logs=None):
        self._reset_progbar()
        self._maybe_init_progbar()  # without Keras's "Epoch k/n" line

    def on_epoch_end(self, epoch, logs=None):
        if self.verbose == 1 and getattr(self.progbar, "_dynamic_display", False):
            # Back to the line's start, blank it, and back again: plain
            # characters, which terminals and notebooks alike understand.
            width = getattr(self.progbar, "_prev_total_width", 0) or 80
            sys.stdout.write("\r" + " " * width + "\r")
            sys.stdout.flush()
            self._reset_progbar()
        else:
            super().on_epoch_end(epoch, logs)


class EpochSeeds(keras.callbacks.Callback):
    """Make each epoch's randomness a function of ``(seed, epoch)`` alone.

    At the start of every epoch: Python's, NumPy's and the backend's global
    seeds, and the state of every `keras.random.SeedGenerator` in the model
    (dropout, word dropout), are set from the seed and the epoch; data with a
    ``set_epoch`` method (`seqlab.data.batching.SequenceBatches`) is told the
    epoch, so its shuffling follows it. A run resumed after epoch ``k`` then
    draws exactly what an uninterrupted run draws from epoch ``k + 1`` on.
    """

    def __init__(self, seed, data=None):
        super().__init__()
        self.seed, self.data = seed, data

    def on_epoch_begin(self, epoch, logs=None):
        sequence = np.random.SeedSequence([self.seed, epoch])
        keras.utils.set_random_seed(int(sequence.generate_state(1)[0]) % (2 ** 31))
        generators = list(_seed_generators(self.model))
        states = sequence.spawn(1)[0].generate_state(max(len(generators), 1))
        for generator, value in zip(generators, states):
            state = generator.state
            generator.state.assign(np.array([value, 0]).astype(state.dtype))
        if hasattr(self.data, "set_epoch"):
            self.data.set_epoch(epoch)


def _seed_generators(model):
    """Every `keras.random.SeedGenerator` of a model's layers (Keras keeps
    them outside ``weights``, and does not save them)."""
    for layer in model._flatten_layers(include_self=True):
        yield from getattr(layer, "_seed_generators", ())


class DevCheckpoint(keras.callbacks.Callback):
    """Select the model on a task's dev score, stop early, commit each epoch.

    After every epoch: score the model on dev, and commit the epoch (see
    `RunDirectory.commit`): the checkpoint, the best model when the score
    improved, and the state resuming needs. Stops after ``patience`` epochs
    without improvement (0: never), counting none while the best score is
    the task's ``untrained_score``. A score that is not finite stops the run
    with a `TrainingError` before anything is committed.

    With ``anneals``, the first ``anneals`` times patience runs out the run
    goes on instead (Flair's anneal on plateau): from the next epoch on, the
    learning rate the schedule sets is multiplied by ``anneal_factor`` once
    more, and that epoch starts from the best epoch's weights when
    ``restore_best`` (the optimizer keeps its state). The count and a
    pending restore are part of the committed state, so a resumed run
    anneals as an uninterrupted one does.

    Args:
        task: the run's `Task` (its `dev_score` and `shown`).
        directory: a `RunDirectory`.
        patience: epochs without improvement before stopping or annealing.
        state: the state read by `RunDirectory.read_state` when resuming.
        verbose: 0 prints nothing; otherwise a line per epoch.
        anneals: times to anneal before patience stops the run.
        anneal_factor: what each anneal multiplies the learning rate by.
        restore_best: anneals go on from the best epoch's weights.
        load: reads a committed checkpoint's model (the run's loader, with
            its checks); needed to restore the best weights.

    Attributes:
        state: the last committed state (a dict, see `RunDirectory`).
    """

    def __init__(self, task, directory, patience=5, state=None, verbose=1, anneals=0,
                 anneal_factor=0.5, restore_best=True, load=None):
        super().__init__()
        self.task, self.directory = task, directory
        self.patience, self.verbose = patience, verbose
        self.anneals, self.anneal_factor = anneals, anneal_factor
        self.restore_best, self.load = restore_best, load
        self.state = state or {"epoch": 0, "best_score": None, "best_epoch": 0,
                               "wait": 0, "history": [], "last": None, "best": None}

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = time.perf_counter()
        if self.state.get("restore"):
            best = self.load(self.directory.file(self.state["best"]))
            self.model.set_weights(best.get_weights())
            self.state = {**self.state, "restore": False}
        annealed = self.state.get("anneals", 0)
        if annealed:
            # after the schedule's callback, which sets the epoch's rate
            optimizer = self.model.optimizer
            rate = float(keras.ops.convert_to_numpy(optimizer.learning_rate))
            optimizer.learning_rate = rate * self.anneal_factor ** annealed

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        score = float(self.task.dev_score(self.model))
        text, logs[self.task.score_name] = self.task.shown(score)
        if not math.isfinite(score):
            kept = self.directory.last
            raise TrainingError(
                f"The {self.task.score_name} became {text} after epoch {epoch + 1}: "
                f"training diverged. "
                + (f"The last good checkpoint, {kept}, is kept. " if os.path.exists(kept) else "")
                + "Lower the learning rate or clip gradients.")
        state = dict(self.state)
        improved = state["best_score"] is None or score > state["best_score"]
        if improved:
            state.update(best_score=score, best_epoch=epoch + 1, wait=0)
        elif state["best_score"] != self.task.untrained_score:
            state["wait"] += 1
        annealed = state.get("anneals", 0)
        anneal = bool(self.patience) and state["wait"] >= self.patience and annealed < self.anneals
        if anneal:  # committed with the epoch: a resumed run anneals alike
            state.update(anneals=annealed + 1, wait=0, restore=bool(self.restore_best))
        state["epoch"] = epoch + 1
        # Time lives in the state, not the history: an interrupted and
        # resumed run has the history of an uninterrupted one.
        seconds = time.perf_counter() - getattr(self, "_epoch_start", time.perf_counter())
        state["train_seconds"] = state.get("train_seconds", 0.0) + seconds
        state["longest_epoch_seconds"] = max(state.get("longest_epoch_seconds", 0.0), seconds)
        state["history"] = [*state["history"],
                            {"epoch": epoch + 1, **{k: float(v) for k, v in logs.items()}}]
        self.state = self.directory.commit(self.model, state, improved)
        best_text = self.task.shown(state["best_score"])[0]
        loss = logs.get("loss")
        say(self.verbose, f"epoch {epoch + 1}: {self.task.score_name} {text} (best "
                           f"{best_text} at epoch {state['best_epoch']})"
                           + (f", loss {float(loss):.4g}" if loss is not None else "")
                           + f", {seconds:.0f} s")
        reason = self.task.stop_reason(state["history"])
        if reason:
            self.model.stop_training = True
            say(self.verbose, f"Stopping after epoch {epoch + 1}: {reason}; best.keras is "
                              f"epoch {state['best_epoch']}.")
        elif anneal:
            say(self.verbose, f"Annealing after epoch {epoch + 1} ({state['anneals']} of "
                              f"{self.anneals}): {self.task.score_name} has not improved for "
                              f"{self.patience} epoch{'s' if self.patience != 1 else ''}; "
                              f"the learning rate is multiplied by "
                              f"{self.anneal_factor:g}"
                              + (f" and training goes on from epoch {state['best_epoch']}'s "
                                 f"weights." if self.restore_best else "."))
        elif self.patience and state["wait"] >= self.patience:
            self.model.stop_training = True  # not annealing: `annealed` is the count
            say(self.verbose, f"Stopping early after epoch {epoch + 1}: {self.task.score_name} "
                               f"has not improved for {state['wait']} epochs (patience "
                               f"{self.patience}" + (f", after {annealed} anneal"
                                                     f"{'s' if annealed != 1 else ''}"
                                                     if annealed else "")
                               + f"); best.keras is epoch {state['best_epoch']}.")


class TimeBudget(keras.callbacks.Callback):
    """Stop training before an epoch that would end after ``seconds``.

    After each epoch it estimates the next one's duration by the longest
    so far and stops when that would overrun the budget, so a run on a
    rented machine ends with its checkpoints and evaluation done. A resumed
    run passes the seconds its committed epochs took (``spent``) and the
    longest of them, so the budget covers the whole run, not each part.
    """

    def __init__(self, seconds, verbose=1, spent=0.0, longest=0.0):
        super().__init__()
        self.seconds = float(seconds)
        self.verbose = verbose
        self.spent = float(spent)      # seconds used before a resume
        self.start = None
        self.longest = float(longest)  # the longest epoch so far, resumes included
        self._epoch_start = None
        self.stopped_early = False

    def exhausted(self):
        """Before training: the seconds spent already and the longest epoch
        leave no room for another epoch (an uninterrupted run stopped here)."""
        return self.spent + self.longest > self.seconds

    def on_train_begin(self, logs=None):
        self.start = time.perf_counter() - self.spent

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
