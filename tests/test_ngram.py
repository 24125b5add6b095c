"""The Kneser-Ney n-gram baseline (`seqlab.lm.ngram`)."""

import math
import random

import pytest

import seqlab
from seqlab.data.corpus import build_vocabulary
from seqlab.lm.ngram import BOS, KneserNey


def corpus(sentences=300, seed=0):
    """Sentences from a small grammar, so that every order has something to learn."""
    rng = random.Random(seed)
    subjects, verbs, objects = ["the cat", "a dog", "my friend"], ["sees", "likes"], \
        ["the ball", "a bird", "the old tree", "fish"]
    return [f"{rng.choice(subjects)} {rng.choice(verbs)} {rng.choice(objects)}".split()
            + ["<eos>"] for _ in range(sentences)]


@pytest.fixture(scope="module")
def fitted():
    train = corpus()
    return {order: KneserNey(order).fit(train, build_vocabulary(train)) for order in (1, 2, 3)}


@pytest.mark.parametrize("context", [(), (BOS,), ("the",), ("the", "old"), ("fish", "the"),
                                     ("never", "seen")])
def test_every_distribution_sums_to_one(fitted, context):
    """Over the vocabulary (every word but padding, <unk> included), for seen
    and unseen contexts alike: interpolation and discounts leave no mass out."""
    for kn in fitted.values():
        ids = tuple(c if c == BOS else kn.vocabulary.index.get(c, 1) for c in context)
        total = sum(kn.prob(w, ids) for w in range(1, len(kn.vocabulary)))
        assert total == pytest.approx(1.0, abs=1e-9), (kn.order, context)


def test_perplexity_is_the_exponent_of_the_mean_token_loss(fitted):
    held_out = corpus(40, seed=1)
    kn = fitted[3]
    scores = kn.perplexity(held_out)
    nll = -sum(kn.sentence_log_prob(s) for s in held_out) / sum(len(s) for s in held_out)
    assert scores["tokens"] == sum(len(s) for s in held_out)
    assert scores["perplexity"] == pytest.approx(math.exp(nll))
    assert scores["bits"] == pytest.approx(nll / math.log(2))


def test_longer_contexts_model_the_grammar_better(fitted):
    held_out = corpus(60, seed=2)
    ppl = {order: kn.perplexity(held_out)["perplexity"] for order, kn in fitted.items()}
    assert ppl[3] < ppl[2] < ppl[1]
    assert fitted[3].num_ngrams()[3] > 0 and fitted[3].compact_bytes() > 0


def test_unknown_words_score_as_unk(fitted):
    kn = fitted[2]
    assert kn.sentence_log_prob(["zebra", "<eos>"]) == pytest.approx(
        kn.sentence_log_prob(["<unk>", "<eos>"]))


def test_mistakes_are_clear_errors():
    with pytest.raises(seqlab.ConfigError, match="`order` must be a positive integer"):
        KneserNey(0)
    with pytest.raises(seqlab.ConfigError, match="Fit the model first"):
        KneserNey(2).perplexity([["a", "<eos>"]])
    with pytest.raises(seqlab.DataError, match="empty corpus"):
        KneserNey(2).fit([], build_vocabulary([["a"]]))
