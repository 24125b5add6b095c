"""``seqlab tune``: search training recipes with Optuna.

Each trial trains the config with some keys changed (a `SPACES` entry, or a
space file), in a run directory of its own, and is scored by its best dev
score; Optuna's TPE sampler proposes the next values and its median pruner
stops a trial whose dev score per epoch falls below the median of earlier
trials at the same epoch. The study lives in an SQLite file, so a search
stopped by Ctrl-C, a time limit or the end of a session continues where it
stopped: a trial that was running is tried again with the same values, and
its run directory resumes from its last committed epoch.

Example:
    >>> study = seqlab.tune.tune(seqlab.load_config("ner.toml"), trials=20)
    >>> study.best_trial.params
    {'training.learning_rate': 0.0031, 'model.dropout': 0.41, ...}

Needs the ``tune`` extra: ``pip install seqlab[tune]`` (Optuna).
"""

import hashlib
import json
import os
import warnings

from seqlab.errors import ConfigError, SeqlabError, SeqlabWarning

#: The default search spaces: the training recipe, not the model's shape.
#: Each key is a config key; ``low``/``high`` (``log`` for a log scale,
#: ``step`` for integers) or ``choices``.
SPACES = {
    "tagger": {
        "training.optimizer": {"choices": ["adam", "nadam", "rmsprop"]},
        "training.learning_rate": {"low": 5e-4, "high": 2e-2, "log": True},
        "training.lr_decay": {"low": 0.0, "high": 0.1},
        "training.batch_size": {"choices": [16, 32, 64]},
        "training.patience": {"low": 4, "high": 12, "step": 1},
        "training.anneals": {"low": 0, "high": 3, "step": 1},
        "training.restore_best": {"choices": [True, False]},
        "model.dropout": {"low": 0.2, "high": 0.6},
        "model.word_dropout": {"low": 0.0, "high": 0.1},
    },
    "lm": {
        "training.optimizer": {"choices": ["sgd", "adam"]},
        "training.learning_rate": {"low": 1e-3, "high": 2.0, "log": True},
        "training.lr_decay": {"low": 0.3, "high": 0.9},
        "training.decay_after": {"low": 1, "high": 8, "step": 1},
        "training.batch_size": {"choices": [10, 20, 40]},
        "model.dropout": {"low": 0.0, "high": 0.6},
    },
}
#: Where a study lives inside the config's output folder.
FOLDER = "tune"


def _optuna():
    try:
        import optuna
    except ImportError:
        raise SeqlabError("seqlab tune needs Optuna: pip install 'seqlab[tune]' "
                          "(or pip install optuna).") from None
    return optuna


def read_space(path):
    """A search space from a TOML file: one table per config key,
    ``["training.learning_rate"] low = 1e-4, high = 1e-2, log = true`` or
    ``["training.optimizer"] choices = ["adam", "sgd"]``.

    Raises:
        ConfigError: naming the file and the key that is malformed.
    """
    from seqlab.config.loading import _read_toml

    return _read_toml(path)


def check_space(space, config, where="the search space"):
    """Check that each entry names a key of ``config`` and gives a range or
    choices whose ends the config accepts."""
    from seqlab.config import updated

    if not isinstance(space, dict) or not space:
        raise ConfigError(f"{where}: expected a table per config key, e.g. "
                          f'["training.learning_rate"] low = 1e-4, high = 1e-2, log = true.')
    for key, entry in space.items():
        if not isinstance(entry, dict) or not (
                "choices" in entry and isinstance(entry["choices"], list) and entry["choices"]
                or {"low", "high"} <= set(entry)):
            raise ConfigError(f"{where}: {key} needs low and high, or a non-empty list of "
                              f"choices. Received: {entry!r}")
        unknown = set(entry) - {"low", "high", "log", "step", "choices"}
        if unknown:
            raise ConfigError(f"{where}: {key}: unknown field {sorted(unknown)[0]!r}; "
                              f"fields: low, high, log, step, choices.")
        for value in entry.get("choices") or [entry["low"], entry["high"]]:
            try:
                updated(config, {key: value})  # the config's own check of the key
            except ConfigError as error:
                raise ConfigError(f"{where}: {error}") from None


def _suggest(trial, space):
    values = {}
    for key, entry in space.items():
        if "choices" in entry:
            values[key] = trial.suggest_categorical(key, entry["choices"])
        elif all(isinstance(entry[k], int) and not isinstance(entry[k], bool)
                 for k in ("low", "high")):  # integers: epochs, patience, sizes
            values[key] = trial.suggest_int(key, entry["low"], entry["high"],
                                            step=entry.get("step", 1), log=entry.get("log", False))
        else:
            values[key] = trial.suggest_float(key, float(entry["low"]), float(entry["high"]),
                                              log=entry.get("log", False))
    return values


def trial_folder(base, values):
    """A trial's run directory, named by its values: a trial tried again
    with the same values resumes the same run."""
    digest = hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()[:12]
    return os.path.join(base, f"trial-{digest}")


def _pruning_callback(trial, score_name, optuna):
    import keras

    class Pruning(keras.callbacks.Callback):
        """Reports the dev score of every epoch to Optuna and stops a
        trial that its pruner gives up on (after the epoch is committed)."""

        # A resumed run reports from its first new epoch on: the median
        # pruner compares a trial's latest epoch with the others' same epoch.
        def on_epoch_end(self, epoch, logs=None):
            if logs and score_name in logs:
                trial.report(float(logs[score_name]), epoch + 1)
                if trial.should_prune():
                    raise optuna.TrialPruned(f"{score_name} {logs[score_name]:.4g} after "
                                             f"epoch {epoch + 1}")

    return Pruning()


def tune(config, trials, task="tagger", space=None, storage=None, study_name=None,
         verbose=1, seed=0):
    """Run ``trials`` more trials of a study of ``config`` (a typed config).

    Args:
        config: the base config; each trial changes the keys of ``space``.
        trials: trials to add to the study (trials already in it are kept).
        task: ``"tagger"`` (maximises ``training.metric`` on dev) or ``"lm"``
            (minimises dev perplexity).
        space: ``{config key: {low, high, log, step} or {choices}}``;
            default `SPACES` [task].
        storage: the SQLite file of the study; default
            ``OUTPUT/tune/study.db``.
        study_name: default: the output folder's name.
        verbose: 0 prints nothing; 1 two lines per trial (its values, its
            score); 2 also each run's line per epoch.
        seed: the sampler's seed (trials then propose the same values).

    Returns:
        The `optuna.Study`.
    """
    from seqlab.config import updated
    from seqlab.io import DirectoryLock

    optuna = _optuna()
    space = space or SPACES[task]
    check_space(space, config)
    base = os.path.join(config.output, FOLDER)
    os.makedirs(base, exist_ok=True)
    storage = storage or os.path.join(base, "study.db")
    maximise = task == "tagger"
    score_name = f"dev_{config.training.metric}" if maximise else "dev_ppl"
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    with DirectoryLock(base):  # one search per folder at a time
        def study_with(sampler_seed):
            return optuna.create_study(
                storage=f"sqlite:///{os.path.abspath(storage)}",
                study_name=study_name or os.path.basename(os.path.abspath(config.output)),
                direction="maximize" if maximise else "minimize", load_if_exists=True,
                sampler=optuna.samplers.TPESampler(seed=sampler_seed),
                pruner=optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=3))

        # Seeded by the trials so far: a resumed study draws new values (the
        # same seed again would propose the first session's trials again).
        study = study_with(seed + len(study_with(seed).trials))
        study.set_user_attr("score", score_name)
        _retry_interrupted(study, optuna, verbose)
        train = _trainer(task)

        def objective(trial):
            values = _suggest(trial, space)
            folder = trial_folder(base, values)
            trial.set_user_attr("run_directory", os.path.relpath(folder, config.output))
            trial_config = updated(config, {**values, "output": folder})
            if verbose:
                shown = ", ".join(f"{k} = {_shown(v)}" for k, v in values.items())
                print(f"trial {trial.number}: {shown}", flush=True)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", SeqlabWarning)  # a trial's, not the user's
                run = train(trial_config, resume=True, verbose=2 if verbose >= 2 else 0,
                            callbacks=[_pruning_callback(trial, score_name, optuna)])
            scores = [entry[score_name] for entry in run.history]
            best = max(scores) if maximise else min(scores)
            if verbose:
                print(f"trial {trial.number}: best {score_name} {best:.4g} (epoch "
                      f"{run.best_epoch})", flush=True)
            return best

        study.optimize(objective, n_trials=trials, catch=())
    return study


def _retry_interrupted(study, optuna, verbose):
    """A trial left running by a process that stopped (the lock is ours, so
    none runs now) is marked failed and queued again with its values: its
    run directory resumes."""
    for trial in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)):
        study.tell(trial.number, state=optuna.trial.TrialState.FAIL)
        study.enqueue_trial(trial.params, user_attrs={"retries": trial.number})
        if verbose:
            print(f"trial {trial.number} was interrupted: trying its values again "
                  f"(its run directory resumes).", flush=True)


def _trainer(task):
    if task == "tagger":
        from seqlab.tagging import train_tagger

        return train_tagger
    from seqlab.lm import train_language_model

    return train_language_model


def _shown(value):
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def summary(study, limit=10):
    """The best trials as a table, and the changes of the best one as
    ``--set`` arguments (for ``benchmarks/suite.py``, ``seqlab train``)."""
    from seqlab.presentation import table

    optuna = _optuna()
    done = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    counts = {state.name.lower(): sum(t.state == state for t in study.trials)
              for state in optuna.trial.TrialState}
    head = (f"{len(study.trials)} trials: " + ", ".join(
        f"{n} {name}" for name, n in counts.items() if n) + ".")
    if not done:
        return head + " None finished yet."
    reverse = study.direction == optuna.study.StudyDirection.MAXIMIZE
    ranked = sorted(done, key=lambda t: t.value, reverse=reverse)[:limit]
    keys = sorted({k for t in ranked for k in t.params})
    rows = [("TRIAL", study.user_attrs.get("score", "DEV").upper(), *keys)]
    rows += [(str(t.number), f"{t.value:.4g}", *(_shown(t.params.get(k, "")) for k in keys))
             for t in ranked]
    best = ranked[0]
    sets = " ".join(f"--set {k}={_toml(v)}" for k, v in sorted(best.params.items()))
    return (f"{head}\n{table(rows, indent='', numbers=False)}\n"
            f"Best: trial {best.number}, dev {best.value:.4g}, in "
            f"{best.user_attrs.get('run_directory', '?')}. Its changes: {sets}")


def _toml(value):
    if isinstance(value, str):
        return json.dumps(value)
    return f"{value:.4g}" if isinstance(value, float) else repr(value)
