"""Pretrained word vectors: the file formats, coverage, vocabulary extension,
frozen and fine-tuned vectors, and a trained tagger's round trip."""

import gzip
import json
import struct

import numpy as np
import pytest
from keras import ops

import seqlab
from seqlab.config import load_config
from seqlab.demo import write_ner_corpus
from seqlab.embeddings import Vectors
from seqlab.tagging import train_tagger

ROWS = {"the": [0.1, 0.2, 0.3], "paris": [1.0, 2.0, 3.0], "Paris": [4.0, 5.0, 6.0],
        "berlin": [-1.0, 0.5, 2.5]}


def write_text(path, header=False):
    lines = [f"{len(ROWS)} 3"] if header else []
    lines += [f"{w} {' '.join(str(v) for v in row)}" for w, row in ROWS.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_binary(path):
    data = f"{len(ROWS)} 3\n".encode()
    for word, row in ROWS.items():
        data += word.encode() + b" " + struct.pack("<3f", *row) + b"\n"
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("make", [
    lambda tmp: write_text(tmp / "glove.txt"),
    lambda tmp: write_text(tmp / "w2v.vec", header=True),
    lambda tmp: write_binary(tmp / "w2v.bin"),
    lambda tmp: tmp / "glove.txt.gz" if gzip.open(tmp / "glove.txt.gz", "wb").write(
        write_text(tmp / "plain.txt").read_bytes()) else None,
], ids=["glove_text", "word2vec_text_header", "word2vec_binary", "gzip"])
def test_every_format_reads_the_same_vectors(tmp_path, make):
    vectors = Vectors.read(make(tmp_path))
    assert vectors.dim == 3 and vectors.file_words == 4 and len(vectors) == 4
    for word, row in ROWS.items():
        np.testing.assert_allclose(vectors.lookup(word), row, rtol=1e-6)


def test_only_the_words_asked_for_are_kept_and_case_falls_back(tmp_path):
    vectors = Vectors.read(write_text(tmp_path / "v.txt"), keep={"Berlin", "Paris", "Rome"})
    assert set(vectors.rows) == {"paris", "Paris", "berlin"}  # "the" is not kept
    np.testing.assert_allclose(vectors.lookup("Paris"), ROWS["Paris"])  # exact first
    np.testing.assert_allclose(vectors.lookup("Berlin"), ROWS["berlin"])  # then lower case
    assert vectors.lookup("Rome") is None
    assert vectors.coverage(["Paris", "Paris", "Rome", "Berlin"]) == {
        "tokens": 0.75, "types": pytest.approx(2 / 3)}
    matrix, found = vectors.matrix(["<pad>", "<unk>", "Berlin", "Rome"], seed=0)
    assert found.tolist() == [False, False, True, False]
    np.testing.assert_allclose(matrix[0], 0.0)
    np.testing.assert_allclose(matrix[2], ROWS["berlin"])
    assert 0 < np.abs(matrix[3]).max() < 5  # random, of the vectors' scale


@pytest.mark.parametrize("content, message", [
    ("the 0.1 0.2\nparis 1.0\n", r"v.txt:2: 1 numbers after 'paris', but the file's vectors have 2"),
    ("the 0.1 0.2\nparis 1.0 x\n", r"v.txt:2: the values after 'paris' are not all numbers"),
    ("", r"v.txt: no vectors in the file"),
])
def test_malformed_text_files_name_the_line(tmp_path, content, message):
    (tmp_path / "v.txt").write_text(content)
    with pytest.raises(seqlab.DataError, match=message):
        Vectors.read(tmp_path / "v.txt")


def test_truncated_binary_and_missing_files(tmp_path):
    data = write_binary(tmp_path / "v.bin").read_bytes()
    (tmp_path / "cut.bin").write_bytes(data[:-6])
    with pytest.raises(seqlab.DataError, match="cut.bin: the file ends inside vector 4 of 4"):
        Vectors.read(tmp_path / "cut.bin")
    with pytest.raises(seqlab.DataError, match="nope.txt: no such vectors file.*make_glove.py"):
        Vectors.read(tmp_path / "nope.txt")


@pytest.fixture
def corpus(tmp_path):
    return write_ner_corpus(tmp_path / "data", seed=3, train=200, dev=40, test=40)


def vectors_for(corpus, path, skip=()):
    """A vectors file (lower-cased, 8 wide) for every word of the corpus but
    ``skip``: what GloVe is to CoNLL."""
    words = sorted({line.split()[0].lower() for split in ("train", "dev", "test")
                    for line in open(corpus[split]) if line.strip()} - set(skip))
    rng = np.random.default_rng(0)
    path.write_text("".join(f"{w} {' '.join(f'{v:.4f}' for v in rng.normal(0, 0.5, 8))}\n"
                            for w in words))
    return path


def config_for(corpus, tmp_path, pretrained, **training):
    return load_config(data={
        "output": str(tmp_path / "run"),
        "data": {**corpus, "format": "two_column", "scheme": "iob2"},
        "model": {"units": 8, "encoders": ["word_embedding"], "head": "softmax",
                  "pretrained": pretrained},
        "training": {"epochs": 2, "learning_rate": 0.01, **training}})


def test_config_trains_from_vectors_and_reports_coverage(corpus, tmp_path, capsys):
    path = vectors_for(corpus, tmp_path / "vectors.txt", skip={"the"})
    run = train_tagger(config_for(corpus, tmp_path, str(path)), verbose=1)
    out = capsys.readouterr().out
    assert "Pretrained vectors vectors.txt:" in out and "8 wide" in out
    report = json.loads((tmp_path / "run" / "report.json").read_text())["pretrained"]
    assert report["dim"] == 8 and report["trainable"] is True
    assert 0.5 < report["train_tokens_found"] < 1.0  # "the" has no vector
    # dev/test words that have vectors but never occur in training are added
    train_words = {line.split()[0] for line in open(corpus["train"]) if line.strip()}
    held_out = {line.split()[0] for split in ("dev", "test")
                for line in open(corpus[split]) if line.strip()} - train_words
    assert held_out and report["vocabulary_extended_by"] == len(held_out)
    assert held_out <= set(run.model.vocabulary.tokens)


@pytest.mark.parametrize("trainable", [True, False])
def test_frozen_or_fine_tuned_and_the_model_stays_one_file(corpus, tmp_path, trainable):
    path = vectors_for(corpus, tmp_path / "vectors.txt")
    run = train_tagger(config_for(corpus, tmp_path, {"path": str(path), "trainable": trainable}),
                       verbose=0)
    model = run.model
    (encoder,) = model.token_encoders
    table = ops.convert_to_numpy(encoder.embedding.embeddings)
    start, _ = Vectors.read(path).matrix(model.vocabulary.tokens)
    rows = model.vocabulary.ids(["Paris", "said"])
    moved = np.abs(table[rows] - start[rows]).max()
    assert (moved > 1e-4) if trainable else (moved == 0.0)
    assert any(w is encoder.embedding.embeddings for w in model.trainable_weights) == trainable
    sentences = [line.split() for line in ["Anna Chen flew to Oslo .", "Globex shares rose ."]]
    tags = model.tag(sentences)
    path.unlink()  # the saved model does not need the vectors file
    loaded = seqlab.load_model(run.output + "/best.keras")
    assert loaded.tag(sentences) == tags
    np.testing.assert_array_equal(ops.convert_to_numpy(loaded.token_encoders[0].embedding.embeddings),
                                  table)


def test_pretrained_key_is_relative_to_the_config_and_checked(tmp_path, corpus):
    path = vectors_for(corpus, tmp_path / "vectors.txt")
    config_file = tmp_path / "ner.toml"
    config_file.write_text(f'[data]\ntrain = "{corpus["train"]}"\ndev = "{corpus["dev"]}"\n'
                           f'[model]\npretrained = "vectors.txt"\n')
    assert load_config(config_file).model.pretrained == str(path)
    for value, message in [
        ('{path = "vectors.txt", frozen = true}', "unknown option 'frozen'"),
        ('{path = "vectors.txt", trainable = "no"}', "trainable must be true or false"),
        ("3", "expected the path of a vectors file"),
    ]:
        with pytest.raises(seqlab.ConfigError, match=f"model.pretrained = .*{message}"):
            load_config(config_file, [f"model.pretrained={value}"])
    config = load_config(config_file, ['model.pretrained="missing.txt"'])
    with pytest.raises(seqlab.ConfigError, match="model.pretrained = .*missing.txt.*no such file"):
        seqlab.config.check_config(config)
    with pytest.raises(seqlab.ConfigError, match=r"word_embedding has dim=16, but the pretrained "
                                                 r"vectors .* are 8 wide"):
        train_tagger(load_config(config_file, ["model.embedding_dim=16",
                                               f'output="{tmp_path / "run"}"']), verbose=0)


def test_resumed_run_reports_the_same_coverage_and_vectors_need_a_word_encoder(corpus, tmp_path):
    path = vectors_for(corpus, tmp_path / "vectors.txt", skip={"the"})
    config = config_for(corpus, tmp_path, str(path))
    train_tagger(config, verbose=0)
    report = tmp_path / "run" / "report.json"
    expected = json.loads(report.read_text())["pretrained"]
    config = config.model_dump()
    train_tagger(load_config(data={**config, "training": {**config["training"], "epochs": 3}}),
                 verbose=0)  # resumes after epoch 2
    assert json.loads(report.read_text())["pretrained"] == expected
    with pytest.raises(seqlab.ConfigError, match="model.encoders has no word_embedding"):
        train_tagger(load_config(data={**config, "output": str(tmp_path / "chars"),
                                       "model": {**config["model"], "encoders": ["char_cnn"]}}),
                     verbose=0)


def test_reading_vectors_shows_a_progress_bar_on_request(corpus, tmp_path, capsys, monkeypatch):
    import seqlab.embeddings

    monkeypatch.setattr(seqlab.embeddings, "_PROGRESS_EVERY", 64)  # redraw often
    path = vectors_for(corpus, tmp_path / "vectors.txt")
    quiet = seqlab.Vectors.read(path)
    assert capsys.readouterr().err == ""
    shown = seqlab.Vectors.read(path, progress=True)
    err = capsys.readouterr().err
    assert "Reading vectors.txt" in err and f"{path.stat().st_size / 1000:.1f} kB" in err
    assert shown.dim == quiet.dim == 8 and shown.file_words == quiet.file_words
