"""The full softmax head."""

import keras
from keras import ops

import seqlab
from seqlab.layers import OutputHead


@keras.saving.register_keras_serializable(package="seqlab")
class SoftmaxHead(OutputHead):
    """A linear layer and a softmax over all outputs.

    `tie` makes it share a ``keras.layers.Embedding``'s matrix as its
    (transposed) weights, as language models with tied embeddings do.
    """

    def __init__(self, num_outputs, **kwargs):
        super().__init__(num_outputs, **kwargs)
        self.tied_embedding = None

    def tie(self, embedding):
        """Use ``embedding.embeddings`` (``(num_outputs, dim)``) as the weights."""
        if embedding.input_dim != self.num_outputs:
            raise seqlab.ConfigError(
                f"Cannot tie a {embedding.input_dim}-word embedding to a "
                f"{self.num_outputs}-output softmax.")
        self.tied_embedding = embedding

    def build(self, input_shape):
        if self.tied_embedding is None:
            self.kernel = self.add_weight(shape=(input_shape[-1], self.num_outputs),
                                          initializer="glorot_uniform", name="kernel")
        self.bias = self.add_weight(shape=(self.num_outputs,),
                                    initializer="zeros", name="bias")

    def call(self, features):
        if self.tied_embedding is not None:
            return ops.matmul(features, ops.transpose(
                self.tied_embedding.embeddings)) + self.bias
        return ops.matmul(features, self.kernel) + self.bias

    def token_loss(self, targets, scores, mask=None):
        return ops.sparse_categorical_crossentropy(
            ops.cast(targets, "int32"), scores, from_logits=True)

    def log_probs(self, scores, mask=None):
        return ops.log_softmax(scores, axis=-1)


def softmax(context):
    """Full softmax over all outputs."""
    return SoftmaxHead(context.num_outputs)
