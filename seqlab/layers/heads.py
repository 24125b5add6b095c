"""The base class of output heads."""

import keras
from keras import ops

from seqlab.layers.recurrent import check_positive_int


class OutputHead(keras.layers.Layer):
    """Maps features to scores and defines how they are scored and decoded.

    ``call(features)`` returns the *scores* a model outputs (what
    ``model.predict`` gives). The model's loss is `token_loss` over those
    scores, so a head decides how much of the output layer training touches
    and how outputs depend on each other.

    Args:
        num_outputs: positive int, the number of labels or words.
    """

    def __init__(self, num_outputs, **kwargs):
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

    def get_config(self):
        return {**super().get_config(), "num_outputs": self.num_outputs}
