"""How every ``seqlab`` command runs: one-line errors, quiet backends,
warnings as ``seqlab: warning:`` lines, a closed pipe ended quietly.

A mistake in the input (a config, a data file, a model file, a busy or
unwritable directory) is one ``seqlab: error:`` line and status 2.
Anything else is a bug: its traceback is printed with a request to report
it (status 1). ``--debug`` shows every traceback.
"""

import logging
import os
import sys
import traceback
import warnings

import click

from seqlab.errors import SeqlabError, SeqlabWarning

#: What a command-line tool exits with when its reader goes away (SIGPIPE).
CLOSED_PIPE_STATUS = 128 + 13
#: Exit statuses: a mistake in the input, a bug, an interruption (SIGINT).
USER_ERROR, BUG, INTERRUPTED = 2, 1, 130


def run_command(invoke, debug=False, verbose=False):
    """Call ``invoke()`` (a command's body) as the command line runs it.

    Raises:
        click.exceptions.Exit: with the status of an error, after printing
            it (the command's own status otherwise passes through).
    """
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            with backend_logs_hidden(not verbose):
                if not verbose:
                    for name in ("tensorflow", "absl", "jax"):
                        logging.getLogger(name).setLevel(logging.ERROR)
                return invoke()
    except (click.exceptions.Exit, click.ClickException, click.Abort):
        raise
    except SeqlabError as error:
        if debug:
            raise
        error_line(error)
        raise click.exceptions.Exit(USER_ERROR) from None
    except OSError as error:  # the disk, permissions: never seqlab's bug
        if isinstance(error, BrokenPipeError):
            raise click.exceptions.Exit(closed_pipe()) from None
        if debug:
            raise
        where = f"{error.filename}: " if error.filename else ""
        error_line(f"{where}{error.strerror or error}")
        raise click.exceptions.Exit(USER_ERROR) from None
    except KeyboardInterrupt:
        print("seqlab: interrupted. Checkpoints of finished epochs are kept; "
              "run the same command again to resume.", file=sys.stderr)
        raise click.exceptions.Exit(INTERRUPTED) from None
    except Exception:
        if debug:
            raise
        traceback.print_exc()
        print("seqlab: internal error: the traceback above is a bug in seqlab or in a "
              "plugin, not a mistake in your input. Please report it with the command "
              "you ran and `seqlab --version`.", file=sys.stderr)
        raise click.exceptions.Exit(BUG) from None


def error_line(error):
    """Print an error as one ``seqlab: error:`` line."""
    print(f"seqlab: error: {' '.join(str(error).split())}", file=sys.stderr)


def closed_pipe():
    """Output went to a pipe whose reader left (``seqlab tag ... | head``):
    stop quietly, as command-line tools do. What Python would still flush
    at exit goes nowhere instead of raising again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # a captured stream (tests)
        pass
    return CLOSED_PIPE_STATUS


def backend_logs_hidden(hide):
    """`seqlab.backend_logs.hidden` (the command line's name for it)."""
    from seqlab.backend_logs import hidden

    return hidden(hide)


def _show_warning(message, category, filename, lineno, file=None, line=None):
    if issubclass(category, SeqlabWarning):
        print(f"seqlab: warning: {message}", file=sys.stderr, flush=True)
    else:
        _default_showwarning(message, category, filename, lineno, file, line)


_default_showwarning = warnings.showwarning
