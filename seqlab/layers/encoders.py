"""The base class of token encoders."""

import keras

from seqlab.errors import ConfigError

INPUTS = ("words", "chars")


class TokenEncoder(keras.layers.Layer):
    """Maps the ids of one input to a vector per token: ``(batch, time, dim)``.

    Attributes:
        input_name: ``"words"`` (ids ``(batch, time)``) or ``"chars"``
            (ids ``(batch, time, chars)``), the input this encoder reads.
            Checked when a subclass is defined.
        init_only_options: options used only to initialise weights (a path
            to pretrained vectors, say). A model leaves them out of its
            saved config: the saved weights already hold what they gave.
        from_vectors: whether this encoder started from pretrained vectors
            (a tagger given vectors that no encoder reads refuses them).
    """

    input_name = "words"
    init_only_options = ()
    from_vectors = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.input_name not in INPUTS:
            raise ConfigError(
                f"{cls.__name__}.input_name must be one of {', '.join(INPUTS)}. "
                f"Received: input_name={cls.input_name!r}")
