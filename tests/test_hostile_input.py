"""Input that tries to break seqlab, tried as a hostile user would: output
alignment that no input can break, one `seqlab: error:` line for every
user error, numbers that are never silently wrong, bounded resources.
Tests that build or load models run under TensorFlow and JAX (``-m backend``).
"""

import errno
import json
import os
import re
import select
import subprocess
import sys
import textwrap
import time
import zipfile

import numpy as np
import pytest

import seqlab
from seqlab.cli import CLOSED_PIPE_STATUS, TAG_CHUNK, main
from seqlab.config import load_config
from seqlab.data import read_sentences
from seqlab.data.vocabulary import Vocabulary
from seqlab.demo import write_ner_corpus
from seqlab.saving import load_model

SEQLAB = os.path.join(os.path.dirname(sys.executable), "seqlab")


def one_error_line(capsys, *expected):
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("seqlab: error: "), err
    assert "Traceback" not in err
    for text in expected:
        assert text in err, err
    return err


@pytest.fixture
def tagger_file(tmp_path):
    tagger = seqlab.Tagger(vocabulary=Vocabulary(["Oslo", "is", "Anna"]),
                           tag_names=["O", "B-LOC", "I-LOC"], units=2, embedding_dim=2)
    tagger(np.ones((1, 3), "int32"))
    path = tmp_path / "tagger.keras"
    tagger.save(path)
    return path


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return write_ner_corpus(tmp_path_factory.mktemp("corpus"), seed=3, train=30, dev=8, test=8)


@pytest.fixture
def config_file(corpus, tmp_path):
    path = tmp_path / "run.toml"
    path.write_text(
        f'output = "{tmp_path / "run"}"\n[data]\ntrain = "{corpus["train"]}"\n'
        f'dev = "{corpus["dev"]}"\nformat = "two_column"\n'
        '[model]\nunits = 2\nembedding_dim = 2\ndepth = 1\nhead = "softmax"\n'
        'encoders = ["word_embedding"]\n[training]\nepochs = 1\n')
    return path


def rewritten(path, target, change):
    """A copy of a .keras archive with ``change(config)`` applied to its config.json."""
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(target, "w") as out:
        for member in source.infolist():
            data = source.read(member)
            if member.filename == "config.json":
                config = json.loads(data)
                change(config)
                data = json.dumps(config).encode()
            out.writestr(member, data)
    return target


# Alignment: one input line, one output line (or block).

@pytest.mark.backend
def test_a_model_file_whose_tag_names_would_add_lines_is_refused(tagger_file, tmp_path, capsys):
    def inject(config):
        config["config"]["tag_names"][1] = "B-LOC\nINJECTED LINE"

    crafted = rewritten(tagger_file, tmp_path / "crafted.keras", inject)
    with pytest.raises(seqlab.SeqlabError, match=r"tag_names` entry 1 .* holds a line break"):
        load_model(crafted)
    text = tmp_path / "input.txt"
    text.write_text("Anna is in Oslo\n")
    assert main(["tag", str(crafted), str(text)]) == 2
    one_error_line(capsys, "Cannot load", "holds a line break")
    assert "INJECTED" not in capsys.readouterr().out


@pytest.mark.parametrize("token, problem", [
    ("a\nb", "holds a line break"), ("", "is empty"), ("a\tb", "holds a tab"),
    ("a\rb", "holds a carriage return"), ("\x1b[2J", "holds a control character (U+001B)"),
    ("a\u00a0b", "holds whitespace (U+00A0)"), ("\u2028", "holds whitespace (U+2028)"),
    ("nul\x00", "holds a control character (U+0000)"),
])
@pytest.mark.parametrize("fmt", ["jsonl", "spans_jsonl_labels"])
def test_tokens_and_labels_that_would_break_lines_are_refused_with_file_and_line(
        tmp_path, token, problem, fmt):
    path = tmp_path / "input.jsonl"
    if fmt == "jsonl":
        records = [{"tokens": ["Oslo"], "tags": ["B-LOC"]},
                   {"tokens": ["Oslo", token], "tags": ["B-LOC", "O"]}]
        expected = re.escape(f"{path}:2: token 2 ({token!r}) {problem}")
    else:
        if not token or token.isspace():
            pytest.skip("a label of whitespace is an empty label: tested above as a token")
        records = [{"text": "Oslo"}, {"text": "Oslo", "spans": [
            {"start": 0, "end": 4, "label": token}]}]
        expected = rf"{path}:2: a span needs integer \"start\" and \"end\" and a \"label\""
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    name = "jsonl" if fmt == "jsonl" else "spans_jsonl"
    with pytest.raises(seqlab.DataError, match=expected):
        read_sentences(path, name, scheme="iob2")
    with pytest.raises(seqlab.DataError, match=expected):  # input to tag: the same check
        list(seqlab.data.formats.iter_sentences(path, name))


def test_a_plugin_reader_is_held_to_the_same_token_rule(register_plugin, tmp_path):
    class Loose(seqlab.data.DataFormat):
        def read(self, path):
            return [seqlab.data.Sentence(["two\nlines"], ["O"], 7)]

    class Plugin:
        @seqlab.hookimpl
        def seqlab_register_readers(self, register):
            register("loose", Loose)

    register_plugin(Plugin(), "loose-reader")
    path = tmp_path / "any.txt"
    path.write_text("x\n")
    with pytest.raises(seqlab.DataError, match=rf"{path}:7: token 1 \('two\\nlines'\) holds "
                                               r"a line break"):
        read_sentences(path, "loose")


@pytest.mark.parametrize("ending", ["\r", "\r\n", "\n"])
def test_every_line_ending_reads_as_lines(tmp_path, ending):
    text = tmp_path / "input.txt"
    text.write_bytes(ending.join(["Oslo is", "is Oslo", "", "Anna"]).encode() + ending.encode())
    assert [s.tokens for s in seqlab.data.read_text(text)] == [
        ["Oslo", "is"], ["is", "Oslo"], ["Anna"]]
    assert [s.line for s in seqlab.data.read_text(text)] == [1, 2, 4]
    conll = tmp_path / "input.conll"
    conll.write_bytes(ending.join(["Oslo B-LOC", "is O", "", "Anna B-PER", ""]).encode())
    sentences = seqlab.data.read_conll(conll, scheme="iob2")
    assert [s.tags for s in sentences] == [["B-LOC", "O"], ["B-PER"]]
    assert sentences[1].lines == [4]


@pytest.mark.backend
def test_tag_keeps_one_output_line_per_input_line_for_cr_files(tagger_file, tmp_path, capsys):
    text = tmp_path / "input.txt"
    text.write_bytes(b"Anna is\r\ris Oslo\r")
    assert main(["tag", str(tagger_file), str(text), "--output-format", "jsonl"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [json.loads(line)["tokens"] for line in lines] == [["Anna", "is"], [], ["is", "Oslo"]]


# One line for every user error.

@pytest.mark.parametrize("tags, message", [
    ("[1, 2]", r'"tags" must be a list of strings'),
    ('[["B-ORG"], "O"]', r'"tags" must be a list of strings'),
    ('"B-ORG O"', r'"tags" must be a list of strings'),
    ('["B-ORG"]', r"1 tags for 2 tokens; a tagged sentence has one tag per token"),
])
def test_jsonl_tags_of_the_wrong_shape_name_the_line(tmp_path, tags, message, capsys):
    path = tmp_path / "data.jsonl"
    path.write_text('{"tokens": ["Acme", "Corp"], "tags": ["B-ORG", "I-ORG"]}\n'
                    f'{{"tokens": ["Acme", "Corp"], "tags": {tags}}}\n')
    with pytest.raises(seqlab.DataError, match=rf"{path}:2: .*{message}"):
        read_sentences(path, "jsonl", scheme="iob2")


def test_a_config_that_is_not_utf8_or_starts_with_a_bom(config_file, capsys):
    text = config_file.read_text()
    config_file.write_bytes(b"\xef\xbb\xbf" + text.encode())  # a byte-order mark: fine
    assert load_config(config_file).model.units == 2
    config_file.write_bytes(text.replace("[model]", "[model]\n# caf\xe9").encode("latin-1"))
    assert main(["train", str(config_file), "--quiet"]) == 2
    line = text[:text.index("[model]")].count("\n") + 2
    one_error_line(capsys, f"{config_file}:{line}: bytes that are not UTF-8", "Save the file as UTF-8")


@pytest.mark.parametrize("override, message", [
    ("training.seed=4294967296", "training.seed = 4294967296: expected an integer >= 0 and "
                                 "<= 4,294,967,295"),
    ("training.batch_size=1000000000000", "training.batch_size = 1000000000000: expected an "
                                          "integer >= 1 and <= 65,536"),
    ("model.depth=100000", "model.depth = 100000: expected an integer >= 1 and <= 64"),
    ("model.units=10000000", "model.units = 10000000: expected an integer >= 1 and <= 16,384"),
    ("training.lr_decay=inf", "training.lr_decay = inf: expected a number >= 0"),
    ("training.weight_decay=inf", "training.weight_decay = inf: expected a number >= 0"),
    ("training.learning_rate=nan", "training.learning_rate = nan: expected a number > 0"),
    ('model.encoders=[{name = "char_cnn", bogus = 1}]',
     "model.encoders = [{name = 'char_cnn', bogus = 1}]: Token encoder 'char_cnn' (from plugin "
     "'seqlab_builtins.encoders') has no option 'bogus'"),
])
def test_out_of_range_values_are_one_line_before_any_work(config_file, tmp_path, override,
                                                          message, capsys):
    assert main(["train", str(config_file), "--quiet", "--set", override]) == 2
    one_error_line(capsys, "Invalid config: " + message)
    assert not (tmp_path / "run").exists()


@pytest.mark.backend
@pytest.mark.parametrize("override, message", [
    ('model.cell={name = "lstm", bogus = 1}',
     "Cell 'lstm' (from plugin 'seqlab_builtins.cells') refused its options {bogus = 1}: "
     "Unrecognized keyword arguments"),
    ('model.encoders=["word_embedding", {name = "char_cnn", filters = -5}]',
     "Token encoder 'char_cnn' (from plugin 'seqlab_builtins.encoders') refused its options "
     "{filters = -5}"),
])
def test_options_keras_refuses_are_one_line_naming_the_component(config_file, override,
                                                                  message, capsys):
    assert main(["train", str(config_file), "--quiet", "--set", override]) == 2
    one_error_line(capsys, message)


@pytest.mark.parametrize("argv, message", [
    (["train", "x.toml", "--seed", "4294967296"],
     "argument --seed: expected an integer >= 0 and <= 4294967295. Received: 4294967296"),
    (["train", "x.toml", "--epochs", "0"], "argument --epochs: expected an integer >= 1"),
    (["lm", "perplexity", "m.keras", "t.txt", "--num-steps", "0"],
     "argument --num-steps: expected an integer >= 1. Received: 0"),
    (["lm", "perplexity", "m.keras", "t.txt", "--num-steps", "-5"],
     "argument --num-steps: expected an integer >= 1. Received: -5"),
    (["lm", "perplexity", "m.keras", "t.txt", "--batch-size", "x"],
     "argument --batch-size: expected an integer >= 1. Received: 'x'"),
    (["lm", "generate", "m.keras", "--seed", "-1"], "argument --seed: expected an integer >= 0"),
    (["lm", "generate", "m.keras", "--temperature", "inf"],
     "argument --temperature: expected a finite number > 0"),
    (["diagnose", "gradients", "--steps", "1"], "argument --steps: expected an integer >= 2"),
])
def test_numeric_flags_are_checked_in_one_line(argv, message, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    one_error_line(capsys, message, "--help")


def test_the_python_api_checks_the_same_numbers():
    lm = seqlab.LanguageModel(vocabulary=Vocabulary(["a", "b", "<eos>"]), units=2)
    lm(np.ones((1, 2), "int32"))
    from seqlab.lm import generate, perplexity

    for kwargs in ({"num_steps": 0}, {"num_steps": -5}, {"batch_size": 0}):
        with pytest.raises(seqlab.ConfigError, match=f"`{next(iter(kwargs))}` must be a "
                                                     f"positive integer"):
            perplexity(lm, [2, 3, 2, 3], **kwargs)
    with pytest.raises(seqlab.ConfigError, match="`seed` must be an integer from 0"):
        generate(lm, 3, seed=-1)
    with pytest.raises(seqlab.ConfigError, match="`temperature` must be a finite number > 0"):
        generate(lm, 3, temperature=float("inf"))


def test_a_window_longer_than_the_data_is_refused_before_any_model_is_built(
        tmp_path, monkeypatch):
    from seqlab.lm import train_language_model
    from seqlab.lm.training import LanguageModelTask

    for split in ("train", "valid"):
        (tmp_path / f"{split}.txt").write_text("the cat sat on the mat .\n" * 20)
    config = load_config(task="lm", data={
        "output": str(tmp_path / "run"),
        "data": {"train": str(tmp_path / "train.txt"), "dev": str(tmp_path / "valid.txt")},
        "model": {"units": 2, "depth": 1},
        "training": {"batch_size": 4, "num_steps": 1000000}})

    def never(self):
        raise AssertionError("the model was built")

    monkeypatch.setattr(LanguageModelTask, "build_model", never)
    with pytest.raises(seqlab.DataError, match=r"train.txt: its stream of 160 tokens is too short for one "
                                               r"window of 4 streams x 1000000 steps .*num_steps "
                                               r"can be at most 39"):
        train_language_model(config, verbose=0)


def test_spans_whose_offsets_are_booleans_are_refused(tmp_path):
    path = tmp_path / "spans.jsonl"
    path.write_text(json.dumps({"text": "Oslo is", "spans": [
        {"start": True, "end": 4, "label": "LOC"}]}) + "\n")
    with pytest.raises(seqlab.DataError, match=r":1: a span needs integer \"start\""):
        read_sentences(path, "spans_jsonl", scheme="iob2")


@pytest.mark.parametrize("tag, hint, absent", [
    ("X-ORG", "", "repair"),
    ("S-PER", 'S- and E- tags belong to IOBES: if the file uses it, say scheme = "iobes"',
     "repair"),
    ("I-PER", "set data.repair = true", "IOBES"),
])
def test_a_tag_the_scheme_lacks_is_not_sent_to_repair(tmp_path, tag, hint, absent):
    path = tmp_path / "data.txt"
    path.write_text(f"Anna B-PER\nis O\nOslo {tag}\n" if tag != "I-PER" else
                    f"Anna O\nis O\nOslo {tag}\n")
    with pytest.raises(seqlab.DataError) as info:
        read_sentences(path, "two_column", scheme="iob2")
    assert hint in str(info.value) and absent not in str(info.value)


def test_a_folder_as_input_and_predictions_that_cannot_be_written(tagger_file, tmp_path, capsys):
    assert main(["tag", str(tagger_file), str(tmp_path)]) == 2
    one_error_line(capsys, f"{tmp_path}: a folder")
    gold = tmp_path / "gold.txt"
    gold.write_text("Oslo B-LOC\nis O\n")
    assert main(["evaluate", str(tagger_file), str(gold), "--format", "two_column",
                 "--predictions", str(tmp_path)]) == 2
    one_error_line(capsys, f"--predictions {tmp_path}: a folder")
    missing = tmp_path / "no" / "such" / "p.txt"
    assert main(["evaluate", str(tagger_file), str(gold), "--format", "two_column",
                 "--predictions", str(missing)]) == 2
    one_error_line(capsys, f"the folder {missing.parent} does not exist")
    assert not (tmp_path / "no").exists()


def test_a_full_disk_names_the_file_being_written(tmp_path, monkeypatch):
    from seqlab import io

    def full(path):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(io, "_fsync", full)
    target = tmp_path / "state.json"
    with pytest.raises(OSError) as info:
        io.atomic_write(target, "{}")
    assert info.value.filename == str(target) and info.value.errno == errno.ENOSPC
    assert os.listdir(tmp_path) == []  # no temporary file left


def _module(tmp_path, name, body):
    (tmp_path / f"{name}.py").write_text(textwrap.dedent(body))
    return name


def test_a_factory_that_fails_on_lazy_import_is_a_plugin_error(register_plugin, tmp_path,
                                                               monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    module = _module(tmp_path, "broken_cells_module", """
        raise RuntimeError("this module needs a GPU")
    """)

    class Plugin:
        @seqlab.hookimpl
        def seqlab_register_cells(self, register):
            register("broken", f"{module}:factory")

    register_plugin(Plugin(), "broken-cells")
    with pytest.raises(seqlab.PluginError, match=r"Cell 'broken' from plugin 'broken-cells' "
                                                 r"names its factory .* RuntimeError: this "
                                                 r"module needs a GPU"):
        seqlab.registry.create("cells", "broken", 4)


def test_a_plugin_that_calls_sys_exit_is_a_plugin_error(register_plugin, capsys):
    class Plugin:
        @seqlab.hookimpl
        def seqlab_register_cells(self, register):
            sys.exit(3)

    register_plugin(Plugin(), "exiting-plugin")
    assert main(["plugins"]) == 2
    one_error_line(capsys, "Plugin 'exiting-plugin' failed in seqlab_register_cells: SystemExit: 3")


# Bounded resources.

def _archive(path, members):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, size in members:
            with archive.open(name, "w") as out:
                block = b"\0" * (1 << 20)
                for _ in range(size >> 20):
                    out.write(block)
                out.write(b"\0" * (size & ((1 << 20) - 1)))
    return path


@pytest.mark.parametrize("members, message", [
    ([("metadata.json", 10), ("config.json", 10), ("model.weights.h5", 100 << 20)],
     "would unpack to 104,857,620 bytes from a"),
    ([(f"assets/{i}", 1) for i in range(10_001)], "its 10,001 members"),
])
def test_an_archive_that_unpacks_out_of_proportion_is_refused_before_keras_reads_it(
        tmp_path, members, message, monkeypatch):
    import keras

    def never(*args, **kwargs):
        raise AssertionError("Keras was asked to read the archive")

    monkeypatch.setattr(keras.saving, "load_model", never)
    bomb = _archive(tmp_path / "bomb.keras", members)
    assert os.path.getsize(bomb) < 2 << 20
    with pytest.raises(seqlab.UnsafeModelError, match=rf"Refused to load .*{message}"):
        load_model(bomb)


def test_tag_streams_output_before_its_input_ends(tagger_file, tmp_path):
    process = subprocess.Popen([SEQLAB, "tag", str(tagger_file), "--output-format", "jsonl"],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env={**os.environ,
                                                            "TF_CPP_MIN_LOG_LEVEL": "3"})
    try:
        process.stdin.write(b"Anna is in Oslo\n" * TAG_CHUNK)
        process.stdin.flush()  # ... and the input stays open
        ready, _, _ = select.select([process.stdout], [], [], 120)
        assert ready, "no output within 120 s while the input was still open"
        assert json.loads(process.stdout.readline())["tokens"] == ["Anna", "is", "in", "Oslo"]
        process.stdin.close()
        rest = process.stdout.read().splitlines()
        assert len(rest) == TAG_CHUNK - 1 and process.wait(60) == 0
    finally:
        process.kill()


def test_a_closed_output_pipe_ends_quietly_with_the_sigpipe_status(tagger_file, tmp_path):
    text = tmp_path / "input.txt"
    text.write_text("Anna is in Oslo\n" * (3 * TAG_CHUNK))
    started = time.monotonic()
    result = subprocess.run(
        f"{SEQLAB} tag {tagger_file} {text} | head -n 1; echo \"status ${{PIPESTATUS[0]}}\"",
        shell=True, executable="/bin/bash", capture_output=True, text=True, timeout=300,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    first, status = result.stdout.splitlines()
    assert first.startswith("Anna ") and status == f"status {CLOSED_PIPE_STATUS}", result
    assert "error" not in result.stderr.lower() and "Traceback" not in result.stderr, result.stderr
    assert time.monotonic() - started < 300
