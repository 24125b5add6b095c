"""The ``column_embedding`` encoder: a vector for the value of another column
of each token's line (the part-of-speech column of CoNLL-2000 and
CoNLL-2003, say), as feature columns are read by NCRF++ and by the
CoNLL shared tasks' systems."""

import collections

import keras

import seqlab
from seqlab.data import Vocabulary
from seqlab.layers import TokenEncoder


@keras.saving.register_keras_serializable(package="seqlab")
class ColumnEmbedding(TokenEncoder):
    """An embedding of one column's values (``<unk>`` for values not seen in
    training).

    Args:
        column: the field of each token's line it reads (0 is the first).
        values: the column's values the embedding has rows for.
        dim: the embedding's width.
    """

    input_name = "text"
    reads_columns = True

    def __init__(self, column, values, dim=20, **kwargs):
        super().__init__(**kwargs)
        self.column, self.dim = int(column), int(dim)
        self.values = list(values)
        self.vocabulary = Vocabulary(self.values)
        self.embedding = keras.layers.Embedding(len(self.vocabulary), self.dim,
                                                name="column_embedding")

    @property
    def key(self):
        return f"column_{self.column}"

    @property
    def input_keys(self):
        return (self.key,)

    def encode(self, sentences, rows=None):
        """Each token's value id in ``column``; ``rows`` gives each token's
        fields (a sentence's row None: the empty sentence's stand-in)."""
        if rows is None:
            raise seqlab.ConfigError(
                f"column_embedding reads field {self.column} of each token's line: "
                f"encode(sentences, rows) needs the rows.")
        index, ids = self.vocabulary.index, []
        for number, sentence_rows in enumerate(rows):
            line = []
            for position, row in enumerate(sentence_rows):
                if row is None:
                    line.append(1)
                    continue
                if len(row) <= self.column:
                    raise seqlab.DataError(
                        f"Sentence {number}, token {position} ({row[0]!r}) has "
                        f"{len(row)} field{'s' if len(row) != 1 else ''}, but this tagger's "
                        f"column_embedding reads field {self.column} (0 is the first): "
                        f"give each token the columns its training data had.")
                line.append(index.get(row[self.column], 1))
            ids.append(line)
        return {self.key: ids}

    def call(self, inputs, training=None):
        return self.embedding(inputs[self.key])

    def compute_output_shape(self, input_shape):
        return (None, None, self.dim)

    def saved_options(self):
        return {"values": self.values}

    def get_config(self):
        return {**super().get_config(), "column": self.column, "values": self.values,
                "dim": self.dim}


def column_embedding(context, column=1, dim=20, min_count=1, values=None):
    """A ``dim``-wide vector for the value of field ``column`` of each
    token's line (0 is the first field; in CoNLL-2000's ``token POS chunk``
    lines, 1 is the part of speech).

    Args:
        column: the field to read. A column that equals the training
            data's tags (at 99% of tokens or more) is refused: it would hand
            the model the answer.
        dim: the embedding's width.
        min_count: values seen fewer times in training map to ``<unk>``.
        values: set by a saved tagger (the values it has rows for), not by
            hand.

    The values are counted on the training data (read from a column
    file), so the tagger must be trained with `seqlab.train_tagger` or
    ``seqlab train``; tagging then needs the same columns: CoNLL files,
    or sentences given as rows of fields.
    """
    for name, value, low in (("column", column, 0), ("dim", dim, 1),
                             ("min_count", min_count, 1)):
        if not isinstance(value, int) or isinstance(value, bool) or value < low:
            raise seqlab.ConfigError(f"column_embedding {name} must be an integer >= {low}. "
                                     f"Received: {name}={value!r}")
    if values is None:
        values = _count(context.sentences, column, min_count)
    return ColumnEmbedding(column, values, dim)


def _count(sentences, column, min_count):
    if sentences is None:
        raise seqlab.ConfigError(
            "column_embedding counts its column's values on the training data: build "
            "the tagger with seqlab.train_tagger or seqlab train (or pass "
            "train_sentences= to seqlab.Tagger).")
    counts, same, total = collections.Counter(), 0, 0
    for sentence in sentences:
        if sentence.columns is None:
            raise seqlab.ConfigError(
                f"column_embedding reads field {column} of each token's line, but the "
                f"training data has no columns (line {sentence.line}): it reads CoNLL "
                f"files (data.format = \"conll\").")
        for row, tag in zip(sentence.columns, sentence.tags or [None] * len(sentence.columns)):
            if column >= len(row):
                raise seqlab.ConfigError(
                    f"column_embedding column = {column} is out of range: the training "
                    f"data's lines have {len(row)} fields (line {sentence.line}: "
                    f"{' '.join(row)!r}); 0 is the first.")
            counts[row[column]] += 1
            same += row[column] == tag
            total += 1
    if total and same >= 0.99 * total:  # (repaired tags may differ in a few places)
        raise seqlab.ConfigError(
            f"column_embedding column = {column} holds the training data's tags: the "
            f"model would read the answer. Choose another column (the part of speech "
            f"is 1 in CoNLL-2000 and CoNLL-2003 files).")
    return [value for value, count in counts.most_common() if count >= min_count]
