"""The recurrent language model (Mikolov's RNNLM and its LSTM/GRU successors)."""

import keras
from keras import ops

from seqlab import registry
from seqlab.layers.recurrent import check_positive_int
from seqlab.layers.stacked import StackedRNN
from seqlab.models.base import SequenceModel, component_config


@keras.saving.register_keras_serializable(package="seqlab")
class LanguageModel(SequenceModel):
    """A recurrent language model scored by perplexity.

    Inputs are ``(batch, time)`` word ids (0 is padding); targets are the
    next word at each position. The loss is the mean negative
    log-likelihood per real token, so ``exp(loss)`` is the perplexity.

    Args:
        vocab_size: number of word ids, padding included.
        cell: cell spec: ``{"name": "elman", "activation": "sigmoid"}`` is
            Mikolov's RNNLM; ``"lstm"`` and ``"gru"`` its successors.
        units: hidden width of each layer.
        depth: number of recurrent layers.
        embedding_dim: width of the word embeddings (default: ``units``).
        dropout: dropout on non-recurrent connections.
        head: ``"softmax"`` or ``"class_softmax"`` (or another registered head).
        num_classes: number of word classes, for class-factored heads.
        word_counts: unigram count of each word id, for class-factored heads
            (classes are frequency bins). Without it, ids are taken to be
            sorted by decreasing frequency.
        kernel_initializer, recurrent_initializer: initializer specs, or None.

    Example:
        >>> lm = seqlab.LanguageModel(vocab_size=10000, cell="elman", units=200,
        ...                           head="class_softmax", num_classes=100)
    """

    def __init__(self, vocab_size, cell="lstm", units=200, depth=1,
                 embedding_dim=None, dropout=0.0, head="softmax",
                 num_classes=None, word_counts=None, kernel_initializer=None,
                 recurrent_initializer=None, **kwargs):
        check_positive_int("vocab_size", vocab_size)
        embedding_dim = units if embedding_dim is None else embedding_dim
        check_positive_int("embedding_dim", embedding_dim)
        super().__init__(**kwargs)
        self.vocab_size = vocab_size
        self.embedding_dim = embedding_dim
        self.dropout = dropout
        self.num_classes = num_classes
        self.word_counts = None if word_counts is None else [int(c) for c in word_counts]
        self.head_spec = component_config(head, "output_heads")
        self.embedding = keras.layers.Embedding(vocab_size, embedding_dim,
                                                name="embedding")
        self.input_dropout = keras.layers.Dropout(dropout, name="input_dropout")
        self.decoder = StackedRNN(
            cell, units, depth, dropout,
            component_config(kernel_initializer, "initializers"),
            component_config(recurrent_initializer, "initializers"),
            name="decoder")
        self.output_dropout = keras.layers.Dropout(dropout, name="output_dropout")
        head_options = {k: v for k, v in (("num_classes", num_classes),
                                          ("word_counts", self.word_counts))
                        if v is not None}
        self.head = registry.create("output_heads", head, vocab_size,
                                    **head_options)

    def call(self, inputs, training=None):
        mask = self.padding_mask(inputs)
        x = self.input_dropout(self.embedding(inputs), training=training)
        x = self.decoder(x, mask=mask, training=training)
        x = self.output_dropout(x, training=training)
        return self.head(x, training=training)

    def token_log_probs(self, token_ids, targets):
        """log p(target_t | history) at every position, ``(batch, time)``."""
        return -self.head.token_loss(targets, self(token_ids, training=False),
                                     self.padding_mask(token_ids))

    def get_config(self):
        decoder = self.decoder
        return {
            **super().get_config(),
            "vocab_size": self.vocab_size, "cell": decoder.cell,
            "units": decoder.units, "depth": decoder.depth,
            "embedding_dim": self.embedding_dim, "dropout": self.dropout,
            "head": self.head_spec, "num_classes": self.num_classes,
            "word_counts": self.word_counts,
            "kernel_initializer": decoder.kernel_initializer,
            "recurrent_initializer": decoder.recurrent_initializer,
        }
