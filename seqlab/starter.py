"""``seqlab init``: look at a dataset and write a commented starter config.

The format (CoNLL columns or JSON lines), the token and tag columns and the
tag scheme are guessed from the training file, printed, and checked by
reading every file with the guess, so the config written is one that
``seqlab train`` reads.

Example:
    >>> guess = seqlab.starter.inspect("conll2003/train.txt")
    >>> guess.describe()
    'CoNLL columns (4 per line); tokens in column 0, tags in column 3 (the last); IOB1 ...'
    >>> seqlab.starter.write_config("ner.toml", guess, dev="conll2003/valid.txt")
"""

import collections
import json
import os
import re

from seqlab import registry
from seqlab.config import TaggerData, format_spec
from seqlab.data.formats import first_line, json_lines_format, read_sentences
from seqlab.data.readers import DOCSTART, read_lines, validate_tags
from seqlab.data.schemes import split_tag
from seqlab.errors import DataError
from seqlab.io import atomic_write

_TAG = re.compile(r"^(O|[BIESLU]-\S+)$")
#: File names of each split when ``seqlab init`` is given a folder.
SPLIT_NAMES = {"train": ("train",), "dev": ("dev", "valid", "val"), "test": ("test",)}
_EXTENSIONS = (".txt", ".conll", ".bio", ".iob", ".tsv", ".jsonl", ".json")


class Guess:
    """What `inspect` found: the ``[data]`` keys and the evidence for them."""

    def __init__(self, path, data, layout, scheme_why, sentences, advice=None):
        self.path, self.data, self.sentences = path, data, sentences
        self.layout, self.scheme_why = layout, scheme_why
        #: A line to print beside the guess (what was repaired, and why), or None.
        self.advice = advice

    def describe(self):
        """The guess in one line, with the counts it rests on."""
        tokens = sum(len(s.tokens) for s in self.sentences)
        types = sorted({split_tag(t)[1] for s in self.sentences for t in s.tags} - {"", None})
        return (f"{self.layout}; {self.scheme_why}; {len(self.sentences):,} sentences, {tokens:,} tokens, "
                f"entity types {', '.join(types) or '(none)'}")


def find_splits(folder):
    """``{"train": path, "dev": path, "test": path or None}`` in a folder,
    by file name (``train*``, ``dev*``/``valid*``/``val*``, ``test*``).

    Raises:
        DataError: no training or no dev file, or two candidates for one.
    """
    names = sorted(n for n in os.listdir(folder) if n.lower().endswith(_EXTENSIONS)
                   and os.path.isfile(os.path.join(folder, n)))
    found = {}
    for split, prefixes in SPLIT_NAMES.items():
        matches = [n for n in names if n.lower().startswith(prefixes)]
        if len(matches) > 1:
            raise DataError(f"{folder}: more than one {split} file ({', '.join(matches)}); "
                            f"name the files: seqlab init TRAIN --dev DEV --test TEST.")
        found[split] = os.path.join(folder, matches[0]) if matches else None
    for split in ("train", "dev"):
        if found[split] is None:
            raise DataError(
                f"{folder}: no {split} file (a name starting with "
                f"{' or '.join(SPLIT_NAMES[split])}); name the files: seqlab init TRAIN --dev DEV.")
    return found


def inspect(path, format=None, scheme=None, repair=False):
    """Guess how to read a tagged training file, and check the guess.

    Args:
        path: the training file.
        format: the format spec when known (``"two_column"``); ``"conll"``
            without options still has its columns guessed.
        scheme: the tag scheme when known; else weighed from the tags.
        repair: read tags that break the scheme as conlleval does.

    Returns:
        A `Guess` whose ``data`` holds ``format`` (and ``token_column`` and
        ``tag_column`` for column files), ``scheme``, and ``repair`` when the
        file needs it: an IOB2 file with a few stray ``I-`` tags (an ``I-``
        that opens an entity) is read with ``repair``, and ``advice`` says so.

    Raises:
        DataError: the file has no tags, no tag-like column, or does not
            read under the guess (the reader's own message, naming the line,
            and what to try).
    """
    path = os.fspath(path)
    first = first_line(path)
    if first is None:
        raise DataError(f"{path}: the file is empty.")
    if format and format != "conll":
        data, where = {"format": format}, f"format {registry.parse_spec(format)[0]} (--format)"
    elif first.lstrip().startswith("{") and not format:
        data, where = _json_format(path, first)
    else:
        data, where = _columns(path)
    sentences = read_sentences(path, _format(data), None)
    advice = None
    if scheme:
        why = f"{scheme.upper()} (--scheme)"
    else:
        scheme, why, stray, opened = _scheme([s.tags for s in sentences])
        if stray and not repair:
            repair = True
            advice = (f"{stray:,} stray I- tag{'s' if stray > 1 else ''} open an entity "
                      f"where {opened:,} entities open with B-: IOB2 with errors, not "
                      f"IOB1. The config reads them as conlleval does (repair = true: a "
                      f"stray I-X opens an X); correct the file and remove that line to "
                      f"read it strictly.")
    data["scheme"] = scheme
    if repair:
        data["repair"] = True
    try:  # the check: the tags are valid in the guess
        validate_tags(path, sentences, scheme, repair)
    except DataError as error:
        raise DataError(f"{str(error).rstrip('.')}. If the scheme is right, --repair reads "
                        f"such tags as conlleval does; else give --scheme.") from None
    return Guess(path, data, where, why, sentences, advice)


def _json_format(path, first):
    try:
        record = json.loads(first)
    except ValueError:
        raise DataError(f"{path}: the first line starts like JSON but is not.") from None
    name, key = json_lines_format(record) or (None, None)
    if name == "spans_jsonl":
        return {"format": name}, "JSON lines with text and character spans (spans_jsonl)"
    if key == "tags":
        return {"format": name}, "JSON lines with tokens and tags (jsonl)"
    raise DataError(f"{path}: JSON lines without \"tags\" or \"spans\": untagged, so "
                    f"not training data.")


def _columns(path):
    widths, columns = collections.Counter(), collections.defaultdict(collections.Counter)
    for number, text in read_lines(path):
        fields = text.split()
        if not fields or fields[0] == DOCSTART:
            continue
        widths[len(fields)] += 1
        for i, field in enumerate(fields):
            columns[i][bool(_TAG.match(field))] += 1
        if sum(widths.values()) >= 20000:
            break  # enough lines to tell
    width = widths.most_common(1)[0][0]
    if width < 2:
        raise DataError(f"{path}: one column per line: tokens without tags, so not "
                        f"training data (a tagged file has a token and a tag per line).")
    tag_like = [i for i in range(1, width) if columns[i][True] and not columns[i][False]]
    if not tag_like:
        raise DataError(f"{path}: no column holds only tags (O, B-X, I-X, E-X, S-X); "
                        f"give data.tag_column in the config by hand.")
    tag = tag_like[-1]
    shown = "the last" if tag == width - 1 else f"of {width}"
    data = {"format": "conll", "token_column": 0, "tag_column": -1 if tag == width - 1 else tag}
    return data, (f"CoNLL columns ({width} per line); tokens in column 0, tags in "
                  f"column {tag} ({shown})")


def _scheme(tag_lists):
    """``(scheme, why, stray, opened)`` from the tags' transitions: ``stray``
    counts the I- tags that open an entity in a file that is IOB2 by the
    weight of the evidence (``opened`` entities open with B-), else 0."""
    prefixes = collections.Counter(t.split("-", 1)[0] for tags in tag_lists for t in tags)
    if prefixes["L"] or prefixes["U"]:
        raise DataError("BILOU tags (L-, U-): seqlab reads IOB1, IOB2 and IOBES; "
                        "convert L- to E- and U- to S- (the same scheme, other letters).")
    if prefixes["E"] or prefixes["S"]:
        return "iobes", f"IOBES (E- and S- tags: {prefixes['E'] + prefixes['S']:,})", 0, 0
    opening_i = opening_b = 0
    for tags in tag_lists:
        previous = "O"
        for tag in tags:
            prefix, kind = split_tag(tag)
            before_prefix, before_kind = split_tag(previous)
            opens = before_prefix == "" or before_kind != kind
            if prefix == "I" and opens:
                opening_i += 1
            elif prefix == "B":
                opening_b += 1
            previous = tag
    # In IOB1 most entities open with I- (B- only between two of a type);
    # in IOB2 all open with B-, and a few I- openings are annotation errors.
    if opening_i > opening_b:
        return "iob1", (f"IOB1 (I- opens an entity {opening_i:,} times; B- only starts an "
                        f"entity right after one of its type, {opening_b:,} times)"), 0, 0
    if opening_i:
        return "iob2", (f"IOB2 ({opening_b:,} entities open with B-; {opening_i:,} stray "
                        f"I- read as conlleval does)"), opening_i, opening_b
    return "iob2", f"IOB2 (every entity opens with B-: {opening_b:,} entities)", 0, 0


STARTER = """\
# A seqlab config written by `seqlab init` from {train_name}.
# Train: seqlab train {config_name}      (every key: docs/tagging.md)
output = "{output}"

[data]
train = "{train}"
dev = "{dev}"
{test_line}
{format_lines}
scheme = "{scheme}"            # {scheme_why}{repair_line}

[model]
# Pretrained word vectors raise entity F1 by several points (docs/tagging.md,
# "Pretrained vectors"). GloVe 6B 50d: https://nlp.stanford.edu/projects/glove/
# pretrained = "glove.6B.50d.txt"{columns_lines}
# Everything else defaults to the configuration chosen across five datasets
# (benchmarks/README.md, section 8): word embeddings + character CNN, one
# BiLSTM layer of 200 units, a CRF.

[training]
# time_budget = 1800           # seconds; no epoch starts that would overrun it
# metric = "f1"                # dev score for selection: f1, binary_overlap,
                               # proportional_overlap, token_accuracy
"""


def write_config(path, guess, dev, test=None, output=None):
    """Write the starter config for ``guess`` (of the training file) and
    ``dev``/``test`` files to ``path``, paths relative to its folder.

    Raises:
        DataError: ``dev`` or ``test`` does not read under the guess.
    """
    base = os.path.dirname(os.path.abspath(path))
    checked = {}
    for split, file in (("dev", dev), ("test", test)):
        if file:
            checked[split] = len(read_sentences(file, _format(guess.data),
                                                guess.data["scheme"],
                                                repair=guess.data.get("repair", False)))
    def relative(file):  # below the config's folder: relative; elsewhere: absolute
        shown = os.path.relpath(os.path.abspath(file), base)
        return os.path.abspath(file) if shown.startswith("..") else shown

    data = guess.data
    format_lines = [f'format = "{data["format"]}"']
    if data["format"] == "conll":
        format_lines += [f"token_column = {data['token_column']}",
                         f"tag_column = {data['tag_column']}"]
    stem = os.path.splitext(os.path.basename(path))[0]
    atomic_write(path, STARTER.format(
        train_name=os.path.basename(guess.path), config_name=os.path.basename(path),
        output=relative(output) if output else f"runs/{stem}",
        train=relative(guess.path), dev=relative(dev),
        test_line=f'test = "{relative(test)}"' if test else "# test = \"test.txt\"",
        format_lines="\n".join(format_lines), scheme=data["scheme"],
        scheme_why=guess.scheme_why if "(--scheme)" in guess.scheme_why
        else f"guessed: {guess.scheme_why}",
        repair_line="\nrepair = true                  # tags that break the scheme read as "
                    "conlleval does" if data.get("repair") else "",
        columns_lines=_columns_lines(guess)))
    return checked


def _columns_lines(guess):
    """Commented lines offering the file's other columns as features."""
    rows = next((s.columns for s in guess.sentences if s.columns), None)
    if not rows or guess.data.get("format") != "conll":
        return ""
    width = len(rows[0])
    used = {guess.data["token_column"] % width, guess.data["tag_column"] % width}
    other = [i for i in range(width) if i not in used]
    if not other:
        return ""
    listed = f"column {other[0]}" if len(other) == 1 else \
        f"columns {', '.join(map(str, other))}"
    return (f"\n# Besides tokens and tags the file has {listed}. A tagger can read one\n"
            f"# as a feature, a part of speech say (tagging then needs it too; see\n"
            f"# docs/tagging.md, \"Features from other columns\"):\n"
            f"# encoders = [\"word_embedding\", \"char_cnn\", "
            f"{{ name = \"column_embedding\", column = {other[0]} }}]")


def _format(data):
    """The format spec of a guessed ``[data]`` section (a dict)."""
    return format_spec(TaggerData.model_construct(**data))
