"""The one run pipeline: its directory layout, quiet runs, budgets."""

import os

import pytest

from seqlab import runs
from seqlab.config import load_config
from seqlab.demo import write_ner_corpus
from seqlab.tagging import train_tagger


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return write_ner_corpus(tmp_path_factory.mktemp("corpus"), seed=4,
                            train=200, dev=30, test=30)


def config_for(corpus, output, **training):
    return load_config(data={
        "output": str(output),
        "data": {**corpus, "format": "two_column", "scheme": "iob2"},
        "model": {"units": 8, "embedding_dim": 8, "depth": 1},
        "training": {"epochs": 2, "learning_rate": 0.02, **training},
    })


def test_a_quiet_run_prints_nothing_and_writes_the_named_files(corpus, tmp_path, capsys):
    run = train_tagger(config_for(corpus, tmp_path / "run"), verbose=0)
    assert capsys.readouterr().out == ""
    directory = runs.RunDirectory(run.output)
    named = {directory.CONFIG, directory.STATE, directory.LAST, directory.BEST,
             directory.REPORT, os.path.basename(directory.predictions("dev")),
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
    config["training"]["epochs"] = 2
    train_tagger(config, verbose=2)
    out = capsys.readouterr().out
    assert "Resuming" in out and "after epoch 1" in out
    assert "epoch 2: dev_f1" in out


def test_taggers_have_a_time_budget(corpus, tmp_path, capsys):
    run = train_tagger(config_for(corpus, tmp_path / "run", epochs=5, time_budget=1e-6),
                       verbose=2)
    assert len(run.history) == 1
    assert "exceed the 0 s time budget" in capsys.readouterr().out


def test_a_test_file_that_is_missing_stops_the_run_before_training(corpus, tmp_path):
    config = config_for(corpus, tmp_path / "run")
    config["data"]["test"] = str(tmp_path / "nope.txt")
    with pytest.raises(Exception, match="nope.txt: no such file"):
        train_tagger(config, verbose=0)
    assert not (tmp_path / "run").exists()
