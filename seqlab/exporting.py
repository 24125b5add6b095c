"""Export a trained model as an artifact that runs without seqlab: a
TensorFlow SavedModel (Keras's `keras.export.ExportArchive`, under either
backend) and a metadata file, ``seqlab-export.json``, with what turns
tokens into ids and ids into tags: the vocabularies and their
normalisation, the tag names and schemes, the tokenizer's name, the seqlab
version and the SHA-256 of the model file exported.

- A tagger's ``serve`` endpoint takes word (and character) ids and returns
  the best tag ids, the decoding (CRF Viterbi or argmax) inside the graph.
- A language model's ``score`` endpoint takes word ids and the ids of the
  words that follow them and returns log p(next word | words so far) at
  every position (0 at padding), what ``seqlab lm score`` sums.

Example:
    >>> seqlab.export("runs/ner/best.keras", "exported/ner")
    >>> # elsewhere, with TensorFlow only: docs/deploying.md
"""

import json
import os
import shutil
import tempfile

import keras
import numpy as np

from seqlab.errors import ConfigError, SeqlabError
from seqlab.io import file_digest

#: The metadata file an export writes beside the SavedModel's own files.
METADATA = "seqlab-export.json"
#: Its layout version (``seqlab_export`` in the file), for readers to check.
METADATA_VERSION = 1
FORMATS = ("savedmodel",)


def export(model, path, format="savedmodel", force=False):
    """Write ``model`` (a `Tagger` or `LanguageModel`, or the path of a
    saved one, a run directory included) to the folder ``path`` as
    ``format``.

    Args:
        model: a `seqlab.Tagger` with its vocabulary and tag names, a
            `seqlab.LanguageModel` with its vocabulary, or a path
            `seqlab.load_model` reads.
        path: a folder that does not exist yet (or, with ``force``, one a
            previous export wrote).
        format: ``"savedmodel"``.
        force: replace a previous export at ``path``.

    Returns:
        The metadata written (a dict).

    Raises:
        ConfigError: an unknown format, a model that cannot be exported
            (another kind, or one without a vocabulary), or ``path`` in the
            way.
        SeqlabError: the backend's converter refused the graph.
    """
    from seqlab.models import LanguageModel, Tagger
    from seqlab.saving import _model_file, load_model

    if format not in FORMATS:
        raise ConfigError(f"Unknown export format {format!r}; seqlab exports "
                          f"{', '.join(FORMATS)}.")
    path = os.fspath(path)
    _check_target(path, force)
    source = None
    if not isinstance(model, keras.Model):
        source = _model_file(os.fspath(model))  # a run directory: its best.keras, said
        model = load_model(source, compile=False)
    if not isinstance(model, (Tagger, LanguageModel)):
        raise ConfigError(f"seqlab export writes taggers and language models, not "
                          f"{type(model).__name__}.")
    if model.vocabulary is None or getattr(model, "tag_names", ()) is None:
        raise ConfigError("This model has no vocabulary (or tag names), so nothing outside "
                          "seqlab could feed it; train it with seqlab's train_tagger or "
                          "train_language_model.")
    metadata = _metadata(model, source)
    parent = os.path.dirname(os.path.abspath(path))
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=".seqlab-export-", dir=parent)
    try:
        _write_savedmodel(model, staging)
        with open(os.path.join(staging, METADATA), "w") as handle:
            json.dump(metadata, handle, indent=1)
        if os.path.exists(path):  # force, checked above: a previous export
            shutil.rmtree(path)
        os.replace(staging, path)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return metadata


def _check_target(path, force):
    if not os.path.exists(path):
        return
    if not force:
        raise ConfigError(f"{path} exists; choose another folder, or add --force "
                          f"(force=True) to replace an export there.")
    if not os.path.isfile(os.path.join(path, METADATA)):
        raise ConfigError(f"{path} exists and is not a seqlab export (no {METADATA}); "
                          f"--force only replaces an export. Choose another folder.")


def _inputs(model):
    from seqlab.models import LanguageModel
    from seqlab.models.tagger import MAX_WORD_CHARS

    inputs = {"words": {"dtype": "int32", "shape": [None, None]}}
    if isinstance(model, LanguageModel):
        inputs["targets"] = {"dtype": "int32", "shape": [None, None]}
    elif model.reads_chars:  # a token's first MAX_WORD_CHARS characters, as seqlab reads them
        inputs["chars"] = {"dtype": "int32", "shape": [None, None, MAX_WORD_CHARS]}
    return inputs


class _Scorer(keras.Model):
    """A language model's log p(target | history) at every position."""

    def __init__(self, model):
        super().__init__(name=f"{model.name}_scorer")
        self.model = model

    def call(self, inputs):
        return self.model.token_log_probs(inputs["words"], inputs["targets"])


def _write_savedmodel(model, folder):
    from seqlab.data.batching import SequenceBatches
    from seqlab.models import LanguageModel
    from seqlab.models.tagger import MAX_WORD_CHARS, _Decoder

    inputs = _inputs(model)
    if isinstance(model, LanguageModel):
        endpoint, helper = "score", _Scorer(model)
        example = {"words": np.ones((1, 2), "int32"), "targets": np.ones((1, 2), "int32")}
    else:
        endpoint, helper = "serve", model._helper(_Decoder)  # the one seqlab tag uses
        (example,) = SequenceBatches(model.encode_inputs([["."]]))[0]
    if not helper.built:  # a model just loaded has not run yet
        helper(example)
    signature = {name: keras.InputSpec(shape=tuple(spec["shape"]), dtype=spec["dtype"])
                 for name, spec in inputs.items()}
    if list(signature) == ["words"]:
        signature = signature["words"]
    archive = keras.export.ExportArchive()
    archive.track(helper)
    options = {}
    if keras.backend.backend() == "jax":
        # jax2tf names every unknown size apart; the inputs share the batch
        # and the time axis.
        shapes = {"words": "(batch, time)", "targets": "(batch, time)",
                  "chars": f"(batch, time, {MAX_WORD_CHARS})"}
        options["jax2tf_kwargs"] = {"polymorphic_shapes": [
            {name: shapes[name] for name in inputs} if isinstance(signature, dict)
            else shapes["words"]]}
    archive.add_endpoint(endpoint, lambda x: helper(x), input_signature=[signature],
                         **options)
    try:
        archive.write_out(folder, verbose=False)
    except Exception as error:  # the backend's converter refused the graph
        raise SeqlabError(f"Exporting to a SavedModel failed under "
                          f"{keras.backend.backend()}: {type(error).__name__}: "
                          f"{str(error).splitlines()[0] if str(error) else ''}") from error


def _metadata(model, source):
    from seqlab import __version__
    from seqlab.models import LanguageModel

    common = {
        "seqlab_export": METADATA_VERSION,
        "format": "savedmodel",
        "seqlab_version": __version__,
        "keras_version": keras.__version__,
        "exported_under": keras.backend.backend(),
        "model_file": None if source is None else os.path.basename(source),
        "model_sha256": None if source is None else file_digest(source),
        "inputs": _inputs(model),
        "padding_id": 0,
        "unknown_id": 1,
        "vocabulary": _ids_table(model.vocabulary),
    }
    if isinstance(model, LanguageModel):
        from seqlab.lm.scoring import eos_token_id

        return {**common, "kind": "language_model", "endpoint": "score",
                "outputs": {"log_probs": {"dtype": "float32", "shape": [None, None]}},
                "eos_id": eos_token_id(model)}
    return {
        **common, "kind": "tagger", "endpoint": "serve",
        "outputs": {"tags": {"dtype": "int32", "shape": [None, None],
                             "ids_of": "tag_names"}},
        "char_vocabulary": (None if not model.reads_chars
                            else _ids_table(model.char_vocabulary)),
        "tag_names": list(model.tag_names),
        "scheme": model.scheme,
        "output_scheme": model.output_scheme,
        "tokenizer": model.tokenizer_spec,
    }


def _ids_table(vocabulary):
    """A vocabulary as an outsider reads it: ``tokens[i]`` has id ``i``
    (0 padding, 1 unknown), after the normalisation named."""
    return {"tokens": list(vocabulary.tokens), "lowercase": vocabulary.lowercase,
            "digits_to_zero": vocabulary.digits}
