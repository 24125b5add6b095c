"""One training run, for every kind of model: train, select on dev,
checkpoint, resume, report.

`train` is the one flow behind ``seqlab train`` and ``seqlab lm train``. A
`Task` supplies what differs between a tagger and a language model (reading
the data, building the model, the dev score, the final report); the run
directory's files are named by `RunDirectory` and nowhere else.

Example:
    >>> run = seqlab.runs.train(TaggerTask(config), config)
    >>> run.best_epoch, run.test["f1"]
"""

import dataclasses
import json
import math
import os

import keras

from seqlab import plugins
from seqlab.callbacks import TimeBudget, TrainingMonitor
from seqlab.errors import ConfigError, TrainingError
from seqlab.io import atomic_save_model, atomic_write
from seqlab.saving import load_model

#: Config keys a resumed run may change: training longer or on a budget.
RESUMABLE_CHANGES = ("epochs", "patience", "time_budget")


class RunDirectory:
    """The files of a run directory.

    ``config.json`` (the config the run was started with), ``state.json``
    (epoch, best score, history: what resuming needs), ``last.keras`` (the
    model after the last finished epoch, optimizer included), ``best.keras``
    (the model selected on dev), ``report.json`` (scores of the best model)
    and ``<split>.predictions.conll`` (taggers).
    """

    CONFIG = "config.json"
    STATE = "state.json"
    LAST = "last.keras"
    BEST = "best.keras"
    REPORT = "report.json"

    def __init__(self, path):
        self.path = os.fspath(path)

    def __str__(self):
        return self.path

    def file(self, name):
        """The path of one of the run's files."""
        return os.path.join(self.path, name)

    @property
    def last(self):
        return self.file(self.LAST)

    @property
    def best(self):
        return self.file(self.BEST)

    def predictions(self, split):
        """Where the predictions on ``split`` (``"dev"``, ``"test"``) go."""
        return self.file(f"{split}.predictions.conll")

    def read_state(self):
        """The saved training state, or None (no finished epoch yet)."""
        if not (os.path.exists(self.file(self.STATE)) and os.path.exists(self.last)):
            return None
        return self._read_json(self.STATE)

    def saved_config(self):
        """The config the run was started with, or None."""
        if not os.path.exists(self.file(self.CONFIG)):
            return None
        return self._read_json(self.CONFIG)

    def _read_json(self, name):
        with open(self.file(name), encoding="utf-8") as handle:
            return json.load(handle)

    def write_json(self, name, value):
        """Replace one of the run's JSON files atomically."""
        atomic_write(self.file(name), json.dumps(value, indent=1))

    def resumable_state(self, config, resume=True):
        """The state of an unfinished run of ``config`` here, or None
        (nothing to resume, or ``resume`` is False).

        Raises:
            ConfigError: the directory holds a run of a different config.
        """
        state = self.read_state() if resume else None
        if state and _run_defining(self.saved_config()) != _run_defining(config):
            raise ConfigError(
                f"{self.path} holds a run of a different config; resuming it would "
                f"mix the two (only training.{', training.'.join(RESUMABLE_CHANGES)} "
                f"may change). Choose another output directory, or restart (--restart).")
        return state


def _run_defining(config):
    """A config without the keys a resumed run may change."""
    if config is None:
        return None
    training = {k: v for k, v in config["training"].items()
                if k not in RESUMABLE_CHANGES}
    return {**config, "training": training}


@dataclasses.dataclass
class Run:
    """The outcome of a training run.

    Attributes:
        model: the best model (by the dev score).
        history: one dict per epoch (loss, the dev score, ...).
        best_epoch: the epoch of the best model.
        dev: the task's scores of the best model on dev.
        test: the same on test, or None without a test file.
        output: the run directory.
    """

    model: keras.Model
    history: list
    best_epoch: int
    dev: dict
    test: dict
    output: str


class Task:
    """What one kind of model brings to a run.

    Subclasses set `score_name` and implement the methods below; `train`
    calls them in this order: `read_data`, `build_model` (or `resumed`),
    `fit_data`, `callbacks`, `dev_score` after each epoch, `report`.

    Attributes:
        score_name: the dev score's name in the history (``"dev_f1"``).
        untrained_score: the dev score of a model that has learned nothing
            (F1 0), or None. Early stopping waits while the best score is
            still this: some datasets need a few epochs before the first
            entity is found.
        config: the run's config.
    """

    score_name = "dev_score"
    untrained_score = None

    def __init__(self, config):
        self.config = config

    def read_data(self):
        """Read (or at least check) every data file, before any training."""
        raise NotImplementedError

    def build_model(self):
        """A new compiled model."""
        raise NotImplementedError

    def resumed(self, model):
        """Called with the model loaded from ``last.keras`` when resuming."""

    def fit_data(self, model, epoch):
        """``model.fit`` arguments for the data (``x``, ``y``, ...), starting
        at ``epoch`` (the number of finished epochs)."""
        raise NotImplementedError

    def callbacks(self):
        """Callbacks of this task (learning-rate schedules, statistics)."""
        return []

    def dev_score(self, model):
        """The selection score on dev: higher is better."""
        raise NotImplementedError

    def shown(self, score):
        """A dev score as printed and logged: ``(text, value)``."""
        return f"{100 * score:.2f}", score

    def report(self, model, directory):
        """Scores of the best model: ``(dev, test, extra)``, where ``test``
        is None without a test file and ``extra`` holds more report.json
        fields. A scores dict may carry a printable ``"report"`` text,
        which report.json leaves out."""
        raise NotImplementedError


def train(task, config, resume=True, verbose=1):
    """Run ``task`` as ``config`` describes.

    Selects the model on the task's dev score, stops early after
    ``training.patience`` epochs without improvement and before an epoch that
    would overrun ``training.time_budget``, checkpoints every epoch into
    ``config["output"]`` and, when that directory holds an unfinished run of
    the same config, resumes it. ``verbose=0`` prints nothing.

    Returns:
        A `Run`.
    """
    training = config["training"]
    directory = RunDirectory(config["output"])
    plugins.require_distributions(config["plugins"]["require"])
    keras.utils.set_random_seed(training["seed"])
    task.read_data()
    state = directory.resumable_state(config, resume)
    if state:
        model = load_model(directory.last)
        task.resumed(model)
        _say(verbose, f"Resuming {directory} after epoch {state['epoch']}.")
    else:
        model = task.build_model()
    directory.write_json(RunDirectory.CONFIG, config)
    checkpoint = DevCheckpoint(task, directory, training["patience"], state, verbose)
    epoch = state["epoch"] if state else 0
    stopped = state and training["patience"] and state["wait"] >= training["patience"]
    if epoch < training["epochs"] and not stopped:
        budget = ([TimeBudget(training["time_budget"], verbose)]
                  if training["time_budget"] else [])
        model.fit(**task.fit_data(model, epoch), epochs=training["epochs"],
                  initial_epoch=epoch, verbose=verbose,
                  callbacks=[*task.callbacks(), TrainingMonitor(directory.last),
                             checkpoint, *budget])
    best = load_model(directory.best)
    dev, test, extra = task.report(best, directory)
    directory.write_json(RunDirectory.REPORT, {
        "best_epoch": checkpoint.best_epoch, "history": checkpoint.history,
        "dev": _without_text(dev), "test": _without_text(test), **extra})
    return Run(best, checkpoint.history, checkpoint.best_epoch, dev, test, directory.path)


def _say(verbose, message):
    if verbose:
        print(message, flush=True)


def _without_text(scores):
    return None if scores is None else {k: v for k, v in scores.items() if k != "report"}


class DevCheckpoint(keras.callbacks.Callback):
    """Select the model on a task's dev score, stop early, checkpoint atomically.

    After every epoch: score the model on dev, save ``best.keras`` when it
    improved, always save ``last.keras`` and ``state.json`` (so an
    interrupted run resumes from the last finished epoch), and stop after
    ``patience`` epochs without improvement (0: never), counting none while
    the best score is the task's ``untrained_score``. A score that is not
    finite stops the run with a `TrainingError` before any file is replaced.

    Args:
        task: the run's `Task` (its `dev_score` and `shown`).
        directory: a `RunDirectory`.
        patience: epochs without improvement before stopping.
        state: the state read by `RunDirectory.read_state` when resuming.
        verbose: 0 prints nothing; otherwise a line per epoch.
    """

    def __init__(self, task, directory, patience=5, state=None, verbose=1):
        super().__init__()
        self.task, self.directory = task, directory
        self.patience, self.verbose = patience, verbose
        state = state or {}
        self.best = state.get("best", -math.inf)
        self.best_epoch = state.get("best_epoch", 0)
        self.wait = state.get("wait", 0)
        self.history = state.get("history", [])

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
        if score > self.best:
            self.best, self.best_epoch, self.wait = score, epoch + 1, 0
            atomic_save_model(self.model, self.directory.best)
        elif self.best != self.task.untrained_score:
            self.wait += 1
        self.history.append({"epoch": epoch + 1, **{k: float(v) for k, v in logs.items()}})
        atomic_save_model(self.model, self.directory.last)
        self.directory.write_json(RunDirectory.STATE, {
            "epoch": epoch + 1, "best": self.best, "best_epoch": self.best_epoch,
            "wait": self.wait, "history": self.history})
        _say(self.verbose, f"epoch {epoch + 1}: {self.task.score_name} {text} (best "
                           f"{self.task.shown(self.best)[0]} at epoch {self.best_epoch})")
        if self.patience and self.wait >= self.patience:
            self.model.stop_training = True
            _say(self.verbose, f"Stopping early after epoch {epoch + 1}: {self.task.score_name} "
                               f"has not improved for {self.wait} epochs (patience "
                               f"{self.patience}); best.keras is epoch {self.best_epoch}.")
