"""Tokenizers for raw text (issue 23, item 1): CoNLL-style splitting with
character offsets, the plugin contract, and the config key."""

import pytest

import seqlab
from seqlab.data import Tokenizer, read_sentences, token_spans, tokenizer_for


def split(name, text):
    offsets = token_spans(tokenizer_for(name), text)
    return [text[start:end] for start, end in offsets]


@pytest.mark.parametrize("text, tokens", [
    # the cases: punctuation that whitespace splitting glued to words
    ("Maria Garcia flew to Tokyo, then to Cape Town.",
     ["Maria", "Garcia", "flew", "to", "Tokyo", ",", "then", "to", "Cape", "Town", "."]),
    ('He said "I don\'t know" (really) at 3:30 p.m. in the U.S.',
     ["He", "said", '"', "I", "do", "n't", "know", '"', "(", "really", ")", "at", "3:30",
      "p.m.", "in", "the", "U.S", "."]),
    ("Mr. Smith's car cost $5,000!", ["Mr.", "Smith", "'s", "car", "cost", "$", "5,000", "!"]),
    ("\u00abFran\u00e7ais\u00bb \u201cquoted\u201d", ["\u00ab", "Fran\u00e7ais", "\u00bb",
                                                       "\u201c", "quoted", "\u201d"]),
    # CoNLL-tokenised text stays as it is
    ("EU rejects German call to boycott British lamb .",
     ["EU", "rejects", "German", "call", "to", "boycott", "British", "lamb", "."]),
    ("tab\tand\u00a0no-break  spaces\x01control", ["tab", "and", "no-break", "spaces",
                                                  "control"]),
    ("   ", []),
    ("", []),
])
def test_treebank_splits_as_conll_data_are_split_and_keeps_offsets(text, tokens):
    assert split("treebank", text) == tokens


def test_whitespace_keeps_tokenised_text_as_it_is():
    assert split("whitespace", "Tokyo, then\tCape Town.") == ["Tokyo,", "then", "Cape", "Town."]
    assert token_spans(tokenizer_for("whitespace"), " a  bc") == [(1, 2), (4, 6)]


def test_a_tokenizer_that_breaks_the_contract_is_named(register_plugin):
    class Overlapping(Tokenizer):
        def spans(self, text):
            return [(0, 3), (2, 5)]

    class Spacey(Tokenizer):
        def spans(self, text):
            return [(0, len(text))]

    class Plugin:
        @staticmethod
        @seqlab.hookimpl
        def seqlab_register_tokenizers(register):
            register("overlapping", Overlapping)
            register("spacey", Spacey)

    register_plugin(Plugin, "broken-tokenizers")
    with pytest.raises(seqlab.PluginError, match=r"Tokenizer Overlapping returned the span "
                                                 r"\(2, 5\) for 'abcdef': offsets out of order"):
        token_spans(tokenizer_for("overlapping"), "abcdef")
    with pytest.raises(seqlab.PluginError, match=r"Tokenizer Spacey .* holds a space"):
        token_spans(tokenizer_for("spacey"), "a b")


def test_the_config_names_a_registered_tokenizer(tmp_path):
    (tmp_path / "train.txt").write_text("a B-X\n")
    data = {"train": str(tmp_path / "train.txt"), "dev": str(tmp_path / "train.txt")}
    assert seqlab.load_config(data={"data": data}).data.tokenizer == "treebank"
    with pytest.raises(seqlab.ConfigError, match=r"data.tokenizer = 'whitespac': Unknown "
                                                 r"tokenizer .* Did you mean 'whitespace'\?"):
        seqlab.load_config(data={"data": {**data, "tokenizer": "whitespac"}})


def test_spans_jsonl_is_read_with_the_configs_tokenizer(tmp_path):
    path = tmp_path / "spans.jsonl"
    path.write_text('{"text": "Off to Paris, France.", "spans": [{"start": 7, "end": 12, '
                    '"label": "LOC"}, {"start": 14, "end": 20, "label": "LOC"}]}\n')
    (treebank,) = read_sentences(str(path), {"name": "spans_jsonl", "tokenizer": "treebank"})
    assert treebank.tokens == ["Off", "to", "Paris", ",", "France", "."]
    assert treebank.tags == ["O", "O", "B-LOC", "O", "B-LOC", "O"]
    (plain,) = read_sentences(str(path), "spans_jsonl")  # whitespace, cut at entity edges
    assert plain.tokens == ["Off", "to", "Paris", ",", "France", "."]
    config = seqlab.load_config(data={"data": {"train": str(path), "dev": str(path),
                                               "format": "spans_jsonl",
                                               "tokenizer": "whitespace"}})
    assert seqlab.config.format_spec(config.data) == {"name": "spans_jsonl",
                                                      "tokenizer": "whitespace"}
