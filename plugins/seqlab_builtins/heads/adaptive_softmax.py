"""The adaptive softmax head (Grave et al. 2017)."""

import keras
import numpy as np
from keras import ops

import seqlab
from seqlab.layers import OutputHead, checked_word_counts, group_capacity, route_tokens, static_size


@keras.saving.register_keras_serializable(package="seqlab")
class AdaptiveSoftmaxHead(OutputHead):
    """Adaptive softmax (Grave et al. 2017, "Efficient softmax approximation
    for GPUs"), as PyTorch's ``AdaptiveLogSoftmaxWithLoss``.

    Words are ranked by frequency. The head is a softmax over the
    ``cutoffs[0]`` most frequent words plus one entry per tail cluster;
    cluster ``i`` (ranks ``cutoffs[i]`` to ``cutoffs[i + 1]``, the last one
    to ``num_outputs``) is a softmax read through a projection of width
    ``units // div_value ** (i + 1)``, so rare words cost less capacity and
    less time. p(w | h) = p(w | h) in the head, or p(cluster | h)
    p(w | cluster, h). Training computes a cluster only for the tokens
    routed to it (`seqlab.layers.route_tokens`); `log_probs` gives exact,
    normalised log-probabilities of every word.

    Args:
        num_outputs: vocabulary size.
        cutoffs: increasing ranks in ``[1, num_outputs)`` that end the head's
            shortlist and each cluster but the last. Default: those of 2,000,
            10,000, 50,000 and 200,000 below ``num_outputs - 1`` (or half
            the vocabulary when it is smaller than 2,000).
        div_value: how much narrower each cluster's projection is than the
            one before (PyTorch's default 4).
        head_bias: give the head's softmax a bias (PyTorch's default: no).
        word_counts: unigram count per word id, to rank words. Without it,
            ids are taken to be in decreasing frequency order, id 0
            (padding) last.
    """

    def __init__(self, num_outputs, cutoffs=None, div_value=4.0, head_bias=False,
                 word_counts=None, **kwargs):
        super().__init__(num_outputs, **kwargs)
        num_outputs = self.num_outputs
        if cutoffs is None:
            cutoffs = [c for c in (2000, 10000, 50000, 200000) if c < num_outputs - 1]
            cutoffs = cutoffs or [max(1, num_outputs // 2)]
        cutoffs = [int(c) for c in cutoffs]
        if (not cutoffs or any(b <= a for a, b in zip(cutoffs, cutoffs[1:]))
                or cutoffs[0] < 1 or cutoffs[-1] >= num_outputs):
            raise seqlab.ConfigError(
                f"`cutoffs` must be increasing ranks between 1 and "
                f"{num_outputs - 1} (the vocabulary has {num_outputs} words). "
                f"Received: cutoffs={cutoffs}.")
        if not (isinstance(div_value, (int, float)) and div_value >= 1):
            raise seqlab.ConfigError(
                f"`div_value` must be a number >= 1. Received: div_value={div_value!r}.")
        self.word_counts, counts = checked_word_counts(word_counts, num_outputs)
        self.cutoffs = cutoffs
        self.div_value = float(div_value)
        self.head_bias = bool(head_bias)
        order = np.argsort(-counts, kind="stable")          # rank -> word id
        self.rank = np.empty(num_outputs, "int32")
        self.rank[order] = np.arange(num_outputs)
        bounds = [0] + cutoffs + [num_outputs]
        self.clusters = [(bounds[i], bounds[i + 1]) for i in range(1, len(bounds) - 1)]
        self.shortlist = cutoffs[0]
        # Group 0 is the head's shortlist, group i the i-th tail cluster.
        self.word_group = np.searchsorted(np.asarray(cutoffs), self.rank, side="right"
                                          ).astype("int32")
        self.word_local = (self.rank - np.asarray(bounds)[self.word_group]).astype("int32")
        shares = np.bincount(self.word_group, weights=counts, minlength=len(bounds) - 1)
        self.cluster_shares = list(shares[1:] / shares.sum()) if shares.sum() > 0 else [
            (stop - start) / num_outputs for start, stop in self.clusters]

    def build(self, input_shape):
        dim = input_shape[-1]
        self.head_kernel = self.add_weight(
            shape=(dim, self.shortlist + len(self.clusters)),
            initializer="glorot_uniform", name="head_kernel")
        self.head_bias_weight = self.add_weight(
            shape=(self.shortlist + len(self.clusters),), initializer="zeros",
            name="head_bias") if self.head_bias else None
        self.projections, self.outputs = [], []
        for i, (start, stop) in enumerate(self.clusters):
            width = max(1, int(dim // self.div_value ** (i + 1)))
            self.projections.append(self.add_weight(
                shape=(dim, width), initializer="glorot_uniform", name=f"tail_{i}_projection"))
            self.outputs.append(self.add_weight(
                shape=(width, stop - start), initializer="glorot_uniform",
                name=f"tail_{i}_output"))

    def call(self, features):
        return features

    def _head_log_probs(self, features):
        logits = ops.matmul(features, self.head_kernel)
        if self.head_bias_weight is not None:
            logits = logits + self.head_bias_weight
        return ops.log_softmax(logits, axis=-1)

    def _cluster_log_probs(self, i, features):
        hidden = ops.matmul(features, self.projections[i])
        return ops.log_softmax(ops.matmul(hidden, self.outputs[i]), axis=-1)

    def _cluster_target_log_probs(self, i, features, local):
        """log p(word | cluster i, h) of each token's word, given by its
        index ``local`` within the cluster."""
        return ops.take_along_axis(self._cluster_log_probs(i, features),
                                   local[:, None], axis=-1)[:, 0]

    def token_loss(self, targets, scores, mask=None):
        targets = ops.cast(targets, "int32")
        features = ops.reshape(scores, (-1, scores.shape[-1]))
        flat = ops.reshape(targets, (-1,))
        group = ops.take(self.word_group, flat)
        local = ops.take(self.word_local, flat)
        # The head scores the word itself (shortlist) or its cluster.
        head_index = ops.where(group == 0, local, self.shortlist + group - 1)
        head_lp = ops.take_along_axis(self._head_log_probs(features),
                                      head_index[:, None], axis=-1)[:, 0]
        num_tokens = static_size(targets.shape)

        def every_token():
            total = ops.zeros_like(head_lp)
            for i in range(len(self.clusters)):
                mine = group == i + 1
                lp = self._cluster_target_log_probs(i, features, ops.where(mine, local, 0))
                total = total + ops.where(mine, lp, ops.zeros_like(lp))
            return total

        if num_tokens is None:
            tail_lp = every_token()
        else:
            routed_group = group - 1            # -1: the shortlist, no cluster
            routed_group = ops.where(routed_group < 0, len(self.clusters), routed_group)
            if mask is not None:
                routed_group = ops.where(ops.reshape(mask, (-1,)), routed_group,
                                         len(self.clusters))
            routes = route_tokens(routed_group, [group_capacity(num_tokens, share)
                                                 for share in self.cluster_shares])

            def cluster_log_probs(i, positions, valid):
                words = ops.where(valid, ops.take(local, positions), 0)
                return self._cluster_target_log_probs(
                    i, ops.take(features, positions, axis=0), words)

            tail_lp = ops.cond(routes.overflow, every_token,
                               lambda: routes.sum_over_groups(cluster_log_probs))
        return ops.reshape(-(head_lp + tail_lp), ops.shape(targets))

    def log_probs(self, scores, mask=None):
        shape = ops.shape(scores)
        features = ops.reshape(scores, (-1, shape[-1]))
        head = self._head_log_probs(features)
        parts = [head[:, :self.shortlist]]
        for i in range(len(self.clusters)):
            parts.append(self._cluster_log_probs(i, features)
                         + head[:, self.shortlist + i:self.shortlist + i + 1])
        by_rank = ops.concatenate(parts, axis=-1)
        by_id = ops.take(by_rank, self.rank, axis=-1)
        return ops.reshape(by_id, tuple(shape[:-1]) + (self.num_outputs,))

    def get_config(self):
        return {**super().get_config(), "cutoffs": self.cutoffs,
                "div_value": self.div_value, "head_bias": self.head_bias,
                "word_counts": self.word_counts}


def adaptive_softmax(context, cutoffs=None, div_value=4.0, head_bias=False):
    """Adaptive softmax (Grave et al. 2017), words ranked by the context's counts."""
    return AdaptiveSoftmaxHead(context.num_outputs, cutoffs=cutoffs, div_value=div_value,
                               head_bias=head_bias, word_counts=context.word_counts)
