"""Tagger and LanguageModel: they learn, mask padding, save and load."""

import keras
import numpy as np
import pytest
from keras import ops

import seqlab

from conftest import padded_batch

pytestmark = pytest.mark.backend


def test_the_api_in_the_issue():
    tagger = seqlab.Tagger(vocab_size=20000, num_tags=9, cell="lstm", depth=3,
                           units=100, head="softmax")
    lm = seqlab.LanguageModel(vocab_size=10000, cell="elman", units=200,
                              head="class_softmax", num_classes=100)
    assert tagger.encoder.depth == 3 and lm.head.num_classes == 100
    assert seqlab.available("cells")["irnn"] == "seqlab_builtins.cells"


def test_tagger_learns_a_context_dependent_task(rng, seed):
    # tag = 1 where the *previous* word is 1, else 0: needs the recurrence
    words = rng.integers(1, 4, size=(256, 10))
    tags = np.zeros_like(words)
    tags[:, 1:] = words[:, :-1] == 1
    model = seqlab.Tagger(vocab_size=4, num_tags=2, cell="gru", units=8,
                          embedding_dim=4)
    model.compile(optimizer=keras.optimizers.Adam(0.02))
    history = model.fit(words, tags, epochs=8, batch_size=32, verbose=0)
    assert history.history["loss"][-1] < 0.1 * history.history["loss"][0]
    assert (model.predict_tags(words[:32]) == tags[:32]).mean() > 0.97


def test_language_model_learns_a_deterministic_sequence(seed):
    start = np.arange(64) % 9
    words = (start[:, None] + np.arange(12)) % 9 + 1   # 1..9, each followed by the next
    lm = seqlab.LanguageModel(vocab_size=10, cell="lstm", units=16,
                              head="class_softmax", num_classes=3)
    lm.compile(optimizer=keras.optimizers.Adam(0.05))
    lm.fit(words[:, :-1], words[:, 1:], epochs=15, batch_size=16, verbose=0)
    loss = lm.evaluate(words[:, :-1], words[:, 1:], verbose=0)
    assert np.exp(loss) < 1.5  # perplexity: 9 without learning


def test_loss_ignores_padded_positions(rng, seed):
    words, tags = padded_batch(rng)
    model = seqlab.Tagger(vocab_size=30, num_tags=5, units=4, embedding_dim=4)
    model.compile(optimizer="adam")
    other_tags = tags.copy()
    other_tags[words == 0] = 4
    assert model.evaluate(words, tags, verbose=0) == pytest.approx(
        model.evaluate(words, other_tags, verbose=0), rel=1e-6)


def test_compiled_metrics_ignore_padding(rng, seed):
    words, tags = padded_batch(rng)
    model = seqlab.Tagger(vocab_size=30, num_tags=5, units=4, embedding_dim=4)
    model.compile(optimizer="adam", metrics=["sparse_categorical_accuracy"])
    result = model.evaluate(words, tags, batch_size=len(words), verbose=0, return_dict=True)
    predicted = ops.convert_to_numpy(model.log_probs(words)).argmax(-1)
    expected = (predicted == tags)[words != 0].mean()
    assert result["sparse_categorical_accuracy"] == pytest.approx(expected, rel=1e-5)


def test_sample_weights_scale_sentences(rng, seed):
    words, tags = padded_batch(rng)
    model = seqlab.Tagger(vocab_size=30, num_tags=5, units=4, embedding_dim=4)
    model.compile(optimizer="adam")
    weights = np.zeros(len(words))
    weights[0] = 1.0
    only_first = model.evaluate(words, tags, sample_weight=weights,
                                batch_size=len(words), verbose=0)
    first_alone = model.evaluate(words[:1], tags[:1], verbose=0)
    assert only_first == pytest.approx(first_alone, rel=1e-5)


def test_loss_is_the_mean_over_real_tokens(rng, seed):
    words, tags = padded_batch(rng)
    model = seqlab.Tagger(vocab_size=30, num_tags=5, units=4, embedding_dim=4)
    model.compile(optimizer="adam")
    log_probs = ops.convert_to_numpy(model.log_probs(words))
    nll = -np.take_along_axis(log_probs, tags[..., None], -1)[..., 0]
    expected = nll[words != 0].mean()
    assert model.evaluate(words, tags, batch_size=len(words), verbose=0) == pytest.approx(expected, rel=1e-5)


def test_predict_tags_is_zero_at_padding(rng, seed):
    words, _ = padded_batch(rng)
    model = seqlab.Tagger(vocab_size=30, num_tags=5, units=4, embedding_dim=4)
    tags = model.predict_tags(words, batch_size=4)
    assert tags.shape == words.shape
    assert np.all(tags[words == 0] == 0)


def test_token_log_probs_agree_with_log_probs(rng, seed):
    words, _ = padded_batch(rng)
    lm = seqlab.LanguageModel(vocab_size=30, units=5, head="class_softmax")
    targets = np.roll(words, -1, 1)
    full = ops.convert_to_numpy(lm.log_probs(words))
    picked = np.take_along_axis(full, targets[..., None], -1)[..., 0]
    np.testing.assert_allclose(ops.convert_to_numpy(lm.token_log_probs(words, targets)),
                               picked, rtol=1e-4, atol=1e-5)


def test_loading_without_the_plugin_names_the_missing_component(register_plugin, rng, tmp_path):
    from seqlab.layers import ProjectedRNN
    from seqlab_builtins.cells.elman import ElmanCell

    class TempCell:
        @staticmethod
        @seqlab.hookimpl
        def seqlab_register_cells(register):
            register("temp_cell", lambda units, kernel_initializer=None,
                     recurrent_initializer=None, **kw: ProjectedRNN(ElmanCell(units), **kw))

    register_plugin(TempCell, "temp_plugin")
    words, _ = padded_batch(rng)
    model = seqlab.Tagger(vocab_size=30, num_tags=5, cell="temp_cell", units=4)
    model(words)
    model.save(tmp_path / "tagger.keras")
    seqlab.plugins.pm.unregister(name="temp_plugin")
    with pytest.raises(seqlab.UnknownComponentError) as info:
        seqlab.load_model(tmp_path / "tagger.keras")
    assert "tagger.keras" in str(info.value)
    assert "Unknown cell 'temp_cell'" in str(info.value)
    assert info.value.kind == "cells" and info.value.name == "temp_cell"


def test_load_model_errors(tmp_path):
    with pytest.raises(seqlab.SeqlabError, match="No model file"):
        seqlab.load_model(tmp_path / "missing.keras")
    (tmp_path / "model.h5").write_bytes(b"")
    with pytest.raises(seqlab.UnsafeModelError, match="is a legacy model format"):
        seqlab.load_model(tmp_path / "model.h5")
    (tmp_path / "model.json").write_bytes(b"{}")
    with pytest.raises(seqlab.SeqlabError, match="not a .keras file"):
        seqlab.load_model(tmp_path / "model.json")


@pytest.mark.parametrize("kwargs, message", [
    ({"vocab_size": 0}, "`vocab_size` must be a positive integer"),
    ({"num_tags": None}, "`num_tags` must be a positive integer"),
    ({"head": "sofmax"}, "Unknown output head 'sofmax'. Available output_heads: adaptive_softmax, class_softmax, crf, softmax"),
])
def test_tagger_argument_errors(kwargs, message):
    with pytest.raises(seqlab.SeqlabError, match=message):
        seqlab.Tagger(**{"vocab_size": 10, "num_tags": 3, **kwargs})


def test_compiled_helpers_are_neither_saved_nor_kept_alive(tmp_path):
    import gc
    import weakref

    import seqlab.lm

    tagger = seqlab.Tagger(vocab_size=10, num_tags=3, units=4, embedding_dim=4)
    tagger.predict_tags(np.ones((2, 3), "int32"))
    vocabulary = seqlab.data.Vocabulary(["a", "<eos>"])
    lm = seqlab.LanguageModel(vocabulary=vocabulary, units=4)
    seqlab.lm.perplexity(lm, np.array([2, 3, 2, 3]), batch_size=1, num_steps=2)
    for model in (tagger, lm):
        weights = len(model.weights)
        model.save(tmp_path / "m.keras")
        assert len(seqlab.load_model(tmp_path / "m.keras").weights) == weights
    refs = [weakref.ref(tagger), weakref.ref(lm)]
    del tagger, lm, model
    gc.collect()
    assert all(ref() is None for ref in refs)


def test_batches_capped_by_tokens_cover_every_sentence_once_within_the_cap():
    from seqlab.data.batching import bucketed_batches

    lengths = [5, 120, 7, 30, 31, 6, 29, 2, 64, 8]
    batches = bucketed_batches(lengths, 4, max_tokens=100)
    assert sorted(i for rows in batches for i in rows) == list(range(len(lengths)))
    for rows in batches:
        longest = max(lengths[i] for i in rows)
        assert len(rows) <= 4 and (len(rows) * longest <= 100 or len(rows) == 1)
    # sorted by length and cut from the longest end: 31 no longer pads the
    # short ones, 64 and 120 come alone
    assert [[lengths[i] for i in rows] for rows in batches] == \
        [[2], [5, 6, 7, 8], [29, 30, 31], [64], [120]]
    assert [list(r) for r in bucketed_batches(lengths, 4)] == \
        [list(r) for r in bucketed_batches(lengths, 4, max_tokens=None)]


@pytest.mark.backend
def test_tagging_pads_as_little_as_the_backend_allows(seed):
    """Under TensorFlow (one trace with unknown sizes serves every shape)
    batches keep their own shapes: padding is work of the recurrent loops.
    There a batch also holds at most batch_size x DECODE_ROW_TOKENS
    positions, so the longest sentence does not pad a whole batch.
    Under JAX (a compile per shape) rows go up to a power of two and widths
    up to 8 x (1, 2, 3, 4, 6, 8, ...): few shapes, and the last batch is not
    padded to a whole batch_size (which cost a third of decoding time on
    CoNLL-2003)."""
    from seqlab.models.tagger import DECODE_ROW_TOKENS
    from seqlab.data import Sentence, Vocabulary

    sentences = [["w"] * n for n in (1, 3, 9, 17, 25, 40, 41, 70)]
    model = seqlab.Tagger(vocabulary=Vocabulary.build([Sentence(s) for s in sentences]),
                          tag_names=["O", "B-X", "I-X"], units=4, head="crf")
    shapes, decode = [], model._decode
    model._decode = lambda x, *helper: shapes.append(x.shape) or decode(x, *helper)
    tags = model.tag(sentences, batch_size=4)
    exact = keras.backend.backend() == "tensorflow"
    # TensorFlow: at most 4 x 24 positions a batch (cut from the longest
    # end), widths even (never 1): 70 alone, 40 and 41, 9 to 25, 1 and 3.
    # JAX: rows 4 and 4, widths 24 and 96.
    assert DECODE_ROW_TOKENS == 24
    assert shapes == ([(2, 4), (3, 26), (2, 42), (1, 70)] if exact
                      else [(4, 24), (4, 96)])
    shapes.clear()
    assert model.tag(sentences[:3], batch_size=64) == tags[:3]
    assert shapes == ([(3, 10)] if exact else [(4, 16)])  # JAX: 3 rows -> 4, not 64
    # A one-word sentence after other shapes (TensorFlow's trace for unknown
    # sizes) gets tags and confidences: a width of 1 failed there.
    model.annotate(sentences[:2])
    model.annotate(sentences[2:5])
    (one,) = model.annotate([["w"]])
    assert len(one.tags) == 1 and shapes[-1] == ((1, 2) if exact else (1, 8))
    assert [len(t) for t in tags] == [len(s) for s in sentences]
