"""The ``seqlab`` command."""

import argparse
import json
import sys

from seqlab.errors import SeqlabError


def _cmd_plugins(args):
    from seqlab import registry

    rows = [
        {"kind": c.kind, "name": c.name, "plugin": c.plugin,
         "distribution": c.distribution}
        for c in registry.components(args.kind)
    ]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    headers = ("KIND", "NAME", "PLUGIN", "DISTRIBUTION")
    table = [headers] + [(r["kind"], r["name"], r["plugin"],
                          r["distribution"] or "(built-in)")
                         for r in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(headers))]
    for row in table:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
    return 0


def build_parser():
    from seqlab import __version__
    from seqlab.registry import KINDS

    parser = argparse.ArgumentParser(
        prog="seqlab", description="Recurrent sequence models: taggers and "
        "language models with pluggable cells, clippers, initializers and heads.")
    parser.add_argument("--version", action="version",
                        version=f"seqlab {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    plugins = commands.add_parser(
        "plugins", help="list every registered component and its plugin")
    plugins.add_argument("--kind", choices=sorted(KINDS),
                         help="only components of this kind")
    plugins.add_argument("--json", action="store_true",
                         help="print JSON instead of a table")
    plugins.set_defaults(run=_cmd_plugins)
    return parser


def main(argv=None):
    """Run the command line; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except SeqlabError as error:
        print(f"seqlab: error: {error}", file=sys.stderr)
        return 2
