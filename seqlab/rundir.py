"""The run directory: its files, its one commit point per epoch, its
recovery after a kill. Imports no Keras (``seqlab report`` reads run
directories without a backend).
"""

import contextlib
import json
import math
import os
import re
import shutil
import tempfile

from seqlab.errors import ConfigError, DataError, SeqlabError
from seqlab.io import (DirectoryLock, atomic_save_model, atomic_write, file_digest,
                       fingerprint, publish, remove_temporaries)

#: Config keys a resumed run may change: training longer or on a budget.
RESUMABLE_CHANGES = ("epochs", "patience", "time_budget", "callbacks")
#: The data files a run fingerprints (``config.data`` keys).
DATA_KEYS = ("train", "dev", "test")
#: How ``state.json`` may name a checkpoint: a plain file in ``checkpoints/``
#: (or, in a manifest of seqlab 0.1, ``last.keras`` / ``best.keras``).
_CHECKPOINT_FILE = re.compile(r"^epoch-[0-9]{4,9}\.keras\Z")  # \Z: "$" would let a final "\n" in
_LEGACY_NAMES = ("last.keras", "best.keras")
_RESTART = "restart the run (--restart), which removes the run's files"


class RunDirectory:
    """The files of a run directory, and the one commit point per epoch.

    ``state.json`` is the run's manifest: the number of finished epochs, the
    best dev score, the history, the names of two checkpoints in
    ``checkpoints/`` (the model after the last finished epoch, optimizer
    included, and the model selected on dev) with their SHA-256, and a
    fingerprint (size, SHA-256) of each data file. An epoch ends by writing
    its checkpoint, then replacing ``state.json`` atomically: that rename is
    the commit. Only then are ``last.keras`` and ``best.keras`` (copies of
    the manifest's checkpoints, never links: writing into them cannot reach
    a checkpoint) refreshed and the checkpoints no longer named deleted.
    Killed at any instant, the directory holds one committed epoch;
    `recover` (run at every start) removes temporary files and refreshes the
    copies, so the files agree again. ``report.json`` (scores of the best
    model) names the epoch it describes, and is only present while it
    matches the manifest. ``config.json`` is the config the run was started
    with; taggers add ``<split>.predictions.conll``; ``run.lock`` keeps a
    second run out (see `seqlab.io.DirectoryLock`); ``curves.png`` plots the
    history (`seqlab.reporting`).

    The directory is a trust boundary: what its files say is checked before
    it is acted on. A manifest that is not one seqlab writes, a checkpoint
    named outside ``checkpoints/``, reached through a symbolic link or whose
    bytes changed, and checkpoints or models without a manifest are each a
    one-line `SeqlabError`, and nothing is deleted then.
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

    def read_state(self, verify=True):
        """The committed training state, or None (no finished epoch yet).

        Args:
            verify: check that the checkpoints the manifest names are there,
                inside ``checkpoints/``, with the bytes it recorded.

        Raises:
            SeqlabError: ``state.json`` is not a manifest seqlab writes, or
                names a checkpoint that is missing, outside the directory or
                changed (files were edited or removed by hand).
        """
        path = self.file(self.STATE)
        if not os.path.lexists(path):
            return None
        state = self._read_json(self.STATE)
        if isinstance(state, dict) and "best_score" not in state and _is_number(state.get("best")):
            # written by seqlab 0.1, before manifests
            state.update(best_score=state["best"], last=self.LAST, best=self.BEST)
        problem = _state_problem(state)
        if problem:
            raise SeqlabError(
                f"{path} {problem}: it is not a manifest seqlab wrote (edited by hand, "
                f"or another program's file). seqlab deletes nothing it cannot account "
                f"for: restore the file, or {_RESTART}.")
        if verify:
            for key in ("last", "best"):
                self._check_checkpoint(state, key)
        return state

    def _check_checkpoint(self, state, key):
        name = state[key]
        path = self.file(name)
        where = f"{self.file(self.STATE)} names {name} as the {key} checkpoint, but it"
        if self._linked(name):
            raise SeqlabError(f"{where} is reached through a symbolic link; seqlab reads "
                              f"checkpoints from inside the run directory only. Replace the "
                              f"link by the file, or {_RESTART}.")
        if not os.path.exists(path):
            raise SeqlabError(f"{where} is missing (removed by hand?). Restart the run "
                              f"(--restart) or restore the file.")
        if not os.path.isfile(path):
            raise SeqlabError(f"{where} is not a file. Restore the file, or {_RESTART}.")
        expected = state.get("checksums", {}).get(name)
        if expected is not None and file_digest(path) != expected:
            raise SeqlabError(
                f"{where} does not hold the bytes it was written with (its SHA-256 "
                f"differs from the one recorded; changed by hand, or damaged on disk). "
                f"Restore the file, or {_RESTART}.")

    def _linked(self, name):
        """Whether a run file, or a folder on its way, is a symbolic link."""
        parts = name.split("/")
        return any(os.path.islink(self.file("/".join(parts[:i + 1])))
                   for i in range(len(parts)))

    def saved_config(self):
        """The config the run was started with, or None."""
        if not os.path.lexists(self.file(self.CONFIG)):
            return None
        return self._read_json(self.CONFIG)

    def read_report(self):
        """``report.json`` (a dict), or None while there is none.

        Raises:
            SeqlabError: the file is not a report seqlab writes.
        """
        if not os.path.lexists(self.file(self.REPORT)):
            return None
        report = self._read_json(self.REPORT)
        problem = _report_problem(report)
        if problem:
            raise SeqlabError(
                f"{self.file(self.REPORT)} {problem}: it is not a report seqlab wrote. "
                f"Remove it, and `seqlab train` with the same config writes it again "
                f"(or {_RESTART}).")
        return report

    def _read_json(self, name):
        path = self.file(name)
        if os.path.islink(path) or not os.path.isfile(path):
            raise SeqlabError(f"{path} is not a plain file (a link or a folder); seqlab "
                              f"writes it as a file. Restore it, or {_RESTART}.")
        try:
            with open(path, encoding="utf-8") as handle:
                return json.load(handle)
        except (ValueError, RecursionError) as error:  # UnicodeDecodeError is a ValueError
            reason = str(error).split("\n")[0][:120] if not isinstance(error, RecursionError) \
                else "nested too deeply"
            raise SeqlabError(f"{path} is not valid JSON ({reason}); it was not "
                              f"written by seqlab. Restore it, or {_RESTART}.") from None

    def write_json(self, name, value):
        """Replace one of the run's JSON files atomically."""
        atomic_write(self.file(name), json.dumps(value, indent=1))

    def commit(self, model, state, improved):
        """End an epoch: checkpoint ``model``, then commit ``state`` (a dict
        with ``epoch``; its ``best`` checkpoint moves here when ``improved``).

        Returns:
            The committed state, with the checkpoint names and checksums.
        """
        name = self.checkpoint_name(state)
        atomic_save_model(model, self.file(name))
        checksums = {**state.get("checksums", {}), name: file_digest(self.file(name))}
        state = {**state, "last": name, "best": name if improved else state["best"]}
        state["checksums"] = {k: checksums[k] for k in sorted({state["last"], state["best"]})
                              if k in checksums}
        self.write_json(self.STATE, state)
        self._refresh(state)
        return state

    def checkpoint_name(self, state):
        """The checkpoint of ``state``'s epoch, relative to the directory."""
        return f"{self.CHECKPOINTS}/epoch-{state['epoch']:04d}.keras"

    def _refresh(self, state):
        """Make the published copies and the checkpoints agree with ``state``."""
        for key, target in (("last", self.last), ("best", self.best)):
            if not self._shows(target, state, state[key]):
                publish(self.file(state[key]), target)
        kept = {state["last"], state["best"]}
        for name in self._checkpoint_files():
            if f"{self.CHECKPOINTS}/{name}" not in kept:
                os.unlink(os.path.join(self.file(self.CHECKPOINTS), name))

    def _shows(self, target, state, name):
        """Whether ``target`` is a plain file with the bytes of checkpoint ``name``."""
        if os.path.islink(target) or not os.path.isfile(target):
            return False
        expected = state.get("checksums", {}).get(name)
        return file_digest(target) == (expected or file_digest(self.file(name)))

    def _checkpoint_files(self):
        """The names of the checkpoint files in ``checkpoints/`` (others are left alone)."""
        folder = self.file(self.CHECKPOINTS)
        if os.path.islink(folder):
            raise SeqlabError(f"{folder} is a symbolic link; seqlab keeps checkpoints "
                              f"inside the run directory only. Remove the link, or "
                              f"{_RESTART}.")
        if not os.path.isdir(folder):
            return []
        return sorted(n for n in os.listdir(folder) if _CHECKPOINT_FILE.match(n))

    def recover(self):
        """Bring the directory back to its last commit after a kill:
        temporary files removed, copies refreshed, a report of another
        epoch removed. Returns the committed state, or None.

        Raises:
            SeqlabError: a run file is malformed, or the directory holds
                checkpoints or models but no manifest (nothing is deleted).
        """
        self._checkpoint_files()  # a linked checkpoints/ is refused before anything goes
        remove_temporaries(self.path)
        remove_temporaries(self.file(self.CHECKPOINTS))
        state = self.read_state()
        if state is None:
            self._forget_uncommitted()
            return None
        self._refresh(state)
        report = self.read_report()
        if report is not None and not self._describes(report, state):
            os.unlink(self.file(self.REPORT))
        return state

    def _forget_uncommitted(self):
        """What a run killed in its first epoch left, before anything was
        committed: its one checkpoint. Anything more, without a manifest,
        is refused rather than deleted."""
        started = os.path.lexists(self.file(self.CONFIG))
        checkpoints = self._checkpoint_files()
        published = [n for n in (self.LAST, self.BEST, self.REPORT)
                     if os.path.lexists(self.file(n))]
        if started and not published and set(checkpoints) <= {"epoch-0001.keras"}:
            for name in checkpoints:
                os.unlink(os.path.join(self.file(self.CHECKPOINTS), name))
            if os.path.isdir(self.file(self.CHECKPOINTS)) and \
                    not os.listdir(self.file(self.CHECKPOINTS)):
                os.rmdir(self.file(self.CHECKPOINTS))
            return
        found = [f"{self.CHECKPOINTS}/{n}" for n in checkpoints] + (published if started else [])
        if found:
            shown = ", ".join(found[:4]) + (f" and {len(found) - 4} more" if len(found) > 4 else "")
            raise SeqlabError(
                f"{self.path} holds {shown} but no {self.STATE}, the manifest that says "
                f"which epoch was committed (removed by hand?). seqlab deletes nothing it "
                f"cannot account for: restore {self.STATE}, or move what you want to keep "
                f"elsewhere and {_RESTART}.")

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
            ConfigError: the directory holds a run of a different config
                (the message names the keys that differ).
            SeqlabError: ``config.json`` is missing or not a config.
        """
        saved = self.saved_config()
        if saved is None:
            raise SeqlabError(
                f"{self.path} holds a run ({self.STATE}) but not the config it was started "
                f"with ({self.CONFIG} is missing: removed by hand?), so seqlab cannot tell "
                f"whether this config may resume it. Restore {self.CONFIG}, or {_RESTART}.")
        if not _is_config(saved):
            raise SeqlabError(f"{self.file(self.CONFIG)} is not a config seqlab wrote. "
                              f"Restore it, or {_RESTART}.")
        changed = _changed_keys(_run_defining(_as_saved(saved, config)),
                                _run_defining(config.dump()))
        if changed:
            shown = ", ".join(changed[:6]) + (f" and {len(changed) - 6} more"
                                              if len(changed) > 6 else "")
            raise ConfigError(
                f"{self.path} holds a run of a different config ({shown} differ); "
                f"resuming it would mix the two (only training."
                f"{', training.'.join(RESUMABLE_CHANGES)}, data.test and output may "
                f"change). Choose another output directory, or restart (--restart).")

    def check_data(self, state, files, allow_changed=False):
        """Check that the data files are those the run was trained on.

        Args:
            state: the committed state (its ``data`` fingerprints; a state
                written before seqlab recorded them passes).
            files: the current `data_fingerprints`.
            allow_changed: accept changed files (``--allow-changed-data``).

        Raises:
            DataError: a data file changed since the last committed epoch.
        """
        recorded = state.get("data") or {}
        for key, now in files.items():
            then = recorded.get(key)
            if allow_changed or not then or (key == "test" and then.get("path") != now["path"]):
                continue  # a new test file is a change the run allows
            if (then.get("size"), then.get("sha256")) != (now["size"], now["sha256"]):
                raise DataError(
                    f"{now['path']} (data.{key}) changed since the run's last epoch "
                    f"({then.get('size', 0):,} bytes then, {now['size']:,} now"
                    f"{'' if then.get('size') != now['size'] else ', other bytes'}); the rest "
                    f"of the run would train on other data than its first epochs. Restore "
                    f"the file, restart (--restart), or resume on the new data with "
                    f"--allow-changed-data (allow_changed_data=True in Python).")


def data_fingerprints(config):
    """``{key: {"path", "size", "sha256"}}`` of each data file of a config."""
    return {key: {"path": getattr(config.data, key), **fingerprint(getattr(config.data, key))}
            for key in DATA_KEYS if getattr(config.data, key)}


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
    """Delete a file, or a folder of files, if it exists. A symbolic link is
    removed itself, never what it points to."""
    if os.path.islink(path) or os.path.isfile(path):
        os.unlink(path)
    elif os.path.isdir(path):
        for name in os.listdir(path):
            inner = os.path.join(path, name)
            if os.path.islink(inner) or not os.path.isdir(inner):
                os.unlink(inner)
        os.rmdir(path)


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value, finite=False):
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and (not finite or math.isfinite(value)))


_SHA256 = re.compile(r"^[0-9a-f]{64}\Z")


def _is_checkpoint_name(name):
    return isinstance(name, str) and (name in _LEGACY_NAMES or (
        name.startswith(RunDirectory.CHECKPOINTS + "/")
        and _CHECKPOINT_FILE.match(name[len(RunDirectory.CHECKPOINTS) + 1:]) is not None))


def _state_problem(state):
    """What makes ``state`` other than a manifest seqlab writes, or None."""
    if not isinstance(state, dict):
        return "is not a JSON object"
    epoch = state.get("epoch")
    if not _is_int(epoch) or epoch < 1:
        return "gives no number of finished epochs (\"epoch\")"
    if not _is_int(state.get("best_epoch")) or not 0 <= state["best_epoch"] <= epoch:
        return f"gives no best epoch between 0 and {epoch} (\"best_epoch\")"
    if not _is_int(state.get("wait", 0)) or state.get("wait", 0) < 0:
        return "gives no count of epochs without improvement (\"wait\")"
    if not _is_int(state.get("anneals", 0)) or state.get("anneals", 0) < 0:
        return "gives no count of anneals (\"anneals\")"
    if not isinstance(state.get("restore", False), bool):
        return "says neither true nor false of restoring the best weights (\"restore\")"
    if state.get("best_score") is not None and not _is_number(state["best_score"], finite=True):
        return "gives a best score that is not a number (\"best_score\")"
    history = state.get("history")
    if not isinstance(history, list) or not all(
            isinstance(h, dict) and _is_int(h.get("epoch"))
            and all(isinstance(k, str) and _is_number(v) for k, v in h.items())
            for h in history):
        return "has no history of numbers per epoch (\"history\")"
    for key in ("last", "best"):
        if not _is_checkpoint_name(state.get(key)):
            return (f"names {state.get(key)!r} as its {key} checkpoint, not a file "
                    f"checkpoints/epoch-NNNN.keras inside the run directory")
    for key in ("train_seconds", "longest_epoch_seconds"):
        if key in state and not _is_number(state[key], finite=True):
            return f"gives a time that is not a number ({key!r})"
    checksums = state.get("checksums", {})
    if not isinstance(checksums, dict) or not all(
            _is_checkpoint_name(k) and isinstance(v, str) and _SHA256.match(v)
            for k, v in checksums.items()):
        return "has checkpoint checksums that are not SHA-256 digests (\"checksums\")"
    data = state.get("data", {})
    if not isinstance(data, dict) or not all(
            isinstance(v, dict) and _is_int(v.get("size")) and isinstance(v.get("sha256"), str)
            for v in data.values()):
        return "has data fingerprints that are not sizes and digests (\"data\")"
    return None


def _report_problem(report):
    if not isinstance(report, dict):
        return "is not a JSON object"
    if not _is_int(report.get("epoch")) or not _is_int(report.get("best_epoch")):
        return "names no epoch it describes (\"epoch\", \"best_epoch\")"
    for split in ("dev", "test"):
        if report.get(split) is not None and not isinstance(report[split], dict):
            return f"has {split} scores that are not a JSON object"
    return None


def _is_config(saved):
    return isinstance(saved, dict) and all(
        isinstance(saved.get(section), dict) for section in ("data", "training"))


def _changed_keys(saved, config, prefix=""):
    """The dotted keys whose values differ between two configs."""
    changed = []
    for key in sorted(set(saved) | set(config), key=str):
        a, b = saved.get(key), config.get(key)
        if isinstance(a, dict) and isinstance(b, dict) and not prefix:
            changed += _changed_keys(a, b, f"{key}.")
        elif a != b:
            changed.append(f"{prefix}{key}")
    return changed


def _as_saved(saved, config):
    """A saved config read as ``config``'s kind would read it today: the
    keys a later seqlab added (``data.repair``) set to their defaults, and
    aliases (``scheme = "bio"``) normalised, so an older run still resumes.
    A saved config the schema no longer takes is compared as it is."""
    from seqlab.config import as_config
    from seqlab.errors import ConfigError

    try:
        return as_config(saved, config.task).dump()
    except ConfigError:
        return saved


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
