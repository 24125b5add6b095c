"""``seqlab diagnose``: training-dynamics diagnostics."""

import json
import os

import click

from seqlab.cli.options import SEED, Integer


@click.group("diagnose")
def diagnose():
    """Training-dynamics diagnostics."""


@diagnose.command("gradients")
@click.option("--cells", multiple=True, metavar="NAMES",
              help="comma-separated cells: sigmoid, tanh, relu, irnn, lstm (the default "
                   "set), any registered cell name, or a JSON spec (repeatable)")
@click.option("--steps", type=Integer(2, 100_000), default=100, help="sequence length T")
@click.option("--units", type=Integer(1, 16_384), default=100)
@click.option("--batch", type=Integer(1, 65_536), default=32,
              help="random sequences averaged over")
@click.option("--input-dim", type=Integer(1, 16_384), default=10)
@click.option("--seed", type=SEED, default=0)
@click.option("--output", default="diagnostics",
              help="folder for gradients.json and gradients.png")
def gradients(cells, steps, units, batch, input_dim, seed, output):
    """Per-timestep gradient norms ||dE_T/dh_t|| of cells (JSON and PNG)."""
    from seqlab import presentation
    from seqlab.diagnostics import diagnose_gradients

    names = [c.strip() for group in cells for c in group.split(",") if c.strip()]
    specs = {c: (json.loads(c) if c.startswith("{") else c) for c in names} or None
    json_path = os.path.join(output, "gradients.json")
    plot_path = os.path.join(output, "gradients.png")
    results = diagnose_gradients(specs, steps, units, batch, input_dim, seed, json_path,
                                 plot_path)
    print(presentation.gradient_table(results, steps, batch, units))
    print(f"numbers: {json_path}; plot: {plot_path}")
