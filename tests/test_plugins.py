"""The plugin system: loading, discovery, validation and its errors."""

import importlib.metadata as metadata

import pytest

import seqlab
from seqlab import plugins, registry


class CellPlugin:
    @staticmethod
    @seqlab.hookimpl
    def seqlab_register_cells(register):
        register("test_cell", lambda units, **kwargs: None)


def test_builtins_are_registered_by_their_modules():
    cells = seqlab.available("cells")
    assert {"elman", "relu", "irnn", "lstm", "gru"} <= set(cells)
    assert cells["lstm"] == "seqlab_builtins.cells"
    assert set(seqlab.available("initializers")) >= {
        "identity", "orthogonal", "uniform", "glorot_uniform"}
    assert set(seqlab.available("gradient_clippers")) >= {
        "none", "global_norm", "value", "adaptive_norm"}
    assert set(seqlab.available("output_heads")) >= {"softmax", "class_softmax"}


def test_loading_is_lazy_and_idempotent(fresh_plugins):
    assert fresh_plugins.get_plugins() == set()
    plugins.load_plugins()
    count = len(fresh_plugins.get_plugins())
    plugins.load_plugins()
    assert len(fresh_plugins.get_plugins()) == count
    assert all(fresh_plugins.get_plugin(m) for m in plugins.DEFAULT_PLUGINS)


def test_example_plugin_is_discovered_through_its_entry_point(fresh_plugins):
    component = registry.get("cells", "mgu")
    assert component.plugin == "example_cell"
    assert component.package.startswith("seqlab-example-cell ")


def test_load_plugins_env_empty_means_builtins_only(fresh_plugins, monkeypatch):
    monkeypatch.setenv("SEQLAB_LOAD_PLUGINS", "")
    assert "mgu" not in seqlab.available("cells")
    assert "lstm" in seqlab.available("cells")


def test_load_plugins_env_selects_distributions(fresh_plugins, monkeypatch):
    monkeypatch.setenv("SEQLAB_LOAD_PLUGINS", "seqlab_example_cell")
    assert seqlab.available("cells")["mgu"] == "example_cell"


def test_load_plugins_env_naming_missing_distribution(fresh_plugins, monkeypatch):
    monkeypatch.setenv("SEQLAB_LOAD_PLUGINS", "seqlab-no-such-plugin")
    with pytest.raises(seqlab.PluginError, match="seqlab-no-such-plugin.*Installed plugin packages: seqlab-example-cell"):
        seqlab.available("cells")


def test_broken_entry_point_names_the_plugin(fresh_plugins, monkeypatch):
    broken = metadata.EntryPoint(name="broken", value="seqlab_no_such_module",
                                 group="seqlab")
    monkeypatch.setattr(plugins.metadata, "entry_points",
                        lambda group: [broken])
    with pytest.raises(seqlab.PluginError, match="'broken'.*failed to import.*SEQLAB_LOAD_PLUGINS") as info:
        seqlab.available("cells")
    assert info.value.plugin == "broken"


def test_misspelt_hook_name_is_an_error(register_plugin):
    class Misspelt:
        @staticmethod
        @seqlab.hookimpl
        def seqlab_register_cels(register):
            pass

    register_plugin(Misspelt, "misspelt")
    with pytest.raises(seqlab.PluginError, match="'misspelt'.*seqlab_register_cells"):
        seqlab.available("cells")


def test_hook_with_wrong_arguments_is_rejected_at_registration():
    class WrongArgs:
        @staticmethod
        @seqlab.hookimpl
        def seqlab_register_cells(register, extra):
            pass

    with pytest.raises(seqlab.PluginError, match="'wrong_args'"):
        plugins._register(WrongArgs, "wrong_args")
    assert plugins.pm.get_plugin("wrong_args") is None


def test_hook_that_raises_names_the_plugin(register_plugin):
    class Raising:
        @staticmethod
        @seqlab.hookimpl
        def seqlab_register_output_heads(register):
            raise RuntimeError("boom")

    register_plugin(Raising, "raising_plugin")
    with pytest.raises(seqlab.PluginError, match="'raising_plugin' failed in seqlab_register_output_heads: RuntimeError: boom") as info:
        seqlab.available("output_heads")
    assert info.value.plugin == "raising_plugin"


def test_duplicate_name_names_both_plugins(register_plugin):
    class Duplicate:
        @staticmethod
        @seqlab.hookimpl
        def seqlab_register_cells(register):
            register("lstm", lambda units, **kwargs: None)

    register_plugin(Duplicate, "duplicate_plugin")
    with pytest.raises(seqlab.DuplicateComponentError,
                       match="'lstm'.*'seqlab_builtins.cells' and 'duplicate_plugin'"):
        seqlab.available("cells")


@pytest.mark.parametrize("name, factory, message", [
    ("", lambda: None, "invalid name"),
    ("not_callable", 42, "neither callable nor a 'package.module:function' name"),
    ("not_a_name", "seqlab.cells.lstm", "neither callable nor"),
])
def test_invalid_registrations(register_plugin, name, factory, message):
    class Bad:
        @staticmethod
        @seqlab.hookimpl
        def seqlab_register_initializers(register):
            register(name, factory)

    register_plugin(Bad, "bad_plugin")
    with pytest.raises(seqlab.PluginError, match=message):
        seqlab.available("initializers")


def test_plugins_registered_later_are_seen(register_plugin):
    assert "test_cell" not in seqlab.available("cells")
    register_plugin(CellPlugin, "cell_plugin")
    assert seqlab.available("cells")["test_cell"] == "cell_plugin"


def test_unregistered_plugins_disappear(register_plugin):
    register_plugin(CellPlugin, "cell_plugin")
    assert "test_cell" in seqlab.available("cells")
    plugins.pm.unregister(name="cell_plugin")
    assert "test_cell" not in seqlab.available("cells")


def test_hook_names_match_the_registry_kinds():
    assert sorted(registry.KINDS.values()) == plugins.component_hook_names()
    assert plugins.hook_names() == sorted(plugins.component_hook_names()
                                          + ["seqlab_register_commands"])


def test_required_distributions():
    plugins.require_packages(["seqlab-example-cell"])
    with pytest.raises(seqlab.PluginError, match="'seqlab-nope' is required but not installed"):
        plugins.require_packages(["seqlab-nope"])


def test_required_distribution_that_is_not_loaded(fresh_plugins, monkeypatch):
    monkeypatch.setenv("SEQLAB_LOAD_PLUGINS", "")
    with pytest.raises(seqlab.PluginError, match="installed but not loaded; check SEQLAB_LOAD_PLUGINS"):
        plugins.require_packages(["seqlab_example_cell"])


def test_a_factory_registered_by_name_is_imported_on_first_use(register_plugin):
    import sys

    class ByName:
        @staticmethod
        @seqlab.hookimpl
        def seqlab_register_initializers(register):
            register("by_name", "seqlab_test_lazy_module:factory")
            register("missing", "seqlab_no_such_module:factory")

    register_plugin(ByName, "by_name_plugin")
    assert seqlab.available("initializers")["by_name"] == "by_name_plugin"
    assert "seqlab_no_such_module" not in sys.modules  # listing imports nothing
    from seqlab import registry

    with pytest.raises(seqlab.PluginError, match="Initializer 'missing' from plugin "
                                                 "'by_name_plugin' names its factory "
                                                 "'seqlab_no_such_module:factory', which "
                                                 "cannot be imported: ModuleNotFoundError"):
        registry.create("initializers", "missing")
