"""The ``char_cnn`` encoder (Ma & Hovy 2016)."""

import keras
from keras import ops

from seqlab.layers import TokenEncoder
from seqlab_builtins.encoders.characters import character_vocabulary, flatten_tokens


@keras.saving.register_keras_serializable(package="seqlab")
class CharCNN(TokenEncoder):
    """Character embeddings, a convolution and max-pooling over each word's
    characters (Ma & Hovy 2016)."""

    input_name = "chars"
    per_token = True  # each word's vector from its own characters (decoding reuses it)

    def __init__(self, input_size, dim=30, filters=50, width=3, **kwargs):
        super().__init__(**kwargs)
        self.input_size, self.dim, self.filters, self.width = input_size, dim, filters, width
        self.embedding = keras.layers.Embedding(input_size, dim, name="char_embedding")
        self.conv = keras.layers.Conv1D(filters, width, padding="same",
                                        activation="tanh", name="char_conv")

    def call(self, char_ids):
        flat, unflatten = flatten_tokens(char_ids)
        features = self.conv(self.embedding(flat))
        present = ops.not_equal(flat, 0)[..., None]
        pooled = ops.max(ops.where(present, features, -1e9), axis=1)
        pooled = ops.where(ops.any(present, axis=1), pooled, 0.0)
        return unflatten(pooled)

    def get_config(self):
        return {**super().get_config(), "input_size": self.input_size, "dim": self.dim,
                "filters": self.filters, "width": self.width}


def char_cnn(context, dim=30, filters=50, width=3):
    """Character CNN word features (Ma & Hovy 2016): ``filters`` wide."""
    return CharCNN(len(character_vocabulary(context, "char_cnn")), dim, filters, width)
