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
    assert lines[0].split() == ["KIND", "NAME", "PLUGIN", "DISTRIBUTION"]
    rows = {tuple(line.split()[:3]) for line in lines[1:]}
    for kind, names, plugin in [
        ("cells", "elman relu irnn lstm gru", "seqlab_builtins.cells"),
        ("initializers", "identity orthogonal uniform glorot_uniform", "seqlab_builtins.initializers"),
        ("gradient_clippers", "none global_norm value adaptive_norm", "seqlab_builtins.clipping"),
        ("output_heads", "softmax class_softmax", "seqlab_builtins.heads"),
    ]:
        for name in names.split():
            assert (kind, name, plugin) in rows
    assert any(line.split()[:3] == ["cells", "mgu", "example_cell"]
               and line.endswith("seqlab-example-cell 0.1.0") for line in lines)


def test_plugins_json_and_kind_filter(capsys):
    assert main(["plugins", "--kind", "output_heads", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in rows] == ["class_softmax", "softmax"]
    assert rows[0] == {"kind": "output_heads", "name": "class_softmax",
                       "plugin": "seqlab_builtins.heads", "distribution": None}


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
