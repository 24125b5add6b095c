"""The linear-chain CRF head (see `seqlab_builtins.crf`)."""

import keras
from keras import ops

from seqlab.layers import OutputHead, best_index


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
        # Viterbi as two loops of tensors (ops.fori_loop), the back-pointers
        # kept in a time-major buffer that each step writes its row of
        # (ops.scatter_update): an exported graph stays convertible to ONNX
        # (Keras's TensorFlow ``scan`` keeps its carry in a TensorArray,
        # which tf2onnx cannot convert), and a JAX export traces it for any
        # length, one included.
        mask = self._mask(scores, mask)
        e, m = _time_major(scores), _time_major(mask)
        shape = ops.shape(e)
        identity = ops.broadcast_to(ops.arange(self.num_outputs, dtype="int32")[None],
                                    shape[1:])

        def forward(t, carry):
            delta, pointers = carry
            e_t, m_t = ops.take(e, t, axis=0), ops.take(m, t, axis=0)[:, None]
            candidates = delta[:, :, None] + self.transitions[None]
            # Padding points each tag to itself, so backtracking passes through.
            pointer = ops.where(m_t, best_index(candidates, axis=1), identity)
            return (ops.where(m_t, ops.max(candidates, axis=1) + e_t, delta),
                    ops.scatter_update(pointers, ops.reshape(t, (1, 1)), pointer[None]))

        # The first step (masked or not) starts from the start scores and
        # points nowhere: row 0 stays the identity.
        pointers = ops.broadcast_to(identity[None], shape)
        delta, pointers = ops.fori_loop(1, shape[0], forward, (self.start + e[0], pointers))

        def back(i, carry):
            tag, tags = carry
            t = shape[0] - 1 - i
            tags = ops.scatter_update(tags, ops.reshape(t, (1, 1)), tag[None])
            tag = ops.take_along_axis(ops.take(pointers, t, axis=0), tag[:, None], axis=1)[:, 0]
            return tag, tags

        last = best_index(delta + self.end, axis=-1)
        _, tags = ops.fori_loop(0, shape[0], back, (last, ops.zeros(shape[:2], "int32")))
        best = _time_major(tags)
        return ops.where(mask, best, ops.zeros_like(best))


def crf(context):
    """A linear-chain CRF head (forward-algorithm loss, Viterbi decoding)."""
    return CRFHead(context.num_outputs)
