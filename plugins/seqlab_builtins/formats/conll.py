"""CoNLL column files: the ``conll`` and ``two_column`` formats."""

from seqlab.data import DataFormat, iter_conll, read_conll


class ConllFormat(DataFormat):
    """CoNLL columns: a token per line, blank lines between sentences.

    A file with one column is untagged text (what ``seqlab tag`` reads).
    Writes ``token TAG`` lines.

    Args:
        token_column: index of the token column.
        tag_column: index of the tag column (negative counts from the end).
    """

    streams = True

    def __init__(self, token_column=0, tag_column=-1):
        self.token_column, self.tag_column = token_column, tag_column

    def read(self, path):
        return read_conll(path, self.token_column, self.tag_column, require_tags=False)

    def iter_read(self, path):
        return iter_conll(path, self.token_column, self.tag_column, require_tags=False)

    def write(self, stream, sentences, tags, scheme):
        for sentence, sentence_tags in zip(sentences, tags):
            stream.write("".join(f"{t} {g}\n" for t, g in zip(sentence.tokens, sentence_tags))
                         + "\n")


def conll(token_column=0, tag_column=-1):
    """CoNLL column files (CoNLL-2003: ``scheme = "iob1"``, tags in the last column)."""
    return ConllFormat(token_column, tag_column)


def two_column(token_column=0, tag_column=1):
    """``token TAG`` lines: CoNLL columns with the tag in column 1."""
    return ConllFormat(token_column, tag_column)
