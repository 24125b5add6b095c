"""Features from a data file's other columns (``column_embedding``): a POS
column read in training, decoding and `seqlab tag`, and refused where it
cannot be had."""

import json
import random

import numpy as np
import pytest
from keras import ops

import seqlab
from seqlab.cli import main
from seqlab.config import load_config
from seqlab.data import Sentence, Vocabulary
from seqlab.data.readers import read_conll
from seqlab.tagging import train_tagger

pytestmark = pytest.mark.backend

WORDS = ["alpha", "beta", "gamma", "delta", "omega"]


def write_corpus(folder, seed=0):
    """``word POS tag`` lines where the tag follows the POS column alone
    (every VB is a one-token chunk) and the words are drawn at random: a
    tagger can learn it only from the column."""
    rng = random.Random(seed)
    paths = {}
    for split, count in (("train", 120), ("dev", 30), ("test", 30)):
        lines = []
        for _ in range(count):
            for _ in range(rng.randint(3, 7)):
                pos = rng.choice(["NN", "VB"])
                lines.append(f"{rng.choice(WORDS)} {pos} {'B-V' if pos == 'VB' else 'O'}")
            lines.append("")
        paths[split] = folder / f"{split}.txt"
        paths[split].write_text("\n".join(lines) + "\n")
    return {k: str(v) for k, v in paths.items()}


def config_for(corpus, output, encoders, **training):
    return load_config(data={
        "output": str(output), "data": {**corpus, "scheme": "iob2"},
        "model": {"units": 8, "encoders": encoders, "dropout": 0.0, "word_dropout": 0.0},
        "training": {"epochs": 4, "batch_size": 8, "learning_rate": 0.02, **training}})


@pytest.fixture(scope="module")
def pos_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("columns")
    corpus = write_corpus(folder)
    run = train_tagger(config_for(corpus, folder / "run",
                                  ["word_embedding", {"name": "column_embedding", "column": 1,
                                                      "dim": 4}]), verbose=0)
    return run, corpus


def test_conll_sentences_keep_every_field_of_their_lines(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("He PRP B-NP\nreckons VBZ B-VP\n\nOK UH O\n")
    first, second = read_conll(path)
    assert first.columns == [("He", "PRP", "B-NP"), ("reckons", "VBZ", "B-VP")]
    assert second.columns == [("OK", "UH", "O")]
    # Sentences compare by tokens, tags and lines, as before the columns.
    assert first == Sentence(["He", "reckons"], ["B-NP", "B-VP"], 1, 0, [1, 2])


def test_a_tagger_learns_from_a_column_the_words_do_not_show(pos_run, tmp_path):
    run, corpus = pos_run
    assert run.test["f1"] == 1.0, run.test["f1"]  # the tags follow the POS column alone
    words_only = train_tagger(config_for(corpus, tmp_path / "words", ["word_embedding"]),
                              verbose=0)
    assert words_only.test["f1"] < 0.8, words_only.test["f1"]
    # Saved with its values, and read back: the same tags from rows of fields.
    path = tmp_path / "model.keras"
    run.model.save(path)
    loaded = seqlab.load_model(path)
    rows = [[("beta", "VB"), ("beta", "NN"), ("gamma", "XX")]]
    assert loaded.tag(rows) == run.model.tag(rows)
    assert loaded.tag(rows)[0][:2] == ["B-V", "O"]
    (annotation,) = loaded.annotate(rows)
    assert [(e.label, e.text) for e in annotation.entities][:1] == [("V", "beta")]
    # Sentences read from a file give their columns.
    test = read_conll(corpus["test"])
    assert loaded.tag(test[:3]) == [s.tags for s in test[:3]]


def test_the_column_gives_each_value_its_row_and_unseen_values_unk(pos_run):
    run, _ = pos_run
    (encoder,) = [e for e in run.model.token_encoders if e.reads_columns]
    assert encoder.values == ["NN", "VB"] or encoder.values == ["VB", "NN"]
    ids = encoder.encode([["a", "b", "c", "d"]], [[("a", "NN"), ("b", "VB"), ("c", "JJ"),
                                                  None]])["column_1"]
    assert ids == [[encoder.vocabulary.index["NN"], encoder.vocabulary.index["VB"], 1, 1]]
    vectors = ops.convert_to_numpy(encoder({"column_1": np.array(ids, "int32")}))[0]
    assert not np.allclose(vectors[0], vectors[1])
    np.testing.assert_allclose(vectors[2], vectors[3])


def test_texts_and_token_lists_are_refused_by_a_column_reader(pos_run):
    run, _ = pos_run
    for inputs in (["beta gamma"], [["beta", "gamma"]]):
        with pytest.raises(seqlab.ConfigError, match=r"reads other fields of each token's "
                                                     r"line.*\(\"He\", \"PRP\"\)"):
            run.model.tag(inputs)
    with pytest.raises(seqlab.DataError, match=r"has 1 field, but this tagger's "
                                               r"column_embedding reads field 1"):
        run.model.tag([[("beta",), ("gamma",)]])
    with pytest.raises(seqlab.ConfigError, match="export"):
        seqlab.export(run.model, "unused", format="savedmodel")
    from seqlab.serving import create_app

    with pytest.raises(seqlab.ConfigError, match="requests do not carry"):
        create_app(run.model)


def test_mixed_or_malformed_rows_are_refused_in_one_line(pos_run):
    run, _ = pos_run
    with pytest.raises(seqlab.ConfigError, match=r"Item 0 must be a text .* or of rows"):
        run.model.tag([[("beta", "VB"), "gamma"]])
    with pytest.raises(seqlab.ConfigError, match=r"Item 0 must be a text"):
        run.model.tag([[("beta", 3)]])


def test_seqlab_tag_reads_the_columns_of_a_conll_file(pos_run, tmp_path, capsys):
    run, corpus = pos_run
    model = tmp_path / "model.keras"
    run.model.save(model)
    main(["tag", str(model), corpus["test"], "--input-format", "conll"])
    written = [line.split() for line in capsys.readouterr().out.splitlines() if line]
    gold = [line.split() for line in open(corpus["test"]) if line.strip()]
    assert [w[-1] for w in written] == [g[-1] for g in gold]
    main(["tag", str(model), corpus["test"], "--input-format", "conll",
          "--output-format", "spans_jsonl", "--confidence"])
    spans = [json.loads(line)["spans"] for line in capsys.readouterr().out.splitlines()]
    assert sum(len(s) for s in spans) == sum(g[-1] == "B-V" for g in gold)
    assert all(0 < span["confidence"] <= 1 for s in spans for span in s)
    text = tmp_path / "raw.txt"
    text.write_text("beta gamma\n")
    assert main(["tag", str(model), str(text)]) != 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("seqlab: error: Token encoder 'column_embedding' reads other fields")


@pytest.mark.parametrize("column, problem", [
    (2, "holds the training data's tags"),
    (3, "column = 3 is out of range: the training data's lines have 3 fields"),
    (-1, "column must be an integer >= 0"),
])
def test_a_wrong_column_is_refused_before_training(column, problem, tmp_path):
    corpus = write_corpus(tmp_path)
    config = config_for(corpus, tmp_path / "run",
                        ["word_embedding", {"name": "column_embedding", "column": column}])
    with pytest.raises(seqlab.ConfigError, match=problem):
        train_tagger(config, verbose=0)
    assert not (tmp_path / "run" / "best.keras").exists()


def test_training_data_without_columns_is_refused(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    corpus = write_corpus(folder)
    for split, path in corpus.items():  # the same sentences as spans_jsonl: no columns
        sentences = read_conll(path)
        seqlab.data.formats.data_writer("spans_jsonl").write(
            open(tmp_path / f"{split}.jsonl", "w"), sentences, [s.tags for s in sentences],
            "iob2")
    jsonl = {split: str(tmp_path / f"{split}.jsonl") for split in corpus}
    config = load_config(data={
        "output": str(tmp_path / "run"),
        "data": {**jsonl, "format": "spans_jsonl", "scheme": "iob2"},
        "model": {"units": 8, "encoders": ["word_embedding", "column_embedding"]},
        "training": {"epochs": 1}})
    with pytest.raises(seqlab.ConfigError, match=r"the training data has no columns"):
        train_tagger(config, verbose=0)


def test_a_tagger_built_by_hand_needs_its_training_sentences():
    sentences = [Sentence(["a", "b"], ["O", "B-X"], columns=[("a", "NN", "O"),
                                                            ("b", "VB", "B-X")])]
    kwargs = dict(vocabulary=Vocabulary.build(sentences), tag_names=["O", "B-X"], units=4,
                  encoders=["word_embedding", "column_embedding"])
    with pytest.raises(seqlab.ConfigError, match="train_sentences="):
        seqlab.Tagger(**kwargs)
    tagger = seqlab.Tagger(train_sentences=sentences, **kwargs)
    assert tagger.token_encoders[1].values == ["NN", "VB"]
    assert [len(t) for t in tagger.tag(sentences)] == [2]


def test_a_column_that_is_the_tags_but_for_a_few_repairs_is_refused():
    from seqlab_builtins.encoders.column_embedding import _count

    tags = ["B-X", "I-X", "O", "O"] * 50
    nearly = tags[:-1] + ["I-X"]  # one token of 200 differs (a repaired tag)
    half = [t if i % 2 else "NN" for i, t in enumerate(tags)]
    for column, refused in ((nearly, True), (half, False)):
        sentence = Sentence(["w"] * 200, tags, columns=[("w", c, t) for c, t in zip(column, tags)])
        if refused:
            with pytest.raises(seqlab.ConfigError, match="holds the training data's tags"):
                _count([sentence], 1, 1)
        else:
            assert set(_count([sentence], 1, 1)) == {"NN", "I-X", "O"}
