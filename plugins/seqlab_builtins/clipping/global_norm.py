"""The ``global_norm`` clipper (Pascanu, Mikolov & Bengio 2013)."""

from keras import ops

from seqlab import GradientClipper
from seqlab.validation import check_positive_number


def scale_gradients(grads, factor):
    """Every gradient times ``factor`` (None stays None)."""
    return [None if g is None else g * ops.cast(factor, g.dtype) for g in grads]


class GlobalNormClipper(GradientClipper):
    """Pascanu, Mikolov & Bengio (2013), Algorithm 1: if ||g|| > threshold,
    g <- threshold / ||g|| * g, for all gradients taken together. Keeps the
    direction of the step and bounds its length."""

    def __init__(self, threshold=5.0):
        check_positive_number("threshold", threshold)
        self.threshold = float(threshold)

    def __call__(self, grads, norm):
        factor = ops.where(norm > self.threshold,
                           self.threshold / ops.maximum(norm, 1e-12), 1.0)
        return scale_gradients(grads, factor)

    def clipped_norm(self, clipped, norm):
        # NaN stays NaN (ops.where picks it), so a non-finite step is seen.
        return ops.where(norm > self.threshold, self.threshold, norm)
