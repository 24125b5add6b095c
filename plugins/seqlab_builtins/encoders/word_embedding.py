"""The ``word_embedding`` encoder: one vector per word, optionally
pretrained."""

import keras

import seqlab
from seqlab.layers import TokenEncoder


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
        self.from_vectors = initial is not None
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


def word_embedding(context, dim=None, pretrained=None, trainable=None, seed=None):
    """Word embeddings, random (uniform +-0.05) or from pretrained vectors.

    Args:
        dim: the width; default the tagger's ``embedding_dim``, else the
            vectors' width, or 100 without vectors.
        pretrained: a vectors file (see `seqlab.Vectors`) to start from;
            default the tagger's vectors (``Tagger(pretrained=...)``, the
            ``[model] pretrained`` key of a config), if it has any.
        trainable: false keeps the vectors as they are (frozen); default
            the tagger's ``vectors_trainable``.
        seed: seed of the random rows of words without a vector.

    Words without a vector, exactly or lower-cased, get random rows of the
    vectors' own scale. Lower-casing and digit normalisation are options of
    the word vocabulary (``[vocabulary] lowercase/digits`` in a config).
    """
    vectors = seqlab.Vectors.read(pretrained, keep=context.words.tokens) if pretrained else context.vectors
    dim = dim if dim is not None else context.embedding_dim
    trainable = trainable if trainable is not None else context.vectors_trainable
    if vectors is not None and dim is not None and dim != vectors.dim:
        raise seqlab.ConfigError(
            f"word_embedding has dim={dim}, but the pretrained vectors "
            f"({vectors.path}) are {vectors.dim} wide. Leave dim out to take the "
            f"vectors' width.")
    dim = dim or (vectors.dim if vectors is not None else 100)
    initial = None if vectors is None else vectors.matrix(context.words.tokens, seed)[0]
    return WordEmbedding(len(context.words), dim, initial, trainable)
