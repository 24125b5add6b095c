"""The seqlab command."""

import json
import os
import subprocess
import sys

import pytest

from seqlab.cli import main


def test_plugins_lists_every_component(capsys):
    assert main(["plugins"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["KIND", "NAME", "PLUGIN", "PACKAGE"]
    rows = {tuple(line.split()[:3]) for line in lines[1:]}
    for kind, names, plugin in [
        ("cells", "elman relu irnn lstm gru", "seqlab_builtins.cells"),
        ("initializers", "identity orthogonal uniform glorot_uniform", "seqlab_builtins.initializers"),
        ("gradient_clippers", "none global_norm value adaptive_norm", "seqlab_builtins.clipping"),
        ("output_heads", "softmax class_softmax adaptive_softmax", "seqlab_builtins.heads"),
    ]:
        for name in names.split():
            assert (kind, name, plugin) in rows
    assert any(line.split()[:3] == ["cells", "mgu", "example_cell"]
               and line.endswith("seqlab-example-cell 0.1.0") for line in lines)


def test_plugins_json_and_kind_filter(capsys):
    assert main(["plugins", "--kind", "output_heads", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in rows] == ["adaptive_softmax", "class_softmax", "crf", "softmax"]
    assert rows[1] == {"kind": "output_heads", "name": "class_softmax",
                       "plugin": "seqlab_builtins.heads", "package": None}


def test_errors_are_one_line_and_exit_2(fresh_plugins, monkeypatch, capsys):
    monkeypatch.setenv("SEQLAB_LOAD_PLUGINS", "no-such-plugin")
    assert main(["plugins"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("seqlab: error: SEQLAB_LOAD_PLUGINS names no-such-plugin")
    assert "Traceback" not in err


def test_installed_command_runs():
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run([sys.executable, "-m", "seqlab", "plugins", "--kind", "cells"],
                            capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "irnn" in result.stdout


def test_usage_error_exits_2(capsys):
    with pytest.raises(SystemExit) as info:
        main(["no-such-command"])
    assert info.value.code == 2


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    from seqlab.demo import write_ner_corpus

    return write_ner_corpus(tmp_path_factory.mktemp("corpus"), seed=5,
                            train=400, dev=60, test=60)


@pytest.fixture(scope="module")
def trained(corpus, tmp_path_factory):
    """A config file and the model `seqlab train` made from it."""
    directory = tmp_path_factory.mktemp("run")
    config = directory / "ner.toml"
    config.write_text(f"""output = "out"
[data]
train = "{corpus['train']}"
dev = "{corpus['dev']}"
test = "{corpus['test']}"
format = "two_column"
scheme = "iob2"
[model]
units = 16
embedding_dim = 16
depth = 1
dropout = 0.1
head = "softmax"
encoders = ["word_embedding"]
[training]
epochs = 2
learning_rate = 0.02
""")
    assert main(["train", str(config), "--quiet", "--set", "model.cell=gru"]) == 0
    return config, directory / "out" / "best.keras"


def test_train_prints_the_report_and_agrees_with_the_api(trained, capsys):
    config, model = trained
    report = json.loads((model.parent / "report.json").read_text())
    saved = json.loads((model.parent / "config.json").read_text())
    assert saved["model"]["cell"] == "gru"  # the --set override was applied
    assert main(["evaluate", str(model), str(config.parent / saved["data"]["test"]),
                 "--format", "two_column", "--scheme", "iob2", "--json"]) == 0
    scores = json.loads(capsys.readouterr().out)
    assert scores["f1"] == pytest.approx(report["test"]["f1"])


def test_evaluate_text_report_and_predictions(trained, corpus, tmp_path, capsys):
    _, model = trained
    predictions = tmp_path / "pred.conll"
    assert main(["evaluate", str(model), corpus["test"], "--format", "two_column",
                 "--predictions", str(predictions)]) == 0
    out = capsys.readouterr().out
    assert "micro avg" in out and "overlap F1, binary" in out and " typed / " in out
    assert len(predictions.read_text().splitlines()[0].split()) == 3


def test_tag_text_and_jsonl(trained, tmp_path, capsys):
    _, model = trained
    text = tmp_path / "in.txt"
    text.write_text("Anna Chen flew to Oslo .\n\nZenith Bank fined Okafor .\n")
    assert main(["tag", str(model), str(text)]) == 0
    lines = capsys.readouterr().out.splitlines()
    # the blank input line is an empty sentence: an extra blank line
    assert [i for i, line in enumerate(lines) if not line] == [6, 7, 13]
    blocks = [lines[:6], lines[8:13]]
    assert all(line.split()[1] == "O" or line.split()[1][:2] in ("B-", "I-")
               for b in blocks for line in b)  # IOB2 by default
    assert main(["tag", str(model), str(text), "--output-format", "jsonl",
                 "--scheme", "iobes"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert rows[0]["tokens"] == ["Anna", "Chen", "flew", "to", "Oslo", "."]
    assert len(rows[0]["tags"]) == 6


def test_tag_conll_tokens_and_write_spans(trained, tmp_path, capsys):
    _, model = trained
    tokens = tmp_path / "in.conll"
    tokens.write_text("Anna\nChen\nflew\nto\nOslo\n.\n\nZenith\nBank\n")
    assert main(["tag", str(model), str(tokens), "--input-format", "conll",
                 "--output-format", "jsonl"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [len(r["tags"]) for r in rows] == [6, 2]
    text = tmp_path / "in.jsonl"
    text.write_text(json.dumps({"text": "Anna Chen flew to Oslo."}) + "\n")
    assert main(["tag", str(model), str(text), "--input-format", "spans_jsonl",
                 "--output-format", "spans_jsonl"]) == 0
    (row,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert row["text"] == "Anna Chen flew to Oslo."
    for span in row["spans"]:
        assert row["text"][span["start"]:span["end"]].strip() == (
            row["text"][span["start"]:span["end"]])
    assert main(["tag", str(model), str(text), "--output-format", "text"]) == 2
    assert "'text' format cannot write" in capsys.readouterr().err


def test_tag_reports_bad_input(trained, tmp_path, capsys):
    _, model = trained
    bad = tmp_path / "in.jsonl"
    bad.write_text("[1, 2]\n")
    assert main(["tag", str(model), str(bad), "--input-format", "jsonl"]) == 2
    assert "in.jsonl:1: expected an object" in capsys.readouterr().err


def test_train_with_an_unknown_component(trained, capsys):
    config, _ = trained
    assert main(["train", str(config), "--quiet", "--restart", "--output",
                 str(config.parent / "other"), "--set", "model.cell=lstn"]) == 2
    assert "Unknown cell 'lstn'" in capsys.readouterr().err


@pytest.mark.slow
def test_demo(tmp_path, capsys):
    assert main(["demo", "--output", str(tmp_path / "demo"), "--epochs", "2", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "seqeval report on the test split" in out
    for label in ("LOC", "MISC", "ORG", "PER", "micro avg"):
        assert label in out
    assert (tmp_path / "demo" / "model" / "best.keras").exists()


def test_the_demo_prints_a_command_that_runs_where_it_was_started(monkeypatch, tmp_path):
    """After `./dev demo` no `seqlab` is on the PATH: the Try: line names
    the one that ran (.venv/bin/seqlab), relative to where it ran."""
    import shutil

    from seqlab.cli import this_command as _this_command

    script = shutil.which("seqlab") or os.path.join(os.path.dirname(sys.executable), "seqlab")
    assert os.path.isfile(script)
    monkeypatch.setattr(sys, "argv", [script])
    monkeypatch.chdir(os.path.dirname(os.path.dirname(os.path.dirname(script))))
    monkeypatch.setenv("PATH", str(tmp_path))  # nothing called seqlab there
    command = _this_command()
    assert command == os.path.join(".", os.path.relpath(script)) or command.startswith(".")
    result = subprocess.run([command, "--version"], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0 and result.stdout.startswith("seqlab ")
    monkeypatch.setenv("PATH", os.path.dirname(script))
    assert _this_command() == "seqlab"


def test_help_and_version_import_no_backend():
    for flag in ("--help", "--version"):
        code = ("import sys\nfrom seqlab.cli import main\ntry:\n"
                f"    main([{flag!r}])\nexcept SystemExit as exit:\n"
                "    assert exit.code == 0\nprint('keras' in sys.modules)")
        result = subprocess.run([sys.executable, "-c", code], capture_output=True,
                                text=True, timeout=60)
        assert result.stdout.strip().endswith("False"), result.stdout + result.stderr


# The command line through click's CliRunner: commands run in-process, their
# output and exit status captured by click.

def test_config_show_prints_every_default_as_toml_that_reads_back(tmp_path):
    from click.testing import CliRunner

    from seqlab.cli import cli
    from seqlab.config import load_config

    config = tmp_path / "ner.toml"
    config.write_text('[data]\ntrain = "t.txt"\ndev = "d.txt"\n[model]\ncell = "gru"\n')
    result = CliRunner().invoke(cli, ["config", "show", str(config), "--set",
                                      "training.epochs=7"])
    assert result.exit_code == 0, result.output
    assert 'cell = "gru"' in result.output and "epochs = 7" in result.output
    assert "patience = 6" in result.output  # a default, filled in
    shown = tmp_path / "shown.toml"
    shown.write_text(result.output)
    assert load_config(shown) == load_config(config, ["training.epochs=7"])
    lm = CliRunner().invoke(cli, ["config", "show", str(config), "--task", "lm"])
    assert lm.exit_code == 0 and 'optimizer = "sgd"' in lm.output


def test_config_show_names_every_wrong_key_in_one_line(tmp_path, capsys):
    config = tmp_path / "ner.toml"
    config.write_text('[data]\ntrain = "t.txt"\ndev = "d.txt"\n[training]\nepochs = 0\n'
                      'batch_size = "big"\n')
    assert main(["config", "show", str(config)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("seqlab: error: Invalid config: ")
    assert "training.epochs = 0: expected an integer >= 1" in err
    assert "training.batch_size = 'big': expected an integer >= 1" in err


def test_config_schema_is_the_json_schema_of_each_task():
    from click.testing import CliRunner

    from seqlab.cli import cli

    for task, title in (("tagger", "TaggerConfig"), ("lm", "LanguageModelConfig")):
        result = CliRunner().invoke(cli, ["config", "schema", "--task", task])
        assert result.exit_code == 0, result.output
        schema = json.loads(result.output)
        assert schema["title"] == title and schema["additionalProperties"] is False
        assert set(schema["properties"]) >= {"output", "data", "model", "training"}


def test_usage_errors_name_the_command_and_flag_in_one_line(capsys):
    with pytest.raises(SystemExit) as info:
        main(["lm", "generate", "m.keras", "--words", "0"])
    message = capsys.readouterr().err
    assert info.value.code == 2 and message.count("\n") == 1
    assert message.startswith("seqlab: error: seqlab lm generate: argument --words: "
                              "expected an integer >= 1. Received: 0")
    assert "(see `seqlab lm generate --help`)" in message


@pytest.fixture
def command_plugin(register_plugin):
    """A plugin adding `seqlab hello NAME`, and one raising in the hook."""
    import click

    import seqlab
    from seqlab.errors import DataError

    class Hello:
        @staticmethod
        @seqlab.hookimpl
        def seqlab_register_commands(cli):
            @cli.command("hello")
            @click.argument("name")
            def hello(name):
                """Greet NAME."""
                if name == "nobody":
                    raise DataError("hello: nobody to greet.")
                print(f"hello {name}")

    register_plugin(Hello, "hello_plugin")
    return register_plugin


def test_a_plugin_adds_a_command(command_plugin, capsys):
    from click.testing import CliRunner

    from seqlab.cli import cli

    assert main(["hello", "Ada"]) == 0
    assert capsys.readouterr().out == "hello Ada\n"
    assert main(["hello", "nobody"]) == 2  # its SeqlabError is one line, like ours
    assert capsys.readouterr().err == "seqlab: error: hello: nobody to greet.\n"
    listing = CliRunner().invoke(cli, ["--help"])
    assert "hello" in listing.output and "Greet NAME." in listing.output


def test_a_plugin_command_may_not_take_a_builtin_name(register_plugin, capsys):
    import seqlab

    class Clash:
        @staticmethod
        @seqlab.hookimpl
        def seqlab_register_commands(cli):
            @cli.command("train")
            def train():
                """Not seqlab's train."""

    register_plugin(Clash, "clash_plugin")
    assert main(["nonesuch"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("seqlab: error: Plugin 'clash_plugin' adds a command named 'train'")
    assert main(["plugins", "--kind", "cells"]) == 0  # the built-in commands still run
    assert "lstm" in capsys.readouterr().out


def test_a_plugin_failing_in_the_commands_hook_is_named(register_plugin, capsys):
    import seqlab

    class Broken:
        @staticmethod
        @seqlab.hookimpl
        def seqlab_register_commands(cli):
            raise RuntimeError("no commands today")

    register_plugin(Broken, "broken_commands")
    assert main(["--help"]) == 0  # lists the built-ins, warns about the plugin
    captured = capsys.readouterr()
    assert "train" in captured.out and "seqlab: warning: plugin commands are not listed: " \
        "Plugin 'broken_commands' failed in seqlab_register_commands: RuntimeError: no " \
        "commands today" in captured.err
