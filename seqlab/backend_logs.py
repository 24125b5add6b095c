"""Quiet backends: what TensorFlow's and XLA's C++ code writes to file
descriptor 2 (CUDA probes, oneDNN notes, absl's preamble, type-inference
dumps) is hidden while seqlab imports the backend, trains, loads and tags,
in the command line and in the Python API alike. Python's own
``sys.stderr`` (warnings, tracebacks, seqlab's lines) still reaches the
terminal. ``SEQLAB_BACKEND_LOGS=1`` in the environment shows everything.

Example:
    >>> with hidden():
    ...     import keras  # no "I0000 ... oneDNN custom operations are on" lines
"""

import contextlib
import functools
import os
import sys
import threading

#: The environment variable that shows the backend's C++ logs again.
SHOW = "SEQLAB_BACKEND_LOGS"
_lock = threading.Lock()


def wanted():
    """Whether the user asked to see the backend's logs (``SEQLAB_BACKEND_LOGS=1``)."""
    return os.environ.get(SHOW, "").strip().lower() not in ("", "0", "false", "no")


@contextlib.contextmanager
def hidden(hide=True):
    """Hide what C++ code writes to file descriptor 2 inside the block.

    Does nothing when ``hide`` is false, when ``SEQLAB_BACKEND_LOGS`` is
    set, when ``sys.stderr`` is not file descriptor 2 (a notebook, a
    captured stream, or an enclosing `hidden` block: they nest), or in a
    thread other than the one that entered first.
    """
    try:
        real = hide and not wanted() and sys.stderr.fileno() == 2
    except (AttributeError, OSError, ValueError):  # a captured stream
        real = False
    if not real or not _lock.acquire(blocking=False):
        yield
        return
    try:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        sys.stderr.flush()
        saved, null = os.dup(2), os.open(os.devnull, os.O_WRONLY)
        original = sys.stderr
        sys.stderr = open(saved, "w", buffering=1, encoding=original.encoding,
                          errors=original.errors, closefd=False)
        os.dup2(null, 2)
        os.close(null)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            sys.stderr = original
    finally:
        _lock.release()


def quiet(function):
    """Run ``function`` inside `hidden`."""
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with hidden():
            return function(*args, **kwargs)
    return wrapper
