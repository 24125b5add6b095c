"""Output heads; above all, the class-factored softmax."""

import keras
import numpy as np
import pytest
from keras import ops

import seqlab
from seqlab import registry
from seqlab.hookspecs import HeadContext
from seqlab_builtins.heads.class_softmax import frequency_bins

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


# Routing: the work of a class bucket or tail cluster follows its tokens.


def zipf(vocab):
    counts = np.zeros(vocab, "int64")
    counts[1:] = (1e5 / np.arange(1, vocab)).astype("int64")
    return counts


def test_route_tokens_gathers_each_group_in_order():
    from seqlab.layers import route_tokens

    groups = np.array([2, 0, 1, 0, 3, 2, 0], "int32")  # 3: no group
    routes = route_tokens(ops.convert_to_tensor(groups), [3, 1, 2])
    positions = [ops.convert_to_numpy(p) for p in routes.positions]
    valid = [ops.convert_to_numpy(v) for v in routes.valid]
    assert positions[0][valid[0]].tolist() == [1, 3, 6]
    assert positions[1][valid[1]].tolist() == [2]
    assert positions[2][valid[2]].tolist() == [0, 5]
    assert not bool(ops.convert_to_numpy(routes.overflow))
    back = ops.convert_to_numpy(routes.scatter(2, ops.convert_to_tensor([10.0, 20.0])))
    assert back.tolist() == [10.0, 0, 0, 0, 0, 20.0, 0]
    assert bool(ops.convert_to_numpy(route_tokens(ops.convert_to_tensor(groups),
                                                  [2, 1, 2]).overflow))


def test_group_capacity_leaves_room_above_the_mean():
    from seqlab.layers import group_capacity

    assert 700 * 0.1 + 4 < group_capacity(700, 0.1) < 700 * 0.1 + 60
    assert group_capacity(10, 0.9) == 10
    assert group_capacity(700, 0.0) >= 1


def test_class_buckets_pad_each_class_to_its_buckets_width():
    head = registry.create("output_heads", "class_softmax",
                           HeadContext(2000, tuple(zipf(2000))), num_classes=45)
    sizes = np.bincount(head.word_class)
    assert 2 <= len(head.buckets) <= 4
    widths = [b["width"] for b in head.buckets]
    assert widths == sorted(widths) and widths[-1] == sizes.max()
    for c, size in enumerate(sizes):
        bucket = head.buckets[head.class_bucket[c]]
        assert size <= bucket["width"]
        row = bucket["members"][head.class_local[c]][bucket["mask"][head.class_local[c]]]
        assert sorted(row) == sorted(np.flatnonzero(head.word_class == c))
    assert abs(sum(b["share"] for b in head.buckets) - 1.0) < 1e-9
    # frequent words (most tokens) sit in the narrow buckets
    assert head.buckets[0]["share"] > head.buckets[-1]["share"]
    routed = sum(c * b["width"] for c, b in zip(head.bucket_capacities(700), head.buckets))
    assert routed < 0.5 * 700 * sizes.max()


@pytest.mark.parametrize("head_name", ["class_softmax", "adaptive_softmax"])
def test_routed_loss_is_exact_and_overflow_falls_back(head_name, rng):
    keras.utils.set_random_seed(1)
    vocab = 600
    counts = zipf(vocab)
    options = ({"num_classes": 24} if head_name == "class_softmax"
               else {"cutoffs": [20, 120, 400]})
    head = registry.create("output_heads", head_name, HeadContext(vocab, tuple(counts)),
                           **options)
    features = rng.normal(size=(4, 60, 12)).astype("float32")
    head.build((None, 12))
    if head_name == "class_softmax":
        assert head.bucket_capacities(240) is not None  # the routed path is taken
    # Bias the outputs so classes and clusters differ a lot.
    for weight in head.weights:
        weight.assign(ops.convert_to_numpy(weight) + rng.normal(size=weight.shape) * 0.3)
    log_probs = ops.convert_to_numpy(head.log_probs(features)).astype("float64")
    np.testing.assert_allclose(np.exp(log_probs).sum(-1), 1.0, rtol=1e-4)
    mask = rng.random((4, 60)) > 0.3
    frequent = rng.choice(vocab, size=(4, 60), p=counts / counts.sum()).astype("int32")
    rare = np.full((4, 60), vocab - 1, "int32")  # all in the rarest group: overflow
    for targets, real in [(frequent, None), (frequent, mask), (rare, None)]:
        loss = ops.convert_to_numpy(head.token_loss(targets, features, real))
        expected = -np.take_along_axis(log_probs, targets[..., None], -1)[..., 0]
        real = np.ones(targets.shape, bool) if real is None else real
        np.testing.assert_allclose(loss[real], expected[real], rtol=1e-4, atol=1e-4)


def test_adaptive_softmax_matches_grave_et_al(rng):
    """Head over the shortlist and one entry per cluster; a cluster's words
    through its narrower projection (PyTorch's AdaptiveLogSoftmaxWithLoss)."""
    keras.utils.set_random_seed(2)
    vocab, dim = 50, 16
    counts = rng.integers(1, 1000, vocab)
    head = registry.create("output_heads", "adaptive_softmax",
                           HeadContext(vocab, tuple(counts)), cutoffs=[10, 30], div_value=2)
    features = rng.normal(size=(5, dim)).astype("float32")
    log_probs = ops.convert_to_numpy(head.log_probs(head(features))).astype("float64")
    assert [ops.convert_to_numpy(p).shape for p in head.projections] == [(16, 8), (16, 4)]
    lsm = lambda z: z - np.log(np.exp(z).sum(-1, keepdims=True))
    head_lp = lsm(features @ ops.convert_to_numpy(head.head_kernel))
    by_rank = np.argsort(-counts, kind="stable")
    for r, word in enumerate(by_rank):
        if r < 10:
            expected = head_lp[:, r]
        else:
            i = 0 if r < 30 else 1
            start = (10, 30)[i]
            tail = lsm(features @ ops.convert_to_numpy(head.projections[i])
                       @ ops.convert_to_numpy(head.outputs[i]))
            expected = head_lp[:, 10 + i] + tail[:, r - start]
        np.testing.assert_allclose(log_probs[:, word], expected, rtol=1e-4, atol=1e-5)


def test_adaptive_softmax_options_are_checked():
    with pytest.raises(seqlab.ConfigError, match="increasing ranks between 1 and 99"):
        registry.create("output_heads", "adaptive_softmax", HeadContext(100), cutoffs=[50, 20])
    with pytest.raises(seqlab.ConfigError, match="increasing ranks"):
        registry.create("output_heads", "adaptive_softmax", HeadContext(100), cutoffs=[100])
    with pytest.raises(seqlab.ConfigError, match="div_value"):
        registry.create("output_heads", "adaptive_softmax", HeadContext(100), div_value=0.5)
    default = registry.create("output_heads", "adaptive_softmax", HeadContext(100001))
    assert default.cutoffs == [2000, 10000, 50000]
    assert registry.create("output_heads", "adaptive_softmax", HeadContext(300)).cutoffs == [150]


def test_language_model_with_an_adaptive_head_trains_and_round_trips(rng, tmp_path):
    # (test_components checks every head's save and load; this one trains
    # through the routed clusters in a compiled step, then compares scores)
    head = {"name": "adaptive_softmax", "cutoffs": [8, 30]}
    keras.utils.set_random_seed(4)
    vocab = 80
    counts = zipf(vocab)
    lm = seqlab.LanguageModel(vocab_size=vocab, units=16, head=head, word_counts=counts,
                              stream_batch_size=4)
    lm.compile(optimizer=keras.optimizers.Adam(0.02), clipper="global_norm")
    ids = rng.choice(vocab, size=(4, 21), p=counts / counts.sum()).astype("int32")
    first = lm.train_on_batch(ids[:, :-1], ids[:, 1:])
    for _ in range(8):
        last = lm.train_on_batch(ids[:, :-1], ids[:, 1:])
    assert last < first
    path = tmp_path / "lm.keras"
    lm.save(path)
    loaded = seqlab.load_model(path)
    assert type(loaded.head) is type(lm.head)
    np.testing.assert_allclose(ops.convert_to_numpy(loaded.log_probs(ids[:, :-1])),
                               ops.convert_to_numpy(lm.log_probs(ids[:, :-1])), atol=1e-5)
    np.testing.assert_allclose(
        ops.convert_to_numpy(loaded.token_log_probs(ids[:, :-1], ids[:, 1:])),
        ops.convert_to_numpy(lm.token_log_probs(ids[:, :-1], ids[:, 1:])), atol=1e-5)
