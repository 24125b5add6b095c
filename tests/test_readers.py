"""Readers and their errors: each names the file and the line."""

import pytest

import seqlab
from seqlab.data import read_conll, read_jsonl, read_text, read_two_column

CONLL = """-DOCSTART- -X- O O

EU NNP B-NP I-ORG
rejects VBZ B-VP O
German JJ B-NP I-MISC

Peter NNP B-NP I-PER
Blackburn NNP I-NP I-PER

-DOCSTART- -X- O O

BRUSSELS NNP B-NP I-LOC
"""


def write(tmp_path, text, name="data.txt", binary=False):
    path = tmp_path / name
    path.write_bytes(text) if binary else path.write_text(text)
    return path


def test_conll_sentences_documents_and_lines(tmp_path):
    sentences = read_conll(write(tmp_path, CONLL), scheme="iob1")
    assert [s.tokens for s in sentences] == [["EU", "rejects", "German"],
                                            ["Peter", "Blackburn"], ["BRUSSELS"]]
    assert sentences[0].tags == ["I-ORG", "O", "I-MISC"]
    assert [s.line for s in sentences] == [3, 7, 12]
    assert [s.document for s in sentences] == [0, 0, 1]


def test_choose_columns(tmp_path):
    sentences = read_conll(write(tmp_path, CONLL), token_column=0, tag_column=1)
    assert sentences[0].tags == ["NNP", "VBZ", "JJ"]


def test_two_column_files(tmp_path):
    sentences = read_two_column(write(tmp_path, "The O\nEU B-ORG\n\nOK O\n"), scheme="iob2")
    assert [s.tags for s in sentences] == [["O", "B-ORG"], ["O"]]


@pytest.mark.parametrize("text, message", [
    ("EU NNP I-ORG\nrejects VBZ\n", r"data.txt:2: 2 columns, but the file's first token line has 3"),
    ("", r"data.txt: no sentences"),
    ("\n-DOCSTART- -X- O O\n\n", r"data.txt: no sentences"),
    ("EU\n", r"data.txt:1: one column only"),
    ("EU B-ORG\nrejects O\n\nPeter I-PER\n", r"data.txt:4: tag 'I-PER' continues a PER entity that was not begun with B-PER"),
    ("EU B-ORG\nrejects X-ORG\n", r"data.txt:2: tag 'X-ORG' is not in the IOB2 scheme"),
])
def test_malformed_files(tmp_path, text, message):
    with pytest.raises(seqlab.DataError, match=message):
        read_two_column(write(tmp_path, text), scheme="iob2")


def test_column_out_of_range(tmp_path):
    with pytest.raises(seqlab.DataError, match="data.txt:1: tag_column=5 is out of range: the file has 2 columns"):
        read_conll(write(tmp_path, "EU B-ORG\n"), tag_column=5)


def test_bytes_that_are_not_utf8(tmp_path):
    path = write(tmp_path, "EU B-ORG\nM\xfcller B-PER\n".encode("latin-1"), binary=True)
    with pytest.raises(seqlab.DataError, match=r"data.txt:2: bytes that are not UTF-8 at column 2"):
        read_two_column(path)


def test_missing_file(tmp_path):
    with pytest.raises(seqlab.DataError, match="nope.txt: no such file"):
        read_conll(tmp_path / "nope.txt")


def test_raw_text_and_jsonl(tmp_path):
    assert [s.tokens for s in read_text(write(tmp_path, "EU rejects it .\n\nOK\n"))] == [
        ["EU", "rejects", "it", "."], ["OK"]]
    jsonl = write(tmp_path, '{"tokens": ["EU", "rejects"]}\n\n{"tokens": ["OK"]}\n', "in.jsonl")
    assert [s.tokens for s in read_jsonl(jsonl)] == [["EU", "rejects"], ["OK"]]


@pytest.mark.parametrize("text, message", [
    ('{"tokens": ["EU"]}\nnot json\n', r"in.jsonl:2: not JSON"),
    ('{"words": ["EU"]}\n', r"in.jsonl:1: expected an object with a \"tokens\" list"),
    ('\n', r"in.jsonl: no sentences"),
])
def test_malformed_jsonl(tmp_path, text, message):
    with pytest.raises(seqlab.DataError, match=message):
        read_jsonl(write(tmp_path, text, "in.jsonl"))


def test_a_byte_order_mark_is_removed_and_said(tmp_path):
    path = write(tmp_path, "\ufeff-DOCSTART- -X- O O\n\nEU NNP B-NP B-ORG\n".encode("utf-8"),
                 binary=True)
    with pytest.warns(UserWarning, match="data.txt: removed the UTF-8 byte-order mark"):
        sentences = read_conll(path, scheme="iob2")
    assert [s.tokens for s in sentences] == [["EU"]]
