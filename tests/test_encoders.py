"""Token encoders: the contract every registered one meets, pretrained vectors."""

import numpy as np
import pytest
from keras import ops

import seqlab
from seqlab import registry
from seqlab.data import Sentence, Vocabulary
from seqlab.layers import TokenEncoder

pytestmark = pytest.mark.backend

SENTENCES = [["Peter", "Blackburn", "visited", "Brussels", "."],
             ["EU", "rejects", "German", "call"], ["Hi"]]


def tagger(encoders, **kwargs):
    sentences = [Sentence(s) for s in SENTENCES]
    return seqlab.Tagger(vocabulary=Vocabulary.build(sentences), tag_names=["O", "B-X", "I-X"],
                         char_vocabulary=Vocabulary.characters(sentences), units=4,
                         encoders=encoders, **kwargs)


@pytest.mark.parametrize("name", [c.name for c in registry.components("token_encoders")])
def test_encoder_contract(name, seed, tmp_path, request):
    spec, inputs, kwargs = name, SENTENCES, {}
    if name == "lm_embeddings":  # the one built-in that needs options: its models
        forward, backward = request.getfixturevalue("char_lms")
        spec = {"name": name, "forward": forward, "backward": backward}
    if name == "column_embedding":  # reads a column: rows of fields, and counts them
        inputs = [[(t, "NNP" if t[0].isupper() else "NN") for t in s] for s in SENTENCES]
        kwargs = {"train_sentences": [Sentence(s, columns=rows)
                                      for s, rows in zip(SENTENCES, inputs)]}
    model = tagger([spec], **kwargs)
    (encoder,) = model.token_encoders
    assert isinstance(encoder, TokenEncoder)
    assert encoder.input_name in ("words", "chars", "text")
    batches = seqlab.data.SequenceBatches(model.encode_inputs(inputs), batch_size=3)
    (x,) = batches[0]
    read = ({k: x[k] for k in encoder.input_keys} if encoder.input_name == "text"
            else x[encoder.input_name] if isinstance(x, dict) else x)
    vectors = ops.convert_to_numpy(encoder(read))
    assert vectors.shape[:2] == (3, 8) and vectors.ndim == 3
    tags = model.tag(inputs)
    assert [len(t) for t in tags] == [len(s) for s in SENTENCES]
    model.save(tmp_path / "model.keras")
    loaded = seqlab.load_model(tmp_path / "model.keras")
    assert loaded.tag(inputs) == tags
    np.testing.assert_allclose(ops.convert_to_numpy(loaded.predict_on_batch(x)),
                               ops.convert_to_numpy(model.predict_on_batch(x)), rtol=1e-5, atol=1e-6)


def test_char_encoders_give_unseen_words_their_own_vectors(seed):
    model = tagger(["char_cnn"])
    inputs = model.encode_inputs([["Blackburn", "Blackburne", "Zzz"]])
    (x,) = seqlab.data.SequenceBatches(inputs)[0]
    vectors = ops.convert_to_numpy(model.token_encoders[0](x["chars"]))[0]
    assert not np.allclose(vectors[1], vectors[2])  # both unknown words, told apart
    assert np.allclose(vectors[3:], 0.0)  # padding tokens


@pytest.mark.parametrize("encoder", ["char_cnn", "char_lstm"])
def test_per_token_char_encoders_give_the_same_scores_once_per_distinct_token(encoder, seed):
    """Decoding runs a per-token character encoder once per distinct token
    of a batch (`TokenEncoder.per_token`): the scores equal those of every
    position encoded, padding included, and so do the tags."""
    model = tagger(["word_embedding", encoder])
    assert model.token_encoders[1].per_token
    sentences = SENTENCES + [["Peter", "visited", "Peter", "."], ["Brussels", "Brussels"], []]
    batches = seqlab.data.SequenceBatches(model.encode_inputs(sentences), batch_size=8)
    (x,), order = batches[0], list(batches.batches[0])
    positions = x["chars"].reshape(-1, x["chars"].shape[-1])
    rows, index = np.unique(positions, axis=0, return_inverse=True)
    distinct = {"words": x["words"], "chars": rows,
                "char_index": index.reshape(x["words"].shape).astype("int32")}
    assert len(rows) < len(positions)
    np.testing.assert_allclose(ops.convert_to_numpy(model(distinct)),
                               ops.convert_to_numpy(model(x)), rtol=1e-6, atol=1e-6)
    # Decoding builds its batches from a table of the distinct tokens:
    # the tags of every position encoded from its own padded characters.
    expected = ops.convert_to_numpy(model._decode(x))
    tags = model.tag(sentences)
    assert tags == [[model.tag_names[t] for t in expected[order.index(i), :len(s)]]
                    for i, s in enumerate(sentences)]
    type(model.token_encoders[1]).per_token = False  # every position encoded
    try:
        assert model.tag(sentences) == tags
    finally:
        type(model.token_encoders[1]).per_token = True


def test_encoders_concatenate(seed):
    model = tagger(["word_embedding", {"name": "char_lstm", "units": 3}], embedding_dim=5)
    assert model.reads_chars
    x = model.encode_inputs(SENTENCES)
    assert set(x) == {"words", "chars"}
    (batch,) = seqlab.data.SequenceBatches(x, batch_size=3)[0]
    vectors = [ops.convert_to_numpy(e(batch[e.input_name])) for e in model.token_encoders]
    assert [v.shape[-1] for v in vectors] == [5, 6]  # word_embedding without dim: embedding_dim


def test_char_encoder_without_char_vocabulary():
    with pytest.raises(seqlab.ConfigError, match="'char_cnn' reads characters"):
        seqlab.Tagger(vocab_size=10, num_tags=2, encoders=["char_cnn"])


def test_pretrained_vectors(tmp_path, seed):
    vectors = tmp_path / "vectors.txt"
    vectors.write_text("3 2\npeter 1.0 2.0\nPeter 5.0 6.0\neu 3.0 4.0\n")
    model = tagger([{"name": "word_embedding", "dim": 2, "pretrained": str(vectors)}])
    (encoder,) = model.token_encoders
    model.tag([["Peter"]])  # builds the weights
    table = ops.convert_to_numpy(encoder.embedding.embeddings)
    index = model.vocabulary.index
    np.testing.assert_allclose(table[index["Peter"]], [5.0, 6.0])  # exact match first
    np.testing.assert_allclose(table[index["EU"]], [3.0, 4.0])     # then lower-cased
    # the saved model does not need the vectors file any more
    model.save(tmp_path / "model.keras")
    vectors.unlink()
    loaded = seqlab.load_model(tmp_path / "model.keras")
    assert "pretrained" not in str(loaded.get_config()["encoders"])
    np.testing.assert_allclose(
        ops.convert_to_numpy(loaded.token_encoders[0].embedding.embeddings), table)


def test_pretrained_vectors_of_the_wrong_width(tmp_path):
    vectors = tmp_path / "vectors.txt"
    vectors.write_text("peter 1.0 2.0\neu 3.0\n")
    with pytest.raises(seqlab.DataError, match="vectors.txt:2: 1 numbers after 'eu', but the "
                                              "file's vectors have 2"):
        tagger([{"name": "word_embedding", "pretrained": str(vectors)}])
    vectors.write_text("peter 1.0 2.0\neu 3.0 4.0\n")
    with pytest.raises(seqlab.ConfigError, match="dim=3, but the pretrained vectors .* are 2 wide"):
        tagger([{"name": "word_embedding", "dim": 3, "pretrained": str(vectors)}])
