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
import warnings

import keras

from seqlab import plugins, registry
from seqlab.callbacks import (DevCheckpoint, EpochProgress, EpochSeeds, TimeBudget,
                              TrainingMonitor, say)
from seqlab.config import check_config
from seqlab.distribution import setup as setup_distribution
from seqlab.errors import SeqlabWarning
from seqlab.hookspecs import CallbackContext
from seqlab.plots import plot_learning_curves
from seqlab.rundir import (RESUMABLE_CHANGES, RunDirectory, WorkerDirectory, data_fingerprints,
                           remove)
from seqlab.saving import load_model

__all__ = ["RESUMABLE_CHANGES", "Run", "RunDirectory", "Task", "compile_options",
           "optimizer_from_config", "train"]


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
        train_seconds: wall-clock seconds its committed epochs took
            (training and dev scoring), the parts before any interruption
            included (0 for epochs committed by a seqlab that did not count).
        chief: whether this process speaks for the run (the others of a
            multi-process run print nothing).
    """

    model: keras.Model
    history: list
    best_epoch: int
    dev: dict
    test: dict
    output: str
    train_seconds: float = 0.0
    chief: bool = True


class Task:
    """What one kind of model brings to a run.

    Subclasses set `score_name` and implement the methods below; `train`
    calls them in this order: `read_data`, `build_model` (or `resumed`),
    `fit_data`, `callbacks`, `dev_score` after each epoch, `report`.

    Attributes:
        kind: the config schema the task's configs follow: ``"tagger"`` or
            ``"lm"`` (see `seqlab.config.check_config`).
        distribution: the run's `seqlab.distribution.Distribution`, handed
            to the task by `use_distribution` before any data is read.
        score_name: the dev score's name in the history (``"dev_f1"``).
        untrained_score: the dev score of a model that has learned nothing
            (F1 0), or None. Early stopping waits while the best score is
            still this: some datasets need a few epochs before the first
            entity is found.
        config: the run's config.
    """

    kind = "tagger"
    score_name = "dev_score"
    untrained_score = None

    def __init__(self, config):
        self.config = config
        self.distribution = None

    def use_distribution(self, distribution):
        """Take the run's distribution, and refuse what it cannot train
        before any data is read (by default: a global batch that does not
        split evenly across the replicas)."""
        self.distribution = distribution
        distribution.check_batch_size(self.config.training.batch_size)

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

    def callbacks(self, history):
        """Callbacks of this task (learning-rate schedules, statistics).
        ``history()`` gives the run's committed history so far (one dict
        per finished epoch, with the dev score), for schedules that follow
        it."""
        return []

    def stop_reason(self, history):
        """Why the run should stop after the epochs in ``history`` (a
        sentence), or None to go on; checked after each committed epoch and
        when resuming. Patience and the time budget are handled apart."""
        return None

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


def train(task, config, resume=True, verbose=1, allow_changed_data=False, callbacks=()):
    """Run ``task`` as ``config`` describes.

    Selects the model on the task's dev score, stops early after
    ``training.patience`` epochs without improvement (a tagger's
    ``training.anneals`` first anneal the learning rate instead; see
    `seqlab.callbacks.DevCheckpoint`) and before an epoch that
    would overrun ``training.time_budget``, commits every epoch into
    ``config.output`` (see `RunDirectory`) and, when that directory holds
    an unfinished run of the same config, resumes it: the resumed run ends
    with the weights, history and report of an uninterrupted one (each
    epoch's shuffling and dropout depend on the seed and the epoch alone).
    A resume is refused when a data file changed since the last committed
    epoch, unless ``allow_changed_data``. ``verbose=0`` prints nothing.
    ``callbacks`` (Keras callbacks) come after the run's own and the
    config's, so an epoch's logs hold the dev score; they are not part of
    the run (a resumed run has those of its own call).

    Raises:
        SeqlabError: another run holds the directory, the config is invalid,
            a data file is malformed or changed, a run file was tampered
            with, or training diverged.

    Returns:
        A `Run`.
    """
    config = task.config = check_config(config, task.kind)
    distribution = setup_distribution(config.distribution)
    task.use_distribution(distribution)
    chief = distribution.is_chief
    verbose = verbose if chief else 0  # one process speaks for the run
    directory = (RunDirectory if chief else WorkerDirectory)(config.output)
    plugins.require_packages(config.plugins.require)
    try:
        with directory.lock() as lock:  # before reading data: a second run stops at once
            say(verbose, lock.describe_stale())
            if distribution.replicas > 1:
                say(verbose, f"Training on {distribution.describe()}.")
            state = _train(task, config, directory, distribution, resume, verbose, callbacks,
                           allow_changed_data)
            best = _load(directory.file(state["best"]), distribution)
            dev, test, extra = task.report(best, directory)
            if chief:
                directory.write_json(RunDirectory.REPORT, {
                    "epoch": state["epoch"], "best_epoch": state["best_epoch"],
                    "history": state["history"], "dev": _without_text(dev),
                    "test": _without_text(test), **extra})
                plot_learning_curves(state["history"], directory.file(RunDirectory.CURVES),
                                     task.score_name, state["best_epoch"])
    finally:
        directory.close()
    return Run(best, state["history"], state["best_epoch"], dev, test, directory.path,
               state.get("train_seconds", 0.0), chief)


def _train(task, config, directory, distribution, resume, verbose, callbacks,
           allow_changed_data):
    """Resume or start the run, train it, and return the committed state."""
    training = config.training
    data_files = data_fingerprints(config)  # before reading: what the epochs train on
    task.read_data()
    if not resume:
        directory.clear()
    # The chief repairs the directory; the other processes then read it.
    state = directory.recover() if distribution.is_chief else None
    distribution.barrier("seqlab: run directory recovered")
    if not distribution.is_chief:
        state = directory.recover()
    if state:
        directory.check_same_run(config)
        directory.check_data(state, data_files, allow_changed_data)
    keras.utils.set_random_seed(training.seed)
    if state:
        model = _load(directory.file(state["last"]), distribution)
        task.resumed(model)
        say(verbose, f"Resuming {directory} after epoch {state['epoch']}.")
    else:
        with distribution.scope():
            model = task.build_model()
    directory.write_json(RunDirectory.CONFIG, config.dump())
    checkpoint = DevCheckpoint(task, directory, training.patience, state, verbose,
                               anneals=getattr(training, "anneals", 0),
                               anneal_factor=getattr(training, "anneal_factor", 0.5),
                               restore_best=getattr(training, "restore_best", True),
                               load=lambda path: _load(path, distribution))
    # The config's own callbacks come after the checkpoint (an epoch's logs
    # then hold the dev score) and only where the run directory is written.
    context = CallbackContext(directory.path, state["epoch"] if state else 0)
    configured = [registry.create("callbacks", spec, context) for spec in training.callbacks] \
        if distribution.is_chief else []
    checkpoint.state = {**checkpoint.state, "data": data_files}
    epoch = state["epoch"] if state else 0
    stopped = bool(state) and _nothing_to_train(task, training, state, verbose)
    # The budget counts the epochs committed before an interruption: a
    # resumed run stops where an uninterrupted one on the same clock would.
    budget = ([TimeBudget(training.time_budget, verbose,
                          spent=(state or {}).get("train_seconds", 0.0),
                          longest=(state or {}).get("longest_epoch_seconds", 0.0))]
              if training.time_budget else [])
    if budget and not stopped and epoch < training.epochs and budget[0].exhausted():
        stopped = True
        say(verbose, f"The time budget is spent: {budget[0].spent:.0f} of "
                     f"{budget[0].seconds:.0f} s went to {epoch} epochs, and "
                     f"another would overrun it. Raise training.time_budget to go on.")
    if epoch < training.epochs and not stopped:
        if distribution.is_chief:
            remove(directory.file(RunDirectory.REPORT))  # it will describe another epoch
        data = task.fit_data(model, epoch)
        with distribution.fitting(model):
            model.fit(**data, epochs=training.epochs, initial_epoch=epoch,
                      verbose=verbose,
                      callbacks=[*([EpochProgress()] if verbose == 1 else []),
                                 EpochSeeds(training.seed, data.get("x")),
                                 *task.callbacks(lambda: checkpoint.state["history"]),
                                 TrainingMonitor(directory.last),
                                 checkpoint, *budget, *configured, *callbacks])
    # Every process past its last commit: the chief's checkpoints are complete.
    distribution.barrier("seqlab: trained")
    final = checkpoint.state
    if distribution.is_chief and task.untrained_score is not None \
            and final["best_score"] == task.untrained_score:
        warnings.warn(
            f"{task.score_name} is still {task.shown(final['best_score'])[0]} after "
            f"{final['epoch']} epoch{'s' if final['epoch'] != 1 else ''}: the model has not "
            f"learned to find what the dev data holds. Train longer (training.epochs, "
            f"training.time_budget), raise the learning rate, or check the data's "
            f"scheme and tags.", SeqlabWarning, stacklevel=5)  # the caller of train_*
    return final


def _nothing_to_train(task, training, state, verbose):
    """Whether a resumed run has already stopped (patience, the task's own
    rule), saying so and how to go on; the epoch count is checked too."""
    epoch = state["epoch"]
    if training.patience and state["wait"] >= training.patience:
        say(verbose, f"Nothing to train: the run stopped early after epoch {epoch} "
                     f"({task.score_name} had not improved for {state['wait']} epochs, "
                     f"patience {training.patience}); best.keras is epoch "
                     f"{state['best_epoch']}. Raise training.patience (--set "
                     f"training.patience=N) to train on.")
        return True
    reason = task.stop_reason(state["history"])
    if reason:
        say(verbose, f"Nothing to train: the run stopped after epoch {epoch}: {reason}.")
        return True
    if epoch >= training.epochs:
        say(verbose, f"Nothing to train: {epoch} of training.epochs = {training.epochs} "
                     f"epochs are done. Raise it (--epochs N) to train on.")
    return False


def optimizer_from_config(training):
    """The Keras optimizer a config's ``[training]`` section names, at its
    learning rate (``optimizer = "adam"``, ``learning_rate = 0.001``), with
    its ``weight_decay`` when that is above 0: every weight shrinks by
    ``learning_rate * weight_decay`` times itself each step, apart from the
    gradient (L2 regularisation for SGD, Mikolov's RNNLM ``-beta``; AdamW's
    decoupled decay for Adam), so clipping does not touch it."""
    config = {"learning_rate": training.learning_rate}
    if training.weight_decay:
        config["weight_decay"] = training.weight_decay
    return keras.optimizers.get({"class_name": training.optimizer, "config": config})


def compile_options(training):
    """``model.compile`` arguments from a config's ``[training]`` section:
    the optimizer, the clipper, ``steps_per_execution`` (steps run per
    call of the compiled function) and ``jit_compile`` (XLA: ``"auto"``,
    true or false)."""
    return {"optimizer": optimizer_from_config(training), "clipper": training.clipper,
            "steps_per_execution": training.steps_per_execution,
            "jit_compile": training.jit_compile}


def _load(path, distribution):
    with distribution.scope():
        return load_model(path)


def _without_text(scores):
    return None if scores is None else {k: v for k, v in scores.items() if k != "report"}
