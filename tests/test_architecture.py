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


#: The one module that must speak to the backends' distribution engines
#: (tf.distribute, jax.distributed): the issue asks for them by name.
DISTRIBUTION = ROOT / "seqlab" / "distribution.py"


@pytest.mark.parametrize("path", [p for p in CORE + BUILTINS if p != DISTRIBUTION],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_library_code_uses_keras_ops_not_a_backend(path):
    backends = ("tensorflow", "jax", "torch")
    assert not [m for m in imports(path) if m.split(".")[0] in backends]


def test_only_the_distribution_module_imports_a_backend_and_only_lazily():
    tree = ast.parse(DISTRIBUTION.read_text())
    top_level = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    names = [a.name for n in top_level if isinstance(n, ast.Import) for a in n.names]
    names += [n.module for n in top_level if isinstance(n, ast.ImportFrom)]
    assert not [m for m in names if m.split(".")[0] in ("tensorflow", "jax", "torch")]


@pytest.mark.parametrize("path", BUILTINS, ids=lambda p: str(p.relative_to(ROOT)))
def test_builtins_use_only_the_public_api(path):
    seqlab_imports = {m for m in imports(path) if m.split(".")[0] == "seqlab"}
    assert seqlab_imports <= {"seqlab", "seqlab.layers", "seqlab.data", "seqlab.validation",
                              "seqlab.io"}
    builtin_imports = {m for m in imports(path) if m.split(".")[0] == "seqlab_builtins"}
    assert all(m.startswith(f"seqlab_builtins.{path.parent.name}.") for m in builtin_imports), \
        "a built-in plugin imports only from its own package"


def test_default_plugins_are_the_builtin_packages():
    """One plugin per kind: each package of seqlab_builtins registers its
    components by name; its modules, one component (or a family) each,
    hold them."""
    packages = {f"seqlab_builtins.{p.parent.name}" for p in BUILTINS
                if p.name == "__init__.py" and p.parent.name != "seqlab_builtins"}
    assert set(plugins.DEFAULT_PLUGINS) == packages
    top_level = {p.name for p in (ROOT / "plugins" / "seqlab_builtins").glob("*.py")}
    assert top_level == {"__init__.py"}


@pytest.mark.parametrize("path", [p for p in BUILTINS if p.name == "__init__.py"
                                  and p.parent.name != "seqlab_builtins"],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_builtin_plugins_register_by_name_and_import_no_keras(path):
    """The one lazy mechanism: a plugin registers ``"module:factory"``
    names, so loading it (``seqlab plugins``) imports no Keras."""
    assert "keras" not in {m.split(".")[0] for m in imports(path)}
    assert not [n for n in ast.parse(path.read_text()).body
                if isinstance(n, ast.FunctionDef) and n.name == "__getattr__"]


ARCHITECTURE_PAGE = (ROOT / "docs" / "architecture.md").read_text()


def test_the_architecture_page_lists_every_module_and_no_other():
    import re

    listed = set(re.findall(r"^\| `(seqlab/[\w/]+\.py)` \|", ARCHITECTURE_PAGE, re.M))
    modules = {str(p.relative_to(ROOT)) for p in CORE
               if p.name != "__init__.py" or p.parent.name == "seqlab"}
    assert listed == modules, (f"docs/architecture.md misses {sorted(modules - listed)} "
                               f"and lists modules that do not exist: {sorted(listed - modules)}")


@pytest.mark.parametrize("path", [p for p in CORE if p.name == "__init__.py"
                                  and p.parent.name != "seqlab"],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_package_inits_only_re_export(path):
    tree = ast.parse(path.read_text())
    body = [node for node in tree.body if not (
        isinstance(node, (ast.Import, ast.ImportFrom, ast.Assign))
        or isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
        # a lazy re-export (PEP 562): what needs Keras is imported on use
        or isinstance(node, ast.FunctionDef) and node.name in ("__getattr__", "__dir__"))]
    assert not body, f"{path.name} defines code; move it to a module of its own"


def test_foundations_and_data_import_no_keras():
    foundations = ["errors", "validation", "hookspecs", "plugins", "registry", "io",
                   "config", "rundir", "reporting", "embeddings", "starter", "__init__"]
    paths = [ROOT / "seqlab" / f"{name}.py" for name in foundations if name != "config"]
    paths += sorted((ROOT / "seqlab" / "config").glob("*.py"))
    paths += [p for p in sorted((ROOT / "seqlab" / "data").glob("*.py"))
              if p.name != "batching.py"]  # a keras.utils.PyDataset
    for path in paths:
        assert "keras" not in {m.split(".")[0] for m in imports(path)}, path.name


def test_listing_components_imports_no_backend():
    """`seqlab plugins` answers without Keras: the built-ins register their
    factories by name."""
    import subprocess
    import sys

    code = ("import sys, seqlab; seqlab.components(); from seqlab.cli import main; "
            "main(['plugins']); print('keras' in sys.modules, 'tensorflow' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "False False"
