"""`seqlab init`: the format, columns and scheme guessed from a dataset,
and a starter config that trains."""

import pytest

import seqlab
from seqlab import starter
from seqlab.cli import main
from seqlab.config import load_config

IOB1 = "EU NNP I-NP I-ORG\nrejects VBZ I-VP O\nGerman JJ I-NP I-MISC\n\nPeter NNP I-NP I-PER\nBlackburn NNP I-NP I-PER\n"
IOB2 = "EU B-ORG\nrejects O\nGerman B-MISC\ncall O\n\nPeter B-PER\nBlackburn I-PER\n"
IOBES = "EU S-ORG\nrejects O\nPeter B-PER\nBlackburn E-PER\n"


@pytest.mark.parametrize("text, data, why", [
    (IOB1, {"format": "conll", "token_column": 0, "tag_column": -1, "scheme": "iob1"},
     "IOB1 (I- opens an entity 3 times"),
    (IOB2, {"format": "conll", "token_column": 0, "tag_column": -1, "scheme": "iob2"},
     "IOB2 (every entity opens with B-: 3 entities)"),
    (IOBES, {"format": "conll", "token_column": 0, "tag_column": -1, "scheme": "iobes"},
     "IOBES (E- and S- tags: 2)"),
    ("EU I-ORG 7\nrejects O 8\n", {"format": "conll", "token_column": 0, "tag_column": 1,
                                   "scheme": "iob1"}, "IOB1"),
    ('{"tokens": ["EU", "rejects"], "tags": ["B-ORG", "O"]}\n', {"format": "jsonl",
                                                                 "scheme": "iob2"}, "IOB2"),
    ('{"text": "EU rejects", "spans": [{"start": 0, "end": 2, "label": "ORG"}]}\n',
     {"format": "spans_jsonl", "scheme": "iob2"}, "IOB2"),
])
def test_the_guess(tmp_path, text, data, why):
    (tmp_path / "train.txt").write_text(text)
    guess = starter.inspect(tmp_path / "train.txt")
    assert guess.data == data
    assert why in guess.describe()


@pytest.mark.parametrize("text, message", [
    ("EU\nrejects\n", "one column per line: tokens without tags"),
    ("EU NNP\nrejects VBZ\n", "no column holds only tags"),
    ("EU U-ORG\nrejects O\n", "BILOU tags"),
    ('{"tokens": ["EU"]}\n', "untagged"),
    ("EU I-ORG\nrejects O\nx O O\n", r"train.txt:3: 3 columns"),  # the reader's own check
])
def test_what_cannot_be_guessed_is_one_clear_error(tmp_path, text, message):
    (tmp_path / "train.txt").write_text(text)
    with pytest.raises(seqlab.DataError, match=message):
        starter.inspect(tmp_path / "train.txt")


def test_init_on_a_folder_writes_a_config_that_trains(tmp_path, capsys):
    data = tmp_path / "data"
    data.mkdir()
    for name in ("train.txt", "valid.txt", "test.txt"):
        (data / name).write_text("\n".join([IOB1] * 3))
    config = tmp_path / "ner.toml"
    assert main(["init", str(data), "-o", str(config)]) == 0
    out = capsys.readouterr().out
    assert "train.txt: CoNLL columns (4 per line); tokens in column 0, tags in column 3" in out
    assert "valid.txt: 6 sentences read with the same settings" in out
    loaded = load_config(config)
    assert loaded.data.scheme == "iob1" and loaded.data.test == str(data / "test.txt")
    assert loaded.output == str(tmp_path / "runs" / "ner")
    assert "# pretrained = " in config.read_text()
    assert main(["train", str(config), "--quiet", "--set", "training.epochs=1",
                 "--set", "model.units=4"]) == 0
    # The other columns are offered as features, and the offered line trains.
    text = config.read_text()
    assert "# Besides tokens and tags the file has columns 1, 2. A tagger" in text
    (offered,) = [line for line in text.splitlines() if line.startswith("# encoders = ")]
    assert 'name = "column_embedding", column = 1 }' in offered
    with_pos = tmp_path / "pos.toml"
    with_pos.write_text(text.replace(offered, offered[2:]))
    assert main(["train", str(with_pos), "--quiet", "--set", "training.epochs=1",
                 "--set", "model.units=4", "--output", str(tmp_path / "pos")]) == 0
    assert load_config(with_pos).model.encoders[2] == {"name": "column_embedding",
                                                       "column": 1}
    # an existing config is not overwritten, and a dev file that breaks the guess is named
    assert main(["init", str(data), "-o", str(config)]) == 2
    assert "exists; choose another --output or add --force" in capsys.readouterr().err
    (data / "valid.txt").write_text("EU NNP I-NP I-ORG\nrejects O\n")
    assert main(["init", str(data), "-o", str(config), "--force"]) == 2
    assert "valid.txt:2: 2 columns, but the file's first token line has 4" in capsys.readouterr().err


def test_init_finds_splits_or_says_what_is_missing(tmp_path, capsys):
    (tmp_path / "train.conll").write_text(IOB2)
    assert main(["init", str(tmp_path)]) == 2
    assert "no dev file (a name starting with dev or valid or val)" in capsys.readouterr().err
    assert main(["init", str(tmp_path / "train.conll")]) == 2
    assert "needs --dev DEV" in capsys.readouterr().err


@pytest.mark.parametrize("text, offered", [
    (IOB1, "columns 1, 2"), (IOB2, None), ("EU I-ORG 7\nrejects O 8\n", "column 2"),
    ('{"tokens": ["EU", "rejects"], "tags": ["B-ORG", "O"]}\n', None)])
def test_only_files_with_other_columns_are_offered_them(tmp_path, text, offered):
    (tmp_path / "train.txt").write_text(text)
    lines = starter._columns_lines(starter.inspect(tmp_path / "train.txt"))
    assert (f"the file has {offered}." in lines) if offered else lines == ""
