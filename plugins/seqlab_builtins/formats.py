"""Built-in data formats: conll, two_column, text, jsonl, spans_jsonl, and
html (output only)."""

import html
import json
import re

import seqlab
from seqlab.data import (DataFormat, Sentence, encode, iter_conll, iter_jsonl, iter_text,
                         read_conll, read_lines, spans, token_problem)


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


_TOKEN = re.compile(r"\S+")


def whitespace_tokens(text, cuts=()):
    """``(start, end)`` of each whitespace-separated token of ``text``,
    a token also split at each offset in ``cuts`` that falls inside it."""
    offsets = []
    for match in _TOKEN.finditer(text):
        inner = sorted(c for c in set(cuts) if match.start() < c < match.end())
        bounds = [match.start(), *inner, match.end()]
        offsets += list(zip(bounds[:-1], bounds[1:]))
    return offsets


class SpansJsonlFormat(LineFormat):
    """spaCy-style JSON lines: ``{"text": ..., "spans": [{"start", "end",
    "label"}]}`` with character offsets (end exclusive).

    Text is split on whitespace, and a token is also split where an entity
    starts or ends inside it (``"Paris,"`` with an entity ``Paris``), so
    every entity is a whole number of tokens. Entities are read as IOB2
    tags; a line without ``"spans"`` is untagged text. Writes the same
    shape, offsets pointing into the original text.
    """

    scheme = "iob2"

    def iter_read(self, path):
        for number, text in read_lines(path):
            if text.strip():
                yield self._sentence(path, number, text)
            elif self.keep_blank_lines:
                yield Sentence([], None, number, text="", offsets=[])

    def _sentence(self, path, number, line):
        where = f"{path}:{number}"
        try:
            record = json.loads(line)
        except (json.JSONDecodeError, RecursionError) as error:
            reason = getattr(error, "msg", "nested too deeply")
            raise seqlab.DataError(f"{where}: not JSON: {reason}.") from None
        text = record.get("text") if isinstance(record, dict) else None
        if not isinstance(text, str) or not text.strip():
            raise seqlab.DataError(f'{where}: expected an object with a non-empty "text" string.')
        entities = _entities(where, text, record.get("spans"))
        cuts = [offset for _, start, end in entities or () for offset in (start, end)]
        offsets = whitespace_tokens(text, cuts)
        tokens = [text[start:end] for start, end in offsets]
        tags = None
        if entities is not None:
            starts = {start: i for i, (start, _) in enumerate(offsets)}
            ends = {end: i + 1 for i, (_, end) in enumerate(offsets)}
            tags = encode([(label, starts[start], ends[end]) for label, start, end in entities],
                          len(tokens), self.scheme)
        return Sentence(tokens, tags, number, text=text, offsets=offsets)

    def write(self, stream, sentences, tags, scheme):
        for sentence, sentence_tags in zip(sentences, tags):
            text, offsets = sentence.text, sentence.offsets
            if text is None:
                text = " ".join(sentence.tokens)
                offsets = whitespace_tokens(text)
            found = [{"start": offsets[start][0], "end": offsets[end - 1][1], "label": label}
                     for label, start, end in spans(sentence_tags, scheme)]
            stream.write(json.dumps({"text": text, "spans": found}) + "\n")


class HtmlFormat(DataFormat):
    """Tagged text as one self-contained HTML page (writes only): each
    sentence a paragraph, each entity a ``<mark>`` coloured by its type with
    the type after it, and a legend. No scripts, no external files.
    """

    PALETTE = ("#fbd38d", "#9ae6b4", "#90cdf4", "#fbb6ce", "#d6bcfa", "#feb2b2",
               "#b2f5ea", "#e2e8a0", "#cbd5e0", "#f6ad55")

    def write(self, stream, sentences, tags, scheme):
        found = [spans(sentence_tags, scheme) for sentence_tags in tags]
        kinds = sorted({kind for entities in found for kind, _, _ in entities})
        colours = {kind: self.PALETTE[i % len(self.PALETTE)] for i, kind in enumerate(kinds)}
        style = "".join(f"mark.ent[data-type=\"{html.escape(k)}\"]{{background:{c}}}"
                        for k, c in colours.items())
        stream.write(
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<title>seqlab: tagged text</title><style>"
            "body{font:16px/1.9 system-ui,sans-serif;margin:2em;max-width:60em}"
            "mark.ent{padding:.1em .3em;border-radius:.3em;color:#1a202c}"
            "mark.ent .type{font-size:.65em;font-weight:700;margin-left:.4em;"
            "text-transform:uppercase;opacity:.75}"
            "p.sentence{margin:.3em 0;min-height:1.9em}ul.legend{list-style:none;padding:0}"
            "ul.legend li{display:inline-block;margin-right:1em}"
            f"{style}</style></head><body>\n")
        stream.write("<ul class=\"legend\">" + "".join(
            f"<li><mark class=\"ent\" data-type=\"{html.escape(k)}\">{html.escape(k)}</mark> "
            f"{sum(kind == k for entities in found for kind, _, _ in entities)}</li>"
            for k in kinds) + "</ul>\n")
        for sentence, entities in zip(sentences, found):
            starts = {start: (kind, end) for kind, start, end in entities}
            parts, i = [], 0
            tokens = sentence.tokens
            while i < len(tokens):
                if i in starts:
                    kind, end = starts[i]
                    words = html.escape(" ".join(tokens[i:end]))
                    parts.append(f"<mark class=\"ent\" data-type=\"{html.escape(kind)}\">"
                                 f"{words}<span class=\"type\">{html.escape(kind)}</span></mark>")
                    i = end
                else:
                    parts.append(html.escape(tokens[i]))
                    i += 1
            stream.write(f"<p class=\"sentence\">{' '.join(parts)}</p>\n")
        stream.write("</body></html>\n")


def _entities(where, text, records):
    """``(label, start, end)`` of each span record, checked; None without spans."""
    if records is None:
        return None
    if not isinstance(records, list):
        raise seqlab.DataError(f'{where}: "spans" must be a list of '
                               f'{{"start", "end", "label"}} objects.')
    entities = []
    for record in records:
        start, end, label = (record.get(k) if isinstance(record, dict) else None
                             for k in ("start", "end", "label"))
        if not (_is_int(start) and _is_int(end) and token_problem(label) is None):
            raise seqlab.DataError(f'{where}: a span needs integer "start" and "end" '
                                   f'and a "label" without whitespace or control '
                                   f'characters. Received: {record!r:.120}')
        if not 0 <= start < end <= len(text) or not text[start:end].strip():
            raise seqlab.DataError(
                f"{where}: span [{start}, {end}) {label} does not cover text: the "
                f"text has {len(text)} characters.")
        entities.append((label, start, end))
    entities.sort(key=lambda entity: entity[1])
    for (label, start, end), (other, next_start, _) in zip(entities, entities[1:]):
        if next_start < end:
            raise seqlab.DataError(
                f"{where}: spans [{start}, {end}) {label} and {other} starting at "
                f"{next_start} overlap; BIO tags hold one entity per token.")
    return [(label, *_trimmed(text, start, end)) for label, start, end in entities]


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)  # true is not offset 1


def _trimmed(text, start, end):
    """A span without leading and trailing whitespace."""
    covered = text[start:end]
    return (start + len(covered) - len(covered.lstrip()),
            end - (len(covered) - len(covered.rstrip())))


def conll(token_column=0, tag_column=-1):
    """CoNLL column files (CoNLL-2003: ``scheme = "iob1"``, tags in the last column)."""
    return ConllFormat(token_column, tag_column)


def two_column(token_column=0, tag_column=1):
    """``token TAG`` lines: CoNLL columns with the tag in column 1."""
    return ConllFormat(token_column, tag_column)


@seqlab.hookimpl
def seqlab_register_readers(register):
    register("conll", conll)
    register("two_column", two_column)
    register("text", TextFormat)
    register("jsonl", JsonlFormat)
    register("spans_jsonl", SpansJsonlFormat)
    register("html", HtmlFormat)
