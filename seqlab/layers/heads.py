"""The base class of output heads."""

import keras
from keras import ops

from seqlab.layers.recurrent import check_positive_int


class OutputHead(keras.layers.Layer):
    """Maps features to scores and defines how they are scored and decoded.

    ``call(features)`` returns the *scores* a model outputs (what
    ``model.predict`` gives). The model's loss is `token_loss` over those
    scores, so a head decides how much of the output layer training touches.

    Args:
        num_outputs: positive int, the number of labels or words.
    """

    def __init__(self, num_outputs, **kwargs):
        check_positive_int("num_outputs", num_outputs)
        super().__init__(**kwargs)
        self.num_outputs = num_outputs
        self.supports_masking = True

    def token_loss(self, targets, scores):
        """Negative log-likelihood of each target: ``(batch, time)``."""
        raise NotImplementedError

    def log_probs(self, scores):
        """Normalised log-probabilities of every output: ``(batch, time, num_outputs)``."""
        raise NotImplementedError

    def decode(self, scores, mask=None):
        """The best output per position, ``(batch, time)`` int32; 0 where masked."""
        best = ops.cast(ops.argmax(self.log_probs(scores), axis=-1), "int32")
        if mask is not None:
            best = ops.where(mask, best, ops.zeros_like(best))
        return best

    def get_config(self):
        return {**super().get_config(), "num_outputs": self.num_outputs}
