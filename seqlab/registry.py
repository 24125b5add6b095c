"""Name -> component lookups over everything the plugins registered.

A component is referred to by a *spec*: its name (``"lstm"``) or a dict with
a ``"name"`` key and the component's options
(``{"name": "elman", "activation": "sigmoid"}``). Specs are what models store
in their config, so a saved model always resolves to the same component.
"""

import dataclasses
import difflib
import importlib
import inspect
import re
import threading

from seqlab import hookspecs, plugins
from seqlab.errors import (
    ConfigError,
    DuplicateComponentError,
    PluginError,
    SeqlabError,
    UnknownComponentError,
)

#: component kind -> the hook that registers it
KINDS = {kind: contract.hook for kind, contract in hookspecs.CONTRACTS.items()}


@dataclasses.dataclass(frozen=True)
class Component:
    """One registered component.

    Attributes:
        kind: one of `KINDS`.
        name: the name it is registered under.
        source: what the plugin registered: the factory, or where it lives
            (``"package.module:factory"``), imported on first use.
        plugin: the name of the plugin that registered it.
        package: ``"name version"`` of the installed package that
            provided the plugin, or None for built-in and in-process plugins.
    """

    kind: str
    name: str
    source: object
    plugin: str
    package: str = None

    @property
    def factory(self):
        """The callable that builds the component (imported now if the
        plugin registered it by name).

        Raises:
            PluginError: the named factory cannot be imported or is not callable.
        """
        if not isinstance(self.source, str):
            return self.source
        with _lock:
            if self.source not in _imported:
                module, _, attribute = self.source.partition(":")
                try:
                    factory = getattr(importlib.import_module(module), attribute)
                except (Exception, SystemExit) as error:  # whatever its import raises
                    raise component_error(
                        self, f"names its factory {self.source!r}, which cannot be "
                              f"imported: {type(error).__name__}: {error}") from error
                if not callable(factory):
                    raise component_error(
                        self, f"names its factory {self.source!r}, which is not callable.")
                _imported[self.source] = factory
            return _imported[self.source]


#: factories registered by name, once imported
_imported = {}
_FACTORY_NAME = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")


_lock = threading.RLock()
_cache = {"plugins": None, "components": None}


def available(kind):
    """The registered names of one kind, each with the plugin providing it.

    Args:
        kind: one of `KINDS` (``"cells"``, ``"output_heads"``, ``"readers"``, ...).

    Returns:
        A dict ``{name: plugin_name}`` sorted by name.

    Example:
        >>> import seqlab
        >>> seqlab.available("cells")["lstm"]
        'seqlab_builtins.cells'
    """
    return {name: c.plugin for name, c in sorted(_components(kind).items())}


def components(kind=None):
    """Every registered `Component`, optionally of one kind, sorted."""
    kinds = [kind] if kind else list(KINDS)
    return [c for k in kinds for _, c in sorted(_components(k).items())]


def get(kind, name):
    """The `Component` of a kind registered under ``name``.

    Raises:
        UnknownComponentError: no plugin registered that name; the message
            lists the available names.
    """
    registered = _components(kind)
    if name not in registered:
        names = sorted(registered)
        close = difflib.get_close_matches(str(name), names, n=1, cutoff=0.6)
        raise UnknownComponentError(
            f"Unknown {_singular(kind)} {name!r}. Available {kind}: "
            f"{', '.join(names) or 'none'}."
            + (f" Did you mean {close[0]!r}?" if close else "")
            + " A name that is not listed comes from a plugin that is not installed "
              "or not loaded (see `seqlab plugins`).",
            kind=kind, name=name, available=names,
        )
    return registered[name]


def parse_spec(spec, kind="components"):
    """Split a spec into ``(name, options)``.

    Raises:
        ConfigError: the spec is neither a name nor a dict with a ``"name"``.
    """
    if isinstance(spec, str) and spec:
        return spec, {}
    if isinstance(spec, dict) and isinstance(spec.get("name"), str):
        options = dict(spec)
        return options.pop("name"), options
    raise ConfigError(
        f"A {_singular(kind)} is given by its name or by a dict with a "
        f"'name' key and its options, e.g. {{'name': 'elman', "
        f"'activation': 'sigmoid'}}. Received: {spec!r}"
    )


def normalise_spec(spec, kind="components"):
    """The canonical, JSON-friendly form of a spec (a name or a dict)."""
    name, options = parse_spec(spec, kind)
    return {"name": name, **options} if options else name


def create(kind, spec, *args, **kwargs):
    """Build the component a spec names.

    ``args`` and ``kwargs`` are what the caller supplies, as the kind's
    `seqlab.hookspecs.Contract` says (``units`` for a cell, a `HeadContext`
    for a head); the spec's options are added to them. Options the factory
    does not accept are reported before it is called, and its result is
    checked against the contract.

    Raises:
        UnknownComponentError: the name is not registered.
        ConfigError: the spec has an option the factory does not take.
        PluginError: the factory returned something its contract rules out.
    """
    name, options = parse_spec(spec, kind)
    component = get(kind, name)
    call_kwargs = {**kwargs, **options}
    _check_signature(component, args, call_kwargs)
    try:
        result = component.factory(*args, **call_kwargs)
    except (TypeError, ValueError) as error:
        if not options or isinstance(error, SeqlabError):
            raise
        # An option passed on to Keras (an unknown keyword, filters=-5):
        # the user's value, said with the component that refused it.
        first = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise ConfigError(
            f"{_singular(kind).capitalize()} {name!r} (from plugin {component.plugin!r}) "
            f"refused its options {_shown_options(options)}: {first}") from None
    contract = hookspecs.CONTRACTS[kind]
    if not isinstance(result, _resolve(contract.returns)):
        raise component_error(
            component, f"returned {type(result).__name__}; the contract of "
            f"{contract.hook} is: {contract.text} See docs/plugin-hooks.md.")
    return result


def component_error(component, problem):
    """A `PluginError` that names a component and its plugin, then the problem.

    Args:
        component: a `Component` (see `get`).
        problem: what is wrong, as the rest of a sentence ("returned Dense").
    """
    return PluginError(
        f"{_singular(component.kind).capitalize()} {component.name!r} from "
        f"plugin {component.plugin!r} {problem}", plugin=component.plugin)


def _resolve(dotted):
    module, _, name = dotted.rpartition(".")
    return getattr(importlib.import_module(module), name)


def _shown_options(options):
    return "{" + ", ".join(f"{k} = {v!r}" for k, v in options.items()) + "}"


def check_options(component, options):
    """Check a spec's options against its factory's signature, before
    anything is built (the arguments the caller supplies, such as a cell's
    ``units``, are not counted).

    Raises:
        ConfigError: a factory without ``**kwargs`` has no such parameter.
        PluginError: the factory cannot be imported.
    """
    try:
        signature = inspect.signature(component.factory)
    except (TypeError, ValueError):
        return
    parameters = signature.parameters.values()
    if not options or any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return
    accepted = [p.name for p in parameters
                if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        supplied = _supplied(component.kind)
        raise ConfigError(
            f"{_singular(component.kind).capitalize()} {component.name!r} (from plugin "
            f"{component.plugin!r}) has no option {', '.join(map(repr, unknown))}. It "
            f"accepts: {', '.join(n for n in accepted if n not in supplied) or 'no options'}.")


def _supplied(kind):
    """The arguments the core itself passes a factory of ``kind`` (its
    contract's named parameters: a cell's ``units``, an encoder's
    ``context``), which are not options a spec may give."""
    contract = hookspecs.CONTRACTS.get(kind)
    if contract is None:
        return set()
    inside = contract.factory[contract.factory.index("(") + 1:contract.factory.rindex(")")]
    return {part.split(":")[0].split("=")[0].strip() for part in inside.split(",")
            if part.strip() and not part.strip().startswith("*")}


def _check_signature(component, args, kwargs):
    try:
        signature = inspect.signature(component.factory)
    except (TypeError, ValueError):  # builtins without a signature
        return
    try:
        signature.bind(*args, **kwargs)
    except TypeError as error:
        accepted = [p for p in signature.parameters
                    if signature.parameters[p].kind not in (
                        inspect.Parameter.VAR_POSITIONAL,
                        inspect.Parameter.VAR_KEYWORD)]
        raise ConfigError(
            f"{_singular(component.kind).capitalize()} {component.name!r} "
            f"(from plugin {component.plugin!r}) cannot take these options: "
            f"{error}. It accepts: {', '.join(accepted)}. "
            f"Received: {sorted(kwargs)}"
        ) from None


def _components(kind):
    if kind not in KINDS:
        raise ConfigError(
            f"Unknown component kind {kind!r}. Kinds: {', '.join(KINDS)}."
        )
    plugins.load_plugins()
    with _lock:
        current = plugins.Snapshot()
        if _cache["plugins"] != current:
            _cache["components"] = _collect()
            _cache["plugins"] = current
        return _cache["components"][kind]


def _collect():
    """Call every plugin's register hooks, one plugin at a time.

    Hooks are called per implementation (not through the combined hook
    caller) so that each component knows its plugin and a failing hook is
    reported with the plugin's name.
    """
    plugins.check_plugins()
    collected = {kind: {} for kind in KINDS}
    for kind, hook_name in KINDS.items():
        hook = getattr(plugins.pm.hook, hook_name)
        # get_hookimpls() lists plugins in registration order (built-ins
        # first), so a duplicate is reported against the earlier plugin.
        for impl in hook.get_hookimpls():
            register = _registrar(kind, impl.plugin_name, collected[kind])
            plugins.call_hook(impl, hook_name, (DuplicateComponentError, ConfigError),
                              register=register)
    return collected


def _registrar(kind, plugin_name, registered):
    def register(name, factory):
        if not isinstance(name, str) or not name:
            raise PluginError(
                f"Plugin {plugin_name!r} registered a {_singular(kind)} with "
                f"an invalid name {name!r}: names are non-empty strings.",
                plugin=plugin_name,
            )
        if not (callable(factory) or isinstance(factory, str)
                and _FACTORY_NAME.match(factory)):
            raise PluginError(
                f"Plugin {plugin_name!r} registered {_singular(kind)} "
                f"{name!r} with a factory that is neither callable nor a "
                f"'package.module:function' name: {factory!r}.",
                plugin=plugin_name,
            )
        if name in registered:
            first = registered[name].plugin
            raise DuplicateComponentError(
                f"Two plugins register a {_singular(kind)} named {name!r}: "
                f"{first!r} and {plugin_name!r}. Names must be unique so that "
                f"saved models load the component they were trained with; "
                f"uninstall one of them or rename the component.",
                plugin=plugin_name,
            )
        registered[name] = Component(
            kind, name, factory, plugin_name,
            plugins.package_of(plugin_name),
        )

    return register


def _singular(kind):
    if kind not in KINDS:
        return "component"
    return kind[:-1].replace("_", " ")
