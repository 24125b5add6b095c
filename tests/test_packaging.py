"""The wheel holds both source roots under their import names."""

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                    "--no-build-isolation", "-q", "-w", str(out), str(ROOT)],
                   check=True, capture_output=True, timeout=300)
    (path,) = out.glob("seqlab-*.whl")
    return path


@pytest.mark.slow
def test_wheel_contents(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    for expected in ("seqlab/__init__.py", "seqlab/layers/stacked.py", "seqlab/config/schema.py",
                     "seqlab/cli/app.py", "seqlab_builtins/cells/__init__.py",
                     "seqlab_builtins/cells/elman.py", "seqlab_builtins/heads/class_softmax.py",
                     "seqlab_builtins/callbacks/csv_logger.py",
                     "seqlab_builtins/tokenizers/treebank.py"):
        assert expected in names
    assert not [n for n in names if n.startswith(("plugins/", "tests/", "docs/"))]
    metadata = next(n for n in names if n.endswith("entry_points.txt"))
    assert "seqlab = seqlab.cli:main" in zipfile.ZipFile(wheel).read(metadata).decode()


@pytest.mark.slow
def test_installed_wheel_finds_its_builtins(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q",
                    "--target", str(target), str(wheel)], check=True, timeout=300)
    code = ("import seqlab, seqlab_builtins; "
            "print(seqlab.__file__); print(seqlab_builtins.__file__); "
            "print(sorted(seqlab.available('cells')))")
    env = {**os.environ, "PYTHONPATH": str(target), "SEQLAB_LOAD_PLUGINS": "",
           "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path,
                            capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    seqlab_file, builtins_file, cells = result.stdout.splitlines()[-3:]
    assert seqlab_file.startswith(str(target)) and builtins_file.startswith(str(target))
    assert cells == "['elman', 'gru', 'irnn', 'lstm', 'relu']"
