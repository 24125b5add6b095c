"""Reading, encoding and batching data."""

from seqlab.data.batching import SequenceBatches, bucketed_batches, pad
from seqlab.data.readers import (
    Sentence,
    read_conll,
    read_jsonl,
    read_text,
    read_two_column,
    write_conll,
)
from seqlab.data.schemes import SchemeError, convert, encode, spans, validate
from seqlab.data.vocabulary import Vocabulary, normalise

__all__ = [
    "Sentence", "SchemeError", "SequenceBatches", "Vocabulary", "bucketed_batches",
    "convert", "encode", "normalise", "pad", "read_conll", "read_jsonl",
    "read_text", "read_two_column", "spans", "validate", "write_conll",
]
