"""Every mistake answered in one line: configs checked before any work, model
files refused with a reason, never a traceback for a user error."""

import json
import os
import zipfile

import keras
import numpy as np
import pytest

import seqlab
from seqlab.cli import main
from seqlab.config import check_config, load_config
from seqlab.demo import write_ner_corpus
from seqlab.saving import load_model


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return write_ner_corpus(tmp_path_factory.mktemp("corpus"), seed=3,
                            train=30, dev=8, test=8)


@pytest.fixture
def config_file(corpus, tmp_path):
    path = tmp_path / "run.toml"
    path.write_text(
        f'output = "{tmp_path / "run"}"\n[data]\ntrain = "{corpus["train"]}"\n'
        f'dev = "{corpus["dev"]}"\ntest = "{corpus["test"]}"\nformat = "two_column"\n'
        '[model]\nunits = 2\nembedding_dim = 2\ndepth = 1\n[training]\nepochs = 1\n')
    return path


@pytest.mark.parametrize("override, message", [
    ('training.batch_size="abc"', "training.batch_size = 'abc': expected an integer >= 1"),
    ('training.epochs="abc"', "training.epochs = 'abc': expected an integer >= 1"),
    ("training.epochs=0", "training.epochs = 0: expected an integer >= 1"),
    ("training.epochs=true", "training.epochs = true: expected an integer >= 1"),
    ('training.learning_rate="fast"', "training.learning_rate = 'fast': expected a number > 0"),
    ("model.dropout=1.5", "model.dropout = 1.5: expected a number >= 0 and < 1"),
    ('training.optimizer="adamm"', "training.optimizer = 'adamm': not a Keras optimizer "
                                   r"\(did you mean 'adam'\?\)"),
    ('model.cell="lsmt"', "model.cell = 'lsmt': Unknown cell 'lsmt'. Available cells: elman"),
    ('model.merge_mode="cat"', "model.merge_mode = 'cat': expected one of 'concat', 'sum'"),
    ('data.scheme="bilou"', "data.scheme = 'bilou': expected one of 'iob1', 'iob2', 'iobes'"),
    ('training.jit_compile="yes"', "training.jit_compile = 'yes': expected one of 'auto', true"),
    ('data.test="nope.txt"', r"data.test = '.*nope.txt': no such file"),
    ('plugins.require="seqlab-example-cell"',
     "plugins.require = 'seqlab-example-cell': expected a list of plugin package names"),
    ('model.encoders=["word_embedding", "chars"]',
     "model.encoders = .*Unknown token encoder 'chars'"),
])
def test_each_wrong_key_is_one_line_before_any_work(config_file, tmp_path, override,
                                                    message, capsys):
    assert main(["train", str(config_file), "--quiet", "--set", override]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    import re
    assert re.search("seqlab: error: Invalid config: " + message, err), err
    assert not (tmp_path / "run").exists()  # nothing was started


def test_every_wrong_key_is_named_at_once(config_file):
    with pytest.raises(seqlab.ConfigError) as info:
        load_config(config_file, ["training.epochs=0", "model.units=-1", "model.dropout=1"])
    text = str(info.value)
    for key in ("training.epochs = 0", "model.units = -1", "model.dropout = 1"):
        assert key in text


def test_an_output_directory_that_cannot_be_written(config_file, tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert main(["train", str(config_file), "--quiet", "--output", str(blocker / "run")]) == 2
    assert f"output = '{blocker / 'run'}': cannot be written ({blocker} is not writable)" \
        in capsys.readouterr().err
    assert main(["train", str(config_file), "--quiet", "--output", str(blocker)]) == 2
    assert "exists and is not a directory" in capsys.readouterr().err


def test_a_hand_built_config_is_checked_too(corpus, tmp_path):
    config = load_config(data={"data": {**corpus, "format": "two_column"}})
    hand_built = config.model_dump()
    hand_built["training"]["seed"] = -1
    with pytest.raises(seqlab.ConfigError, match="training.seed = -1: expected an integer >= 0"):
        seqlab.train_tagger(hand_built)
    with pytest.raises(seqlab.ConfigError, match="`task` must be one of"):
        check_config(config, task="parser")


def test_a_bug_prints_its_traceback_and_asks_for_a_report(config_file, monkeypatch, capsys):
    import seqlab.tagging

    def broken(*args, **kwargs):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(seqlab.tagging, "train_tagger", broken)
    assert main(["train", str(config_file), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err and "ZeroDivisionError: a bug" in err
    assert "seqlab: internal error" in err and "Please report it" in err
    with pytest.raises(ZeroDivisionError):
        main(["--debug", "train", str(config_file), "--quiet"])


def test_debug_shows_the_traceback_of_a_user_error(config_file):
    with pytest.raises(seqlab.ConfigError):
        main(["--debug", "train", str(config_file), "--set", "training.epochs=0"])


# Model files: every refusal is a SeqlabError, under TensorFlow and JAX.

def _rewrite(source, target, change):
    """Copy a .keras archive, editing its config.json."""
    with zipfile.ZipFile(source) as archive:
        config = json.loads(archive.read("config.json"))
        change(config)
        with zipfile.ZipFile(target, "w") as out:
            for item in archive.namelist():
                out.writestr(item, json.dumps(config) if item == "config.json"
                             else archive.read(item))
    return target


@pytest.fixture
def tagger_file(tmp_path):
    from seqlab.data.vocabulary import Vocabulary

    vocabulary = Vocabulary(["a", "b"])
    tagger = seqlab.Tagger(vocabulary=vocabulary, tag_names=["O", "B-X"], units=2,
                           embedding_dim=2)
    tagger(np.ones((1, 3), "int32"))
    path = tmp_path / "tagger.keras"
    tagger.save(path)
    return path


@pytest.mark.backend
def test_model_files_that_would_run_code_are_refused(tmp_path, tagger_file):
    plain = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    plain.save(tmp_path / "plain.keras")
    with_lambda = keras.Sequential([keras.Input((3,)), keras.layers.Lambda(lambda x: x * 2)])
    with_lambda.save(tmp_path / "lambda.keras")
    marker = tmp_path / "pwned"

    def system(config):
        config.update(module="os", class_name="system", config=f"touch {marker}")

    def popen(config):
        config["compile_config"] = {
            "optimizer": {"module": "subprocess", "class_name": "Popen",
                          "config": {"args": ["touch", str(marker)]}, "registered_name": None},
            "loss": None, "metrics": None, "loss_weights": None, "weighted_metrics": None,
            "run_eagerly": False, "steps_per_execution": 1, "jit_compile": False}

    def pretrained(config):
        config["config"]["encoders"] = [
            {"name": "word_embedding", "dim": 2, "pretrained": "/etc/passwd"}]

    cases = {
        tmp_path / "lambda.keras": "asks to run code when loaded",
        _rewrite(tmp_path / "plain.keras", tmp_path / "module.keras", system):
            "names a class or function that no installed package registered",
        _rewrite(tmp_path / "plain.keras", tmp_path / "optimizer.keras", popen):
            "Could not locate class 'Popen'",
        _rewrite(tagger_file, tmp_path / "path.keras", pretrained):
            "asks to read '/etc/passwd' \\(option 'pretrained'\\)",
    }
    for path, message in cases.items():
        with pytest.raises(seqlab.UnsafeModelError, match=message):
            load_model(path)
    assert not marker.exists()
    legacy = tmp_path / "model.h5"
    legacy.write_bytes(b"\x89HDF\r\n\x1a\n")
    with pytest.raises(seqlab.UnsafeModelError, match="legacy model format"):
        load_model(legacy)


@pytest.mark.backend
def test_broken_or_foreign_model_files_are_named(tmp_path, tagger_file):
    data = tagger_file.read_bytes()
    (tmp_path / "empty.keras").write_bytes(b"")
    (tmp_path / "cut.keras").write_bytes(data[: len(data) // 2])
    (tmp_path / "noise.keras").write_bytes(np.random.default_rng(0).bytes(4000))
    for name, message in (("empty", "an empty file"),
                          ("cut", f"{len(data) // 2} bytes that are not a zip archive"),
                          ("noise", "4000 bytes that are not a zip archive")):
        with pytest.raises(seqlab.SeqlabError, match=f"{name}.keras.*not a Keras archive "
                                                     f"\\({message}"):
            load_model(tmp_path / f"{name}.keras")
    with zipfile.ZipFile(tmp_path / "hollow.keras", "w") as archive:
        archive.writestr("config.json", "{not json")
    with pytest.raises(seqlab.SeqlabError, match="Cannot load .*hollow.keras"):
        load_model(tmp_path / "hollow.keras")
    keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)]).save(tmp_path / "plain.keras")
    with pytest.raises(seqlab.SeqlabError, match="holds a Sequential, not a seqlab Tagger; "
                                                 "train one with `seqlab train`"):
        load_model(tmp_path / "plain.keras", expect=seqlab.Tagger)
    assert isinstance(load_model(tagger_file, expect=seqlab.Tagger), seqlab.Tagger)


def test_the_cli_answers_a_bad_model_file_in_one_line(tmp_path, capsys):
    (tmp_path / "empty.keras").write_bytes(b"")
    for command in (["tag", str(tmp_path / "empty.keras"), os.devnull],
                    ["evaluate", str(tmp_path / "empty.keras"), os.devnull],
                    ["lm", "perplexity", str(tmp_path / "empty.keras"), os.devnull]):
        assert main(command) == 2
        err = capsys.readouterr().err
        assert err.startswith("seqlab: error: Cannot load") and err.count("\n") == 1


# Nothing read silently wrong.

def test_tag_answers_every_input_line_blank_ones_included(tmp_path, capsys):
    from seqlab.data.vocabulary import Vocabulary

    tagger = seqlab.Tagger(vocabulary=Vocabulary(["Oslo", "is"]), tag_names=["O", "B-LOC"],
                           units=2, embedding_dim=2)
    tagger(np.ones((1, 3), "int32"))
    tagger.save(tmp_path / "tagger.keras")
    text = tmp_path / "input.txt"
    text.write_text("Oslo is\n\nis Oslo\n   \n")
    assert main(["tag", str(tmp_path / "tagger.keras"), str(text),
                 "--output-format", "jsonl"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [json.loads(line)["tokens"] for line in lines] == [
        ["Oslo", "is"], [], ["is", "Oslo"], []]
    spans = tmp_path / "input.jsonl"
    spans.write_text('{"text": "Oslo is"}\n\n')
    assert main(["tag", str(tmp_path / "tagger.keras"), str(spans),
                 "--input-format", "spans_jsonl", "--output-format", "spans_jsonl"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and json.loads(lines[1]) == {"text": "", "spans": []}
    # training data still skips blank lines
    assert len(seqlab.data.read_text(text)) == 2


def test_entity_types_missing_from_training_are_warned_about_before_training(tmp_path):
    from seqlab.tagging import TaggerTask

    (tmp_path / "train.txt").write_text("Oslo B-LOC\nis O\n\nAnna B-PER\n")
    (tmp_path / "dev.txt").write_text("IBM B-ORG\nand O\nAnna B-PER\n")
    (tmp_path / "test.txt").write_text("UN B-ORG\n\nEU B-MISC\n")
    config = load_config(data={"data": {
        "train": str(tmp_path / "train.txt"), "dev": str(tmp_path / "dev.txt"),
        "test": str(tmp_path / "test.txt"), "format": "two_column"}})
    with pytest.warns(seqlab.SeqlabWarning) as record:
        TaggerTask(config).read_data()
    messages = [str(w.message) for w in record]
    assert messages == [
        f"{tmp_path / 'dev.txt'}: entity type ORG never occurs in the training data "
        f"({tmp_path / 'train.txt'}); the tagger cannot predict it, so its dev recall will be 0.",
        f"{tmp_path / 'test.txt'}: entity types MISC, ORG never occur in the training data "
        f"({tmp_path / 'train.txt'}); the tagger cannot predict them, so its test recall "
        f"will be 0."]


def test_a_byte_order_mark_is_removed_and_said_once_on_the_command_line(tmp_path, capsys):
    from seqlab.data.vocabulary import Vocabulary

    tagger = seqlab.Tagger(vocabulary=Vocabulary(["Oslo"]), tag_names=["O", "B-LOC"],
                           units=2, embedding_dim=2)
    tagger(np.ones((1, 3), "int32"))
    tagger.save(tmp_path / "tagger.keras")
    (tmp_path / "in.txt").write_bytes("\ufeffOslo\nOslo\n".encode("utf-8"))
    assert main(["tag", str(tmp_path / "tagger.keras"), str(tmp_path / "in.txt")]) == 0
    captured = capsys.readouterr()
    assert captured.out.split("\n")[0].startswith("Oslo ")
    assert captured.err == (f"seqlab: warning: {tmp_path / 'in.txt'}: removed the UTF-8 "
                            f"byte-order mark at its start.\n")


def test_stray_inside_tags_are_refused_naming_the_option_or_repaired_as_conlleval_does(
        tmp_path, capsys):
    from seqlab.data import read_sentences

    # CoNLL-2002 Spanish, as distributed, has a few of these
    (tmp_path / "es.txt").write_text(
        "La O\nI-PER I-PER\nAna I-PER\n\nvive O\nen O\nMadrid I-LOC\n\n"
        "El B-ORG\nBanco I-ORG\n")
    with pytest.raises(seqlab.DataError, match=r"es.txt:2: tag 'I-PER' continues a PER "
                                               r"entity that was not begun.*data.repair = true "
                                               r"\(seqlab evaluate --repair\)"):
        read_sentences(tmp_path / "es.txt", "two_column", "iob2")
    with pytest.warns(seqlab.SeqlabWarning, match=r"es.txt: repaired 2 tags that broke IOB2 as "
                                                  r"conlleval reads them .* at lines 2, 7\."):
        sentences = read_sentences(tmp_path / "es.txt", "two_column", "iob2", repair=True)
    assert [s.tags for s in sentences] == [["O", "B-PER", "I-PER"], ["O", "O", "B-LOC"],
                                           ["B-ORG", "I-ORG"]]
    # a tag outside the scheme is not a transition: never repaired
    (tmp_path / "bad.txt").write_text("Ana X-PER\n")
    with pytest.raises(seqlab.DataError, match="bad.txt:1: tag 'X-PER' is not in the IOB2"):
        read_sentences(tmp_path / "bad.txt", "two_column", "iob2", repair=True)


def test_evaluate_and_train_take_the_repair_option(tmp_path, capsys):
    from seqlab.data.vocabulary import Vocabulary

    tagger = seqlab.Tagger(vocabulary=Vocabulary(["Ana", "vive"]), tag_names=["O", "B-PER",
                                                                             "I-PER"],
                           units=2, embedding_dim=2)
    tagger(np.ones((1, 3), "int32"))
    tagger.save(tmp_path / "tagger.keras")
    (tmp_path / "es.txt").write_text("Ana I-PER\nvive O\n")
    model = str(tmp_path / "tagger.keras")
    assert main(["evaluate", model, str(tmp_path / "es.txt")]) == 2
    assert "--repair" in capsys.readouterr().err
    predictions = tmp_path / "predictions.txt"
    assert main(["evaluate", model, str(tmp_path / "es.txt"), "--repair",
                 "--predictions", str(predictions)]) == 0
    assert "seqlab: warning:" in capsys.readouterr().err
    assert predictions.read_text().splitlines()[0].split()[:2] == ["Ana", "B-PER"]
    config = load_config(data={"data": {"train": str(tmp_path / "es.txt"),
                                        "dev": str(tmp_path / "es.txt"),
                                        "format": "two_column", "repair": True}})
    assert config.data.repair is True
    with pytest.raises(seqlab.ConfigError, match="data.repair = 'yes': expected true or false"):
        load_config(data={"data": {"train": "t", "dev": "d", "repair": "yes"}})
