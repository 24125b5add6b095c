"""The ``none`` clipper: gradients applied as they are."""

from seqlab import GradientClipper


class NoClipping(GradientClipper):
    """Apply the gradients as they are."""

    def __call__(self, grads, norm):
        return grads

    def clipped_norm(self, clipped, norm):
        return norm
