"""A user's first day (issue 23): no silent misuse, and every friction
answered in a line that says what happened and what to do."""

import os
import subprocess
import sys
import warnings

import pytest

import seqlab
from seqlab.cli import main
from seqlab.config import load_config
from seqlab.demo import write_ner_corpus
from seqlab.tagging import train_tagger

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return write_ner_corpus(tmp_path_factory.mktemp("corpus"), seed=6, train=80, dev=20, test=20)


def config_for(corpus, output, **training):
    return load_config(data={
        "output": str(output), "data": {**corpus, "format": "two_column", "scheme": "iob2"},
        "model": {"units": 32, "embedding_dim": 32, "head": "softmax",
                  "encoders": ["word_embedding"]},
        "training": {"epochs": 2, "learning_rate": 0.02, "batch_size": 8, **training}})


#: A recipe that finds entities in this corpus within 3 epochs (dev F1 > 0).
LEARNS = {"learning_rate": 0.05, "batch_size": 4, "epochs": 3}


@pytest.fixture(scope="module")
def trained(corpus, tmp_path_factory):
    """A run that learned: its directory, its `Run`, the warnings it gave."""
    output = tmp_path_factory.mktemp("run") / "run"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run = train_tagger(config_for(corpus, output, **LEARNS), verbose=0)
    return output, run, caught


@pytest.fixture(scope="module")
def run_dir(trained):
    return trained[0]


def test_a_run_directory_is_taken_where_a_model_is_expected(run_dir, tmp_path, capsys):
    (tmp_path / "in.txt").write_text("Anna Chen flew to Oslo .\n")
    assert main(["tag", str(run_dir), str(tmp_path / "in.txt")]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("Anna ") and captured.out.count("\n") == 7
    assert captured.err == (f"seqlab: warning: {run_dir} is a run directory: loading its "
                            f"best model, {run_dir / 'best.keras'}.\n")
    assert main(["tag", str(tmp_path), str(tmp_path / "in.txt")]) == 2
    assert "is a folder, not a model file" in capsys.readouterr().err
    (tmp_path / "early").mkdir()
    (tmp_path / "early" / "config.json").write_text("{}")
    with pytest.raises(seqlab.SeqlabError, match="run directory without best.keras"):
        seqlab.load_model(tmp_path / "early")


def test_a_misspelt_name_gets_the_closest_one_before_any_work(capsys):
    assert main(["tag", "missing.keras", "--input-format", "json"]) == 2
    err = capsys.readouterr().err  # the format is checked before the model is looked for
    assert "Unknown reader 'json'" in err and "Did you mean 'jsonl'?" in err
    with pytest.raises(seqlab.UnknownComponentError, match="Did you mean 'lstm'"):
        seqlab.Tagger(vocab_size=5, num_tags=3, cell="lsmt")


def test_a_finished_run_says_why_nothing_trains(corpus, run_dir, capsys):
    run = train_tagger(config_for(corpus, run_dir, **LEARNS), verbose=2)
    out = capsys.readouterr().out
    assert len(run.history) == 3
    assert "Nothing to train: 3 of training.epochs = 3 epochs are done. Raise it " \
           "(--epochs N) to train on." in out


def test_a_run_stopped_by_patience_says_so_on_a_rerun(corpus, tmp_path, capsys):
    from seqlab.runs import _nothing_to_train
    from seqlab.tagging import TaggerTask

    config = config_for(corpus, tmp_path / "run", epochs=10, patience=2)
    state = {"epoch": 5, "wait": 2, "best_epoch": 3, "history": []}
    assert _nothing_to_train(TaggerTask(config), config.training, state, verbose=2)
    assert capsys.readouterr().out == (
        "Nothing to train: the run stopped early after epoch 5 (dev_f1 had not improved "
        "for 2 epochs, patience 2); best.keras is epoch 3. Raise training.patience (--set "
        "training.patience=N) to train on.\n")
    config.training.patience = 3  # raised: the run goes on
    assert not _nothing_to_train(TaggerTask(config), config.training, state, verbose=2)


def test_a_run_that_learned_nothing_ends_with_a_warning(tmp_path):
    # dev holds only LOC, which training never shows: dev F1 stays 0
    (tmp_path / "train.txt").write_text("Anna B-PER\nflew O\nhome O\n\nBo B-PER\nsang O\n")
    (tmp_path / "dev.txt").write_text("to O\nOslo B-LOC\n\nin O\nRome B-LOC\n")
    corpus = {"train": str(tmp_path / "train.txt"), "dev": str(tmp_path / "dev.txt")}
    with pytest.warns(seqlab.SeqlabWarning, match=r"dev_f1 is still 0.00 after 1 epoch: "
                                                  r"the model has not learned") as caught:
        train_tagger(config_for(corpus, tmp_path / "run", epochs=1), verbose=0)
    assert any(os.path.basename(w.filename) == "test_first_day.py" for w in caught
               if "has not learned" in str(w.message))  # said at the caller's line


def test_a_run_that_learned_ends_without_it(trained):
    _, run, caught = trained
    assert max(h["dev_f1"] for h in run.history) > 0
    assert not [w for w in caught if "has not learned" in str(w.message)]


@pytest.mark.backend
def test_strings_where_token_lists_belong_are_refused(run_dir):
    tagger = seqlab.load_model(run_dir / "best.keras")
    with pytest.raises(seqlab.ConfigError, match=r"`sentences\[0\]` must be a list of tokens "
                                                 r".* tagged character by character"):
        tagger.tag(["Maria Garcia flew to Tokyo"])
    with pytest.raises(seqlab.ConfigError, match="`sentences` must be a list of tokenised "
                                                 "sentences .* Received: str 'Maria Garcia"):
        tagger.tag("Maria Garcia flew")
    assert len(tagger.tag([["Maria", "Garcia", "flew"]])[0]) == 3


def test_an_alias_is_not_a_change_when_a_run_resumes(corpus, tmp_path, capsys):
    output = tmp_path / "run"
    config = config_for(corpus, output, epochs=1)
    config.data.scheme = "bio"  # read as iob2
    train_tagger(config, verbose=0)
    saved = (output / "config.json").read_text().replace('"iob2"', '"BIO"', 1)
    (output / "config.json").write_text(saved)  # as a config that said BIO
    run = train_tagger(config_for(corpus, output, epochs=2), verbose=2)
    assert "Resuming" in capsys.readouterr().out and len(run.history) == 2


@pytest.mark.skipif(not os.path.exists(os.path.join(ROOT, ".venv", ".stamp")),
                    reason="./dev has not set up .venv here")
def test_dev_seqlab_runs_in_the_callers_directory(tmp_path):
    (tmp_path / "ner.toml").write_text('[data]\ntrain = "t.txt"\ndev = "d.txt"\n')
    result = subprocess.run([os.path.join(ROOT, "dev"), "seqlab", "config", "show", "ner.toml"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120,
                            env={**os.environ, "PYTHON": sys.executable})
    assert result.returncode == 0, result.stderr
    assert f'train = "{tmp_path / "t.txt"}"' in result.stdout


def test_a_file_of_json_objects_is_not_tagged_as_text(run_dir, tmp_path, capsys):
    (tmp_path / "raw.jsonl").write_text('{"tokens": ["Anna", "flew"]}\n\n{"tokens": ["Bo"]}\n')
    assert main(["tag", str(run_dir), str(tmp_path / "raw.jsonl")]) == 0
    captured = capsys.readouterr()
    assert [line.split()[0] for line in captured.out.splitlines() if line] == \
        ["Anna", "flew", "Bo"]  # tokens, not '{"tokens":'
    assert f"reading {tmp_path / 'raw.jsonl'} as jsonl (its lines are JSON objects with " \
           f'"tokens"); --input-format chooses.' in captured.err
    (tmp_path / "spans.jsonl").write_text('{"text": "Anna flew to Oslo."}\n')
    assert main(["tag", str(run_dir), str(tmp_path / "spans.jsonl"),
                 "--output-format", "spans_jsonl"]) == 0
    assert capsys.readouterr().out.startswith('{"text": "Anna flew to Oslo."')
    (tmp_path / "other.jsonl").write_text('{"words": ["a"]}\n')
    assert main(["tag", str(run_dir), str(tmp_path / "other.jsonl")]) == 2
    assert 'other.jsonl:1: a JSON object without "tokens" or "text"' in capsys.readouterr().err
    (tmp_path / "plain.txt").write_text("{curly} is a word here\n")
    assert main(["tag", str(run_dir), str(tmp_path / "plain.txt")]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("{curly} ") and " as text" not in captured.err
    assert "as jsonl" not in captured.err and "as spans_jsonl" not in captured.err
