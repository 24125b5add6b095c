"""The ``char_lstm`` encoder (Lample et al. 2016)."""

import keras
from keras import ops

from seqlab.layers import TokenEncoder
from seqlab_builtins.encoders.characters import character_vocabulary, flatten_tokens


@keras.saving.register_keras_serializable(package="seqlab")
class CharLSTM(TokenEncoder):
    """The final states of a bidirectional LSTM over each word's characters
    (Lample et al. 2016)."""

    input_name = "chars"
    per_token = True  # each word's vector from its own characters (decoding reuses it)

    def __init__(self, input_size, dim=25, units=25, **kwargs):
        super().__init__(**kwargs)
        self.input_size, self.dim, self.units = input_size, dim, units
        self.embedding = keras.layers.Embedding(input_size, dim, name="char_embedding")
        self.forward = keras.layers.LSTM(units, name="char_forward")
        self.backward = keras.layers.LSTM(units, go_backwards=True, name="char_backward")

    def call(self, char_ids):
        flat, unflatten = flatten_tokens(char_ids)
        present = ops.not_equal(flat, 0)
        # Padding tokens have no characters; give them one step so every
        # row is a valid sequence, and zero their output afterwards.
        empty = ops.logical_not(ops.any(present, axis=1))
        mask = ops.logical_or(present, ops.logical_and(
            empty[:, None], ops.arange(ops.shape(flat)[1])[None] == 0))
        x = self.embedding(flat)
        both = ops.concatenate([self.forward(x, mask=mask),
                                self.backward(x, mask=mask)], axis=-1)
        return unflatten(ops.where(empty[:, None], 0.0, both))

    def get_config(self):
        return {**super().get_config(), "input_size": self.input_size,
                "dim": self.dim, "units": self.units}


def char_lstm(context, dim=25, units=25):
    """Character BiLSTM word features (Lample et al. 2016): ``2 * units`` wide."""
    return CharLSTM(len(character_vocabulary(context, "char_lstm")), dim, units)
