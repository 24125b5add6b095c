"""The ``seqlab`` command line, on click.

One module per command group (`tagging`, `lm`, `diagnose`, `components`,
`config`), shared parameter types in `options`, how a command runs (one-line
errors, quiet backends) in `runtime`, the root group and `main` in `app`.
Plugins add commands through the ``seqlab_register_commands(cli)`` hook.
"""

from seqlab.cli.app import cli, main
from seqlab.cli.options import this_command
from seqlab.cli.runtime import CLOSED_PIPE_STATUS
from seqlab.cli.tagging import TAG_CHUNK

__all__ = ["CLOSED_PIPE_STATUS", "TAG_CHUNK", "cli", "main", "this_command"]
