"""Loading saved models with errors a user can act on."""

import os

import keras

from seqlab.errors import SeqlabError


def load_model(path, compile=True):
    """Load a model saved with ``model.save("file.keras")``.

    Components are looked up by the names stored in the file, so the plugins
    that provided them must be installed.

    Raises:
        SeqlabError: the file is missing or not a Keras archive.
        UnknownComponentError: the model uses a component (cell, head, ...)
            that no installed plugin provides; the message names it.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise SeqlabError(f"No model file at {path!r}.")
    if not path.endswith(".keras"):
        raise SeqlabError(
            f"{path!r} is not a .keras file; seqlab saves and loads models "
            f"in the Keras format (model.save('name.keras')).")
    try:
        return keras.saving.load_model(path, compile=compile)
    except Exception as error:
        cause = _seqlab_cause(error)
        if cause is None:
            raise
        raise _with_path(cause, path) from error


def _seqlab_cause(error):
    """The SeqlabError that Keras's loader may have wrapped, if any."""
    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, SeqlabError):
            return error
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return None


def _with_path(error, path):
    error.args = (f"Cannot load {path!r}: {error.args[0]}",) + error.args[1:]
    return error
