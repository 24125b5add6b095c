"""Training and evaluating taggers on files: the work behind ``seqlab train``
and ``seqlab evaluate``, also usable from Python.

Example:
    >>> config = seqlab.load_config("ner.toml", overrides=["training.epochs=5"])
    >>> run = seqlab.train_tagger(config)
    >>> print(run.test["report"])
"""

import dataclasses
import json
import os
import keras

from seqlab import callbacks as seqlab_callbacks
from seqlab import plugins
from seqlab.data.batching import SequenceBatches
from seqlab.data.readers import read_conll, read_two_column, write_conll
from seqlab.data.schemes import check_scheme, convert
from seqlab.data.vocabulary import Vocabulary
from seqlab.evaluation import entity_scores, overlap_scores, token_accuracy
from seqlab.io import atomic_write
from seqlab.models.tagger import Tagger
from seqlab.saving import load_model
from seqlab.training import optimizer_from_config


@dataclasses.dataclass
class TaggerRun:
    """The outcome of `train_tagger`.

    Attributes:
        model: the best model (by dev F1).
        history: one dict per epoch (loss, dev_f1, ...).
        best_epoch: the epoch of the best model.
        dev: `evaluate_tagger` scores of the best model on dev.
        test: the same on test, or None without a test file.
        output: the run directory.
    """

    model: Tagger
    history: list
    best_epoch: int
    dev: dict
    test: dict
    output: str


def read_tagged(path, data):
    """Read a tagged file as the ``[data]`` section of a config says."""
    if data["format"] == "two_column":
        return read_two_column(path, scheme=data["scheme"])
    return read_conll(path, data["token_column"], data["tag_column"],
                      scheme=data["scheme"])


def evaluate_tagger(model, sentences, scheme, predictions_path=None):
    """Score a tagger on gold sentences.

    Args:
        model: a `Tagger` with a vocabulary and tag names.
        sentences: `Sentence` objects with gold tags in ``scheme``.
        scheme: the scheme of the gold tags; predictions are converted to
            it, and the predictions file is written in it.
        predictions_path: if given, write ``token gold predicted`` lines
            (what conlleval reads) there.

    Returns:
        A dict: ``precision``, ``recall``, ``f1`` (seqeval, conlleval-style),
        ``strict`` (the same in strict mode), ``token_accuracy``,
        ``overlap`` (binary and proportional), ``per_type``, ``report``.
    """
    scheme = check_scheme(scheme)
    predicted = [convert(tags, model.scheme, scheme)
                 for tags in model.tag([s.tokens for s in sentences])]
    gold = [s.tags for s in sentences]
    scores = entity_scores(gold, predicted, scheme)
    strict = entity_scores(gold, predicted, scheme, mode="strict")
    scores["strict"] = {k: strict[k] for k in ("precision", "recall", "f1")}
    scores["token_accuracy"] = token_accuracy(gold, predicted)
    scores["overlap"] = overlap_scores(gold, predicted, scheme)
    if predictions_path:
        write_conll(predictions_path, sentences, predicted)
    return scores


def train_tagger(config, resume=True, verbose=1):
    """Train a tagger as a config (see `seqlab.load_config`) describes.

    Selects the model on dev F1, stops early, checkpoints every epoch into
    ``config["output"]`` and, when that directory holds an unfinished run of
    the same config, resumes it. Writes ``best.keras``, ``report.json`` and
    prediction files there.

    Returns:
        A `TaggerRun`.
    """
    plugins.require_distributions(config["plugins"]["require"])
    data, training, output = config["data"], config["training"], config["output"]
    keras.utils.set_random_seed(training["seed"])
    train = read_tagged(data["train"], data)
    dev = read_tagged(data["dev"], data)
    model_options = dict(config["model"])
    model_scheme = check_scheme(model_options.pop("scheme"))
    train_tags = [convert(s.tags, data["scheme"], model_scheme) for s in train]

    state = seqlab_callbacks.resumable_state(config, resume)
    if state:
        model = load_model(os.path.join(output, seqlab_callbacks.LAST))
        print(f"Resuming {output} after epoch {state['epoch']}.", flush=True)
    else:
        vocabulary = Vocabulary.build(
            train, config["vocabulary"]["min_count"],
            config["vocabulary"]["max_size"] or None,
            config["vocabulary"]["lowercase"], config["vocabulary"]["digits"])
        tag_names = ["O"] + sorted({t for tags in train_tags for t in tags} - {"O"})
        model = Tagger(vocabulary=vocabulary, tag_names=tag_names,
                       char_vocabulary=Vocabulary.characters(train),
                       scheme=model_scheme, **model_options)
        model.compile(optimizer=optimizer_from_config(training),
                      clipper=training["clipper"])
    os.makedirs(output, exist_ok=True)
    atomic_write(os.path.join(output, "config.json"), json.dumps(config, indent=1))

    tag_index = {t: i for i, t in enumerate(model.tag_names)}
    x = model.encode_inputs([s.tokens for s in train])
    y = [[tag_index[t] for t in tags] for tags in train_tags]
    epoch = state["epoch"] if state else 0
    batches = SequenceBatches(x, y, training["batch_size"], shuffle=True,
                              seed=training["seed"], epoch=epoch)
    checkpoint = seqlab_callbacks.DevCheckpoint(
        lambda m: entity_scores([s.tags for s in dev], [
            convert(t, m.scheme, data["scheme"]) for t in m.tag([s.tokens for s in dev])],
            data["scheme"])["f1"],
        output, training["patience"], state)
    if epoch < training["epochs"] and not (
            state and training["patience"] and state["wait"] >= training["patience"]):
        model.fit(batches, epochs=training["epochs"], initial_epoch=epoch,
                  verbose=verbose, callbacks=[
                      seqlab_callbacks.inverse_time_decay(training["learning_rate"],
                                                          training["lr_decay"]),
                      seqlab_callbacks.StopOnNaN(output), checkpoint])
    return _finish(config, output, checkpoint, dev)


def _finish(config, output, checkpoint, dev):
    data = config["data"]
    model = load_model(os.path.join(output, seqlab_callbacks.BEST))
    dev_scores = evaluate_tagger(model, dev, data["scheme"],
                                 os.path.join(output, "dev.predictions.conll"))
    test_scores = None
    if data["test"]:
        test_scores = evaluate_tagger(model, read_tagged(data["test"], data), data["scheme"],
                                      os.path.join(output, "test.predictions.conll"))
    summary = {"best_epoch": checkpoint.best_epoch, "history": checkpoint.history,
               "dev": _without_report(dev_scores), "test": _without_report(test_scores)}
    atomic_write(os.path.join(output, "report.json"), json.dumps(summary, indent=1))
    return TaggerRun(model, checkpoint.history, checkpoint.best_epoch,
                     dev_scores, test_scores, output)


def _without_report(scores):
    return None if scores is None else {k: v for k, v in scores.items() if k != "report"}
