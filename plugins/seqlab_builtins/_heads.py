"""What `seqlab_builtins.heads` registers; imported when first used."""

import math

import keras
import numpy as np
from keras import ops

import seqlab
from seqlab.layers import OutputHead
from seqlab.validation import check_positive_int


@keras.saving.register_keras_serializable(package="seqlab")
class SoftmaxHead(OutputHead):
    """A linear layer and a softmax over all outputs.

    `tie` makes it share a ``keras.layers.Embedding``'s matrix as its
    (transposed) weights, as language models with tied embeddings do.
    """

    def __init__(self, num_outputs, **kwargs):
        super().__init__(num_outputs, **kwargs)
        self.tied_embedding = None

    def tie(self, embedding):
        """Use ``embedding.embeddings`` (``(num_outputs, dim)``) as the weights."""
        if embedding.input_dim != self.num_outputs:
            raise seqlab.ConfigError(
                f"Cannot tie a {embedding.input_dim}-word embedding to a "
                f"{self.num_outputs}-output softmax.")
        self.tied_embedding = embedding

    def build(self, input_shape):
        if self.tied_embedding is None:
            self.kernel = self.add_weight(shape=(input_shape[-1], self.num_outputs),
                                          initializer="glorot_uniform", name="kernel")
        self.bias = self.add_weight(shape=(self.num_outputs,),
                                    initializer="zeros", name="bias")

    def call(self, features):
        if self.tied_embedding is not None:
            return ops.matmul(features, ops.transpose(
                self.tied_embedding.embeddings)) + self.bias
        return ops.matmul(features, self.kernel) + self.bias

    def token_loss(self, targets, scores, mask=None):
        return ops.sparse_categorical_crossentropy(
            ops.cast(targets, "int32"), scores, from_logits=True)

    def log_probs(self, scores, mask=None):
        return ops.log_softmax(scores, axis=-1)


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
    the class logits and the logits of the target's class members (about
    ``num_classes + mean class size`` dot products per token instead of
    ``num_outputs``). `log_probs` gives exact, normalised log-probabilities
    of every word.

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
        if word_counts is not None and len(word_counts) != num_outputs:
            raise seqlab.ConfigError(
                f"`word_counts` must have one count per output "
                f"({num_outputs}). Received {len(word_counts)} counts.")
        self.num_classes = num_classes
        self.word_counts = None if word_counts is None else [int(c) for c in word_counts]
        self.power = power
        counts = word_counts if word_counts is not None else _zipf_counts(num_outputs)
        self.word_class = frequency_bins(counts, num_classes, power).astype("int32")
        self.num_active_classes = int(self.word_class.max()) + 1
        self._build_tables()

    def _build_tables(self):
        order = np.argsort(self.word_class, kind="stable")
        sizes = np.bincount(self.word_class, minlength=self.num_active_classes)
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        width = int(sizes.max())
        self.members = np.zeros((self.num_active_classes, width), "int32")
        self.member_mask = np.zeros((self.num_active_classes, width), bool)
        self.word_slot = np.zeros(self.num_outputs, "int32")
        for c, (start, size) in enumerate(zip(starts, sizes)):
            words = order[start:start + size]
            self.members[c, :size] = words
            self.member_mask[c, :size] = True
            self.word_slot[words] = np.arange(size)

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
        target_class = ops.take(self.word_class, targets)
        class_lp = ops.take_along_axis(self._class_log_probs(scores),
                                       target_class[..., None], axis=-1)[..., 0]
        rows = ops.take(self.members, target_class, axis=0)          # (..., M)
        weights = ops.take(self.word_kernel, rows, axis=0)            # (..., M, H)
        logits = ops.einsum("...h,...mh->...m", scores, weights)
        logits = logits + ops.take(self.word_bias, rows)
        member = ops.take(self.member_mask, target_class, axis=0)
        logits = ops.where(member, logits, ops.full_like(logits, -1e9))
        slot = ops.take(self.word_slot, targets)
        target_logit = ops.take_along_axis(logits, slot[..., None], axis=-1)[..., 0]
        word_lp = target_logit - ops.logsumexp(logits, axis=-1)
        return -(class_lp + word_lp)

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


def _zipf_counts(num_outputs):
    counts = np.zeros(num_outputs)
    counts[1:] = 1.0 / np.arange(1, num_outputs)
    return counts


def softmax(context):
    """Full softmax over all outputs."""
    return SoftmaxHead(context.num_outputs)


def class_softmax(context, num_classes=None, power=0.5):
    """Class-factored softmax, classes binned by the context's word counts."""
    return ClassSoftmaxHead(context.num_outputs, num_classes=num_classes,
                            word_counts=context.word_counts, power=power)
