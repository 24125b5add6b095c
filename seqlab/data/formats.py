"""Data formats: the base class plugins implement, and reading and writing
by format spec.

A format is a component of kind ``readers`` (hook
``seqlab_register_readers``). The built-in ones (``conll``, ``two_column``,
``text``, ``jsonl``, ``spans_jsonl``) live in ``seqlab_builtins.formats``;
the core names none of them, so a new format is one plugin module.

Example:
    >>> sentences = read_sentences("train.txt", "conll", scheme="iob1")
    >>> data_writer("jsonl").write(sys.stdout, sentences, tags, "iob2")
"""

import json
import os

from seqlab import registry
from seqlab.data.readers import check_sentence, nonempty, read_lines, validate_tags
from seqlab.data.schemes import convert
from seqlab.errors import ConfigError, DataError


class DataFormat:
    """A file format for sentences, tagged or not.

    Subclasses implement `iter_read` (sentences one at a time, as the
    file is read: ``seqlab tag`` then streams) or `read`, and `write`
    where the format can hold predicted tags. Options (columns, field
    names) are constructor arguments: a config names a format as
    ``format = "conll"`` or ``format = {name = "conll", tag_column = 3}``.

    Attributes:
        scheme: the tag scheme `read` produces when the format itself fixes
            it (character spans are read as IOB2 tags), else None: the
            file's tags are in whatever scheme the user says.
        streams: whether `write` may be called once per batch of sentences
            and the pieces concatenated (a line per token or sentence), so
            ``seqlab tag`` writes as it tags. A format that writes one
            document (``html``) leaves it False and is given everything at once.
        line_per_sentence: whether the format reads one sentence per line
            and takes a ``keep_blank_lines`` option (read a blank line as an
            empty sentence), so ``seqlab tag`` answers input line i with
            output sentence i.
        reads_raw_text: whether the format reads untokenised text and takes
            a ``tokenizer`` option (a tokenizer spec) to split it; ``seqlab
            tag`` passes the model's, and the sentences carry ``text`` and
            ``offsets``.
        writes_confidences: whether `write` writes each entity's confidence
            where sentences carry them (``Sentence.confidences``).
    """

    scheme = None
    streams = False
    line_per_sentence = False
    reads_raw_text = False
    writes_confidences = False

    def read(self, path):
        """Read ``path`` (``"-"``: standard input) into `Sentence` objects.

        Sentences carry tags where the file has them, else ``tags=None``.
        The default collects `iter_read`.

        Raises:
            DataError: naming the file and line of malformed input, or a
                file without a sentence.
        """
        if type(self).iter_read is DataFormat.iter_read:
            raise NotImplementedError
        return nonempty(path, self.iter_read(path))

    def iter_read(self, path):
        """`read`'s sentences one at a time, as the file is read (the
        default reads the whole file first)."""
        yield from self.read(path)

    def write(self, stream, sentences, tags, scheme):
        """Write ``sentences`` with ``tags`` (one list per sentence, in
        ``scheme``) to a text stream."""
        raise NotImplementedError

    @property
    def writes(self):
        """Whether this format can write tagged sentences."""
        return type(self).write is not DataFormat.write

    @property
    def reads(self):
        """Whether this format can read files (``html`` only writes)."""
        return (type(self).read is not DataFormat.read
                or type(self).iter_read is not DataFormat.iter_read)


def data_format(spec):
    """The `DataFormat` a spec names (``"conll"``, ``{"name": "conll", ...}``)."""
    return registry.create("readers", spec)


def read_sentences(path, spec, scheme=None, tagged=True, repair=False):
    """Read a file in a registered format.

    Args:
        path: the file.
        spec: the format's name or spec.
        scheme: the tag scheme to check the tags in (and, for a format that
            fixes its own scheme, to convert them to).
        tagged: require tags on every sentence (training and evaluation).
        repair: read tags that break the scheme's transitions as conlleval
            does, with a warning (see `seqlab.data.validate_tags`), instead
            of stopping.

    Raises:
        DataError: a malformed file, a missing tag, or tags invalid in ``scheme``.
        UnknownComponentError: no such format.
    """
    reader = _reader(spec)
    sentences = reader.read(path)
    for sentence in sentences:
        check_sentence(path, sentence)
    if tagged:
        untagged = next((s for s in sentences if s.tags is None), None)
        if untagged is not None:
            name = registry.parse_spec(spec)[0]
            raise DataError(f"{path}:{untagged.line}: no tags. Training and evaluation "
                            f"need tagged sentences; the {name!r} format read none.")
    if scheme and reader.scheme:
        for sentence in sentences:
            if sentence.tags is not None:
                sentence.tags = convert(sentence.tags, reader.scheme, scheme)
    elif scheme:
        validate_tags(path, sentences, scheme, repair)
    return sentences


def iter_sentences(path, spec):
    """The sentences of a file to tag, one at a time as it is read, each
    checked (`seqlab.data.readers.check_sentence`); a file without a single
    line is refused once it has been read.

    Raises:
        DataError: a malformed line (when the reader reaches it), or no line.
        UnknownComponentError: no such format.
    """
    any_line = False
    for sentence in _reader(spec).iter_read(path):
        check_sentence(path, sentence)
        any_line = True
        yield sentence
    if not any_line:
        raise DataError(f"{path}: no sentences: the file is empty.")


def first_line(path):
    """The first line of a file that is not blank, or None."""
    return next((text for _, text in read_lines(path) if text.strip()), None)


#: The JSON-lines format a record's keys say, in the order they are tried.
JSON_LINE_KEYS = (("spans", "spans_jsonl"), ("text", "spans_jsonl"), ("tags", "jsonl"),
                  ("tokens", "jsonl"))


def json_lines_format(record):
    """``(format, key)``: the JSON-lines format a record (a parsed line) is
    in and the key that says so, or None for a record with none of
    `JSON_LINE_KEYS`."""
    if isinstance(record, dict):
        return next(((name, key) for key, name in JSON_LINE_KEYS if key in record), None)
    return None


def guess_input_format(path):
    """The format ``seqlab tag`` reads a file in when none is given:
    ``(name, why)``; ``why`` is None for plain text. A file whose first line
    is a JSON object is not text: one with ``"tokens"`` is ``jsonl``, one
    with ``"text"`` is ``spans_jsonl``. Standard input (``"-"``) is text.

    Raises:
        DataError: the first line is a JSON object with neither key.
    """
    if path == "-" or (os.path.exists(path) and not os.path.isfile(path)):
        return "text", None
    try:
        text = (first_line(path) or "").strip().lstrip("\ufeff")
    except DataError:
        return "text", None  # the reader reports the file's problem
    if not text.startswith("{"):
        return "text", None
    try:
        record = json.loads(text)
    except ValueError:
        return "text", None  # text that starts with a brace
    if not isinstance(record, dict):
        return "text", None
    found = json_lines_format(record)
    if found is None:
        raise DataError(f'{path}:1: a JSON object without "tokens" or "text", so neither '
                        f"jsonl nor spans_jsonl; say how to read the file with "
                        f"--input-format.")
    name, key = found
    return name, f'its lines are JSON objects with "{key}"'


def _reader(spec):
    reader = data_format(spec)
    if not reader.reads:
        name = registry.parse_spec(spec)[0]
        raise ConfigError(f"The {name!r} format only writes (tagged output); read "
                          f"files in one of: "
                          f"{', '.join(n for n in registry.available('readers') if data_format(n).reads)}.")
    return reader


def data_writer(spec):
    """The `DataFormat` a spec names, checked to be one that can write.

    Raises:
        ConfigError: the format reads only; the message lists those that write.
    """
    writer = data_format(spec)
    if not writer.writes:
        name = registry.parse_spec(spec)[0]
        writable = [n for n in registry.available("readers") if data_format(n).writes]
        raise ConfigError(f"The {name!r} format cannot write tagged text. Formats "
                          f"that can: {', '.join(writable)}.")
    return writer
