"""The base class of token encoders."""

import keras

INPUTS = ("words", "chars")


class TokenEncoder(keras.layers.Layer):
    """Maps the ids of one input to a vector per token: ``(batch, time, dim)``.

    Attributes:
        input_name: ``"words"`` (ids ``(batch, time)``) or ``"chars"``
            (ids ``(batch, time, chars)``), the input this encoder reads.
        init_only_options: options used only to initialise weights (a path
            to pretrained vectors, say). A model leaves them out of its
            saved config: the saved weights already hold what they gave.
    """

    input_name = "words"
    init_only_options = ()
