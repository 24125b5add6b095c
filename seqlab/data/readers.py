"""Readers: CoNLL column files, two-column ``token TAG`` files, raw text,
JSON lines.

Every reader returns a list of `Sentence` and reports bad input as a
`DataError` naming the file, the line and what was expected. Commands reach
them through the data formats that ``seqlab_builtins.formats`` registers
(see `seqlab.data.DataFormat`).
"""

import codecs
import dataclasses
import json
import os
import re
import sys
import warnings

from seqlab.data.schemes import PREFIXES, SchemeError, check_scheme, convert, split_tag, validate
from seqlab.errors import DataError, SeqlabWarning
from seqlab.io import atomic_write

DOCSTART = "-DOCSTART-"


@dataclasses.dataclass
class Sentence:
    """One sentence.

    Attributes:
        tokens: the tokens.
        tags: one tag per token, or None for unlabelled text.
        line: 1-based line of the first token in its file (0 if not from a file).
        document: index of the document the sentence belongs to.
        lines: the line of each token, where tokens stand on lines of their
            own (CoNLL files); None where the sentence is one line.
        text: the untokenised text, where the file gave it.
        offsets: ``(start, end)`` character offsets of each token in
            ``text``, where the file gave the text.
        confidences: ``{(token_start, token_end): probability}`` of each
            predicted entity, where the tagger was asked for them
            (``seqlab tag --confidence``); writers that can, write them.
        columns: each token's line split into its fields (token and tag
            included, in the file's order), where the file has columns
            (CoNLL files): what ``column_embedding`` reads (a POS column,
            say). Not compared by ``==``.
    """

    tokens: list
    tags: list = None
    line: int = 0
    document: int = 0
    lines: list = None
    text: str = None
    offsets: list = None
    confidences: dict = None
    columns: list = dataclasses.field(default=None, compare=False, repr=False)

    def line_of(self, position):
        """The file line of the token at ``position``."""
        return self.lines[position] if self.lines else self.line


#: Whitespace (as `str.isspace` has it) and the control characters (Cc).
_UNPRINTABLE = re.compile(r"[\s\x00-\x1f\x7f-\x9f]")


def token_problem(text):
    """Why ``text`` cannot be a token (or a tag) of line-oriented data, or None.

    A token is one field of a CoNLL line and one word of a text line: it is
    not empty and holds no whitespace (a line break, a tab, a no-break
    space) and no control character. Anything else, printed into output
    that has a token per line or column, would add or split lines.
    """
    if not isinstance(text, str):
        return f"is a {type(text).__name__}, not a string"
    if not text:
        return "is empty"
    bad = _UNPRINTABLE.search(text)
    if bad is not None:
        return f"holds {_character_name(bad.group())}"
    return None


def _character_name(character):
    names = {"\n": "a line break", "\r": "a carriage return", "\t": "a tab", " ": "a space"}
    if character in names:
        return names[character]
    kind = "whitespace" if character.isspace() else "a control character"
    return f"{kind} (U+{ord(character):04X})"


def check_sentence(path, sentence):
    """Check a read sentence: every token and tag a string `token_problem`
    accepts, one tag per token.

    Raises:
        DataError: naming the file, the line and the token.
    """
    for position, token in enumerate(sentence.tokens):
        problem = token_problem(token)
        if problem:
            raise DataError(
                f"{path}:{sentence.line_of(position)}: token {position + 1} ({token!r}) "
                f"{problem}. Tokens are non-empty and hold no whitespace or control "
                f"characters (output has a token per line or column).")
    tags = sentence.tags
    if tags is None:
        return
    if not isinstance(tags, list) or len(tags) != len(sentence.tokens):
        count = f"{len(tags)} tags" if isinstance(tags, list) else f"tags that are not a list"
        raise DataError(f"{path}:{sentence.line}: {count} for {len(sentence.tokens)} tokens; "
                        f"a tagged sentence has one tag per token.")
    for position, tag in enumerate(tags):
        problem = token_problem(tag)
        if problem:
            raise DataError(f"{path}:{sentence.line_of(position)}: tag {position + 1} ({tag!r}) "
                            f"{problem}; tags are strings like \"B-PER\" or \"O\".")


def read_lines(path):
    """``(line_number, text)`` for every line, decoded as UTF-8 with errors
    that say where. ``"-"`` reads standard input. A line ends at ``\\n``,
    ``\\r\\n`` or a lone ``\\r`` (files from old Macs)."""
    path = os.fspath(path)
    if path == "-":
        yield from _decode(sys.stdin.buffer, "<stdin>")
        return
    if os.path.isdir(path):
        raise DataError(f"{path}: a folder, not a file.")
    if not os.path.exists(path):  # a pipe (bash's <(cmd)) or a device reads too
        raise DataError(f"{path}: no such file.")
    with open(path, "rb") as handle:
        yield from _decode(handle, path)


def _raw_lines(handle):
    """The lines of a binary stream, a lone CR ending a line too."""
    for raw in handle:
        body = raw[:-1] if raw.endswith(b"\n") else raw
        if body.endswith(b"\r"):
            body = body[:-1]
        if b"\r" in body:
            yield from body.split(b"\r")
        else:
            yield body


def _decode(handle, path):
    for number, raw in enumerate(_raw_lines(handle), 1):
        if number == 1 and raw.startswith(codecs.BOM_UTF8):
            # Editors on Windows write one; read as text it would glue
            # "\ufeff" to the first token (a "\ufeff-DOCSTART-" sentence).
            raw = raw[len(codecs.BOM_UTF8):]
            warnings.warn(f"{path}: removed the UTF-8 byte-order mark at its start.",
                          SeqlabWarning, stacklevel=2)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise DataError(
                f"{path}:{number}: bytes that are not UTF-8 at column "
                f"{error.start + 1} ({raw[error.start:error.start + 4]!r}). "
                f"Convert the file to UTF-8 (e.g. `iconv -f latin1 -t utf-8`)."
            ) from None
        yield number, text


def read_conll(path, token_column=0, tag_column=-1, scheme=None, require_tags=True):
    """Read a CoNLL column file: one token per line, blank lines between
    sentences, ``-DOCSTART-`` lines between documents.

    Args:
        path: the file.
        token_column: index of the token column.
        tag_column: index of the tag column (negative counts from the end).
        scheme: if given (``"iob1"``, ``"iob2"``, ``"iobes"``), every
            sentence's tags are validated in it.
        require_tags: if False, a file with one column is read as untagged
            tokens (text to tag) instead of refused.

    Raises:
        DataError: missing file, not UTF-8, no sentences, a line with a
            different number of columns than the file's first token line,
            or tags that are not valid in ``scheme``.
    """
    path = os.fspath(path)
    sentences = nonempty(path, iter_conll(path, token_column, tag_column, require_tags),
                         f"the file is empty or has only blank and {DOCSTART} lines")
    if scheme:
        validate_tags(path, sentences, scheme)
    return sentences


def iter_conll(path, token_column=0, tag_column=-1, require_tags=True):
    """`read_conll`'s sentences one at a time, as the file is read (no scheme check)."""
    path = os.fspath(path)
    current, width, document, seen = [], None, 0, False
    for number, text in read_lines(path):
        fields = text.split()
        if not fields or fields[0] == DOCSTART:
            if current:
                yield _sentence(current, document, token_column, tag_column)
                current, seen = [], True
            if fields:
                document += 1 if seen else 0
            continue
        if width is None:
            width = len(fields)
            if width == 1 and not require_tags:
                tag_column = None
            _check_columns(path, number, width, token_column, tag_column)
        elif len(fields) != width:
            raise DataError(
                f"{path}:{number}: {len(fields)} columns, but the file's first "
                f"token line has {width}. Columns are separated by whitespace "
                f"and tokens cannot contain spaces. Line: {text!r}")
        current.append((number, fields))
    if current:
        yield _sentence(current, document, token_column, tag_column)


def nonempty(path, sentences, what="the file is empty"):
    """The sentences of an iterator as a list, refused when there are none
    with a token."""
    sentences = list(sentences)
    if not any(s.tokens for s in sentences):
        raise DataError(f"{path}: no sentences: {what}.")
    return sentences


def _check_columns(path, number, width, token_column, tag_column):
    if width < 2 and tag_column is not None:
        raise DataError(f"{path}:{number}: one column only; expected a token "
                        f"and a tag on each line.")
    for name, column in (("token_column", token_column), ("tag_column", tag_column)):
        if column is not None and not -width <= column < width:
            raise DataError(
                f"{path}:{number}: {name}={column} is out of range: the "
                f"file has {width} columns.")


def _sentence(rows, document, token_column, tag_column):
    tokens = [fields[token_column] for _, fields in rows]
    tags = None if tag_column is None else [fields[tag_column] for _, fields in rows]
    return Sentence(tokens, tags, rows[0][0], document, [number for number, _ in rows],
                    columns=[tuple(fields) for _, fields in rows])


def validate_tags(path, sentences, scheme, repair=False):
    """Check every tagged sentence's tags in ``scheme``.

    With ``repair``, a sentence whose tags break the scheme's transitions
    (a stray ``I-X`` in IOB2, say) is re-encoded as conlleval and seqeval
    read it (a stray ``I-X`` opens an entity), and a `SeqlabWarning` says
    how many tags changed and where. A tag that is not in the scheme at all
    (``X-PER``) is an error either way.

    Raises:
        DataError: naming ``path`` and the line of the first invalid tag.
    """
    scheme = check_scheme(scheme)
    repaired = []
    for sentence in sentences:
        if sentence.tags is None:
            continue
        try:
            validate(sentence.tags, scheme)
        except SchemeError as error:
            prefix = split_tag(sentence.tags[error.position])[0]
            if repair and prefix is not None and prefix in PREFIXES[scheme] + "O":
                fixed = convert(sentence.tags, scheme, scheme)
                repaired += [sentence.line_of(i) for i, (a, b)
                             in enumerate(zip(sentence.tags, fixed)) if a != b]
                sentence.tags = fixed
                continue
            hint = _scheme_hint(prefix, scheme, repair)
            raise DataError(
                f"{path}:{sentence.line_of(error.position)}: {error}. Is the file "
                f"in {scheme.upper()}? Say which scheme it uses; seqlab converts "
                f"explicitly.{hint}") from None
    if repaired:
        where = ", ".join(str(line) for line in repaired[:5])
        more = f" and {len(repaired) - 5} more" if len(repaired) > 5 else ""
        warnings.warn(
            f"{path}: repaired {len(repaired)} tag{'s' if len(repaired) > 1 else ''} "
            f"that broke {scheme.upper()} as conlleval reads them (a stray I- opens "
            f"an entity), at line{'s' if len(repaired) > 1 else ''} {where}{more}.",
            SeqlabWarning, stacklevel=3)
    return len(repaired)


def _scheme_hint(prefix, scheme, repair):
    """What to try after a tag broke ``scheme``: repair only where it works."""
    if prefix in ("S", "E") and scheme != "iobes":
        return " S- and E- tags belong to IOBES: if the file uses it, say scheme = \"iobes\"."
    if repair or prefix is None or prefix not in PREFIXES[scheme] + "O":
        return ""  # no repair reads a tag the scheme does not have
    return (" Or, to read such tags as conlleval does (a stray I- opens an "
            "entity), set data.repair = true (seqlab evaluate --repair).")


def read_two_column(path, scheme=None):
    """Read ``token TAG`` lines (a CoNLL file with two columns)."""
    return read_conll(path, token_column=0, tag_column=1, scheme=scheme)


def read_text(path, keep_blank_lines=False):
    """Read raw text for tagging: one sentence per line, tokens split on
    whitespace. Blank lines are skipped, or with ``keep_blank_lines`` read as
    empty sentences (so output can be matched to input line by line)."""
    return nonempty(path, iter_text(path, keep_blank_lines))


def iter_text(path, keep_blank_lines=False):
    """`read_text`'s sentences one at a time, as the file is read."""
    for number, text in read_lines(os.fspath(path)):
        if keep_blank_lines or text.strip():
            yield Sentence(text.split(), None, number)


def read_jsonl(path, keep_blank_lines=False):
    """Read JSON lines, each ``{"tokens": [...]}`` (an optional ``"tags"``
    list is kept). Blank lines are skipped, or with ``keep_blank_lines``
    read as empty sentences."""
    return nonempty(path, iter_jsonl(path, keep_blank_lines))


def iter_jsonl(path, keep_blank_lines=False):
    """`read_jsonl`'s sentences one at a time, as the file is read."""
    path = os.fspath(path)
    for number, text in read_lines(path):
        if not text.strip():
            if keep_blank_lines:
                yield Sentence([], None, number)
            continue
        try:
            record = json.loads(text)
        except (json.JSONDecodeError, RecursionError) as error:
            reason = getattr(error, "msg", "nested too deeply")
            raise DataError(f"{path}:{number}: not JSON: {reason}.") from None
        tokens = record.get("tokens") if isinstance(record, dict) else None
        if not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens):
            raise DataError(f"{path}:{number}: expected an object with a "
                            f"\"tokens\" list of strings.")
        tags = record.get("tags")
        if tags is not None and not (isinstance(tags, list)
                                     and all(isinstance(t, str) for t in tags)):
            raise DataError(f"{path}:{number}: \"tags\" must be a list of strings, one "
                            f"per token, like [\"B-PER\", \"O\"]. Received: {tags!r:.80}")
        sentence = Sentence(tokens, tags, number)
        check_sentence(path, sentence)
        yield sentence


def write_conll(path, sentences, predictions):
    """Write ``token gold predicted`` lines (blank line between sentences),
    the input format of the conlleval script. Written atomically."""
    lines = []
    for sentence, predicted in zip(sentences, predictions):
        gold = sentence.tags or ["O"] * len(sentence.tokens)
        lines += [f"{t} {g} {p}" for t, g, p in zip(sentence.tokens, gold, predicted)]
        lines.append("")
    atomic_write(path, "\n".join(lines) + "\n")
