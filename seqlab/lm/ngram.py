"""The traditional baseline: an interpolated modified Kneser-Ney n-gram model.

Chen & Goodman (1998): the highest order uses raw counts, lower orders use
continuation counts (how many distinct words precede an n-gram, except
n-grams that start a sentence, which keep raw counts), and each order has
three discounts (for counts 1, 2 and 3+) estimated from counts of counts.
Every order is interpolated with the next lower one; unigrams with the
uniform distribution over the vocabulary. Sentences are scored
independently, starting from ``<s>``, with the final ``<eos>`` predicted:
with the same vocabulary and tokens, the perplexity is the one the
RNN language models report.

Example:
    >>> from seqlab.data.corpus import read_corpus, build_vocabulary
    >>> train = read_corpus("ptb.train.txt")
    >>> kn = KneserNey(order=5).fit(train, build_vocabulary(train))
    >>> kn.perplexity(read_corpus("ptb.test.txt"))["perplexity"]
"""

import collections
import math
import os

from seqlab.errors import ConfigError, DataError

BOS = -1  # <s>: a context, never predicted


def _rss_bytes():
    """Resident memory of this process (Linux), or 0 where unknown."""
    try:
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


class KneserNey:
    """Interpolated modified Kneser-Ney n-gram language model.

    Args:
        order: the n of the n-grams (5: a 5-gram model, "KN5").
    """

    def __init__(self, order=5):
        if isinstance(order, bool) or not isinstance(order, int) or order < 1:
            raise ConfigError(f"`order` must be a positive integer. Received: {order!r}")
        self.order = order
        self.vocabulary = None
        self.fit_memory_bytes = 0

    def fit(self, sentences, vocabulary):
        """Estimate the model from sentences (token lists ending in ``<eos>``).

        Words outside ``vocabulary`` count as ``<unk>``. Returns self.
        """
        if not sentences:
            raise DataError("Cannot fit an n-gram model on an empty corpus.")
        before = _rss_bytes()
        self.vocabulary = vocabulary
        n = self.order
        raw = [None] + [collections.Counter() for _ in range(n)]
        for sentence in sentences:
            ids = [BOS] + vocabulary.ids(sentence)
            for i in range(1, len(ids)):
                for k in range(1, min(n, i + 1) + 1):
                    raw[k][tuple(ids[i - k + 1:i + 1])] += 1
        # Adjusted counts: raw at the top order and for n-grams starting
        # with <s>; elsewhere the number of distinct words seen before.
        adjusted = [None] * (n + 1)
        adjusted[n] = raw[n]
        for k in range(n - 1, 0, -1):
            continuation = collections.Counter(g[1:] for g in raw[k + 1])
            adjusted[k] = {g: (c if g[0] == BOS else continuation[g])
                           for g, c in raw[k].items()}
        raw = None
        self.counts = adjusted
        self.discounts = [None] + [self._discounts(adjusted[k], k) for k in range(1, n + 1)]
        # Per context: total adjusted count and the discount mass it frees.
        self.context = [None] * (n + 1)
        for k in range(1, n + 1):
            d1, d2, d3 = self.discounts[k]
            totals = collections.defaultdict(lambda: [0, 0.0])
            for g, c in adjusted[k].items():
                if k == 1 and g[0] == BOS:
                    continue
                entry = totals[g[:-1]]
                entry[0] += c
                entry[1] += d1 if c == 1 else d2 if c == 2 else d3
            self.context[k] = {h: (total, mass) for h, (total, mass) in totals.items()}
        self.num_words = len(vocabulary) - 1  # every entry but <pad>
        self.fit_memory_bytes = max(0, _rss_bytes() - before)
        return self

    @staticmethod
    def _discounts(counts, k):
        of = collections.Counter(c for c in counts.values() if c <= 4)
        n1, n2, n3, n4 = (of[i] for i in (1, 2, 3, 4))
        if min(n1, n2, n3, n4) == 0:
            # Too little data for Chen & Goodman's estimates: one discount.
            y = n1 / (n1 + 2 * n2) if n1 + n2 else 0.5
            return (y, y, y)
        y = n1 / (n1 + 2 * n2)
        return (1 - 2 * y * n2 / n1, 2 - 3 * y * n3 / n2, 3 - 4 * y * n4 / n3)

    def _check_fitted(self):
        if self.vocabulary is None:
            raise ConfigError("Fit the model first: KneserNey(order).fit(sentences, vocabulary).")

    def prob(self, word_id, context):
        """p(word | context); ``context`` is the tuple of previous ids,
        starting with `BOS` at a sentence start."""
        d1, d2, d3 = self.discounts[1]
        total, mass = self.context[1][()]
        c = self.counts[1].get((word_id,), 0)
        discount = 0 if c == 0 else d1 if c == 1 else d2 if c == 2 else d3
        p = (c - discount) / total + mass / total / self.num_words
        for k in range(2, self.order + 1):
            if len(context) < k - 1:
                break
            h = tuple(context[len(context) - k + 1:])
            seen = self.context[k].get(h)
            if seen is None:
                break  # longer contexts are unseen too
            total, mass = seen
            c = self.counts[k].get(h + (word_id,), 0)
            if c:
                d1, d2, d3 = self.discounts[k]
                c -= d1 if c == 1 else d2 if c == 2 else d3
            p = c / total + mass / total * p
        return p

    def sentence_log_prob(self, tokens):
        """Natural-log probability of a sentence (token list ending in ``<eos>``)."""
        self._check_fitted()
        ids = [BOS] + self.vocabulary.ids(tokens)
        total = 0.0
        for i in range(1, len(ids)):
            context = ids[max(0, i - self.order + 1):i]
            total += math.log(self.prob(ids[i], context))
        return total

    def perplexity(self, sentences):
        """Perplexity over every token of the sentences (``<eos>`` included).

        Returns a dict like `seqlab.lm.perplexity`'s."""
        self._check_fitted()
        if not sentences:
            raise DataError("Cannot score an empty corpus.")
        total = sum(self.sentence_log_prob(s) for s in sentences)
        count = sum(len(s) for s in sentences)
        nll = -total / count
        return {"perplexity": math.exp(nll), "bits": nll / math.log(2),
                "nll": nll, "tokens": count}

    def num_ngrams(self):
        """How many distinct n-grams of each order the model stores."""
        self._check_fitted()
        return {k: len(self.counts[k]) for k in range(1, self.order + 1)}

    def memory(self):
        """Bytes of memory the fitted model took (the process's resident
        memory growth while fitting: counts, contexts and Python overhead)."""
        return self.fit_memory_bytes

    def compact_bytes(self):
        """Bytes a compact binary format needs at least: per stored n-gram,
        4 bytes per word id plus a 4-byte probability and a 4-byte backoff."""
        return sum(len(self.counts[k]) * (4 * k + 8) for k in range(1, self.order + 1))
