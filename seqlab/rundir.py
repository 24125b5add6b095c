"""The run directory: its files, its one commit point per epoch, its
recovery after a kill. Imports no Keras (``seqlab report`` reads run
directories without a backend).
"""

import contextlib
import json
import os
import shutil
import tempfile

from seqlab.errors import ConfigError, SeqlabError
from seqlab.io import DirectoryLock, atomic_save_model, atomic_write, publish, remove_temporaries

#: Config keys a resumed run may change: training longer or on a budget.
RESUMABLE_CHANGES = ("epochs", "patience", "time_budget")


class RunDirectory:
    """The files of a run directory, and the one commit point per epoch.

    ``state.json`` is the run's manifest: the number of finished epochs, the
    best dev score, the history, and the names of two checkpoints in
    ``checkpoints/`` (the model after the last finished epoch, optimizer
    included, and the model selected on dev). An epoch ends by writing its
    checkpoint, then replacing ``state.json`` atomically: that rename is the
    commit. Only then are ``last.keras`` and ``best.keras`` (hard links to, or
    copies of, the manifest's checkpoints) refreshed and the checkpoints no
    longer named deleted. Killed at any instant, the directory holds one
    committed epoch; `recover` (run at every start) removes temporary files
    and refreshes the links, so the files agree again. ``report.json``
    (scores of the best model) names the epoch it describes, and is only
    present while it matches the manifest. ``config.json`` is the config the
    run was started with; taggers add ``<split>.predictions.conll``;
    ``run.lock`` keeps a second run out (see `seqlab.io.DirectoryLock`);
    ``curves.png`` plots the history (`seqlab.reporting`).
    """

    CONFIG = "config.json"
    STATE = "state.json"
    LAST = "last.keras"
    BEST = "best.keras"
    REPORT = "report.json"
    CURVES = "curves.png"
    CHECKPOINTS = "checkpoints"

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

    def lock(self):
        """A `DirectoryLock` on the directory (a context manager)."""
        return DirectoryLock(self.path)

    def read_state(self):
        """The committed training state, or None (no finished epoch yet).

        Raises:
            SeqlabError: ``state.json`` names a checkpoint that is missing
                (files were removed by hand).
        """
        if not os.path.exists(self.file(self.STATE)):
            return None
        state = self._read_json(self.STATE)
        if "best_score" not in state:  # written by seqlab 0.1, before manifests
            state.update(best_score=state["best"], last=self.LAST, best=self.BEST)
        for key in ("last", "best"):
            if not os.path.exists(self.file(state[key])):
                raise SeqlabError(
                    f"{self.file(self.STATE)} names {state[key]} as the {key} "
                    f"checkpoint, but it is missing (removed by hand?). Restart "
                    f"the run (--restart) or restore the file.")
        return state

    def saved_config(self):
        """The config the run was started with, or None."""
        if not os.path.exists(self.file(self.CONFIG)):
            return None
        return self._read_json(self.CONFIG)

    def _read_json(self, name):
        path = self.file(name)
        try:
            with open(path, encoding="utf-8") as handle:
                return json.load(handle)
        except ValueError as error:
            raise SeqlabError(f"{path} is not valid JSON ({error}); it was not "
                              f"written by seqlab. Restart the run (--restart).") from None

    def write_json(self, name, value):
        """Replace one of the run's JSON files atomically."""
        atomic_write(self.file(name), json.dumps(value, indent=1))

    def commit(self, model, state, improved):
        """End an epoch: checkpoint ``model``, then commit ``state`` (a dict
        with ``epoch``; its ``best`` checkpoint moves here when ``improved``).

        Returns:
            The committed state, with the checkpoint names.
        """
        name = self.checkpoint_name(state)
        atomic_save_model(model, self.file(name))
        state = {**state, "last": name, "best": name if improved else state["best"]}
        self.write_json(self.STATE, state)
        self._refresh(state)
        return state

    def checkpoint_name(self, state):
        """The checkpoint of ``state``'s epoch, relative to the directory."""
        return f"{self.CHECKPOINTS}/epoch-{state['epoch']:04d}.keras"

    def _refresh(self, state):
        """Make the links and the checkpoints agree with ``state``."""
        publish(self.file(state["last"]), self.last)
        publish(self.file(state["best"]), self.best)
        kept = {os.path.normpath(state[k]) for k in ("last", "best")}
        checkpoints = self.file(self.CHECKPOINTS)
        for name in sorted(os.listdir(checkpoints)) if os.path.isdir(checkpoints) else []:
            if os.path.normpath(f"{self.CHECKPOINTS}/{name}") not in kept:
                os.unlink(os.path.join(checkpoints, name))

    def recover(self):
        """Bring the directory back to its last commit after a kill:
        temporary files removed, links refreshed, a report of another epoch
        removed. Returns the committed state, or None."""
        remove_temporaries(self.path)
        remove_temporaries(self.file(self.CHECKPOINTS))
        state = self.read_state()
        if state is None:
            # Nothing was committed: what a killed first epoch of a seqlab run
            # left is not a run. Files of the same names in a directory no
            # run was started in are the user's, and stay.
            started = os.path.exists(self.file(self.CONFIG))
            for name in (self.CHECKPOINTS,) + ((self.LAST, self.BEST, self.REPORT)
                                               if started else ()):
                remove(self.file(name))
            return None
        self._refresh(state)
        report = self.file(self.REPORT)
        if os.path.exists(report) and not self._describes(self._read_json(self.REPORT), state):
            os.unlink(report)
        return state

    @staticmethod
    def _describes(report, state):
        return (report.get("epoch") == state["epoch"]
                and report.get("best_epoch") == state["best_epoch"])

    def clear(self):
        """Forget the run here (``--restart``): its state, checkpoints,
        models and report. Data and other files are left alone."""
        remove(self.file(self.STATE))  # first: from here on nothing is committed
        for name in (self.CHECKPOINTS, self.LAST, self.BEST, self.REPORT, self.CONFIG):
            remove(self.file(name))

    def close(self):
        """Release what the directory holds besides its files (nothing)."""

    def check_same_run(self, config):
        """Check that the run here (there is one) is a run of ``config``.

        Raises:
            ConfigError: the directory holds a run of a different config.
        """
        saved = _with_new_keys(self.saved_config(), config)
        if _run_defining(saved) != _run_defining(config):
            raise ConfigError(
                f"{self.path} holds a run of a different config; resuming it would "
                f"mix the two (only training.{', training.'.join(RESUMABLE_CHANGES)}, "
                f"data.test and output may change). Choose another output directory, "
                f"or restart (--restart).")


class WorkerDirectory(RunDirectory):
    """The run directory as a process other than the chief sees it (a
    multi-process run, `seqlab.distribution`): it reads the chief's files
    and writes none. It still saves each epoch's checkpoint, to a scratch
    directory, and deletes it: saving a distributed model is a collective
    every process must join.
    """

    def __init__(self, path):
        super().__init__(path)
        self.scratch = tempfile.mkdtemp(prefix="seqlab-worker-")

    def lock(self):
        return _NoLock()

    def recover(self):
        return self.read_state()

    def clear(self):
        pass

    def write_json(self, name, value):
        pass

    def commit(self, model, state, improved):
        name = self.checkpoint_name(state)
        scratch = os.path.join(self.scratch, "checkpoint.keras")
        atomic_save_model(model, scratch)
        os.unlink(scratch)
        return {**state, "last": name, "best": name if improved else state["best"]}

    def predictions(self, split):
        return os.path.join(self.scratch, f"{split}.predictions.conll")

    def close(self):
        shutil.rmtree(self.scratch, ignore_errors=True)


class _NoLock(contextlib.nullcontext):
    def __enter__(self):
        return self

    def describe_stale(self):
        return None


def remove(path):
    """Delete a file, or a directory of files, if it exists."""
    if os.path.isdir(path):
        for name in os.listdir(path):
            os.unlink(os.path.join(path, name))
        os.rmdir(path)
    elif os.path.exists(path):
        os.unlink(path)


def _with_new_keys(saved, config):
    """A saved config with the keys a later seqlab added (``data.repair``)
    set to their defaults, so an older run still resumes."""
    if saved is None:
        return None
    from seqlab.config import DEFAULTS, LM_DEFAULTS

    filled = {**saved}
    for section, values in config.items():
        if isinstance(values, dict) and isinstance(saved.get(section), dict):
            known = {**LM_DEFAULTS.get(section, {}), **DEFAULTS.get(section, {})}
            filled[section] = {**{k: known[k] for k in values if k in known
                                  and k not in saved[section]}, **saved[section]}
    return filled


def _run_defining(config):
    """A config without the keys a resumed run may change (and where it is)."""
    if config is None:
        return None
    training = {k: v for k, v in config["training"].items()
                if k not in RESUMABLE_CHANGES}
    data = {k: v for k, v in config["data"].items() if k != "test"}
    # A run may resume on other devices: the global batch is what counts.
    return {**config, "training": training, "data": data, "output": None,
            "distribution": None}
