"""Formats with one sentence per line: ``text`` and ``jsonl``."""

import json

from seqlab.data import (DataFormat, Sentence, iter_jsonl, iter_text, read_lines, token_spans,
                         tokenizer_for)


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
    """One sentence per line; reads only.

    Args:
        keep_blank_lines: as `LineFormat`.
        tokenizer: a tokenizer spec (``"treebank"``) that splits each line,
            keeping the line and each token's offsets; default: the line is
            tokenised already (split on whitespace). ``seqlab tag`` passes
            the model's tokenizer.
    """

    reads_raw_text = True

    def __init__(self, keep_blank_lines=False, tokenizer=None):
        super().__init__(keep_blank_lines)
        self.tokenizer = None if tokenizer is None else tokenizer_for(tokenizer)

    def iter_read(self, path):
        if self.tokenizer is None:
            yield from iter_text(path, self.keep_blank_lines)
            return
        for number, text in read_lines(path):
            if self.keep_blank_lines or text.strip():
                offsets = token_spans(self.tokenizer, text)
                yield Sentence([text[a:b] for a, b in offsets], None, number,
                               text=text, offsets=offsets)


class JsonlFormat(LineFormat):
    """JSON lines ``{"tokens": [...], "tags": [...]}`` (``tags`` optional)."""

    def iter_read(self, path):
        return iter_jsonl(path, self.keep_blank_lines)

    def write(self, stream, sentences, tags, scheme):
        for sentence, sentence_tags in zip(sentences, tags):
            stream.write(json.dumps({"tokens": sentence.tokens, "tags": sentence_tags}) + "\n")
