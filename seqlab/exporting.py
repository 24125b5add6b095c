"""Export a trained model as an artifact that runs without seqlab: a
TensorFlow SavedModel (Keras's `keras.export.ExportArchive`, under either
backend) or an ONNX model (Keras's ONNX export through tf2onnx, under
TensorFlow; optionally with int8 weights by ONNX Runtime's dynamic
quantisation), and a metadata file, ``seqlab-export.json``, with what turns
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
import uuid

import keras
import numpy as np

from seqlab.errors import ConfigError, SeqlabError
from seqlab.io import file_digest

#: The metadata file an export writes beside the SavedModel's own files.
METADATA = "seqlab-export.json"
#: Its layout version (``seqlab_export`` in the file), for readers to check.
METADATA_VERSION = 1
FORMATS = ("savedmodel", "onnx")
#: The ONNX model's file in an ONNX export's folder.
ONNX_FILE = "model.onnx"
#: What ``quantize`` may name: ONNX Runtime's dynamic quantisation, int8
#: weights (of the matrix products; activations quantised on the fly).
QUANTIZATIONS = ("dynamic-int8",)


def export(model, path, format="savedmodel", force=False, quantize=None):
    """Write ``model`` (a `Tagger` or `LanguageModel`, or the path of a
    saved one, a run directory included) to the folder ``path`` as
    ``format``.

    Args:
        model: a `seqlab.Tagger` with its vocabulary and tag names, a
            `seqlab.LanguageModel` with its vocabulary, or a path
            `seqlab.load_model` reads.
        path: a folder that does not exist yet (or, with ``force``, one a
            previous export wrote).
        format: ``"savedmodel"`` (a TensorFlow SavedModel, under either
            backend) or ``"onnx"`` (``model.onnx``, for ONNX Runtime; under
            TensorFlow: a model trained under JAX is exported by loading its
            ``.keras`` file with ``KERAS_BACKEND=tensorflow``).
        force: replace a previous export at ``path``.
        quantize: None, or ``"dynamic-int8"`` (ONNX only): int8 weights, a
            file about a quarter the size, with tags that may differ and, on
            the CPU measured, slower (benchmarks/README.md section 9).

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
    if quantize is not None and quantize not in QUANTIZATIONS:
        raise ConfigError(f"Unknown quantisation {quantize!r}; seqlab knows "
                          f"{', '.join(QUANTIZATIONS)}.")
    if quantize is not None and format != "onnx":
        raise ConfigError("Quantisation is for ONNX exports: add --format onnx "
                          "(format='onnx').")
    if format == "onnx":
        _check_onnx_tools(quantize)
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
    text_encoders = [] if not isinstance(model, Tagger) else [
        name for name, e in zip(model.encoder_names, model.token_encoders)
        if e.input_name == "text"]
    columns = model.column_readers if isinstance(model, Tagger) else []
    if columns:
        raise ConfigError(
            f"This tagger's {columns[0]!r} reads other columns of each token's line (a "
            f"part-of-speech column, say); seqlab exports taggers of words and characters "
            f"only. Tag CoNLL files with seqlab tag (or Tagger.tag) instead.")
    if text_encoders:
        # Their inputs (a character stream per sentence and positions into
        # it) are made in Python by the encoder; a loader without seqlab
        # would have to make them the same way. Not done yet.
        raise ConfigError(
            f"This tagger reads text through {', '.join(map(repr, text_encoders))}, whose "
            f"inputs seqlab makes in Python; seqlab does not export such taggers yet. "
            f"Serve it with `seqlab serve` (or Tagger.tag) instead.")
    metadata = _metadata(model, source, format, quantize)
    parent = os.path.dirname(os.path.abspath(path))
    os.makedirs(parent, exist_ok=True)
    # Not mkdtemp, whose folder is its owner's alone: an export is for
    # others to read (a server's user, a container), so the folder gets the
    # mode any new folder gets.
    staging = os.path.join(parent, f".seqlab-export-{uuid.uuid4().hex}")
    os.mkdir(staging)
    try:
        if format == "onnx":
            _write_onnx(model, staging, metadata, quantize)
        else:
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


def _check_onnx_tools(quantize):
    """ONNX export needs TensorFlow as the backend and tf2onnx and onnx
    installed (ONNX Runtime too, to quantise): said before anything loads."""
    import importlib.util

    if keras.backend.backend() != "tensorflow":
        raise ConfigError(
            f"ONNX export runs under TensorFlow (tf2onnx), not {keras.backend.backend()}: "
            f"run it with KERAS_BACKEND=tensorflow (a .keras file loads under either "
            f"backend), or export --format savedmodel.")
    needed = ["tf2onnx", "onnx"] + (["onnxruntime"] if quantize else [])
    missing = [name for name in needed if importlib.util.find_spec(name) is None]
    if missing:
        raise ConfigError(f"ONNX export needs {' and '.join(missing)}: "
                          f"pip install 'seqlab[onnx]'.")


def _endpoint(model):
    """The endpoint's name, the Keras model that computes it (built), and
    its input signature."""
    from seqlab.data.batching import SequenceBatches
    from seqlab.models import LanguageModel
    from seqlab.models.tagger import _Decoder

    inputs = _inputs(model)
    if isinstance(model, LanguageModel):
        endpoint, helper = "score", _Scorer(model)
        example = {"words": np.ones((1, 2), "int32"), "targets": np.ones((1, 2), "int32")}
    else:
        endpoint, helper = "serve", model._helper(_Decoder)  # the one seqlab tag uses
        (example,) = SequenceBatches(model.encode_inputs([["."]]))[0]
    if not helper.built:  # a model just loaded has not run yet
        helper(example)
    signature = {name: keras.InputSpec(shape=tuple(spec["shape"]), dtype=spec["dtype"],
                                       name=name)
                 for name, spec in inputs.items()}
    if list(signature) == ["words"]:
        signature = signature["words"]
    return endpoint, helper, signature


def _write_onnx(model, folder, metadata, quantize):
    import warnings

    import onnx

    _, helper, signature = _endpoint(model)
    target = os.path.join(folder, ONNX_FILE)
    try:
        with warnings.catch_warnings():  # Keras's tf2onnx patch asks NumPy about np.object
            warnings.simplefilter("ignore", FutureWarning)
            helper.export(target, format="onnx", input_signature=[signature], verbose=False)
    except Exception as error:  # tf2onnx refused the graph
        raise SeqlabError(f"Exporting to ONNX failed: {type(error).__name__}: "
                          f"{str(error).splitlines()[0] if str(error) else ''}") from error
    # The graph's inputs are named by the signature; its one output gets the
    # name the metadata gives it (tf2onnx calls it after a TensorFlow node).
    graph = onnx.load(target)
    (output,) = metadata["outputs"]
    old = graph.graph.output[0].name
    for node in graph.graph.node:
        node.output[:] = [output if name == old else name for name in node.output]
    graph.graph.output[0].name = output
    onnx.save(graph, target)
    if quantize == "dynamic-int8":
        import logging

        from onnxruntime.quantization import QuantType, quantize_dynamic

        # The quantiser logs a warning on the root logger for every integer
        # tensor it leaves alone (tag ids, indices): expected, not news.
        root = logging.getLogger()
        level = root.level
        root.setLevel(logging.ERROR)
        try:
            quantize_dynamic(target, target, weight_type=QuantType.QInt8)
        finally:
            root.setLevel(level)


def _write_savedmodel(model, folder):
    from seqlab.models.tagger import MAX_WORD_CHARS

    endpoint, helper, signature = _endpoint(model)
    archive = keras.export.ExportArchive()
    archive.track(helper)
    options = {}
    if keras.backend.backend() == "jax":
        # jax2tf names every unknown size apart; the inputs share the batch
        # and the time axis.
        shapes = {"words": "(batch, time)", "targets": "(batch, time)",
                  "chars": f"(batch, time, {MAX_WORD_CHARS})"}
        options["jax2tf_kwargs"] = {"polymorphic_shapes": [
            {name: shapes[name] for name in signature} if isinstance(signature, dict)
            else shapes["words"]]}
    archive.add_endpoint(endpoint, lambda x: helper(x), input_signature=[signature],
                         **options)
    try:
        archive.write_out(folder, verbose=False)
    except Exception as error:  # the backend's converter refused the graph
        raise SeqlabError(f"Exporting to a SavedModel failed under "
                          f"{keras.backend.backend()}: {type(error).__name__}: "
                          f"{str(error).splitlines()[0] if str(error) else ''}") from error


def _metadata(model, source, format="savedmodel", quantize=None):
    from seqlab import __version__
    from seqlab.models import LanguageModel

    common = {
        "seqlab_export": METADATA_VERSION,
        "format": format,
        "file": ONNX_FILE if format == "onnx" else None,
        "quantized": quantize,
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
                "eos_id": eos_token_id(model),
                # how a line becomes tokens: words or characters, read which way
                "unit": model.unit, "direction": model.direction}
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
