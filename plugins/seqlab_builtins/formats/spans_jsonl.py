"""The ``spans_jsonl`` format: text with character-offset entity spans."""

import json
import re

import seqlab
from seqlab.data import (Sentence, encode, read_lines, spans, token_problem, token_spans,
                         tokenizer_for)
from seqlab_builtins.formats.lines import LineFormat

_TOKEN = re.compile(r"\S+")


def whitespace_tokens(text, cuts=()):
    """``(start, end)`` of each whitespace-separated token of ``text``,
    a token also split at each offset in ``cuts`` that falls inside it."""
    return cut([match.span() for match in _TOKEN.finditer(text)], cuts)


def cut(offsets, cuts):
    """Token ``offsets`` with each token also split at each offset in
    ``cuts`` that falls inside it (so every entity is whole tokens)."""
    result = []
    for start, end in offsets:
        inner = sorted(c for c in set(cuts) if start < c < end)
        bounds = [start, *inner, end]
        result += list(zip(bounds[:-1], bounds[1:]))
    return result


class SpansJsonlFormat(LineFormat):
    """spaCy-style JSON lines: ``{"text": ..., "spans": [{"start", "end",
    "label"}]}`` with character offsets (end exclusive).

    Text is split by ``tokenizer`` (a tokenizer spec; default: on
    whitespace), and a token is also split where an entity starts or ends
    inside it (``"Paris,"`` with an entity ``Paris``), so every entity is
    a whole number of tokens. Entities are read as IOB2 tags; a line
    without ``"spans"`` is untagged text. Writes the same shape, offsets
    pointing into the original text, with each span's ``confidence``
    where the tagger gave them (``seqlab tag --confidence``).
    """

    scheme = "iob2"
    reads_raw_text = True
    writes_confidences = True

    def __init__(self, keep_blank_lines=False, tokenizer=None):
        super().__init__(keep_blank_lines)
        self.tokenizer = None if tokenizer is None else tokenizer_for(tokenizer)

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
        offsets = (whitespace_tokens(text, cuts) if self.tokenizer is None
                   else cut(token_spans(self.tokenizer, text), cuts))
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
            confidences = sentence.confidences or {}
            found = [{"start": offsets[start][0], "end": offsets[end - 1][1], "label": label,
                      **({"confidence": round(confidences[start, end], 6)}
                         if (start, end) in confidences else {})}
                     for label, start, end in spans(sentence_tags, scheme)]
            stream.write(json.dumps({"text": text, "spans": found}) + "\n")


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
