"""What `seqlab_builtins.encoders` registers; imported when first used."""

import keras
import numpy as np
from keras import ops

import seqlab
from seqlab.layers import TokenEncoder


def _chars(context, name):
    if context.chars is None:
        raise seqlab.ConfigError(
            f"Token encoder {name!r} reads characters, but the tagger has no "
            f"character vocabulary. Taggers built by seqlab.train_tagger have "
            f"one; otherwise pass char_vocabulary=.")
    return context.chars


@keras.saving.register_keras_serializable(package="seqlab")
class WordEmbedding(TokenEncoder):
    """A word embedding, optionally initialised from pretrained vectors.

    Args:
        input_size: number of word ids.
        dim: embedding width.
        initial: an ``(input_size, dim)`` array to start from, or None.
        trainable_embeddings: whether the vectors are updated in training.
    """

    input_name = "words"
    init_only_options = ("pretrained",)

    def __init__(self, input_size, dim=100, initial=None, trainable_embeddings=True, **kwargs):
        super().__init__(**kwargs)
        self.input_size, self.dim = input_size, dim
        self.trainable_embeddings = trainable_embeddings
        initializer = (keras.initializers.Constant(initial) if initial is not None
                       else keras.initializers.RandomUniform(-0.05, 0.05))
        self.embedding = keras.layers.Embedding(
            input_size, dim, embeddings_initializer=initializer,
            trainable=trainable_embeddings, name="embedding")

    def call(self, ids):
        return self.embedding(ids)

    def get_config(self):
        return {**super().get_config(), "input_size": self.input_size, "dim": self.dim,
                "trainable_embeddings": self.trainable_embeddings}


def word_embedding(context, dim=None, pretrained=None, trainable=True, seed=None):
    """Word embeddings, random (uniform +-0.05) or from pretrained vectors.

    Args:
        dim: the width; default the vectors' width, or 100 without vectors.
        pretrained: a vectors file (see `seqlab.Vectors`) to start from;
            default the tagger's vectors (``Tagger(pretrained=...)``, the
            ``[model] pretrained`` key of a config), if it has any.
        trainable: false keeps the vectors as they are (frozen).
        seed: seed of the random rows of words without a vector.

    Words without a vector, exactly or lower-cased, get random rows of the
    vectors' own scale. Lower-casing and digit normalisation are options of
    the word vocabulary (``[vocabulary] lowercase/digits`` in a config).
    """
    vectors = seqlab.Vectors.read(pretrained, keep=context.words.tokens) if pretrained else context.vectors
    if vectors is not None and dim is not None and dim != vectors.dim:
        raise seqlab.ConfigError(
            f"word_embedding has dim={dim}, but the pretrained vectors "
            f"({vectors.path}) are {vectors.dim} wide. Leave dim out to take the "
            f"vectors' width.")
    dim = dim or (vectors.dim if vectors is not None else 100)
    initial = None if vectors is None else vectors.matrix(context.words.tokens, seed)[0]
    return WordEmbedding(len(context.words), dim, initial, trainable)


def _flatten_tokens(char_ids):
    """(batch, time, chars) -> (batch * time, chars), and a function undoing it."""
    shape = ops.shape(char_ids)
    flat = ops.reshape(char_ids, (-1, shape[2]))
    # The feature width must stay static, or layers after it cannot build.
    return flat, lambda x: ops.reshape(x, (shape[0], shape[1], x.shape[-1]))


@keras.saving.register_keras_serializable(package="seqlab")
class CharCNN(TokenEncoder):
    """Character embeddings, a convolution and max-pooling over each word's
    characters (Ma & Hovy 2016)."""

    input_name = "chars"

    def __init__(self, input_size, dim=30, filters=50, width=3, **kwargs):
        super().__init__(**kwargs)
        self.input_size, self.dim, self.filters, self.width = input_size, dim, filters, width
        self.embedding = keras.layers.Embedding(input_size, dim, name="char_embedding")
        self.conv = keras.layers.Conv1D(filters, width, padding="same",
                                        activation="tanh", name="char_conv")

    def call(self, char_ids):
        flat, unflatten = _flatten_tokens(char_ids)
        features = self.conv(self.embedding(flat))
        present = ops.not_equal(flat, 0)[..., None]
        pooled = ops.max(ops.where(present, features, -1e9), axis=1)
        pooled = ops.where(ops.any(present, axis=1), pooled, 0.0)
        return unflatten(pooled)

    def get_config(self):
        return {**super().get_config(), "input_size": self.input_size, "dim": self.dim,
                "filters": self.filters, "width": self.width}


@keras.saving.register_keras_serializable(package="seqlab")
class CharLSTM(TokenEncoder):
    """The final states of a bidirectional LSTM over each word's characters
    (Lample et al. 2016)."""

    input_name = "chars"

    def __init__(self, input_size, dim=25, units=25, **kwargs):
        super().__init__(**kwargs)
        self.input_size, self.dim, self.units = input_size, dim, units
        self.embedding = keras.layers.Embedding(input_size, dim, name="char_embedding")
        self.forward = keras.layers.LSTM(units, name="char_forward")
        self.backward = keras.layers.LSTM(units, go_backwards=True, name="char_backward")

    def call(self, char_ids):
        flat, unflatten = _flatten_tokens(char_ids)
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


def char_cnn(context, dim=30, filters=50, width=3):
    """Character CNN word features (Ma & Hovy 2016): ``filters`` wide."""
    return CharCNN(len(_chars(context, "char_cnn")), dim, filters, width)


def char_lstm(context, dim=25, units=25):
    """Character BiLSTM word features (Lample et al. 2016): ``2 * units`` wide."""
    return CharLSTM(len(_chars(context, "char_lstm")), dim, units)
