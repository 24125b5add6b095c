"""Parameter types and options shared by several commands."""

import math
import os
import shutil
import sys

import click

from seqlab.config.schema import MAX_SEED
from seqlab.errors import SeqlabError


class Integer(click.ParamType):
    """An integer within bounds, refused naming them."""

    name = "integer"

    def __init__(self, low=None, high=None):
        self.low, self.high = low, high
        self.allowed = ("an integer" + (f" >= {low}" if low is not None else "")
                        + (f" and <= {high}" if high is not None else ""))

    def convert(self, value, param, ctx):
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        else:
            try:
                number = int(value)
            except (TypeError, ValueError):
                self.fail(f"expected {self.allowed}. Received: {value!r}", param, ctx)
        if (self.low is not None and number < self.low) or \
                (self.high is not None and number > self.high):
            self.fail(f"expected {self.allowed}. Received: {number}", param, ctx)
        return number


class PositiveNumber(click.ParamType):
    """A finite number > 0."""

    name = "number"

    def convert(self, value, param, ctx):
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = math.nan
        if not (math.isfinite(number) and number > 0):
            self.fail(f"expected a finite number > 0. Received: {value!r}", param, ctx)
        return number


SEED = Integer(0, MAX_SEED)


def verbosity(quiet):
    """Keras verbosity: progress bars on a terminal, a line per epoch in logs."""
    return 0 if quiet else (1 if sys.stdout.isatty() else 2)


def train_options(guide):
    """The options of ``seqlab train`` and ``seqlab lm train``."""
    options = [
        click.argument("config", metavar="CONFIG"),
        click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
                     help="override a config key, e.g. --set model.cell=gru (repeatable)"),
        click.option("--output", metavar="DIR", help="run directory (overrides `output`)"),
        click.option("--epochs", type=Integer(1), help="overrides training.epochs"),
        click.option("--seed", type=SEED, help="overrides training.seed"),
        click.option("--restart", is_flag=True,
                     help="start afresh instead of resuming an unfinished run"),
        click.option("--allow-changed-data", is_flag=True,
                     help="resume although a data file changed since the last epoch "
                          "(refused otherwise)"),
        click.option("--quiet", is_flag=True, help="no progress bars"),
        click.option("--devices", type=Integer(0), metavar="N",
                      help="several devices or machines (docs/scaling.md): devices per "
                           "process, 0 for all (distribution.devices)"),
        click.option("--addresses", metavar="HOST:PORT,...",
                     help="one address per process, the chief's first "
                          "(distribution.addresses)"),
        click.option("--process-id", type=Integer(0), metavar="I",
                     help="this process's index in --addresses (distribution.process_id)"),
    ]

    def decorate(function):
        for option in reversed(options):
            function = option(function)
        function.__doc__ = (function.__doc__ or "") + f"\n\nCONFIG: a TOML file (see {guide})."
        return function
    return decorate


def run_config(path, overrides, task, output=None, epochs=None, seed=None, devices=None,
               addresses=None, process_id=None):
    """The config a train command runs: the file, its ``--set`` overrides,
    and the typed flags set on it (``--output`` is relative to the config
    file, as the ``output`` key is)."""
    from seqlab.config import load_config, updated

    config = load_config(path, overrides, task=task)
    values = {"training.epochs": epochs, "training.seed": seed,
              "distribution.devices": devices, "distribution.process_id": process_id,
              "distribution.addresses": None if addresses is None else [
                  a for a in addresses.split(",") if a]}
    if output is not None:
        base = os.path.dirname(os.path.abspath(path))
        values["output"] = os.path.join(base, os.path.expanduser(output))
    values = {key: value for key, value in values.items() if value is not None}
    return updated(config, values) if values else config


def check_output_file(path, option):
    """Refuse, before any work, an output file that cannot be written where
    it is named (seqlab creates no folders for it)."""
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise SeqlabError(f"{option} {path}: a folder; give the path of a file to write.")
    if not os.path.isdir(folder):
        raise SeqlabError(f"{option} {path}: the folder {folder} does not exist; create it "
                          f"first, or write somewhere else.")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise SeqlabError(f"{option} {path}: the folder {folder} cannot be written.")


def this_command():
    """How to run this very ``seqlab`` from the current directory: ``seqlab``
    when that is it on the PATH, else its path (``.venv/bin/seqlab`` after
    ``./dev demo``), else ``python -m seqlab``."""
    invoked = sys.argv[0] if sys.argv and os.path.isfile(sys.argv[0]) else None
    on_path = shutil.which("seqlab")
    if invoked is None:
        return f"{sys.executable} -m seqlab"
    if on_path and os.path.samefile(on_path, invoked):
        return "seqlab"
    relative = os.path.relpath(invoked)
    if relative.startswith(".."):  # elsewhere: the full path, as it was typed
        return os.path.abspath(invoked)
    return relative if relative.startswith(".") or os.sep in relative else f"./{relative}"
