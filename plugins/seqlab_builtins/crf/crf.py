"""The linear-chain CRF head (see `seqlab_builtins.crf`)."""

import keras
from keras import ops

from seqlab.layers import OutputHead


def _time_major(x):
    return ops.moveaxis(x, 1, 0)


def _steps(emissions, mask):
    """Steps 1..T-1 as one time-major tensor: emissions and the mask as a
    last column. (One tensor, not a tuple: Keras's TensorFlow ``scan``
    fails on several inputs whose length is unknown when tracing.)"""
    e, m = _time_major(emissions), _time_major(ops.cast(mask, emissions.dtype))
    return ops.concatenate([e[1:], m[1:, :, None]], axis=-1)


def _split(step):
    return step[:, :-1], step[:, -1:] > 0.5


@keras.saving.register_keras_serializable(package="seqlab")
class CRFHead(OutputHead):
    """Linear-chain CRF over a linear projection of the features.

    Args:
        num_outputs: number of tags.
    """

    def build(self, input_shape):
        k = self.num_outputs
        self.kernel = self.add_weight(shape=(input_shape[-1], k), name="kernel",
                                      initializer="glorot_uniform")
        self.bias = self.add_weight(shape=(k,), name="bias", initializer="zeros")
        self.transitions = self.add_weight(shape=(k, k), name="transitions",
                                           initializer="zeros")
        self.start = self.add_weight(shape=(k,), name="start", initializer="zeros")
        self.end = self.add_weight(shape=(k,), name="end", initializer="zeros")

    def call(self, features):
        return ops.matmul(features, self.kernel) + self.bias  # emissions

    def values_per_token(self):
        """What a training step holds per token (`seqlab.memory`): the
        emissions, the forward scores, and the K x K scores of each step."""
        k = self.num_outputs
        return 2 * k + k * k

    @staticmethod
    def _mask(scores, mask):
        if mask is None:
            return ops.ones(ops.shape(scores)[:2], dtype="bool")
        return ops.cast(mask, "bool")

    def _forward(self, emissions, mask):
        """log Z and the forward scores at every step, ``(time, batch, K)``."""
        alpha0 = self.start + emissions[:, 0]

        def step(alpha, inputs):
            e_t, m_t = _split(inputs)
            scores = alpha[:, :, None] + self.transitions[None] + e_t[:, None, :]
            alpha = ops.where(m_t, ops.logsumexp(scores, axis=1), alpha)
            return alpha, alpha

        last, alphas = ops.scan(step, alpha0, _steps(emissions, mask))
        alphas = ops.concatenate([alpha0[None], alphas], axis=0)
        return ops.logsumexp(last + self.end, axis=-1), alphas

    def _path_score(self, emissions, tags, mask):
        maskf = ops.cast(mask, emissions.dtype)
        emitted = ops.take_along_axis(emissions, tags[..., None], axis=-1)[..., 0]
        k = self.num_outputs
        pairs = ops.take(ops.reshape(self.transitions, (-1,)), tags[:, :-1] * k + tags[:, 1:])
        last = ops.sum(ops.cast(mask, "int32"), axis=1) - 1
        last_tag = ops.take_along_axis(tags, last[:, None], axis=1)[:, 0]
        return (ops.sum(emitted * maskf, axis=1) + ops.sum(pairs * maskf[:, 1:], axis=1)
                + ops.take(self.start, tags[:, 0]) + ops.take(self.end, last_tag))

    def token_loss(self, targets, scores, mask=None):
        mask = self._mask(scores, mask)
        log_z, _ = self._forward(scores, mask)
        nll = log_z - self._path_score(scores, ops.cast(targets, "int32"), mask)
        # A sentence's loss sits on its first position; the model sums the
        # positions, so the total is the sentence's negative log-likelihood.
        rest = ops.zeros_like(scores[:, 1:, 0])
        return ops.concatenate([nll[:, None], rest], axis=1)

    def _backward(self, emissions, mask):
        """The backward scores at every step, ``(time, batch, K)``: the log
        sum over the sequence's rest (end scores included) from each tag."""
        end = ops.broadcast_to(self.end, ops.shape(emissions[:, 0]))

        def step(beta, inputs):
            e_next, m_next = _split(inputs)
            scores_ = self.transitions[None] + (e_next + beta)[:, None, :]
            beta = ops.where(m_next, ops.logsumexp(scores_, axis=-1), end)
            return beta, beta

        _, betas = ops.scan(step, end, _steps(emissions, mask), reverse=True)
        return ops.concatenate([betas, end[None]], axis=0)

    def log_probs(self, scores, mask=None):
        mask = self._mask(scores, mask)
        log_z, alphas = self._forward(scores, mask)
        marginals = alphas + self._backward(scores, mask) - log_z[None, :, None]
        return _time_major(marginals)

    def path_scores(self, scores, outputs, mask=None):
        # p(y_s..y_e) = alpha_s(y_s) * prod_{s<k<=e} exp(T[y_k-1, y_k] + E_k(y_k))
        # * beta_e(y_e) / Z: exact for the sub-path, whatever surrounds it.
        mask = self._mask(scores, mask)
        outputs = ops.cast(outputs, "int32")
        log_z, alphas = self._forward(scores, mask)
        at = lambda values: ops.take_along_axis(values, outputs[..., None], axis=-1)[..., 0]
        first = at(_time_major(alphas)) - log_z[:, None]
        last = at(_time_major(self._backward(scores, mask)))
        k = self.num_outputs
        pairs = ops.take(ops.reshape(self.transitions, (-1,)),
                         outputs[:, :-1] * k + outputs[:, 1:])
        step = ops.concatenate([ops.zeros_like(first[:, :1]), pairs + at(scores)[:, 1:]], axis=1)
        return first, step, last

    def decode(self, scores, mask=None):
        mask = self._mask(scores, mask)
        identity = ops.arange(self.num_outputs, dtype="int32")[None]

        def step(delta, inputs):
            e_t, m_t, first = inputs[:, :-2], inputs[:, -2:-1] > 0.5, inputs[:, -1:] > 0.5
            candidates = delta[:, :, None] + self.transitions[None]
            best_previous = ops.cast(ops.argmax(candidates, axis=1), "int32")
            delta = ops.where(first, self.start + e_t,
                              ops.where(m_t, ops.max(candidates, axis=1) + e_t, delta))
            # Padding (and the first step) points each tag to itself, so
            # backtracking passes through. Emitted as floats: Keras's
            # TensorFlow scan gives its outputs the carry's dtype (tag ids
            # are exact in float32).
            pointer = ops.where(ops.logical_and(m_t, ops.logical_not(first)),
                                best_previous, identity)
            return delta, ops.cast(pointer, delta.dtype)

        # Every step, the first included, so the scan's length is the
        # sentence's (not one less): a SavedModel exported under JAX traces
        # it for any length, one included.
        e, m = _time_major(scores), _time_major(ops.cast(mask, scores.dtype))
        first = ops.cast(ops.arange(ops.shape(e)[0]) == 0, scores.dtype)
        first = ops.broadcast_to(first[:, None, None], ops.shape(m[..., None]))
        steps = ops.concatenate([e, m[..., None], first], axis=-1)
        delta, pointers = ops.scan(step, ops.zeros_like(scores[:, 0]), steps)
        pointers = ops.cast(pointers, "int32")
        last = ops.cast(ops.argmax(delta + self.end, axis=-1), "int32")

        def back(tag, pointer):
            return ops.take_along_axis(pointer, tag[:, None], axis=1)[:, 0], tag

        _, tags = ops.scan(back, last, pointers, reverse=True)
        best = _time_major(tags)
        return ops.where(mask, best, ops.zeros_like(best))


def crf(context):
    """A linear-chain CRF head (forward-algorithm loss, Viterbi decoding)."""
    return CRFHead(context.num_outputs)
