"""The built-in initializers: Keras's own, with seqlab's names and checks."""

import keras

from seqlab.validation import check_positive_number


def identity(gain=1.0):
    """``gain`` times the identity matrix (the IRNN's recurrent weights)."""
    return keras.initializers.Identity(gain=gain)


def orthogonal(gain=1.0, seed=None):
    """A random orthogonal matrix times ``gain`` (Saxe et al. 2014)."""
    return keras.initializers.Orthogonal(gain=gain, seed=seed)


def uniform(scale=0.05, seed=None):
    """Uniform on [-scale, scale], as Zaremba et al. (2014) use (0.1, 0.05, 0.04)."""
    check_positive_number("scale", scale)
    return keras.initializers.RandomUniform(-scale, scale, seed=seed)


def glorot_uniform(seed=None):
    """Glorot & Bengio (2010) uniform initialisation."""
    return keras.initializers.GlorotUniform(seed=seed)
