"""Reading, encoding and batching data.

Batching (a `keras.utils.PyDataset`) is imported on first use, so reading
files imports no Keras.
"""

import importlib

from seqlab.data.formats import (DataFormat, data_format, data_writer, iter_sentences,
                                 read_sentences)
from seqlab.data.readers import (
    Sentence,
    check_sentence,
    iter_conll,
    iter_jsonl,
    iter_text,
    read_conll,
    read_jsonl,
    read_lines,
    read_text,
    read_two_column,
    token_problem,
    validate_tags,
    write_conll,
)
from seqlab.data.tokenizers import Tokenizer, token_spans, tokenizer_for
from seqlab.data.schemes import SchemeError, convert, encode, spans, validate
from seqlab.data.vocabulary import Vocabulary, normalise
from seqlab.data.corpus import EOS

__all__ = [
    "DataFormat", "EOS", "Sentence", "SchemeError", "SequenceBatches", "Stream", "Tokenizer",
    "Vocabulary",
    "bucketed_batches", "check_sentence", "convert", "data_format", "data_writer", "encode",
    "iter_conll", "iter_jsonl", "iter_sentences", "iter_text", "normalise", "pad",
    "read_conll", "read_jsonl", "read_lines", "read_sentences", "read_text",
    "read_two_column", "spans", "token_problem", "token_spans", "tokenizer_for", "validate", "validate_tags", "write_conll",
]


def __getattr__(name):
    if name in ("SequenceBatches", "Stream", "bucketed_batches", "pad"):
        value = getattr(importlib.import_module("seqlab.data.batching"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'seqlab.data' has no attribute {name!r}")
