"""`seqlab tune` (issue 23, item 4): Optuna studies over training recipes,
per-epoch pruning reports, and a search that resumes where it stopped."""

import pytest

import seqlab
from seqlab import tune as tuning
from seqlab.cli import main
from seqlab.config import load_config
from seqlab.demo import write_ner_corpus

optuna = pytest.importorskip("optuna")

SPACE = {"training.learning_rate": {"low": 0.005, "high": 0.05, "log": True},
         "model.dropout": {"low": 0.0, "high": 0.5},
         "training.batch_size": {"choices": [4, 8]},
         "training.patience": {"low": 1, "high": 3, "step": 1}}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return write_ner_corpus(tmp_path_factory.mktemp("corpus"), seed=3, train=20, dev=6, test=6)


def config_for(corpus, output, epochs=2):
    return load_config(data={
        "output": str(output), "data": {**corpus, "format": "two_column"},
        "model": {"units": 4, "embedding_dim": 4, "head": "softmax",
                  "encoders": ["word_embedding"]},
        "training": {"epochs": epochs, "time_budget": 0}})


def test_a_study_runs_trials_reports_epochs_and_resumes(corpus, tmp_path):
    config = config_for(corpus, tmp_path / "runs")
    study = tuning.tune(config, trials=2, space=SPACE, verbose=0)
    assert (tmp_path / "runs" / "tune" / "study.db").exists()
    assert [t.state.name for t in study.trials] == ["COMPLETE", "COMPLETE"]
    for trial in study.trials:
        assert set(trial.params) == set(SPACE)
        assert sorted(trial.intermediate_values) == [1, 2]  # one report per epoch
        folder = tmp_path / "runs" / trial.user_attrs["run_directory"]
        assert (folder / "best.keras").exists()
        assert trial.value == pytest.approx(max(trial.intermediate_values.values()))
    # A later session adds trials to the same study, in the same file.
    first = [t.params for t in study.trials]
    again = tuning.tune(config, trials=1, space=SPACE, verbose=0)
    assert len(again.trials) == 3 and again.trials[0].params == study.trials[0].params
    assert again.trials[2].params not in first  # new values, not the first session's again
    assert "3 trials: 3 complete." in tuning.summary(again)


def test_an_interrupted_trial_is_tried_again_and_its_run_resumes(corpus, tmp_path, capsys):
    config = config_for(corpus, tmp_path / "runs")
    study = tuning.tune(config, trials=1, space=SPACE, verbose=0)
    # A trial the previous process left running, with one epoch committed.
    study.enqueue_trial({"training.learning_rate": 0.02, "model.dropout": 0.1,
                         "training.batch_size": 4, "training.patience": 2})
    left = study.ask()
    values = tuning._suggest(left, SPACE)  # the enqueued values
    folder = tuning.trial_folder(str(tmp_path / "runs" / "tune"), values)
    seqlab.train_tagger(seqlab.config.updated(config, {**values, "output": folder,
                                                       "training.epochs": 1}), verbose=0)
    study = tuning.tune(config, trials=1, space=SPACE, verbose=2)
    out = capsys.readouterr().out
    assert f"trial {left.number} was interrupted: trying its values again" in out
    assert "Resuming" in out and "after epoch 1." in out  # its run directory, not afresh
    states = [t.state.name for t in study.trials]
    assert states == ["COMPLETE", "FAIL", "COMPLETE"]
    assert study.trials[2].params == values
    assert study.trials[2].user_attrs["retries"] == left.number


def test_a_space_is_checked_against_the_config(corpus, tmp_path):
    config = config_for(corpus, tmp_path / "runs")
    with pytest.raises(seqlab.ConfigError, match=r"training.learning_rate = -1: expected"):
        tuning.tune(config, trials=1, space={"training.learning_rate": {"low": -1, "high": 1}})
    with pytest.raises(seqlab.ConfigError, match=r"model.dropuot needs|model.dropuot"):
        tuning.tune(config, trials=1, space={"model.dropuot": {"low": 0.1, "high": 0.2}})
    with pytest.raises(seqlab.ConfigError, match=r"needs low and high, or a non-empty list"):
        tuning.tune(config, trials=1, space={"model.dropout": {"low": 0.1}})


def test_seqlab_tune_prints_the_best_trial_and_what_to_check(corpus, tmp_path, capsys):
    path = tmp_path / "ner.toml"
    path.write_text(f'output = "runs"\n[data]\ntrain = "{corpus["train"]}"\n'
                    f'dev = "{corpus["dev"]}"\nformat = "two_column"\n[model]\nunits = 8\n'
                    f'embedding_dim = 8\nhead = "softmax"\nencoders = ["word_embedding"]\n'
                    f'[training]\nepochs = 1\n')
    (tmp_path / "space.toml").write_text('["training.learning_rate"]\nlow = 0.01\nhigh = 0.05\n')
    assert main(["tune", str(path), "--trials", "1", "--space", str(tmp_path / "space.toml"),
                 "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "1 trials: 1 complete." in out and "TRIAL  DEV_F1  training.learning_rate" in out
    assert "Its changes: --set training.learning_rate=0.0" in out
    assert "benchmarks/suite.py --set" in out
