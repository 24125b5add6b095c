"""Scoring text with a language model: perplexity of a stream (the state
carried across windows, as in training) and log-probabilities of sentences.
"""

import math
import warnings

import keras
import numpy as np

from seqlab.data.corpus import EOS, check_vocabulary, corpus_ids, read_corpus, split_units
from seqlab.data.vocabulary import UNK
from seqlab.errors import ConfigError, DataError, SeqlabWarning
from seqlab.models.base import cached_helper
from seqlab.validation import check_positive_int

#: `sentence_log_probs` warns about sentences with more unknown words than this.
HIGH_UNK_SHARE = 0.2


class _StreamScorer(keras.Model):
    """One compiled step of scoring: log p(y_t | history) and the final
    states, from given states. Shares the language model's weights and is
    neither tracked nor saved by it."""

    def __init__(self, lm):
        super().__init__(name=f"{lm.name}_scorer")
        self.lm = lm
        self.sizes = lm.decoder.state_sizes()

    def call(self, inputs):
        x, y, *flat = inputs
        states, k = [], 0
        for layer in self.sizes:
            states.append(flat[k:k + len(layer)])
            k += len(layer)
        log_probs, final = self.lm.token_log_probs(x, y, initial_state=states,
                                                   return_state=True)
        return [log_probs] + [s for layer in final for s in layer]


def _scorer(model):
    """The model's `_StreamScorer`, made once: its compiled predict step is
    reused by every evaluation (each epoch's dev perplexity included)."""
    return cached_helper(model, "_seqlab_scorer", _StreamScorer)


def _eval_rows(ids, batch_size):
    """Split the predictions of a stream into ``batch_size`` contiguous rows.

    ``ids`` is preceded by ``<eos>`` (the end of an imagined previous
    sentence) so that every token of the text is predicted once. Returns
    right-padded ``(inputs, targets)`` of shape ``(rows, length)``.
    """
    batch_size = max(1, min(batch_size, len(ids) - 1))
    bounds = np.linspace(0, len(ids) - 1, batch_size + 1).astype(int)
    length = int(np.max(np.diff(bounds)))
    x = np.zeros((batch_size, length), "int32")
    y = np.zeros((batch_size, length), "int32")
    for row, (start, end) in enumerate(zip(bounds[:-1], bounds[1:])):
        x[row, :end - start] = ids[start:end]
        y[row, :end - start] = ids[start + 1:end + 1]
    return x, y


def stream_log_likelihood(model, ids, batch_size=20, num_steps=35, eos_id=None):
    """Total log-likelihood (natural log) of a stream of word ids.

    The stream is cut into ``batch_size`` contiguous parts read in windows
    of ``num_steps``, the hidden state carried across windows (as in
    training); every token is predicted exactly once.

    Returns:
        ``(total_log_prob, num_tokens)``.
    """
    check_positive_int("batch_size", batch_size)
    check_positive_int("num_steps", num_steps)
    ids = np.asarray(ids, "int32")
    if len(ids) == 0:
        raise DataError("Cannot score an empty text.")
    if eos_id is None:
        eos_id = eos_token_id(model)
    x, y = _eval_rows(np.concatenate([[eos_id], ids]).astype("int32"), batch_size)
    scorer = _scorer(model)
    states = [np.zeros((x.shape[0], size), "float32")
              for layer in scorer.sizes for size in layer]
    total = 0.0
    width = x.shape[1]
    padded = math.ceil(width / num_steps) * num_steps
    x = np.pad(x, ((0, 0), (0, padded - width)))
    y = np.pad(y, ((0, 0), (0, padded - width)))
    for start in range(0, padded, num_steps):
        xs, ys = x[:, start:start + num_steps], y[:, start:start + num_steps]
        log_probs, *states = scorer.predict_on_batch([xs, ys, *states])
        total += float(np.sum(np.where(ys > 0, log_probs, 0.0), dtype=np.float64))
    return total, int(np.sum(y > 0))


def perplexity(model, ids, batch_size=20, num_steps=35):
    """Perplexity of a language model on a stream of word ids.

    Returns:
        A dict: ``perplexity`` (exp of the mean negative log-likelihood per
        token), ``bits`` (its base-2 log: the cross-entropy in bits per
        word), ``nll`` (mean negative log-likelihood, nats) and ``tokens``.
    """
    total, count = stream_log_likelihood(model, ids, batch_size, num_steps)
    nll = -total / count
    return {"perplexity": math.exp(nll) if nll < 700 else math.inf,
            "bits": nll / math.log(2),
            "nll": nll, "tokens": count}


def text_perplexity(model, path, batch_size=20, num_steps=35):
    """`perplexity` of a saved model on a corpus file, read in its vocabulary.

    The result has `perplexity`'s keys and ``unk_share``: the share of the
    text's words outside the model's vocabulary (scored as ``<unk>``).

    Raises:
        DataError: the file is missing, empty or not UTF-8, or its words are
            mostly outside the model's vocabulary.
    """
    vocabulary = model_vocabulary(model)
    unit = model.unit
    sentences = read_corpus(path, unit=unit, direction=model.direction)
    ids = corpus_ids(sentences, vocabulary)
    unknown = check_vocabulary(vocabulary, sentences, ids, path, unit=unit)
    scores = perplexity(model, ids, batch_size, num_steps)
    scores["unk_share"] = unknown / max(sum(len(s) for s in sentences), 1)
    scores["unit"] = unit
    return scores


def sentence_log_probs(model, sentences):
    """log p(sentence) for each sentence: its words and the final ``<eos>``,
    each predicted from the words before it (the first from ``<eos>``).

    Args:
        sentences: strings (split on whitespace, or into characters for a
            character model) or token lists (in reading order: a backward
            model reverses them).

    Returns:
        A list of dicts: ``sentence``, ``log_prob`` (natural log),
        ``log10_prob``, ``tokens``, ``perplexity`` and ``unk_share`` (the
        share of its words outside the model's vocabulary, scored as
        ``<unk>``). A `SeqlabWarning` says how many sentences have a share
        above `HIGH_UNK_SHARE`: ``<unk>`` is one frequent word to the model,
        so such sentences get perplexities that cannot be compared with
        others' (a line of unknown words can beat real text).
    """
    vocabulary = model_vocabulary(model)
    eos = eos_token_id(model)
    unit, backward = model.unit, model.direction == "backward"
    token_lists = [split_units(s, unit) if isinstance(s, str) else list(s) for s in sentences]
    rows = [[eos] + vocabulary.ids(tokens[::-1] if backward else tokens) + [eos]
            for tokens in token_lists]
    width = max(len(r) for r in rows) - 1
    x = np.zeros((len(rows), width), "int32")
    y = np.zeros((len(rows), width), "int32")
    for i, row in enumerate(rows):
        x[i, :len(row) - 1], y[i, :len(row) - 1] = row[:-1], row[1:]
    log_probs = np.asarray(model.token_log_probs(x, y))
    results = []
    for i, tokens in enumerate(token_lists):
        n = len(rows[i]) - 1
        total = float(np.sum(log_probs[i, :n], dtype=np.float64))
        unknown = rows[i][1:-1].count(vocabulary.index[UNK])
        results.append({"sentence": ("" if unit == "char" else " ").join(tokens),
                        "log_prob": total,
                        "log10_prob": total / math.log(10), "tokens": n,
                        "perplexity": math.exp(-total / n),
                        "unk_share": unknown / max(len(tokens), 1)})
    high = sum(r["unk_share"] > HIGH_UNK_SHARE for r in results)
    if high:
        warnings.warn(
            f"{high} of {len(results)} sentences have more than "
            f"{100 * HIGH_UNK_SHARE:.0f}% words outside the model's vocabulary "
            f"(scored as <unk>, see unk_share); their perplexities cannot be "
            f"compared with other sentences'.", SeqlabWarning, stacklevel=2)
    return results


def model_vocabulary(model):
    """The model's vocabulary, or a `ConfigError` saying how to get one."""
    if getattr(model, "vocabulary", None) is None:
        raise ConfigError("This language model has no vocabulary (it was built "
                          "from vocab_size alone), so it cannot read words. "
                          "Train it with `seqlab lm train` or pass vocabulary=.")
    return model.vocabulary


def eos_token_id(model):
    """The id of ``<eos>`` in the model's vocabulary."""
    vocabulary = getattr(model, "vocabulary", None)
    if vocabulary is None or EOS not in vocabulary.index:
        raise ConfigError(f"The model's vocabulary has no {EOS} token: it was "
                          f"not trained on sentences ending in {EOS}.")
    return vocabulary.index[EOS]
