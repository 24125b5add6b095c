"""What `seqlab_builtins.clipping` registers; imported when first used."""

from keras import ops

import seqlab
from seqlab import GradientClipper
from seqlab.validation import check_open_unit_interval, check_positive_number


def _scale(grads, factor):
    return [None if g is None else g * ops.cast(factor, g.dtype) for g in grads]


class NoClipping(GradientClipper):
    """Apply the gradients as they are."""

    def __call__(self, grads, norm):
        return grads

    def clipped_norm(self, clipped, norm):
        return norm


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
        return _scale(grads, factor)

    def clipped_norm(self, clipped, norm):
        # NaN stays NaN (ops.where picks it), so a non-finite step is seen.
        return ops.where(norm > self.threshold, self.threshold, norm)


class ValueClipper(GradientClipper):
    """Mikolov's element-wise clipping: each gradient entry is cut to
    [-threshold, threshold]. The RNNLM toolkit uses 15."""

    def __init__(self, threshold=15.0):
        check_positive_number("threshold", threshold)
        self.threshold = float(threshold)

    def __call__(self, grads, norm):
        t = self.threshold
        return [None if g is None else ops.clip(g, -t, t) for g in grads]


class AdaptiveNormClipper(GradientClipper):
    """Global-norm clipping with a threshold of ``factor`` times a running
    average of recent gradient norms, the heuristic Pascanu et al. (2013)
    recommend ("half to ten times the average norm").

    The average is an exponential moving average (bias-corrected) of the
    norms *after* clipping, so an exploding step does not raise the
    threshold. Before the first step there are no statistics: without
    ``max_threshold`` the first step is not clipped.

    Args:
        factor: threshold = factor * average norm.
        decay: weight of the past in the moving average (0.99 averages about
            the last 100 steps).
        max_threshold: an upper bound on the threshold, the first step's
            included (None: no bound). Where gradients explode from the
            first step on, the statistics alone cannot tell what a normal
            norm is; the bound can.
    """

    def __init__(self, factor=5.0, decay=0.99, max_threshold=None):
        check_positive_number("factor", factor)
        check_open_unit_interval("decay", decay)
        if max_threshold is not None:
            check_positive_number("max_threshold", max_threshold)
        self.factor = float(factor)
        self.decay = float(decay)
        self.max_threshold = None if max_threshold is None else float(max_threshold)

    def build(self, add_variable):
        self.average = add_variable("adaptive_norm_average")
        self.steps = add_variable("adaptive_norm_steps")

    def threshold(self):
        """The current threshold (before the first step: ``max_threshold``,
        or infinite)."""
        steps, average = self.steps.value, self.average.value
        correction = 1.0 - ops.power(self.decay, steps)
        threshold = ops.where(steps > 0,
                              self.factor * average / ops.maximum(correction, 1e-12),
                              float("inf"))
        if self.max_threshold is not None:
            threshold = ops.minimum(threshold, self.max_threshold)
        return threshold

    def __call__(self, grads, norm):
        threshold = self.threshold()
        factor = ops.where(norm > threshold, threshold / ops.maximum(norm, 1e-12), 1.0)
        # Only finite steps feed the statistics: one NaN must not disable
        # (or freeze at zero) the threshold for every later step.
        finite = ops.isfinite(norm)
        average = self.average.value
        updated = self.decay * average + (1.0 - self.decay) * ops.minimum(norm, threshold)
        self.average.assign(ops.where(finite, updated, average))
        self.steps.assign(self.steps.value + ops.cast(finite, "float32"))
        return _scale(grads, factor)
