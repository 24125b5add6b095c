"""Habits of the blueprint that a test can hold the code to."""

import ast
from pathlib import Path

import pytest

from seqlab import plugins

ROOT = Path(__file__).resolve().parent.parent
CORE = sorted((ROOT / "seqlab").rglob("*.py"))
BUILTINS = sorted((ROOT / "plugins" / "seqlab_builtins").rglob("*.py"))


def imports(path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module


@pytest.mark.parametrize("path", CORE, ids=lambda p: str(p.relative_to(ROOT)))
def test_core_never_imports_the_builtins(path):
    assert not [m for m in imports(path) if m.startswith("seqlab_builtins")]


@pytest.mark.parametrize("path", CORE + BUILTINS, ids=lambda p: str(p.relative_to(ROOT)))
def test_library_code_uses_keras_ops_not_a_backend(path):
    backends = ("tensorflow", "jax", "torch")
    assert not [m for m in imports(path) if m.split(".")[0] in backends]


@pytest.mark.parametrize("path", BUILTINS, ids=lambda p: str(p.relative_to(ROOT)))
def test_builtins_use_only_the_public_api(path):
    seqlab_imports = {m for m in imports(path) if m.split(".")[0] == "seqlab"}
    assert seqlab_imports <= {"seqlab", "seqlab.layers"}


def test_default_plugins_are_the_builtin_modules():
    modules = {f"seqlab_builtins.{p.stem}" for p in BUILTINS if p.stem != "__init__"}
    assert set(plugins.DEFAULT_PLUGINS) == modules
