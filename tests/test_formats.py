"""Data formats as plugins: the registry's readers, spans_jsonl, writing."""

import io
import json

import pytest

import seqlab
from seqlab import registry
from seqlab.cli import main
from seqlab.config import format_spec, load_config
from seqlab.data import DataFormat, data_writer, read_sentences

SPANS = [
    {"text": "Peter Blackburn flew to Paris, then Oslo.",
     "spans": [{"start": 0, "end": 15, "label": "PER"},
               {"start": 24, "end": 29, "label": "LOC"},
               {"start": 36, "end": 40, "label": "LOC"}]},
    {"text": "  The EU  rejects it ", "spans": [{"start": 5, "end": 8, "label": "ORG"}]},
    {"text": "no entities here", "spans": []},
]


def write_lines(tmp_path, records, name="data.jsonl"):
    path = tmp_path / name
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n"
                            for r in records))
    return path


def test_the_builtin_formats_are_registered_plugins():
    assert seqlab.available("readers") == {
        name: "seqlab_builtins.formats"
        for name in ("conll", "html", "jsonl", "spans_jsonl", "text", "two_column")}


def test_spans_are_read_as_tags_at_whitespace_and_span_boundaries(tmp_path):
    first, second, third = read_sentences(write_lines(tmp_path, SPANS), "spans_jsonl",
                                          scheme="iob2")
    # "Paris," is cut where the entity ends, "Oslo." likewise
    assert first.tokens == ["Peter", "Blackburn", "flew", "to", "Paris", ",", "then",
                            "Oslo", "."]
    assert first.tags == ["B-PER", "I-PER", "O", "O", "B-LOC", "O", "O", "B-LOC", "O"]
    assert [first.text[a:b] for a, b in first.offsets] == first.tokens
    assert second.tokens == ["The", "EU", "rejects", "it"] and second.offsets[1] == (6, 8)
    assert second.tags == ["O", "B-ORG", "O", "O"]  # [5, 8) covers " EU": trimmed
    assert third.tags == ["O", "O", "O"] and third.line == 3


def test_spans_are_converted_to_the_data_scheme(tmp_path):
    first = read_sentences(write_lines(tmp_path, SPANS[:1]), "spans_jsonl", scheme="iobes")[0]
    assert first.tags[:5] == ["B-PER", "E-PER", "O", "O", "S-LOC"]


def test_spans_round_trip_through_the_writer(tmp_path):
    sentences = read_sentences(write_lines(tmp_path, SPANS), "spans_jsonl", scheme="iob2")
    out = io.StringIO()
    data_writer("spans_jsonl").write(out, sentences, [s.tags for s in sentences], "iob2")
    written = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [w["text"] for w in written] == [r["text"] for r in SPANS]
    assert written[0]["spans"] == SPANS[0]["spans"]
    assert written[1]["spans"] == [{"start": 6, "end": 8, "label": "ORG"}]


def test_text_without_offsets_is_written_with_offsets_into_joined_tokens():
    out = io.StringIO()
    sentence = seqlab.data.Sentence(["Anna", "Chen", "flew"])
    data_writer("spans_jsonl").write(out, [sentence], [["B-PER", "I-PER", "O"]], "iob2")
    assert json.loads(out.getvalue()) == {
        "text": "Anna Chen flew", "spans": [{"start": 0, "end": 9, "label": "PER"}]}


@pytest.mark.parametrize("record, message", [
    ("{not json", r"data.jsonl:1: not JSON"),
    ({"spans": []}, r'data.jsonl:1: expected an object with a non-empty "text"'),
    ({"text": "a b", "spans": [{"start": 0, "end": 9, "label": "X"}]},
     r"data.jsonl:1: span \[0, 9\) X does not cover text: the text has 3 characters"),
    ({"text": "a b", "spans": [{"start": 0, "end": 1}]}, r'data.jsonl:1: a span needs'),
    ({"text": "a b c", "spans": [{"start": 0, "end": 3, "label": "X"},
                                 {"start": 2, "end": 5, "label": "Y"}]},
     r"data.jsonl:1: spans \[0, 3\) X and Y starting at 2 overlap"),
    ({"text": "a b", "spans": "PER"}, r'data.jsonl:1: "spans" must be a list'),
])
def test_malformed_span_files_name_the_line(tmp_path, record, message):
    with pytest.raises(seqlab.DataError, match=message):
        read_sentences(write_lines(tmp_path, [record]), "spans_jsonl", scheme="iob2")


def test_training_data_must_be_tagged(tmp_path):
    path = write_lines(tmp_path, [{"text": "just text"}])
    assert read_sentences(path, "spans_jsonl", tagged=False)[0].tags is None
    with pytest.raises(seqlab.DataError, match=r"data.jsonl:1: no tags.*'spans_jsonl'"):
        read_sentences(path, "spans_jsonl", scheme="iob2")


def test_a_one_column_conll_file_is_text_to_tag(tmp_path):
    path = tmp_path / "tokens.conll"
    path.write_text("EU\nrejects\n\nPeter\n")
    sentences = read_sentences(path, "conll", tagged=False)
    assert [s.tokens for s in sentences] == [["EU", "rejects"], ["Peter"]]
    with pytest.raises(seqlab.DataError, match="tokens.conll:1: no tags"):
        read_sentences(path, "conll", scheme="iob2")


def test_tags_are_checked_in_the_scheme_with_the_token_line(tmp_path):
    path = tmp_path / "d.conll"
    path.write_text("EU B-ORG\nrejects O\nit I-ORG\n")
    with pytest.raises(seqlab.DataError, match=r"d.conll:3: tag 'I-ORG'"):
        read_sentences(path, "conll", scheme="iob2")


def test_a_read_only_format_cannot_write():
    with pytest.raises(seqlab.ConfigError, match="'text' format cannot write.*conll, html, jsonl"):
        data_writer("text")


def test_a_reader_factory_returning_the_wrong_type_names_its_plugin(register_plugin):
    class Broken:
        @staticmethod
        @seqlab.hookimpl
        def seqlab_register_readers(register):
            register("broken", lambda: {"not": "a format"})

    register_plugin(Broken, "broken_reader")
    with pytest.raises(seqlab.PluginError,
                       match=r"Reader 'broken' from plugin 'broken_reader' returned dict; "
                             r"the contract of seqlab_register_readers is: `factory\(\*\*options\)`"
                             r" returns a `seqlab.data.DataFormat`"):
        registry.create("readers", "broken")


def test_a_plugin_format_serves_configs(register_plugin, tmp_path):
    class Upper(DataFormat):
        def read(self, path):
            return [seqlab.data.Sentence(line.split(), ["O"] * len(line.split()), n)
                    for n, line in seqlab.data.read_lines(path) if line.strip()]

    class Plugin:
        @staticmethod
        @seqlab.hookimpl
        def seqlab_register_readers(register):
            register("upper", Upper)

    register_plugin(Plugin, "upper_format")
    data = {"train": "t.txt", "dev": "d.txt", "format": "upper"}
    config = load_config(data={"data": data})
    assert format_spec(config.data) == "upper"
    with pytest.raises(seqlab.ConfigError, match="data.format: Unknown reader 'uper'"):
        load_config(data={"data": {**data, "format": "uper"}})
    with pytest.raises(seqlab.ConfigError, match="data.format: Reader 'upper'.*cannot take"):
        load_config(data={"data": {**data, "tag_column": 2}})


def test_column_shorthands_become_format_options():
    from seqlab.config import TaggerData

    data = TaggerData(format="conll", token_column=1, tag_column=None)
    assert format_spec(data) == {"name": "conll", "token_column": 1}
    assert format_spec(TaggerData(format={"name": "conll", "tag_column": 3})) == {
        "name": "conll", "tag_column": 3}


def test_plugins_command_lists_readers(capsys):
    assert main(["plugins", "--kind", "readers", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["name"] for r in rows} == {"conll", "html", "jsonl", "spans_jsonl", "text", "two_column"}
