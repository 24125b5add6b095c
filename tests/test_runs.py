"""The one run pipeline: its directory layout, quiet runs, budgets."""

import os

import keras
import pytest

import seqlab

from seqlab import runs
from seqlab.config import load_config
from seqlab.demo import write_ner_corpus
from seqlab.io import DirectoryLock
from seqlab.tagging import train_tagger

from conftest import same_weights, saved_weights


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return write_ner_corpus(tmp_path_factory.mktemp("corpus"), seed=4,
                            train=200, dev=30, test=30)


def config_for(corpus, output, **training):
    return load_config(data={
        "output": str(output),
        "data": {**corpus, "format": "two_column", "scheme": "iob2"},
        "model": {"units": 8, "embedding_dim": 8, "depth": 1, "head": "softmax",
                  "encoders": ["word_embedding"]},
        "training": {"epochs": 2, "learning_rate": 0.02, **training},
    })


def test_a_quiet_run_prints_nothing_and_writes_the_named_files(corpus, tmp_path, capsys):
    run = train_tagger(config_for(corpus, tmp_path / "run"), verbose=0)
    assert capsys.readouterr().out == ""
    directory = runs.RunDirectory(run.output)
    named = {directory.CONFIG, directory.STATE, directory.LAST, directory.BEST,
             directory.REPORT, directory.CHECKPOINTS, DirectoryLock.NAME, directory.CURVES,
             os.path.basename(directory.predictions("dev")),
             os.path.basename(directory.predictions("test"))}
    assert set(os.listdir(run.output)) == named
    assert isinstance(run, runs.Run) and run.best_epoch in (1, 2)
    # resuming a finished run is quiet too
    train_tagger(config_for(corpus, tmp_path / "run"), verbose=0)
    assert capsys.readouterr().out == ""


def test_a_verbose_run_says_each_epoch_and_resume(corpus, tmp_path, capsys):
    config = config_for(corpus, tmp_path / "run", epochs=1)
    train_tagger(config, verbose=0)
    capsys.readouterr()
    config.training.epochs = 2
    train_tagger(config, verbose=2)
    out = capsys.readouterr().out
    assert "Resuming" in out and "after epoch 1" in out
    assert "epoch 2: dev_f1" in out


def test_taggers_have_a_time_budget(corpus, tmp_path, capsys):
    run = train_tagger(config_for(corpus, tmp_path / "run", epochs=5, time_budget=1e-6),
                       verbose=2)
    assert len(run.history) == 1
    assert "exceed the 0 s time budget" in capsys.readouterr().out


def test_the_time_budget_covers_the_whole_run_across_resumes(corpus, tmp_path, capsys):
    first = train_tagger(config_for(corpus, tmp_path / "run", epochs=1), verbose=0)
    spent = first.train_seconds
    assert spent > 0
    # The epoch took `spent` seconds; an uninterrupted run with this budget
    # would have stopped after it (spent + the longest epoch > 1.5 spent),
    # so the resumed one trains nothing more.
    again = train_tagger(config_for(corpus, tmp_path / "run", epochs=3,
                                    time_budget=1.5 * spent), verbose=1)
    assert len(again.history) == 1 and again.train_seconds == spent
    assert "The time budget is spent" in capsys.readouterr().out
    # With room for more, the seconds of every part add up.
    more = train_tagger(config_for(corpus, tmp_path / "run", epochs=2), verbose=0)
    assert len(more.history) == 2 and more.train_seconds > spent


def test_a_test_file_that_is_missing_stops_the_run_before_training(corpus, tmp_path):
    config = config_for(corpus, tmp_path / "run")
    config.data.test = str(tmp_path / "nope.txt")
    with pytest.raises(seqlab.ConfigError, match="data.test = '.*nope.txt': no such file"):
        train_tagger(config, verbose=0)
    assert not (tmp_path / "run").exists()


PER_STEP_HOOKS = ("on_batch_begin", "on_batch_end", "on_train_batch_begin",
                  "on_train_batch_end")


def test_no_callback_of_a_run_reads_the_device_between_steps(corpus, tmp_path, monkeypatch):
    """A callback with a per-step hook makes Keras read every step's logs
    (and, on JAX, gives up asynchronous dispatch): a run adds none."""
    seen = []
    fit = keras.Model.fit

    def spying_fit(self, *args, callbacks=(), **kwargs):
        seen.extend(callbacks)
        return fit(self, *args, callbacks=callbacks, **kwargs)

    monkeypatch.setattr(keras.Model, "fit", spying_fit)
    run = train_tagger(config_for(corpus, tmp_path / "run", epochs=1), verbose=0)
    assert seen
    for callback in seen:
        for hook in PER_STEP_HOOKS:
            assert getattr(type(callback), hook) is getattr(keras.callbacks.Callback, hook), (
                f"{type(callback).__name__}.{hook}")
    # the statistics still reach the history, read once per epoch
    assert {"gradient_norm_mean", "gradient_norm_max", "clipped_fraction"} <= set(run.history[0])
    assert 0 < run.history[0]["gradient_norm_mean"] <= run.history[0]["gradient_norm_max"]


def test_steps_per_execution_and_jit_compile_reach_compile(corpus, tmp_path):
    config = config_for(corpus, tmp_path / "run", epochs=1, steps_per_execution=4,
                        jit_compile=False)
    run = train_tagger(config, verbose=0)
    assert run.model.steps_per_execution == 4
    assert run.model.jit_compile is False


@pytest.mark.backend
def test_the_monitor_names_the_first_bad_step_after_the_epoch(register_plugin):
    import numpy as np
    from keras import ops

    import seqlab
    from seqlab.callbacks import TrainingMonitor
    from seqlab_builtins.heads.softmax import SoftmaxHead

    class NaNOnTagTwo(SoftmaxHead):
        def token_loss(self, targets, scores, mask=None):
            loss = super().token_loss(targets, scores, mask)
            poisoned = ops.any(ops.equal(ops.cast(targets, "int32"), 2))
            return loss * ops.where(poisoned, float("nan"), 1.0)

    class Plugin:
        @staticmethod
        @seqlab.hookimpl
        def seqlab_register_output_heads(register):
            register("nan_on_two", NaNOnTagTwo)

    register_plugin(Plugin, "nan-on-two")
    model = seqlab.Tagger(vocab_size=20, num_tags=3, units=4, head="nan_on_two")
    model.compile(optimizer="adam")
    x = np.ones((20, 5), "int32")
    y = np.zeros((20, 5), "int32")
    y[12] = 2  # in the fourth batch of four
    monitor = TrainingMonitor()
    with pytest.raises(seqlab.TrainingError, match=r"loss became nan at epoch 1, step 4\."):
        model.fit(x, y, batch_size=4, shuffle=False, verbose=0, callbacks=[monitor])
    clean = seqlab.Tagger(vocab_size=20, num_tags=3, units=4)
    clean.compile(optimizer="adam")
    history = clean.fit(x, np.zeros_like(y), batch_size=4, epochs=2, verbose=0,
                        callbacks=[TrainingMonitor()]).history
    assert len(history["gradient_norm_mean"]) == 2


class _Scripted(runs.Task):
    """A task whose dev scores are given, one per epoch (``scores``), read
    by the number of epochs committed to the run's ``state.json``."""

    score_name = "dev_f1"
    untrained_score = 0.0
    scores = ()

    def __init__(self, config, state_file):
        super().__init__(config)
        self.state_file = state_file

    def read_data(self):
        pass

    def build_model(self):
        model = seqlab.Tagger(vocab_size=5, num_tags=2, units=2, embedding_dim=2)
        model.compile(optimizer="adam")
        return model

    def fit_data(self, model, epoch):
        import numpy as np

        return {"x": np.ones((4, 3), "int32"), "y": np.zeros((4, 3), "int32"),
                "batch_size": 4}

    def dev_score(self, model):
        return self.scores[len(committed_history(self.state_file))]

    def report(self, model, directory):
        return {}, None, {}


def committed_history(state_file):
    import json

    return json.loads(state_file.read_text())["history"] if state_file.exists() else []


def test_patience_waits_until_the_dev_score_leaves_zero_and_says_why_it_stops(tmp_path, capsys):
    class Scripted(_Scripted):
        """F1 0 for four epochs, then 0.5, then flat."""

        scores = [0.0, 0.0, 0.0, 0.0, 0.5, 0.5, 0.5, 0.4]

    (tmp_path / "t").write_text("x O\n")
    config = load_config(data={"output": str(tmp_path / "run"),
                               "data": {"train": str(tmp_path / "t"), "dev": str(tmp_path / "t")},
                               "training": {"epochs": 8, "patience": 2}})
    run = runs.train(Scripted(config, tmp_path / "run" / "state.json"), config, verbose=2)
    # four epochs at F1 0 did not count against patience; 0.5 at epoch 5,
    # then two epochs without improvement
    assert [h["epoch"] for h in run.history] == [1, 2, 3, 4, 5, 6, 7]
    assert run.best_epoch == 5
    assert ("Stopping early after epoch 7: dev_f1 has not improved for 2 epochs "
            "(patience 2); best.keras is epoch 5.") in capsys.readouterr().out


def test_report_shows_a_finished_or_running_run_and_plots_its_curves(corpus, tmp_path, capsys):
    from seqlab.cli import main

    run = train_tagger(config_for(corpus, tmp_path / "run", epochs=2), verbose=0)
    curves = tmp_path / "run" / "curves.png"
    assert curves.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"  # every run gets one
    curves.unlink()
    assert main(["report", str(tmp_path / "run")]) == 0
    out = capsys.readouterr().out
    assert f"2 epochs, best epoch {run.best_epoch}" in out
    assert "epoch    loss  dev_f1  learning_rate" in out
    assert f"  {run.best_epoch}*" in out
    for kind in ("LOC", "MISC", "ORG", "PER", "all (micro)"):
        assert f"  {kind}" in out
    assert "overlap F1: binary" in out and "untyped" in out
    assert curves.exists()
    # a running run: state.json but no report yet
    (tmp_path / "run" / "report.json").unlink()
    assert main(["report", str(tmp_path / "run"), "--no-plot"]) == 0
    assert "(running or stopped before its report)" in capsys.readouterr().out
    assert main(["report", str(tmp_path / "nothing")]) == 2
    assert "no such run directory" in capsys.readouterr().err


@pytest.mark.backend
def test_callbacks_from_the_config_log_every_epoch_once_across_a_resume(corpus, tmp_path):
    import csv

    output = tmp_path / "run"
    callbacks = ["csv_logger", {"name": "tensorboard", "log_dir": "tb"}]
    train_tagger(config_for(corpus, output, epochs=1, callbacks=callbacks), verbose=0)
    run = train_tagger(config_for(corpus, output, epochs=3, callbacks=callbacks), verbose=0)
    with open(output / "history.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert [int(r["epoch"]) for r in rows] == [0, 1, 2]  # one header, each epoch once
    assert [float(r["dev_f1"]) for r in rows] == pytest.approx(
        [h["dev_f1"] for h in run.history])  # the dev score is in the logs they get
    events = [f for _, _, files in os.walk(output / "tb") for f in files]
    assert any(f.startswith("events.out.tfevents") for f in events)
    # --restart starts the log again
    train_tagger(config_for(corpus, output, epochs=1, callbacks=["csv_logger"]),
                 resume=False, verbose=0)
    with open(output / "history.csv") as handle:
        assert len(list(csv.DictReader(handle))) == 1


def test_a_plugin_callback_runs_with_the_run_directory(corpus, tmp_path, register_plugin):
    seen = []

    class Epochs(keras.callbacks.Callback):
        def __init__(self, context, label="epoch"):
            super().__init__()
            self.context, self.label = context, label

        def on_epoch_end(self, epoch, logs=None):
            seen.append((self.label, self.context.run_directory, epoch, "dev_f1" in logs))

    class Plugin:
        @staticmethod
        @seqlab.hookimpl
        def seqlab_register_callbacks(register):
            register("epochs", Epochs)

    register_plugin(Plugin, "epochs_callback")
    run = train_tagger(config_for(corpus, tmp_path / "run", epochs=2,
                                  callbacks=[{"name": "epochs", "label": "x"}]), verbose=0)
    assert seen == [("x", run.output, 0, True), ("x", run.output, 1, True)]
    with pytest.raises(seqlab.ConfigError, match="Callback 'epochs' .* has no option "
                                                 "'lable'. It accepts: label"):
        config_for(corpus, tmp_path / "other", callbacks=[{"name": "epochs", "lable": "x"}])


class _AnnealScripted(_Scripted):
    """Dev scores that stall twice, with a constant learning-rate schedule
    (a tagger's is inverse-time decay)."""

    scores = [0.5, 0.6, 0.55, 0.55, 0.7, 0.65, 0.65, 0.6, 0.6, 0.6]

    def fit_data(self, model, epoch):
        import numpy as np

        x = np.arange(12, dtype="int32").reshape(4, 3) % 4 + 1
        return {"x": x, "y": x % 2, "batch_size": 2, "shuffle": False}

    def callbacks(self, history):
        from seqlab.callbacks import inverse_time_decay

        return [inverse_time_decay(0.01, 0.0)]


class _Weights(keras.callbacks.Callback):
    """The model's weights at each epoch's start (after the run's own
    callbacks) and end."""

    def __init__(self):
        super().__init__()
        self.begin, self.end = {}, {}

    def on_epoch_begin(self, epoch, logs=None):
        self.begin[epoch] = self.model.get_weights()

    def on_epoch_end(self, epoch, logs=None):
        self.end[epoch] = self.model.get_weights()


def _anneal_run(tmp_path, name, epochs, callbacks=(), **training):
    (tmp_path / "t").write_text("x O\n")
    config = load_config(data={
        "output": str(tmp_path / name),
        "data": {"train": str(tmp_path / "t"), "dev": str(tmp_path / "t")},
        "training": {"epochs": epochs, "patience": 2, "anneals": 1, **training}})
    task = _AnnealScripted(config, tmp_path / name / "state.json")
    return runs.train(task, config, verbose=2, callbacks=list(callbacks))


def test_annealing_goes_on_from_the_best_weights_at_a_lower_rate_then_stops(tmp_path, capsys):
    """Patience 2, one anneal: the dev score stalls after epoch 2, so after
    epoch 4 the learning rate halves and epoch 5 starts from epoch 2's
    weights; it stalls again after epoch 5 and the run stops at epoch 7."""
    seen = _Weights()
    run = _anneal_run(tmp_path, "run", 10, [seen])
    out = capsys.readouterr().out
    assert [h["epoch"] for h in run.history] == [1, 2, 3, 4, 5, 6, 7]
    assert run.best_epoch == 5
    rates = [round(h["learning_rate"], 6) for h in run.history]
    assert rates == [0.01] * 4 + [0.005] * 3
    assert same_weights(seen.begin[4], seen.end[1])  # epoch 5 starts from epoch 2's weights
    assert not same_weights(seen.begin[4], seen.end[3])
    assert ("Annealing after epoch 4 (1 of 1): dev_f1 has not improved for 2 epochs; the "
            "learning rate is multiplied by 0.5 and training goes on from epoch 2's "
            "weights.") in out
    assert ("Stopping early after epoch 7: dev_f1 has not improved for 2 epochs (patience 2, "
            "after 1 anneal); best.keras is epoch 5.") in out
    # without restoring, epoch 5 goes on from epoch 4's weights
    seen = _Weights()
    _anneal_run(tmp_path, "kept", 5, [seen], restore_best=False)
    assert same_weights(seen.begin[4], seen.end[3])


def test_a_run_resumed_after_an_anneal_ends_as_an_uninterrupted_one(tmp_path):
    whole = _anneal_run(tmp_path, "whole", 10)
    _anneal_run(tmp_path, "cut", 4)  # stops right after the anneal is committed
    resumed = _anneal_run(tmp_path, "cut", 10)
    assert resumed.history == whole.history
    assert same_weights(resumed.model.get_weights(), whole.model.get_weights())
    assert same_weights(saved_weights(tmp_path / "cut" / "last.keras"),
                 saved_weights(tmp_path / "whole" / "last.keras"))
