"""Loading saved models safely, with errors a user can act on.

seqlab reads models only in the Keras format (``.keras``), always in Keras's
safe mode: a file that asks to run code when loaded (a ``Lambda`` layer, a
function or class named by module) is refused, as are legacy HDF5 files,
whose loader has no safe mode. A model file cannot make seqlab read other
files either: options that only initialise weights (a path to pretrained
vectors) are refused when they come from a file (see `seqlab.models.Tagger`).
"""

import os
import warnings
import zipfile

import keras

from seqlab.backend_logs import quiet
from seqlab.errors import SeqlabError, SeqlabWarning, UnsafeModelError
from seqlab.io import loading_model_file

LEGACY_SUFFIXES = (".h5", ".hdf5", ".pb", ".tf")
#: A model archive may unpack to at most this many times its size on disk,
#: or to `MIN_UNPACKED_ALLOWANCE`, whichever is more. Keras stores its
#: members uncompressed (1.0x); a file re-zipped with compression stays
#: within a few times. A "zip bomb" (a few MB unpacking to GB of memory or
#: temporary files) is far past it.
MAX_UNPACKED_RATIO = 20
MIN_UNPACKED_ALLOWANCE = 64 * 2 ** 20
#: Keras writes three members (and an ``assets/`` folder for some layers).
MAX_MEMBERS = 10_000


def _model_file(path):
    """The file to load for ``path``: itself, or a run directory's best model."""
    if not os.path.exists(path):
        raise SeqlabError(f"No model file at {path!r}.")
    if not os.path.isdir(path):
        return path
    from seqlab.rundir import RunDirectory

    run = RunDirectory(path)
    if not any(os.path.exists(run.file(name)) for name in (run.STATE, run.CONFIG, run.BEST)):
        if os.path.exists(os.path.join(path, "saved_model.pb")):
            return path  # a SavedModel: refused below as a legacy format
        raise SeqlabError(f"{path!r} is a folder, not a model file; give the .keras file "
                          f"(a run directory holds best.keras).")
    best = run.file(run.BEST)
    if not os.path.isfile(best):
        raise SeqlabError(f"{path!r} is a run directory without {run.BEST}: the run has "
                          f"finished no epoch yet. Wait for its first epoch, or give a "
                          f".keras file.")
    warnings.warn(f"{path} is a run directory: loading its best model, {best}.",
                  SeqlabWarning, stacklevel=3)
    return best


@quiet
def load_model(path, compile=True, expect=None):
    """Load a model saved with ``model.save("file.keras")``.

    Components are looked up by the names stored in the file, so the plugins
    that provided them must be installed.

    Args:
        path: a ``.keras`` file, or a run directory (``seqlab train``'s
            ``output``), whose ``best.keras`` is loaded, with a warning
            saying so.
        compile: restore the optimizer and compile options too.
        expect: a model class (`seqlab.Tagger`, say); a file holding another
            kind of model is refused, naming what it holds.

    Raises:
        SeqlabError: the file is missing, not a Keras archive (empty,
            truncated, another format), or holds another kind of model.
        UnsafeModelError: the file asks to run code or read files.
        UnknownComponentError: the model uses a component (cell, head, ...)
            that no installed plugin provides; the message names it.
    """
    path = _model_file(os.fspath(path))
    if os.path.isdir(path) or path.lower().endswith(LEGACY_SUFFIXES):
        raise UnsafeModelError(
            f"{path!r} is a legacy model format (HDF5 or SavedModel), whose "
            f"loaders can run code from the file; seqlab only loads .keras "
            f"files. Re-save a model you trust with model.save('name.keras').")
    if not path.endswith(".keras"):
        raise SeqlabError(
            f"{path!r} is not a .keras file; seqlab saves and loads models "
            f"in the Keras format (model.save('name.keras')).")
    if not zipfile.is_zipfile(path):
        size = os.path.getsize(path)
        raise SeqlabError(
            f"Cannot load {path!r}: it is not a Keras archive ("
            + ("an empty file" if not size else f"{size} bytes that are not a zip archive")
            + "; a copy cut short, or another kind of file). Train or copy it again.")
    _check_unpacked_size(path)
    import seqlab.models  # noqa: F401  (registers seqlab's classes with Keras)
    import seqlab.clipping  # noqa: F401

    try:
        with loading_model_file(path):
            model = keras.saving.load_model(path, compile=compile, safe_mode=True)
    except Exception as error:
        cause = _seqlab_cause(error)
        if cause is not None:
            raise _with_path(cause, path) from error
        raise _keras_refusal(error, path) from error
    if expect is not None and not isinstance(model, expect):
        trained_by = {"Tagger": "`seqlab train`",
                      "LanguageModel": "`seqlab lm train`"}.get(expect.__name__, "seqlab")
        raise SeqlabError(
            f"{path!r} holds a {type(model).__name__}, not a seqlab "
            f"{expect.__name__}; train one with {trained_by}.")
    return model


def _check_unpacked_size(path):
    """Refuse an archive whose declared unpacked size is out of proportion
    to the file (Python's zip reader stops each member at its declared size,
    so the declaration bounds what loading can take)."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise SeqlabError(f"Cannot load {path!r}: the archive is damaged ({error}).") from None
    size = os.path.getsize(path)
    unpacked = sum(member.file_size for member in members)
    allowed = max(MIN_UNPACKED_ALLOWANCE, MAX_UNPACKED_RATIO * size)
    if len(members) > MAX_MEMBERS or unpacked > allowed:
        raise UnsafeModelError(
            f"Refused to load {path!r}: its {len(members):,} members would unpack to "
            f"{unpacked:,} bytes from a {size:,}-byte file (seqlab allows "
            f"{MAX_UNPACKED_RATIO}x the file, at least {MIN_UNPACKED_ALLOWANCE // 2 ** 20} MiB, "
            f"and {MAX_MEMBERS:,} members; a model saved by Keras unpacks to its own size). "
            f"The file was crafted or is not a model.")


def _keras_refusal(error, path):
    """The error Keras's loader raised, said for a user."""
    text = str(error)
    first = text.strip().splitlines()[0] if text.strip() else type(error).__name__
    first = first.split(". ")[0].rstrip(",.")
    if "safe_mode" in text or "arbitrary code" in text:
        return UnsafeModelError(
            f"Refused to load {path!r}: it asks to run code when loaded "
            f"({first}). seqlab loads models in Keras's safe "
            f"mode and never runs code from a model file.")
    if "Could not locate" in text or "to be a dict" in text:
        return UnsafeModelError(
            f"Refused to load {path!r}: it names a class or function that no "
            f"installed package registered with Keras ({first}). Either the "
            f"file was crafted, or it needs a plugin that is not installed "
            f"(see `seqlab plugins`).")
    if isinstance(error, (zipfile.BadZipFile, EOFError, KeyError, OSError)):
        return SeqlabError(f"Cannot load {path!r}: the archive is damaged ({first}).")
    return SeqlabError(f"Cannot load {path!r}: Keras could not read it "
                       f"({type(error).__name__}: {first}).")


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
    if not str(error.args[0]).startswith("Cannot load") and \
            not str(error.args[0]).startswith("Refused"):
        error.args = (f"Cannot load {path!r}: {error.args[0]}",) + error.args[1:]
    return error
