"""Plain-text corpora for language models: reading, ids, and the stream
batching of Zaremba et al. (2014).

A corpus file has one sentence per line, tokens separated by whitespace;
``<eos>`` is appended to every line, so the model also predicts sentence
ends (the Penn Treebank setup of Mikolov et al.). A character-level model
(unit ``"char"``) reads every character of a line instead, spaces and case
kept, ``<eos>`` standing for the line break; a backward model reads each
line reversed.
"""

import collections
import os

import numpy as np

from seqlab.data.readers import read_lines
from seqlab.data.vocabulary import UNK, Vocabulary
from seqlab.errors import DataError

EOS = "<eos>"
#: What a language model's tokens are: words (split on whitespace) or characters.
UNITS = ("word", "char")
#: Which way a language model reads a line.
DIRECTIONS = ("forward", "backward")


def split_units(text, unit="word", direction="forward"):
    """A line's tokens as a model of ``unit`` reads them: its words, or
    every character (spaces and case kept); reversed for a ``backward``
    model."""
    tokens = text.split() if unit == "word" else list(text)
    return tokens[::-1] if direction == "backward" else tokens


def read_corpus(path, eos=EOS, unit="word", direction="forward"):
    """Read a corpus: a list of sentences (token lists), each ending in ``eos``.

    Args:
        unit: ``"word"`` (tokens split on whitespace) or ``"char"`` (every
            character of the line).
        direction: ``"backward"`` reverses each line (``eos`` still ends it).

    Blank lines are skipped. Raises `DataError` for a missing, empty or
    non-UTF-8 file (naming the line).
    """
    path = os.fspath(path)
    sentences = [split_units(text, unit, direction) + ([eos] if eos else [])
                 for _, text in read_lines(path) if text.strip()]
    if not sentences:
        raise DataError(f"{path}: no sentences: the file is empty. A corpus "
                        f"has one sentence per line.")
    return sentences


def build_vocabulary(sentences, max_size=None, min_count=1, unit="word"):
    """A vocabulary of the corpus's words (or characters), most frequent first.

    Words seen fewer than ``min_count`` times, or beyond the ``max_size``
    most frequent, become ``<unk>`` (id 1). A corpus that already writes
    ``<unk>`` (the Penn Treebank does) maps it to the same id. Characters
    that cannot be printed (tabs, control characters) are ``<unk>`` too.
    """
    counts = collections.Counter(t for s in sentences for t in s)
    counts.pop("<unk>", None)
    kept = [t for t, c in counts.most_common() if c >= min_count
            and (unit == "word" or t == EOS or t.isprintable())]
    return Vocabulary(kept[:max_size] if max_size else kept)


def corpus_ids(sentences, vocabulary):
    """The corpus as one int32 stream of word ids."""
    return np.asarray([i for s in sentences for i in vocabulary.ids(s)], dtype="int32")


def word_counts(ids, vocab_size):
    """Unigram count of every id (for frequency-binned word classes)."""
    return np.bincount(ids, minlength=vocab_size)


def check_vocabulary(model_vocabulary, sentences, ids, path, limit=0.5, unit="word"):
    """Raise `DataError` when a text looks like it was not written in the
    model's vocabulary: more than ``limit`` of its words (``ids``, from
    `corpus_ids`) unknown, not counting the ``<unk>`` the text writes itself.

    Returns:
        How many of ``ids`` are ``<unk>`` (those the text writes included).
    """
    if len(ids) == 0:
        return 0
    unknown = int(np.sum(np.asarray(ids) == model_vocabulary.index[UNK]))
    explicit = sum(1 for s in sentences for t in s if t == UNK)
    share = (unknown - explicit) / len(ids)
    if share > limit:
        kind = "character" if unit == "char" else "word"
        raise DataError(
            f"{path}: {100 * share:.0f}% of its {kind}s are not in the model's "
            f"{len(model_vocabulary)}-{kind} vocabulary; the text and the model "
            f"do not match (another language, tokenisation or corpus?). Train "
            f"a model on this kind of text, or check the file.")
    return unknown


def check_windows(num_tokens, batch_size, num_steps, where="A stream"):
    """Refuse a stream too short for one window of ``batch_size`` streams x
    ``num_steps`` steps (checked when the data is read, before any model
    is built).

    Raises:
        DataError: naming ``where`` (a file, say) and what would fit.
    """
    if (num_tokens // batch_size - 1) // num_steps < 1:
        fits = max(num_tokens // batch_size - 1, 0)
        raise DataError(
            f"{where} of {num_tokens:,} tokens is too short for one window of "
            f"{batch_size} streams x {num_steps} steps (needs at least "
            f"{batch_size * (num_steps + 1):,} tokens; with batch_size = {batch_size} "
            f"num_steps can be at most {fits:,}). Use a smaller training.batch_size "
            f"or training.num_steps, or more text.")


def stream_windows(ids, batch_size, num_steps):
    """Cut a stream into ``batch_size`` parallel streams and unrolled windows.

    As Zaremba et al. (2014) do: the stream is trimmed to a multiple of
    ``batch_size`` and laid out as ``batch_size`` rows; window ``k`` holds
    columns ``k*num_steps .. (k+1)*num_steps`` of every row, and its
    targets are the same columns shifted by one. Window ``k+1`` of row
    ``b`` continues window ``k`` of row ``b``, so the hidden state can be
    carried from one to the next.

    Returns:
        ``(x, y)``, int32 arrays of shape ``(num_windows * batch_size,
        num_steps)``; rows ``k*batch_size .. (k+1)*batch_size`` are window
        ``k``. Feed them in order (``shuffle=False``, ``batch_size``).

    Raises:
        DataError: the stream is too short for one window.
    """
    ids = np.asarray(ids, dtype="int32")
    check_windows(len(ids), batch_size, num_steps)
    row_length = len(ids) // batch_size
    num_windows = (row_length - 1) // num_steps
    rows = ids[:batch_size * row_length].reshape(batch_size, row_length)
    span = num_windows * num_steps
    x = rows[:, :span].reshape(batch_size, num_windows, num_steps)
    y = rows[:, 1:span + 1].reshape(batch_size, num_windows, num_steps)
    return (np.ascontiguousarray(x.transpose(1, 0, 2).reshape(-1, num_steps)),
            np.ascontiguousarray(y.transpose(1, 0, 2).reshape(-1, num_steps)))
