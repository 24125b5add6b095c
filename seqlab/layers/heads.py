"""The base class of output heads."""

import keras
from keras import ops

from seqlab.errors import ConfigError
from seqlab.validation import check_positive_int


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

    def decode(self, scores, mask=None):
        """The best output sequence, ``(batch, time)`` int32; 0 where masked.

        The default takes the best output at each position, which is the
        best sequence when positions are independent given the features;
        heads with output dependencies (a CRF) override it."""
        best = ops.cast(ops.argmax(self.log_probs(scores, mask), axis=-1), "int32")
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
