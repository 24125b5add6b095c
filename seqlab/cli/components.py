"""``seqlab plugins``: every registered component and its plugin."""

import json

import click


def _kinds():
    from seqlab.registry import KINDS

    return sorted(KINDS)


@click.command("plugins")
@click.option("--kind", type=click.Choice(_kinds()), help="only components of this kind")
@click.option("--json", "as_json", is_flag=True, help="print JSON instead of a table")
def plugins(kind, as_json):
    """List every registered component and its plugin."""
    from seqlab import presentation, registry

    components = registry.components(kind)
    # Formats say whether they read, write or both (html only writes); only
    # when asked for, since it imports each format's module.
    uses = {c.name: _format_use(c) for c in components} if kind == "readers" else None
    if as_json:
        print(json.dumps([{"kind": c.kind, "name": c.name, "plugin": c.plugin,
                           "package": c.package,
                           **({"use": uses[c.name]} if uses else {})} for c in components],
                         indent=2))
    else:
        print(presentation.components_table(components, uses))


def _format_use(component):
    """``"reads and writes"``, ``"reads only"`` or ``"writes only"`` of a
    format; ``"?"`` where that cannot be known without options."""
    from seqlab.data import DataFormat
    from seqlab.errors import PluginError

    try:
        factory = component.factory
    except PluginError:
        return "? (does not import)"
    if isinstance(factory, type) and issubclass(factory, DataFormat):
        reads = (factory.read is not DataFormat.read
                 or factory.iter_read is not DataFormat.iter_read)
        writes = factory.write is not DataFormat.write
    else:  # a factory function: what it builds without options
        try:
            built = factory()
        except Exception:  # noqa: BLE001 - it needs options; say nothing wrong
            return "?"
        if not isinstance(built, DataFormat):
            return "?"
        reads, writes = built.reads, built.writes
    return {(True, True): "reads and writes", (True, False): "reads only",
            (False, True): "writes only"}.get((reads, writes), "neither")
