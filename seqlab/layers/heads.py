"""The base class of output heads, and what heads that route tokens share
(`route_tokens`, `TokenRoutes`, `group_capacity`, `checked_word_counts`,
`best_index`)."""

import math

import keras
import numpy as np
from keras import ops

from seqlab.errors import ConfigError
from seqlab.validation import check_positive_int


def best_index(x, axis=-1):
    """The index of the largest value along ``axis`` (the first of equal
    ones), int32: ``ops.argmax`` for decoding that an exported graph keeps
    convertible to ONNX. (Keras's TensorFlow ``argmax`` of floats tells -0.0
    from 0.0 with a Bitcast, an op ONNX does not have; this takes ``argmax``
    of a comparison with the maximum instead, which is integer.)"""
    is_best = ops.equal(x, ops.max(x, axis=axis, keepdims=True))
    return ops.cast(ops.argmax(ops.cast(is_best, "int32"), axis=axis), "int32")


class OutputHead(keras.layers.Layer):
    """Maps features to scores and defines how they are scored and decoded.

    ``call(features)`` returns the *scores* a model outputs (what
    ``model.predict`` gives). The model's loss is `token_loss` over those
    scores, so a head decides how much of the output layer training touches
    and how outputs depend on each other.

    A head class can be registered as its own factory: it then receives the
    `seqlab.hookspecs.HeadContext` as ``num_outputs``.

    Args:
        num_outputs: positive int, the number of labels or words (or a
            `HeadContext`, whose ``num_outputs`` is taken).
    """

    def __init__(self, num_outputs, **kwargs):
        num_outputs = getattr(num_outputs, "num_outputs", num_outputs)
        check_positive_int("num_outputs", num_outputs)
        super().__init__(**kwargs)
        self.num_outputs = num_outputs
        self.supports_masking = True

    def token_loss(self, targets, scores, mask=None):
        """Negative log-likelihood of the targets, spread over positions:
        ``(batch, time)``. Summed over a sentence's real positions it is
        -log p(targets | sentence). ``mask`` (bool, ``(batch, time)``) marks
        real positions; None means all are real."""
        raise NotImplementedError

    def log_probs(self, scores, mask=None):
        """Normalised log-probabilities (marginals) of every output at every
        position: ``(batch, time, num_outputs)``."""
        raise NotImplementedError

    def path_scores(self, scores, outputs, mask=None):
        """Pieces of the log-probability of parts of the output sequence
        ``outputs`` (``(batch, time)`` ints, e.g. `decode`'s): three
        ``(batch, time)`` tensors ``first``, ``step``, ``last`` such that
        for positions ``s <= e`` of one sequence, ``log p(outputs[s..e] |
        features) = first[s] + step[s+1] + ... + step[e] + last[e]``.

        A tagger turns these into each entity's confidence (the probability
        that exactly its tags stand on its tokens). The default is for heads
        whose positions are independent given the features: ``first`` and
        ``step`` are each position's log-probability, ``last`` is 0. Heads
        with output dependencies (a CRF) override it."""
        chosen = ops.take_along_axis(self.log_probs(scores, mask),
                                     ops.cast(outputs, "int32")[..., None], axis=-1)[..., 0]
        return chosen, chosen, ops.zeros_like(chosen)

    def decode(self, scores, mask=None):
        """The best output sequence, ``(batch, time)`` int32; 0 where masked.

        The default takes the best output at each position, which is the
        best sequence when positions are independent given the features;
        heads with output dependencies (a CRF) override it."""
        best = best_index(self.log_probs(scores, mask), axis=-1)
        if mask is not None:
            best = ops.where(mask, best, ops.zeros_like(best))
        return best

    def tie(self, embedding):
        """Share ``embedding``'s matrix (``(num_outputs, dim)``) as the
        output weights, as language models with tied embeddings do. Heads
        that can, override this; the default refuses."""
        raise ConfigError(
            f"The {type(self).__name__} head cannot share the embedding "
            f"matrix; use head='softmax' or tie_embeddings=False.")

    def get_config(self):
        return {**super().get_config(), "num_outputs": self.num_outputs}


def checked_word_counts(word_counts, num_outputs):
    """A head's ``word_counts`` argument checked: ``(kept, counts)``.

    ``kept`` is the counts as ints (what ``get_config`` saves), or None;
    ``counts`` the float64 counts to rank or bin words by: the given ones,
    or, without them, Zipfian counts for ids taken to be in decreasing
    frequency order (id 0, padding, has none).

    Raises:
        ConfigError: not one count per output.
    """
    if word_counts is not None and len(word_counts) != num_outputs:
        raise ConfigError(
            f"`word_counts` must have one count per output "
            f"({num_outputs}). Received {len(word_counts)} counts.")
    if word_counts is not None:
        kept = [int(c) for c in word_counts]
        return kept, np.asarray(kept, dtype=np.float64)
    counts = np.zeros(num_outputs)
    counts[1:] = 1.0 / np.arange(1, num_outputs)
    return None, counts


def static_size(shape):
    """The number of elements of a shape, or None when a dimension is unknown
    (inside a trace without a static batch size)."""
    size = 1
    for dim in shape:
        if dim is None:
            return None
        size *= int(dim)
    return size


def group_capacity(num_tokens, share, sigmas=4.0):
    """Room to reserve for a group that receives ``share`` of the tokens.

    The mean plus ``sigmas`` binomial standard deviations plus 4, at most
    ``num_tokens``: a batch of ``num_tokens`` tokens drawn at the group's
    rate overflows it very rarely (and `route_tokens` reports it when it
    does, so a head can fall back to an exact path that needs no room).
    """
    mean = num_tokens * share
    room = math.ceil(mean + sigmas * math.sqrt(max(mean * (1.0 - share), 0.0)) + 4)
    return max(1, min(int(num_tokens), room))


class TokenRoutes:
    """Where each group's tokens are, as `route_tokens` returns it.

    Attributes:
        positions: per group, ``(capacity,)`` int32 token positions (the
            group's tokens in order, then filler).
        valid: per group, ``(capacity,)`` bool: True where a position is one
            of the group's tokens rather than filler.
        overflow: scalar bool: some group had more tokens than its capacity
            (its routes then miss tokens; use an exact fallback).
    """

    def __init__(self, positions, valid, overflow, num_tokens):
        self.positions = positions
        self.valid = valid
        self.overflow = overflow
        self.num_tokens = num_tokens

    def scatter(self, group, values):
        """``(num_tokens,)``: a group's per-route ``values`` put back at its
        tokens' positions, 0 elsewhere."""
        ids = ops.where(self.valid[group], self.positions[group], self.num_tokens)
        values = ops.where(self.valid[group], values, ops.zeros_like(values))
        return ops.segment_sum(values, ids, num_segments=self.num_tokens + 1)[:self.num_tokens]

    def sum_over_groups(self, score):
        """``(num_tokens,)``: each token's value from its group's work.

        ``score(group, positions, valid)`` computes ``(capacity,)`` values
        for a group's routed tokens (filler slots included, then dropped);
        each group's values are put back at its tokens' positions and the
        groups summed (a token is in at most one group, 0 in none).
        """
        total = None
        for group in range(len(self.positions)):
            values = self.scatter(group, score(group, self.positions[group], self.valid[group]))
            total = values if total is None else total + values
        return total


def route_tokens(groups, capacities):
    """Gather the tokens of each group into a fixed number of slots.

    This keeps a head's work proportional to the tokens that need it under
    static shapes (``tf.function``, ``jax.jit``): a class-factored or
    adaptive softmax computes a group's (class bucket's, tail cluster's)
    logits only for the tokens routed to it, instead of for every token.

    Args:
        groups: ``(num_tokens,)`` int: each token's group in
            ``[0, len(capacities)]``; ``len(capacities)`` means none (a
            padded position, or a token that needs no group's work).
        capacities: static int per group (see `group_capacity`).

    Returns:
        A `TokenRoutes`.
    """
    num_tokens = int(groups.shape[0])
    num_groups = len(capacities)
    groups = ops.cast(groups, "int32")
    position = ops.arange(num_tokens, dtype="int32")
    order = ops.cast(ops.argsort(groups * num_tokens + position), "int32")
    counts = ops.sum(ops.cast(ops.one_hot(groups, num_groups + 1), "int32"), axis=0)
    starts = ops.cumsum(counts) - counts
    positions, valid, overflow = [], [], None
    for g, capacity in enumerate(capacities):
        slot = ops.arange(capacity, dtype="int32")
        positions.append(ops.take(order, ops.minimum(starts[g] + slot, num_tokens - 1)))
        valid.append(slot < counts[g])
        over = counts[g] > capacity
        overflow = over if overflow is None else ops.logical_or(overflow, over)
    if overflow is None:
        overflow = ops.convert_to_tensor(False)
    return TokenRoutes(positions, valid, overflow, num_tokens)
