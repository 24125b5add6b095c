"""The ``value`` clipper: Mikolov's element-wise clipping."""

from keras import ops

from seqlab import GradientClipper
from seqlab.validation import check_positive_number


class ValueClipper(GradientClipper):
    """Mikolov's element-wise clipping: each gradient entry is cut to
    [-threshold, threshold]. The RNNLM toolkit uses 15."""

    def __init__(self, threshold=15.0):
        check_positive_number("threshold", threshold)
        self.threshold = float(threshold)

    def __call__(self, grads, norm):
        t = self.threshold
        return [None if g is None else ops.clip(g, -t, t) for g in grads]
