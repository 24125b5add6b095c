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
    if as_json:
        print(json.dumps([{"kind": c.kind, "name": c.name, "plugin": c.plugin,
                           "package": c.package} for c in components], indent=2))
    else:
        print(presentation.components_table(components))
