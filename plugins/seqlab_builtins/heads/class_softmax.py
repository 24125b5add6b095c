"""The class-factored softmax head (Mikolov et al. 2011):
p(w | h) = p(class(w) | h) p(w | class(w), h), classes by frequency binning."""

import itertools
import math

import keras
import numpy as np
from keras import ops

from seqlab.layers import OutputHead, checked_word_counts, group_capacity, route_tokens, static_size
from seqlab.validation import check_positive_int


def frequency_bins(counts, num_classes, power=0.5):
    """Assign word ids to classes by frequency binning (Mikolov et al. 2011).

    Words are taken by decreasing count and cut into consecutive bins of
    about equal mass of ``count ** power``: frequent words get small classes,
    rare words share large ones. ``power=1`` is the paper's binning,
    ``power=0.5`` the RNNLM toolkit's default (more even class sizes).

    Returns:
        An int array: the class of each word id. Classes are numbered
        0..K-1 with none empty; K <= num_classes.
    """
    counts = np.asarray(counts, dtype=np.float64)
    order = np.argsort(-counts, kind="stable")
    weights = counts[order] ** power
    total = weights.sum()
    shares = weights / total if total > 0 else np.full(len(counts), 1.0 / len(counts))
    classes = np.empty(len(counts), dtype=np.int64)
    current, cumulative = 0, 0.0
    for rank, word in enumerate(order):
        cumulative += shares[rank]
        classes[word] = current
        if cumulative > (current + 1) / num_classes and current < num_classes - 1:
            current += 1
    return classes


@keras.saving.register_keras_serializable(package="seqlab")
class ClassSoftmaxHead(OutputHead):
    """Class-factored softmax: p(w | h) = p(class(w) | h) p(w | class(w), h).

    ``call`` passes the features through; the training loss computes only
    the class logits and the logits of the target's class members. Classes
    are grouped by size into at most four buckets, each padded to its own
    width, and each bucket's tokens are routed to it
    (`seqlab.layers.route_tokens`), so a token costs about ``num_classes +
    its class's size`` dot products rather than ``num_outputs`` (or the
    largest class's size); a batch that overflows a bucket's room takes the
    exact padded path instead. `log_probs` gives exact, normalised
    log-probabilities of every word.

    Args:
        num_outputs: vocabulary size.
        num_classes: number of classes (default: about sqrt(num_outputs)).
        word_counts: unigram count per word id. Without it, ids are taken to
            be in decreasing frequency order with Zipfian counts, and id 0
            (padding) to have none.
        power: exponent of the counts in the binning (see `frequency_bins`).
    """

    def __init__(self, num_outputs, num_classes=None, word_counts=None,
                 power=0.5, **kwargs):
        super().__init__(num_outputs, **kwargs)
        num_classes = num_classes or max(1, round(math.sqrt(num_outputs)))
        check_positive_int("num_classes", num_classes)
        self.word_counts, counts = checked_word_counts(word_counts, num_outputs)
        self.num_classes = num_classes
        self.power = power
        self.word_class = frequency_bins(counts, num_classes, power).astype("int32")
        self.num_active_classes = int(self.word_class.max()) + 1
        self._build_tables()

    def _build_tables(self):
        order = np.argsort(self.word_class, kind="stable")
        sizes = np.bincount(self.word_class, minlength=self.num_active_classes)
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        self.word_slot = np.zeros(self.num_outputs, "int32")
        class_words = []
        for start, size in zip(starts, sizes):
            words = order[start:start + size]
            class_words.append(words)
            self.word_slot[words] = np.arange(size)
        self.members, self.member_mask = _member_table(class_words)
        # Classes grouped by size into a few buckets, each padded to its own
        # width: training gathers a token's class at its bucket's width.
        _, counts = checked_word_counts(self.word_counts, self.num_outputs)
        shares = np.bincount(self.word_class, weights=counts,
                             minlength=self.num_active_classes)
        shares = shares / shares.sum() if shares.sum() > 0 else np.full(len(sizes), 1 / len(sizes))
        self.class_bucket, widths = size_buckets(sizes, shares)
        self.class_local = np.zeros(self.num_active_classes, "int32")
        self.buckets = []
        for b, width in enumerate(widths):
            classes = np.flatnonzero(self.class_bucket == b)
            self.class_local[classes] = np.arange(len(classes))
            members, mask = _member_table([class_words[c] for c in classes], width)
            self.buckets.append({"width": width, "share": float(shares[classes].sum()),
                                 "members": members, "mask": mask,
                                 "filler": int(members[0, 0])})

    def build(self, input_shape):
        dim = input_shape[-1]
        self.class_kernel = self.add_weight(
            shape=(dim, self.num_active_classes), initializer="glorot_uniform",
            name="class_kernel")
        self.class_bias = self.add_weight(
            shape=(self.num_active_classes,), initializer="zeros", name="class_bias")
        # Rows, not columns: training gathers the rows of one class.
        self.word_kernel = self.add_weight(
            shape=(self.num_outputs, dim), initializer="glorot_uniform",
            name="word_kernel")
        self.word_bias = self.add_weight(
            shape=(self.num_outputs,), initializer="zeros", name="word_bias")

    def call(self, features):
        return features

    def _class_log_probs(self, features):
        logits = ops.matmul(features, self.class_kernel) + self.class_bias
        return ops.log_softmax(logits, axis=-1)

    def token_loss(self, targets, scores, mask=None):
        targets = ops.cast(targets, "int32")
        features = ops.reshape(scores, (-1, scores.shape[-1]))
        flat = ops.reshape(targets, (-1,))
        target_class = ops.take(self.word_class, flat)
        class_lp = ops.take_along_axis(self._class_log_probs(features),
                                       target_class[:, None], axis=-1)[:, 0]
        capacities = self.bucket_capacities(static_size(targets.shape))

        def padded():
            return self._word_log_probs(features, flat, target_class,
                                        self.members, self.member_mask)

        if capacities is None:
            word_lp = padded()
        else:
            groups = ops.take(self.class_bucket, target_class)
            if mask is not None:
                groups = ops.where(ops.reshape(mask, (-1,)), groups, len(self.buckets))
            routes = route_tokens(groups, capacities)
            word_lp = ops.cond(routes.overflow, padded,
                               lambda: self._routed_word_log_probs(features, flat, routes))
        return ops.reshape(-(class_lp + word_lp), ops.shape(targets))

    def bucket_capacities(self, num_tokens):
        """Routed tokens per bucket for a batch of ``num_tokens`` tokens, or
        None where routing would not save work (or the count is unknown)."""
        if num_tokens is None or len(self.buckets) < 2:
            return None
        capacities = [group_capacity(num_tokens, b["share"]) for b in self.buckets]
        routed = sum(c * b["width"] for c, b in zip(capacities, self.buckets))
        return capacities if routed < 0.8 * num_tokens * self.members.shape[1] else None

    def _routed_word_log_probs(self, features, targets, routes):
        def bucket_log_probs(b, positions, valid):
            bucket = self.buckets[b]
            # Filler slots score a word of this bucket (then dropped), so
            # every index stays inside the bucket's tables.
            words = ops.where(valid, ops.take(targets, positions), bucket["filler"])
            local = ops.take(self.class_local, ops.take(self.word_class, words))
            return self._word_log_probs(ops.take(features, positions, axis=0), words, local,
                                        bucket["members"], bucket["mask"])

        return routes.sum_over_groups(bucket_log_probs)

    def _word_log_probs(self, features, targets, rows_of, members, member_mask):
        """log p(target | its class, h) of each token, whose class is row
        ``rows_of`` of ``members`` (word ids, padded; ``member_mask`` marks
        real ones)."""
        rows = ops.take(members, rows_of, axis=0)                    # (N, W)
        weights = ops.take(self.word_kernel, rows, axis=0)           # (N, W, H)
        logits = ops.einsum("nh,nwh->nw", features, weights) + ops.take(self.word_bias, rows)
        member = ops.take(member_mask, rows_of, axis=0)
        logits = ops.where(member, logits, ops.full_like(logits, -1e9))
        slot = ops.take(self.word_slot, targets)
        target_logit = ops.take_along_axis(logits, slot[:, None], axis=-1)[:, 0]
        return target_logit - ops.logsumexp(logits, axis=-1)

    def log_probs(self, scores, mask=None):
        shape = ops.shape(scores)
        features = ops.reshape(scores, (-1, shape[-1]))
        logits = ops.transpose(
            ops.matmul(features, ops.transpose(self.word_kernel)) + self.word_bias)
        # Per-class log-sum-exp, stabilised by each class's own maximum.
        segments = ops.convert_to_tensor(self.word_class)
        class_max = ops.segment_max(logits, segments, self.num_active_classes)
        shifted = ops.exp(logits - ops.take(class_max, segments, axis=0))
        class_lse = ops.log(ops.segment_sum(shifted, segments,
                                            self.num_active_classes)) + class_max
        word_lp = logits - ops.take(class_lse, segments, axis=0)      # (V, N)
        class_lp = ops.transpose(self._class_log_probs(features))     # (C, N)
        total = ops.transpose(word_lp + ops.take(class_lp, segments, axis=0))
        return ops.reshape(total, tuple(shape[:-1]) + (self.num_outputs,))

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes,
                "word_counts": self.word_counts, "power": self.power}


def _member_table(class_words, width=None):
    """``(classes, width)`` word ids per class, padded, and the mask of real ones."""
    width = width or max(len(words) for words in class_words)
    members = np.zeros((len(class_words), width), "int32")
    mask = np.zeros((len(class_words), width), bool)
    for c, words in enumerate(class_words):
        members[c, :len(words)] = words
        mask[c, :len(words)] = True
    return members, mask


def size_buckets(sizes, shares, max_buckets=4, reference_tokens=700):
    """Group classes by size into at most ``max_buckets`` padded widths.

    Widths are powers of two (and the largest size); the grouping minimises
    the expected rows gathered per token, sum over buckets of width times
    (share of tokens + the capacity margin of a ``reference_tokens`` batch).

    Returns:
        ``(bucket of each class, width of each bucket)``.
    """
    sizes = np.asarray(sizes)
    largest = int(sizes.max())
    ladder = sorted({min(2 ** k, largest) for k in range(largest.bit_length() + 1)
                     if 2 ** k >= sizes.min()} | {largest})
    best = None
    for extra in range(min(max_buckets, len(ladder))):
        for chosen in itertools.combinations(ladder[:-1], extra):
            widths = list(chosen) + [largest]
            bucket = np.searchsorted(widths, sizes)
            share = np.bincount(bucket, weights=shares, minlength=len(widths))
            used = np.bincount(bucket, minlength=len(widths)) > 0
            cost = sum(w * (p + 4 * math.sqrt(p / reference_tokens) + 4 / reference_tokens)
                       for w, p, u in zip(widths, share, used) if u)
            if best is None or cost < best[0] - 1e-9:
                best = (cost, bucket, [w for w, u in zip(widths, used) if u], used)
    _, bucket, widths, used = best
    renumber = np.cumsum(used) - 1
    return renumber[bucket].astype("int32"), widths


def class_softmax(context, num_classes=None, power=0.5):
    """Class-factored softmax, classes binned by the context's word counts."""
    return ClassSoftmaxHead(context.num_outputs, num_classes=num_classes,
                            word_counts=context.word_counts, power=power)
