"""The plugin manager: finds, loads and validates seqlab plugins.

Built-in plugins are the modules named in `DEFAULT_PLUGINS`; third-party
plugins are found through the ``seqlab`` entry-point group. Nothing is loaded
at import time: the first lookup of a component calls `load_plugins()`.

Environment:
    SEQLAB_LOAD_PLUGINS: a comma-separated list of package names whose
        entry points are loaded; ``""`` loads the built-ins only. Unset, every
        installed plugin is loaded. Read each time plugins are loaded.
"""

import importlib
import os
import threading
from importlib import metadata

import pluggy

from seqlab import hookspecs
from seqlab.errors import PluginError

ENTRY_POINT_GROUP = "seqlab"

DEFAULT_PLUGINS = (
    "seqlab_builtins.cells",
    "seqlab_builtins.initializers",
    "seqlab_builtins.clipping",
    "seqlab_builtins.heads",
    "seqlab_builtins.crf",
    "seqlab_builtins.encoders",
    "seqlab_builtins.formats",
    "seqlab_builtins.callbacks",
    "seqlab_builtins.tokenizers",
)

pm = pluggy.PluginManager("seqlab")
pm.add_hookspecs(hookspecs)

_lock = threading.RLock()
_loaded = False
# plugin name -> "package version" for plugins that came from an entry point
# (what packaging calls a distribution; in seqlab that word means the
# data-parallel engine, `seqlab.distribution`)
_packages = {}


def load_plugins():
    """Load the built-in and installed plugins once; later calls do nothing.

    Raises:
        PluginError: a plugin failed to import, does not match the hook
            specifications (for example a misspelt hook name), or
            ``SEQLAB_LOAD_PLUGINS`` names a package that is not installed.
    """
    global _loaded
    with _lock:
        if _loaded:
            return
        for module_name in DEFAULT_PLUGINS:
            if pm.get_plugin(module_name) is None:
                _register(importlib.import_module(module_name), module_name)
        for entry_point, package in _selected_entry_points():
            _load_entry_point(entry_point, package)
        check_plugins()
        _loaded = True


def check_plugins():
    """Raise a `PluginError` if a registered plugin implements an unknown hook."""
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as error:
        name = pm.get_name(error.plugin) or repr(error.plugin)
        raise PluginError(
            f"Plugin {name!r} implements a hook that seqlab does not define: "
            f"{error}. Hook names are {', '.join(hook_names())}; check the "
            f"spelling.",
            plugin=name,
        ) from error


def hook_names():
    """The names of all hooks a plugin may implement."""
    return sorted(name for name in dir(hookspecs) if name.startswith("seqlab_"))


class Snapshot:
    """The plugins registered at one moment, to tell later whether they
    changed. It holds the plugin objects themselves (compared by identity):
    an id() alone could be reused by a new plugin once an old one is gone."""

    def __init__(self):
        self.manager = pm
        self.plugins = tuple(pm.list_name_plugin())

    def __eq__(self, other):
        return (isinstance(other, Snapshot) and self.manager is other.manager
                and len(self.plugins) == len(other.plugins)
                and all(a[0] == b[0] and a[1] is b[1]
                        for a, b in zip(self.plugins, other.plugins)))

    __hash__ = None


def component_hook_names():
    """The hooks that register components (``register(name, factory)``);
    the others (`register_commands`) extend seqlab otherwise."""
    return sorted(contract.hook for contract in hookspecs.CONTRACTS.values())


def call_hook(impl, hook_name, passing=(), **kwargs):
    """Call one plugin's implementation of a hook; whatever it raises
    (``sys.exit()`` included) is a `PluginError` naming the plugin, but for
    the exception types in ``passing`` (errors the core raised on purpose,
    through a callback it handed the plugin)."""
    try:
        return impl.function(**kwargs)
    except passing:
        raise
    except (Exception, SystemExit) as error:  # sys.exit() in a plugin is its failure
        raise PluginError(
            f"Plugin {impl.plugin_name!r} failed in {hook_name}: "
            f"{type(error).__name__}: {error}", plugin=impl.plugin_name) from error


def register_commands(cli):
    """Let every plugin add its commands to ``cli`` (the root `click.Group`).

    Returns:
        ``{command name: plugin name}`` of the commands added.

    Raises:
        PluginError: a plugin failed in ``seqlab_register_commands``, or
            added a command under a name that is already taken.
    """
    load_plugins()
    added = {}
    for impl in pm.hook.seqlab_register_commands.get_hookimpls():
        before = dict(cli.commands)
        call_hook(impl, "seqlab_register_commands", cli=cli)
        for name, command in cli.commands.items():
            if name in before and before[name] is not command:
                cli.commands[name] = before[name]
                raise PluginError(
                    f"Plugin {impl.plugin_name!r} adds a command named {name!r}, which "
                    f"seqlab{' or ' + repr(added[name]) if name in added else ''} already "
                    f"has; rename the plugin's command.", plugin=impl.plugin_name)
            if name not in before:
                added[name] = impl.plugin_name
    return added


def package_of(plugin_name):
    """``"name version"`` of the package that installed a plugin, or None."""
    return _packages.get(plugin_name)


def loaded_packages():
    """Names of the packages whose plugins are loaded."""
    load_plugins()
    return {source.rsplit(" ", 1)[0] for source in _packages.values()}


def require_packages(names):
    """Raise a `PluginError` unless each named plugin package is
    installed and its plugins are loaded (a config's ``plugins.require``)."""
    loaded = {_normalise(d) for d in loaded_packages()}
    for name in names:
        try:
            metadata.distribution(name)
        except metadata.PackageNotFoundError:
            raise PluginError(
                f"Plugin package {name!r} is required but not installed "
                f"(pip install {name}).", plugin=name) from None
        if _normalise(name) not in loaded:
            raise PluginError(
                f"Plugin package {name!r} is required and installed but "
                f"not loaded; check SEQLAB_LOAD_PLUGINS.", plugin=name)


def _register(plugin, name):
    try:
        pm.register(plugin, name=name)
    except pluggy.PluginValidationError as error:
        raise PluginError(
            f"Plugin {name!r} does not match seqlab's hook specifications: "
            f"{error}",
            plugin=name,
        ) from error


def _selected_entry_points():
    """Entry points to load, honouring SEQLAB_LOAD_PLUGINS."""
    wanted = os.environ.get("SEQLAB_LOAD_PLUGINS")
    entry_points = [
        (ep, ep.dist)
        for ep in metadata.entry_points(group=ENTRY_POINT_GROUP)
    ]
    if wanted is None:
        return entry_points
    names = {_normalise(n) for n in wanted.split(",") if n.strip()}
    found = {_normalise(dist.name) for _, dist in entry_points if dist}
    missing = sorted(names - found)
    if missing:
        raise PluginError(
            f"SEQLAB_LOAD_PLUGINS names {', '.join(missing)}, but no installed "
            f"package of that name has a {ENTRY_POINT_GROUP!r} entry point. "
            f"Installed plugin packages: {', '.join(sorted(found)) or 'none'}.",
            plugin=missing[0],
        )
    return [(ep, dist) for ep, dist in entry_points
            if dist and _normalise(dist.name) in names]


def _load_entry_point(entry_point, package):
    name = entry_point.name
    if pm.get_plugin(name) is not None or pm.is_blocked(name):
        return
    source = f"{package.name} {package.version}" if package else None
    try:
        plugin = entry_point.load()
    except (Exception, SystemExit) as error:  # sys.exit() at import is the plugin's failure
        raise PluginError(
            f"Plugin {name!r} (entry point {entry_point.value!r}"
            f"{' of ' + source if source else ''}) failed to import: "
            f"{type(error).__name__}: {error}. Fix or uninstall it, or skip it "
            f"with SEQLAB_LOAD_PLUGINS set to the plugins you want.",
            plugin=name,
        ) from error
    _register(plugin, name)
    if source:
        _packages[name] = source


def _normalise(package_name):
    return package_name.lower().replace("_", "-").replace(".", "-")
