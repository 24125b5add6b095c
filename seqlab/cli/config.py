"""``seqlab config``: the config schema, and a config with its defaults."""

import json

import click

TASK = click.option("--task", type=click.Choice(["tagger", "lm"]), default="tagger",
                    show_default=True,
                    help="tagger (seqlab train) or lm (seqlab lm train)")


@click.group("config")
def config():
    """Config files: the JSON Schema, and a config with every default."""


@config.command("schema")
@TASK
def schema(task):
    """Print the JSON Schema of a config (editors validate TOML with it)."""
    from seqlab.config import TASKS

    print(json.dumps(TASKS[task].model_json_schema(), indent=2))


@config.command("show")
@click.argument("path", metavar="CONFIG")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
              help="override a config key, as seqlab train does (repeatable)")
@TASK
def show(path, overrides, task):
    """Print CONFIG (a TOML file) checked, with every default filled in."""
    from seqlab.config import load_config, to_toml

    print(to_toml(load_config(path, overrides, task=task)), end="")
