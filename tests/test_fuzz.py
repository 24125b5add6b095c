"""Property-based tests (hypothesis) of everything that reads user input:
data formats, tag schemes and the config loader. Any input either parses
(and round-trips through the writer) or raises a `SeqlabError` naming the
file; no other exception.

``SEQLAB_FUZZ_EXAMPLES=20000 pytest tests/test_fuzz.py`` runs a longer
campaign (benchmarks/README.md, "Fuzzing", has the figures of one).
"""

import io
import json
import math
import os
import tempfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import seqlab
from seqlab.config import LanguageModelConfig, TaggerConfig, load_config
from seqlab.data import convert, data_writer, encode, read_sentences, spans, validate

# Generated files often start with a byte-order mark: said, and not the point here.
pytestmark = pytest.mark.filterwarnings("ignore::seqlab.SeqlabWarning")

EXAMPLES = int(os.environ.get("SEQLAB_FUZZ_EXAMPLES", "150"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
TAGGED_FORMATS = ("conll", "two_column", "jsonl", "spans_jsonl")
COUNTS = {}


def _count(name):
    COUNTS[name] = COUNTS.get(name, 0) + 1


# Inputs that look like the formats, broken in the ways files are.
tags = st.sampled_from(["O", "B-PER", "I-PER", "E-PER", "S-LOC", "B-LOC", "I-LOC",
                        "I-MISC", "B-", "X-PER", "b-per", "O-", "-", "B-PER-X", "I"])
tokens = st.one_of(
    st.sampled_from(["Oslo", "Anna", "-DOCSTART-", ",", "\ufeffx", "é", "\u00a0", "a b"]),
    st.text(min_size=1, max_size=6))


@st.composite
def column_files(draw):
    lines = []
    for _ in range(draw(st.integers(0, 12))):
        kind = draw(st.integers(0, 9))
        if kind == 0:
            lines.append("")
        elif kind == 1:
            lines.append(draw(st.text(max_size=20)))
        else:
            row = [draw(tokens) for _ in range(draw(st.integers(1, 3)))] + [draw(tags)]
            lines.append(draw(st.sampled_from([" ", "\t"])).join(row))
    ending = draw(st.sampled_from(["\n", "\r\n", ""]))
    return ending.join(lines) + ending


@st.composite
def jsonl_files(draw):
    records = []
    for _ in range(draw(st.integers(0, 6))):
        kind = draw(st.integers(0, 6))
        if kind == 0:
            records.append(draw(st.text(max_size=20)))
        elif kind == 1:
            records.append(json.dumps(draw(st.recursive(
                st.none() | st.booleans() | st.integers() | st.text(max_size=5),
                lambda inner: st.lists(inner, max_size=3)
                | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=6))))
        elif kind < 4:
            words = draw(st.lists(tokens, max_size=5))
            record = {"tokens": words}
            if draw(st.booleans()):
                record["tags"] = draw(st.lists(tags, min_size=len(words), max_size=len(words)))
            records.append(json.dumps(record))
        else:
            text = draw(st.text(max_size=20))
            found = [{"start": draw(st.integers(-2, len(text) + 2)),
                      "end": draw(st.integers(-2, len(text) + 2)),
                      "label": draw(st.sampled_from(["PER", "LOC", "", 3]))}
                     for _ in range(draw(st.integers(0, 3)))]
            records.append(json.dumps({"text": text, "spans": found}))
    return "\n".join(records) + "\n"


def _write(data):
    handle, path = tempfile.mkstemp(suffix=".txt")
    with os.fdopen(handle, "wb") as out:
        out.write(data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass"))
    return path


def _read_or_name_the_file(path, spec, scheme, tagged):
    try:
        return read_sentences(path, spec, scheme, tagged=tagged)
    except seqlab.SeqlabError as error:
        assert path in str(error) or "<stdin>" in str(error), str(error)
        return None


def _round_trip(sentences, spec, scheme, path):
    """Written with the format's writer and read back: the same sentences."""
    stream = io.StringIO()
    data_writer(spec).write(stream, sentences, [s.tags for s in sentences], scheme)
    again_path = _write(stream.getvalue())
    try:
        again = read_sentences(again_path, spec, scheme, tagged=True)
    finally:
        os.unlink(again_path)
    assert [(s.tokens, s.tags) for s in again] == [(s.tokens, s.tags) for s in sentences], path


@FUZZ
@given(st.one_of(column_files(), jsonl_files(), st.binary(max_size=200)),
       st.sampled_from(TAGGED_FORMATS + ("text",)), st.sampled_from(["iob1", "iob2", "iobes"]),
       st.booleans())
def test_any_file_parses_and_round_trips_or_names_the_file(data, name, scheme, tagged):
    _count("readers")
    path = _write(data)
    try:
        sentences = _read_or_name_the_file(path, name, scheme, tagged and name != "text")
        if sentences and tagged and name != "text" and all(s.tokens for s in sentences) \
                and not any(_blank(t) for s in sentences for t in s.tokens):
            _round_trip(sentences, name, scheme, path)
    finally:
        os.unlink(path)


def _blank(token):
    # A token of only whitespace cannot be written as a column or a text token.
    return not token.split() or token != token.strip() or len(token.split()) > 1


@st.composite
def entity_spans(draw):
    length = draw(st.integers(0, 12))
    found, position = [], 0
    while position < length and draw(st.booleans()):
        start = draw(st.integers(position, length - 1))
        end = draw(st.integers(start + 1, length))
        found.append((draw(st.sampled_from(["PER", "LOC", "ORG"])), start, end))
        position = end
    return found, length


@FUZZ
@given(entity_spans(), st.sampled_from(["iob1", "iob2", "iobes"]),
       st.sampled_from(["iob1", "iob2", "iobes"]))
def test_schemes_convert_without_losing_an_entity(found, source, target):
    _count("schemes")
    entities, length = found
    tags_in_source = encode(entities, length, source)
    validate(tags_in_source, source)
    converted = convert(tags_in_source, source, target)
    validate(converted, target)
    assert spans(converted, target) == sorted(entities, key=lambda e: e[1])
    assert convert(converted, target, source) == tags_in_source


@FUZZ
@given(st.lists(st.text(max_size=6) | tags, max_size=10),
       st.sampled_from(["iob1", "iob2", "iobes"]), st.sampled_from(["iob1", "iob2", "iobes"]))
def test_any_tag_sequence_converts_or_is_refused_with_its_position(any_tags, source, target):
    _count("schemes")
    assert len(convert(any_tags, source, target)) == len(any_tags)  # lenient, as conlleval
    try:
        validate(any_tags, source)
    except seqlab.SeqlabError as error:
        assert 0 <= error.position < len(any_tags)


def _toml_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else ("inf" if value == math.inf else
                                                "-inf" if value == -math.inf else repr(value))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return "{" + ", ".join(f"{json.dumps(k)} = {_toml_value(v)}" for k, v in value.items()) + "}"


values = st.recursive(
    st.booleans() | st.integers(-5, 10 ** 6) | st.floats(allow_nan=True)
    | st.text(max_size=8) | st.sampled_from(["lstm", "adam", "global_norm", "conll", "iob2"]),
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.sampled_from(["name", "threshold", "x"]), inner, max_size=2),
    max_leaves=4)


@st.composite
def config_texts(draw, defaults):
    sections = {k: v for k, v in defaults.items() if isinstance(v, dict)}
    lines = []
    if draw(st.booleans()):
        lines.append(f"output = {_toml_value(draw(values))}")
    for section, keys in sections.items():
        if not draw(st.booleans()):
            continue
        lines.append(f"[{draw(st.sampled_from([section, section + 's', 'extra']))}]")
        for key in draw(st.lists(st.sampled_from(list(keys) + ["typo"]), max_size=4,
                                 unique=True)):
            lines.append(f"{key} = {_toml_value(draw(values))}")
    if draw(st.integers(0, 9)) == 0:
        lines.append(draw(st.text(max_size=30)))
    return "\n".join(lines) + "\n"


@FUZZ
@given(st.sampled_from(["tagger", "lm"]).flatmap(
    lambda task: st.tuples(st.just(task),
                           config_texts((TaggerConfig if task == "tagger" else LanguageModelConfig).defaults()))),
       st.lists(st.text(max_size=25), max_size=2))
def test_any_config_loads_or_is_a_config_error(task_and_text, overrides):
    _count("configs")
    task, text = task_and_text
    path = _write(text)
    try:
        load_config(path, overrides, task=task)
    except seqlab.SeqlabError:
        pass
    finally:
        os.unlink(path)


@pytest.fixture(scope="module", autouse=True)
def _say_how_many():
    yield
    if os.environ.get("SEQLAB_FUZZ_EXAMPLES"):
        print(f"\nfuzzing: inputs tried per property target: {COUNTS}")
