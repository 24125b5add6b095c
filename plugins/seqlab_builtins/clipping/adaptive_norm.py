"""The ``adaptive_norm`` clipper: a threshold that follows the average norm."""

from keras import ops

from seqlab import GradientClipper
from seqlab.validation import check_open_unit_interval, check_positive_number
from seqlab_builtins.clipping.global_norm import scale_gradients


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
        return scale_gradients(grads, factor)
