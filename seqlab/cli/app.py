"""The ``seqlab`` command: the root group, its commands, and `main`.

Built-in commands live in one module per group (`seqlab.cli.tagging`,
`seqlab.cli.lm`, ...), each command's options beside its body. Plugins add
theirs through the ``seqlab_register_commands(cli)`` hook, asked when a
command name is not a built-in one or when the commands are listed.
"""

import sys

import click

from seqlab.cli import components, config, diagnose, export, lm, serve, tagging, tune
from seqlab.cli.runtime import INTERRUPTED, USER_ERROR, error_line, run_command
from seqlab.errors import PluginError


class SeqlabGroup(click.Group):
    """The root group: usage mistakes in one line, plugin commands on demand,
    and every command run by `run_command` (one-line errors)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._plugin_commands, self._plugins_seen, self._plugin_error = {}, None, None

    def plugin_commands(self, quiet=False):
        """``{name: command}`` the plugins add, asked again whenever the
        registered plugins change. A broken plugin is an error, or with
        ``quiet`` (listing commands) a warning and no plugin commands."""
        from seqlab import plugins

        try:
            plugins.load_plugins()
            seen = plugins.Snapshot()
            if seen != self._plugins_seen:
                self._plugins_seen, self._plugin_commands = seen, {}
                self._plugin_error = None
                # The hook extends a scratch group holding the built-ins, so
                # a clash is caught and the root keeps only its own.
                scratch = click.Group(commands=dict(self.commands))
                added = plugins.register_commands(scratch)
                self._plugin_commands = {name: scratch.commands[name] for name in added}
        except PluginError as error:
            self._plugin_error = error
        if self._plugin_error is not None:
            if not quiet:
                raise self._plugin_error
            print(f"seqlab: warning: plugin commands are not listed: {self._plugin_error}",
                  file=sys.stderr)
            return {}
        return self._plugin_commands

    def get_command(self, ctx, name):
        if name in self.commands:
            return self.commands[name]
        return self.plugin_commands().get(name)

    def list_commands(self, ctx):
        return sorted({*self.commands, *self.plugin_commands(quiet=True)})

    def resolve_command(self, ctx, args):
        try:
            return super().resolve_command(ctx, args)
        except PluginError as error:  # a plugin broke while its commands were asked for
            error_line(error)
            raise click.exceptions.Exit(USER_ERROR) from None

    def invoke(self, ctx):
        return run_command(lambda: super(SeqlabGroup, self).invoke(ctx),
                           debug=ctx.params.get("debug", False),
                           verbose=ctx.params.get("verbose", False))


def _version():
    from seqlab import __version__

    return __version__


@click.group(cls=SeqlabGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(version=_version(), prog_name="seqlab",
                      message="%(prog)s %(version)s")
@click.option("--debug", is_flag=True, help="show Python tracebacks instead of one-line errors")
@click.option("--verbose", is_flag=True,
              help="let the backend (TensorFlow, JAX) log what it logs")
def cli(debug, verbose):
    """Recurrent sequence models: taggers and language models with pluggable
    cells, clippers, initializers and heads."""


for command in (components.plugins, tagging.init, tagging.train, tagging.evaluate, tagging.tag,
                tagging.report, tagging.demo, export.export, serve.serve, tune.tune, lm.lm, diagnose.diagnose,
                config.config):
    cli.add_command(command)


def main(argv=None):
    """Run the command line; returns the exit status.

    A usage mistake (an unknown command, a flag out of range) is one
    ``seqlab: error:`` line naming the command and the flag, and exits with
    status 2 (`SystemExit`); see `seqlab.cli.runtime` for the rest.
    """
    try:
        status = cli.main(args=argv, prog_name="seqlab", standalone_mode=False)
    except click.UsageError as error:
        command = error.ctx.command_path if error.ctx else "seqlab"
        print(f"seqlab: error: {command}: {_usage_message(error)} "
              f"(see `{command} --help`)", file=sys.stderr)
        raise SystemExit(2) from None
    except click.ClickException as error:
        error_line(error.format_message())
        return error.exit_code
    except click.Abort:  # Ctrl-C while click itself was reading or prompting
        return INTERRUPTED
    return status if isinstance(status, int) else 0


def _usage_message(error):
    if isinstance(error, click.BadParameter) and error.param is not None:
        names = "/".join(error.param.opts) if error.param.param_type_name == "option" \
            else error.param.human_readable_name
        return f"argument {names}: {error.message}"
    return error.format_message()
