"""Formats with one sentence per line: ``text`` and ``jsonl``."""

import json

from seqlab.data import DataFormat, iter_jsonl, iter_text


class LineFormat(DataFormat):
    """A format with one sentence per line.

    Args:
        keep_blank_lines: read a blank line as an empty sentence instead of
            skipping it (``seqlab tag`` does, so that output line ``i``
            answers input line ``i``).
    """

    streams = True
    line_per_sentence = True

    def __init__(self, keep_blank_lines=False):
        self.keep_blank_lines = keep_blank_lines


class TextFormat(LineFormat):
    """One tokenised sentence per line (tokens split on whitespace); reads only."""

    def iter_read(self, path):
        return iter_text(path, self.keep_blank_lines)


class JsonlFormat(LineFormat):
    """JSON lines ``{"tokens": [...], "tags": [...]}`` (``tags`` optional)."""

    def iter_read(self, path):
        return iter_jsonl(path, self.keep_blank_lines)

    def write(self, stream, sentences, tags, scheme):
        for sentence, sentence_tags in zip(sentences, tags):
            stream.write(json.dumps({"tokens": sentence.tokens, "tags": sentence_tags}) + "\n")
