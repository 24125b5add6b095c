"""Output heads; above all, the class-factored softmax."""

import keras
import numpy as np
import pytest
from keras import ops

import seqlab
from seqlab import registry
from seqlab.hookspecs import HeadContext
from seqlab_builtins.heads import frequency_bins

pytestmark = pytest.mark.backend


def test_frequency_binning_gives_frequent_words_small_classes():
    counts = np.array([0] + [int(1000 / r) for r in range(1, 200)])
    classes = frequency_bins(counts, 10, power=1.0)
    sizes = np.bincount(classes)
    assert len(sizes) == 10 and sizes.min() >= 1
    assert sizes[0] < sizes[-1]
    # classes follow the frequency order
    order = np.argsort(-counts, kind="stable")
    assert np.all(np.diff(classes[order]) >= 0)
    # each class holds about a tenth of the mass (a word is never split)
    mass = np.bincount(classes, weights=counts) / counts.sum()
    assert mass[:-1].max() < 0.1 + counts.max() / counts.sum()


def test_sqrt_binning_evens_out_class_sizes():
    counts = np.array([int(1e5 / r) + 1 for r in range(1, 5000)])
    largest = {p: np.bincount(frequency_bins(counts, 50, power=p)).max() for p in (1.0, 0.5)}
    assert largest[0.5] < largest[1.0]


def test_fewer_words_than_classes_leaves_no_class_empty():
    head = registry.create("output_heads", "class_softmax", HeadContext(4), num_classes=10)
    assert head.num_active_classes == 4
    assert sorted(head.word_class) == [0, 1, 2, 3]


def test_word_counts_must_match_the_vocabulary():
    with pytest.raises(seqlab.ConfigError, match="one count per output \\(5\\). Received 3"):
        registry.create("output_heads", "class_softmax", HeadContext(5, (1, 2, 3)))


def test_default_number_of_classes_is_about_sqrt_v():
    assert registry.create("output_heads", "class_softmax", HeadContext(10000)).num_classes == 100


def test_training_touches_only_the_target_classes(rng):
    keras.utils.set_random_seed(3)
    vocab = 60
    lm = seqlab.LanguageModel(vocab_size=vocab, units=8, head="class_softmax",
                              num_classes=8)
    words = rng.integers(1, vocab, size=(2, 5))
    targets = np.array([[1, 2, 1, 2, 1], [2, 1, 2, 1, 2]])  # two frequent words
    lm.compile(optimizer=keras.optimizers.SGD(1.0), clipper="none")
    lm(words)
    head = lm.head
    before = ops.convert_to_numpy(head.word_kernel).copy()
    lm.train_on_batch(words, targets)
    changed = np.flatnonzero(np.abs(ops.convert_to_numpy(head.word_kernel) - before).sum(1) > 0)
    allowed = set(np.flatnonzero(np.isin(head.word_class, head.word_class[[1, 2]])))
    assert len(changed) > 0
    assert set(changed) <= allowed
    assert len(allowed) < vocab / 4


def test_class_softmax_matches_the_factorisation(rng):
    keras.utils.set_random_seed(5)
    head = registry.create("output_heads", "class_softmax",
                           HeadContext(20, tuple(rng.integers(1, 100, size=20))), num_classes=4)
    features = rng.normal(size=(3, 6)).astype("float32")
    log_probs = ops.convert_to_numpy(head.log_probs(head(features)))
    W, b = ops.convert_to_numpy(head.word_kernel), ops.convert_to_numpy(head.word_bias)
    C, c = ops.convert_to_numpy(head.class_kernel), ops.convert_to_numpy(head.class_bias)
    class_logits = features @ C + c
    class_lp = class_logits - np.log(np.exp(class_logits).sum(-1, keepdims=True))
    word_logits = features @ W.T + b
    for w in range(20):
        members = head.word_class == head.word_class[w]
        within = word_logits[:, w] - np.log(np.exp(word_logits[:, members]).sum(-1))
        np.testing.assert_allclose(log_probs[:, w], class_lp[:, head.word_class[w]] + within,
                                   rtol=1e-4, atol=1e-5)


def test_class_softmax_log_probs_are_stable_for_large_logits(rng):
    head = registry.create("output_heads", "class_softmax", HeadContext(30), num_classes=5)
    features = (rng.normal(size=(2, 8)) * 200).astype("float32")
    log_probs = ops.convert_to_numpy(head.log_probs(head(features)))
    assert np.all(np.isfinite(log_probs))
    np.testing.assert_allclose(np.exp(log_probs).sum(-1), 1.0, rtol=1e-4)


def test_language_model_passes_class_options_to_the_head():
    lm = seqlab.LanguageModel(vocab_size=10000, cell="elman", units=200,
                              head="class_softmax", num_classes=100)
    assert lm.head.num_classes == 100
    with pytest.raises(seqlab.ConfigError, match="'softmax'.*num_classes"):
        seqlab.LanguageModel(vocab_size=100, head="softmax", num_classes=10)
