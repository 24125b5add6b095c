"""A user's first day (issue 23): no silent misuse, and every friction
answered in a line that says what happened and what to do."""

import json
import os
import re
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


def test_tag_reads_a_pipe_given_as_a_path(run_dir, tmp_path, capsys):
    """bash's `seqlab tag MODEL <(cmd)` gives a pipe's path: read once, as
    text (it was "no such file")."""
    import threading

    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)

    def write():
        with open(pipe, "w") as handle:
            handle.write("Anna Chen flew to Oslo.\n{\"tokens\": 1}\n")

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    status = main(["tag", str(run_dir / "best.keras"), str(pipe), "--output-format", "jsonl"])
    if writer.is_alive():  # nobody read the pipe: release the writer
        with open(pipe) as handle:
            handle.read()
    writer.join()
    assert status == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["tokens"] for line in lines] == [
        ["Anna", "Chen", "flew", "to", "Oslo", "."], ['{', '"', 'tokens', '"', ':', '1', '}']]


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
def test_texts_and_token_lists_are_tagged_and_anything_else_refused(run_dir):
    tagger = seqlab.load_model(run_dir / "best.keras")
    text = "Maria Garcia flew to Cape Town."
    tokens = ["Maria", "Garcia", "flew", "to", "Cape", "Town", "."]
    tags = tagger.tag([text, ["Maria", "Garcia"]])
    assert [len(t) for t in tags] == [7, 2]  # split as CoNLL data are: "Town" "."
    assert tagger.tag([text]) == tagger.tag([tokens])
    with pytest.raises(seqlab.ConfigError, match=r"Received: str 'Maria Garcia.*"
                                                 r"\(one text: pass \[text\]\)"):
        tagger.tag(text)
    with pytest.raises(seqlab.ConfigError, match=r"Item 1 must be a text \(a string\) or "
                                                 r"a list of tokens .* Received: int 3"):
        tagger.tag([text, 3])
    with pytest.raises(seqlab.ConfigError, match="Item 0 must be"):
        tagger.annotate([["Maria", None]])


@pytest.mark.backend
def test_tags_come_in_the_training_datas_scheme_or_the_one_asked_for(run_dir):
    from seqlab.data import convert

    tagger = seqlab.load_model(run_dir / "best.keras")
    assert (tagger.scheme, tagger.output_scheme) == ("iobes", "iob2")  # learned / data
    texts = ["Anna Chen flew to Oslo .", "Bo sang in Rome ."]
    learned = tagger.tag(texts, scheme="iobes")
    assert tagger.tag(texts) == [convert(t, "iobes", "iob2") for t in learned]
    assert tagger.tag(texts, scheme="iob1") == [convert(t, "iobes", "iob1") for t in learned]
    assert tagger.annotate(texts, scheme="iobes")[0].tags == learned[0]
    # A model keeps the scheme of the data it was trained on (an IOB1 corpus: IOB1).
    words = seqlab.data.Vocabulary.build([seqlab.data.Sentence(["a", "b"])])
    iob1 = seqlab.Tagger(vocabulary=words, tag_names=["O", "B-X", "I-X"], units=4,
                         output_scheme="iob1", scheme="iob2")
    clone = seqlab.Tagger.from_config(iob1.get_config())
    assert (clone.output_scheme, clone.tokenizer_spec) == ("iob1", "treebank")


@pytest.mark.backend
def test_annotate_gives_entities_with_offsets_and_confidences(run_dir):
    from seqlab.data import spans

    tagger = seqlab.load_model(run_dir / "best.keras")
    texts = ["Anna Chen flew to Oslo, then to Cape Town.", "", "Bo met Anna Chen in Rome."]
    annotations = tagger.annotate(texts)
    assert [a.text for a in annotations] == texts
    assert annotations[0].tokens[4:6] == ["Oslo", ","] and annotations[1].tokens == []
    found = 0
    for annotation in annotations:
        assert annotation.tags == tagger.tag([annotation.text])[0]
        assert [(e.label, e.token_start, e.token_end) for e in annotation.entities] == \
            spans(annotation.tags, annotation.scheme)
        for entity in annotation.entities:
            found += 1
            assert annotation.text[entity.start:entity.end] == entity.text
            assert entity.start == annotation.offsets[entity.token_start][0]
            assert 0.0 < entity.confidence <= 1.0
        assert json.loads(json.dumps(annotation.to_dict()))["spans"] == [
            e.to_dict() for e in annotation.entities]
    assert found  # the model finds some entities in its own domain
    # Token lists: the text is the tokens joined by spaces, offsets into it.
    (joined,) = tagger.annotate([["Anna", "Chen", "flew"]])
    assert joined.text == "Anna Chen flew" and joined.offsets == [(0, 4), (5, 9), (10, 14)]


@pytest.mark.backend
def test_seqlab_tag_splits_raw_text_and_writes_confidences(run_dir, tmp_path, capsys):
    model = str(run_dir / "best.keras")
    source = tmp_path / "in.txt"
    source.write_text("Anna Chen flew to Oslo, then to Rome.\n\nBo sang.\n")
    assert main(["tag", model, str(source), "--output-format", "spans_jsonl",
                 "--confidence"]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["text"] for r in records] == ["Anna Chen flew to Oslo, then to Rome.", "",
                                            "Bo sang."]
    spans_ = [span for record in records for span in record["spans"]]
    assert spans_ and all(0 < span["confidence"] <= 1 for span in spans_)
    assert main(["tag", model, str(source)]) == 0
    assert "Oslo O\n, O\n" in capsys.readouterr().out.replace("B-LOC", "O")
    assert main(["tag", model, str(source), "--tokenizer", "whitespace"]) == 0
    assert "\nOslo, " in capsys.readouterr().out
    with pytest.raises(SystemExit, match="2"):
        main(["tag", model, str(source), "--confidence"])
    assert ("--confidence: the conll format has no place for confidences; use "
            "--output-format spans_jsonl.") in capsys.readouterr().err
    assert main(["tag", model, str(source), "--tokenizer", "treebenk"]) == 2
    assert "Unknown tokenizer 'treebenk'" in capsys.readouterr().err


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
    # read as text, split as CoNLL data are (braces are tokens of their own)
    assert [line.split()[0] for line in captured.out.splitlines() if line][:3] == \
        ["{", "curly", "}"] and " as text" not in captured.err
    assert "as jsonl" not in captured.err and "as spans_jsonl" not in captured.err


def _iob2_with_stray_i(path, entities=300, stray=3):
    """An IOB2 file as real corpora come: every entity opens with B- but a
    few open with a stray I- (the Spanish CoNLL-2002 corpus has three)."""
    lines = []
    for i in range(entities):
        opener = "I" if i < stray else "B"
        lines += [f"Ana{i} {opener}-PER", f"Garcia{i} I-PER", "visited O", f"Lima{i} B-LOC",
                  ". O", ""]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_init_weighs_the_scheme_evidence_and_proposes_repair(tmp_path, capsys):
    train = _iob2_with_stray_i(tmp_path / "train.txt")
    dev = _iob2_with_stray_i(tmp_path / "dev.txt", entities=20, stray=1)
    output = tmp_path / "es.toml"
    assert main(["init", str(train), "--dev", str(dev), "-o", str(output)]) == 0
    out = capsys.readouterr().out
    assert "IOB2 (597 entities open with B-; 3 stray I- read as conlleval does)" in out
    assert ("3 stray I- tags open an entity where 597 entities open with B-: IOB2 with "
            "errors, not IOB1.") in out
    config = load_config(output)
    assert (config.data.scheme, config.data.repair) == ("iob2", True)
    assert 'repair = true' in output.read_text()
    # Before: IOB1 guessed from the three stray tags, then line 1 refused.
    assert 'scheme = "iob2"            # guessed: IOB2' in output.read_text()


def test_init_takes_scheme_format_and_repair(tmp_path, capsys):
    train = _iob2_with_stray_i(tmp_path / "train.txt", entities=5, stray=0)
    output = tmp_path / "given.toml"
    assert main(["init", str(train), "--dev", str(train), "-o", str(output), "--format",
                 "two_column", "--scheme", "bio"]) == 0
    config = load_config(output)
    assert (config.data.format, config.data.scheme, config.data.repair) == \
        ("two_column", "iob2", False)
    assert "IOB2 (--scheme)" in capsys.readouterr().out
    # A scheme the tags break: the reader's line, and what to try.
    assert main(["init", str(train), "--dev", str(train), "-o", str(output), "--force",
                 "--scheme", "iob2", "--format", "two_column"]) == 0
    bad = tmp_path / "bad.txt"
    bad.write_text("Ana O\nGarcia I-PER\n")
    assert main(["init", str(bad), "--dev", str(bad), "-o", str(tmp_path / "bad.toml"),
                 "--scheme", "iob2"]) == 2
    assert "--repair reads such tags as conlleval does; else give --scheme." in \
        capsys.readouterr().err
    assert main(["init", str(bad), "--dev", str(bad), "-o", str(tmp_path / "bad.toml"),
                 "--scheme", "iob2", "--repair"]) == 0
    assert load_config(tmp_path / "bad.toml").data.repair is True
    assert main(["init", str(bad), "--dev", str(bad), "--format", "two_colum"]) == 2
    assert "Did you mean 'two_column'?" in capsys.readouterr().err


def test_init_says_no_such_file_for_a_wrong_path(tmp_path, capsys):
    train = _iob2_with_stray_i(tmp_path / "train.txt", entities=5, stray=0)
    assert main(["init", str(tmp_path / "trian.txt"), "--dev", str(train)]) == 2
    assert capsys.readouterr().err.strip() == \
        f"seqlab: error: {tmp_path / 'trian.txt'}: no such file or folder (DATA)."
    assert main(["init", str(tmp_path / "data-folder")]) == 2  # not "needs --dev DEV"
    assert "data-folder: no such file or folder (DATA)." in capsys.readouterr().err
    assert main(["init", str(train), "--dev", str(tmp_path / "dev.txt")]) == 2
    assert "dev.txt: no such file or folder (--dev)." in capsys.readouterr().err


def test_the_next_command_is_printed_as_a_user_would_type_it(tmp_path, monkeypatch):
    from seqlab.cli.options import this_command

    elsewhere = tmp_path / "venv" / "bin"
    elsewhere.mkdir(parents=True)
    (elsewhere / "seqlab").write_text("#!/bin/sh\n")
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setattr(sys, "argv", [str(elsewhere / "seqlab"), "init"])
    assert this_command() == str(elsewhere / "seqlab")  # was ../venv/bin/seqlab
    monkeypatch.chdir(tmp_path)
    assert this_command() == "venv/bin/seqlab"


def test_a_batch_larger_than_the_data_is_capped_before_work_starts(corpus, tmp_path):
    output = tmp_path / "run"
    with pytest.warns(seqlab.SeqlabWarning, match=r"training.batch_size = 60,000 is more "
                                                  r"than the 80 training sentences: batches "
                                                  r"of 80 \(the whole set\) instead"):
        run = train_tagger(config_for(corpus, output, epochs=1, batch_size=60000), verbose=0)
    assert len(run.history) == 1  # one step of the whole set, not 60,000 rows of padding
    assert json.loads((output / "config.json").read_text())["training"]["batch_size"] == 60000


@pytest.mark.backend
def test_a_batch_that_would_not_fit_in_memory_is_refused_before_work_starts(
        corpus, tmp_path, monkeypatch):
    """The widest batch's step is estimated from the built model (values
    per token x bytes per value) against the memory available now; the
    refusal names the batch size that fits, and leaves nothing behind that
    stops the run with that size in the same directory."""
    from seqlab import memory

    output = tmp_path / "run"
    monkeypatch.setattr(memory, "available_bytes", lambda: 2 * 2**20)  # 2 MB
    with pytest.raises(seqlab.ConfigError) as refused:
        train_tagger(config_for(corpus, output, epochs=1, batch_size=80), verbose=0)
    message = str(refused.value)
    match = re.fullmatch(
        r"training.batch_size = 80 would not fit in memory: a batch of 80 sentences padded "
        r"to (\d+) tokens needs about [\d.]+ MB for one training step \(an estimate: "
        r"([\d,]+) values per token, 8 bytes each\), and 2 MB is available. Set "
        r"training.batch_size to at most (\d+).", message)
    assert match, message
    width, values, fits = int(match[1]), int(match[2].replace(",", "")), int(match[3])
    # word embedding 32, BiLSTM 2 x (32 -> 4x32, 32 -> 4x32), softmax 64 -> tags
    assert 32 + 2 * 8 * 32 < values < 32 + 2 * 8 * 32 + 50
    assert fits * width * values * 8 <= 0.9 * 2 * 2**20 < (fits + 1) * width * values * 8
    assert not (output / "last.keras").exists()  # refused before the first step
    run = train_tagger(config_for(corpus, output, epochs=1, batch_size=fits), verbose=0)
    assert len(run.history) == 1


def test_the_memory_estimate_counts_what_the_weights_do_not_say():
    """A CRF's forward algorithm holds K x K scores per token (17 IOBES tags
    of CoNLL-2003: 289), more than its weights (K, K) suggest."""
    from seqlab import memory

    tagger = seqlab.Tagger(vocab_size=10, num_tags=17, units=4, head="crf")
    assert memory.values_per_token([tagger.head]) == 2 * 17 + 17 * 17


def test_the_memory_check_leaves_accelerators_alone(corpus, tmp_path, monkeypatch):
    """Device memory is not host memory: on a GPU nothing is refused here."""
    import keras

    from seqlab import memory

    monkeypatch.setattr(memory, "available_bytes", lambda: 2**20)
    monkeypatch.setattr(keras.distribution, "list_devices", lambda *a, **k: ["gpu:0"])
    memory.check_batch(10**6, 128, 10**4)  # no error
    monkeypatch.setattr(keras.distribution, "list_devices", lambda *a, **k: ["cpu:0"])
    with pytest.raises(seqlab.ConfigError, match="Even one row of 128 tokens does not fit"):
        memory.check_batch(10**6, 128, 10**4)
    assert memory.available_bytes() > 0  # read from /proc/meminfo on Linux


@pytest.mark.backend
def test_a_terminal_gets_one_line_per_epoch(corpus, tmp_path, monkeypatch, capsys):
    """Keras's bar while an epoch runs, erased at its end; then seqlab's line
    (before: 'loss: 1.0605epoch 5: dev_f1 4.11', and Keras's own lines)."""
    from keras.src.utils import progbar

    monkeypatch.setattr(progbar.Progbar, "__init__", _dynamic(progbar.Progbar.__init__))
    train_tagger(config_for(corpus, tmp_path / "run", epochs=2), verbose=1)
    out = capsys.readouterr().out
    lines = [line.rsplit("\r", 1)[-1] for line in out.split("\n") if line.strip()]
    assert len(lines) == 2  # the bar's last state was overwritten: only seqlab's lines stay
    blanks = [line.split("\r")[-2] for line in out.split("\n") if line.strip()]
    assert all(blank and not blank.strip() for blank in blanks)  # blanked first
    assert all(line.startswith("epoch ") and ", loss " in line and line.endswith(" s")
               for line in lines)
    assert "Epoch 1/2" not in out


def _dynamic(init):
    def wrapped(self, *args, **kwargs):
        init(self, *args, **kwargs)
        self._dynamic_display = True  # as on a terminal
    return wrapped


def test_backend_logs_are_quiet_in_the_python_api_too(run_dir):
    code = (f"import seqlab\ntagger = seqlab.load_model({str(run_dir / 'best.keras')!r})\n"
            f"print(tagger.tag(['Anna flew to Oslo.']))\n")
    env = {k: v for k, v in os.environ.items()
           if k not in ("SEQLAB_BACKEND_LOGS", "TF_CPP_MIN_LOG_LEVEL")}
    quiet = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           env=env, timeout=300)
    assert quiet.returncode == 0 and quiet.stdout.startswith("[[")
    assert quiet.stderr == ""  # before: absl's preamble, oneDNN and CUDA lines


def test_backend_logs_come_back_when_asked_for(monkeypatch):
    from seqlab import backend_logs

    if not hasattr(sys.stderr, "fileno"):
        pytest.skip("needs a real standard error")
    calls = []
    monkeypatch.setattr(os, "dup2", lambda *args: calls.append(args))
    monkeypatch.setattr(sys, "stderr", open(2, "w", closefd=False))
    monkeypatch.setenv("SEQLAB_BACKEND_LOGS", "1")
    with backend_logs.hidden():
        pass
    assert calls == []  # file descriptor 2 left alone
    monkeypatch.setenv("SEQLAB_BACKEND_LOGS", "0")
    with backend_logs.hidden():
        pass
    assert len(calls) == 2  # hidden, then restored (os.dup2 is stubbed: nothing moved)


def test_the_formats_table_says_what_each_format_does(capsys):
    assert main(["plugins", "--kind", "readers"]) == 0
    rows = {line.split()[1]: line for line in capsys.readouterr().out.splitlines()[1:]}
    assert rows["html"].endswith("writes only") and rows["text"].endswith("reads only")
    assert rows["conll"].endswith("reads and writes")


def test_the_language_model_defaults_are_the_measured_small_recipe():
    """The defaults learned next to nothing on a small corpus (learning rate
    1.0 of a per-token mean loss: Zaremba's recipe divided by num_steps);
    now they are lm_ptb.py's `small` row, and the guide's config shows them."""
    import re
    import tomllib

    from seqlab.config import LanguageModelConfig

    sys.path.insert(0, os.path.join(ROOT, "benchmarks"))
    try:
        import lm_ptb
    finally:
        sys.path.pop(0)
    defaults = LanguageModelConfig.defaults()
    small = lm_ptb.CONFIGS["small"]
    for section in ("model", "training"):
        for key, value in small[section].items():
            assert defaults[section][key] == value, f"{section}.{key}"
    guide = open(os.path.join(ROOT, "docs", "language-modelling.md")).read()
    shown = tomllib.loads(re.search(r"```toml\n(output = .*?)```", guide, re.S).group(1))
    for section in ("model", "training"):
        for key, value in shown[section].items():
            if key not in ("callbacks", "epochs"):
                assert defaults[section][key] == value, f"the guide's {section}.{key}"
