"""The sequence tagger: embeddings, a deep bidirectional RNN, an output head."""

import keras
import numpy as np
from keras import ops

from seqlab import registry
from seqlab.errors import ConfigError
from seqlab.layers.recurrent import check_positive_int
from seqlab.layers.stacked import StackedBidirectional
from seqlab.models.base import SequenceModel, component_config


@keras.saving.register_keras_serializable(package="seqlab")
class Tagger(SequenceModel):
    """A stacked bidirectional RNN tagger (Irsoy & Cardie 2014).

    Inputs are ``(batch, time)`` word ids with 0 as padding; targets are tag
    ids of the same shape. ``predict`` returns the head's scores;
    `predict_tags` returns tag ids.

    Args:
        vocab_size: number of word ids, padding included.
        num_tags: number of tags.
        cell: cell spec (``"lstm"``, ``"gru"``, ``"elman"``, ...).
        units: width of each direction of each layer.
        depth: number of bidirectional layers.
        embedding_dim: width of the word embeddings.
        merge_mode: ``"concat"``, ``"sum"``, ``"mul"`` or ``"ave"``.
        dropout: dropout on the embeddings, between layers and before the head.
        head: output-head spec (``"softmax"``, ...).
        kernel_initializer, recurrent_initializer: initializer specs for the
            recurrent layers, or None for each cell's defaults.

    Example:
        >>> tagger = seqlab.Tagger(vocab_size=20000, num_tags=9, cell="lstm",
        ...                        depth=3, units=100, head="softmax")
        >>> tagger.compile(optimizer="adam", clipper="global_norm")
        >>> tagger.fit(word_ids, tag_ids, epochs=5)
        >>> tagger.predict_tags(word_ids)
    """

    def __init__(self, vocab_size, num_tags, cell="lstm", units=100, depth=1,
                 embedding_dim=100, merge_mode="concat", dropout=0.0,
                 head="softmax", kernel_initializer=None,
                 recurrent_initializer=None, **kwargs):
        for name, value in (("vocab_size", vocab_size), ("num_tags", num_tags),
                            ("embedding_dim", embedding_dim)):
            check_positive_int(name, value)
        super().__init__(**kwargs)
        self.vocab_size = vocab_size
        self.num_tags = num_tags
        self.embedding_dim = embedding_dim
        self.dropout = dropout
        self.head_spec = component_config(head, "output_heads")
        self.embedding = keras.layers.Embedding(vocab_size, embedding_dim,
                                                name="embedding")
        self.input_dropout = keras.layers.Dropout(dropout, name="input_dropout")
        self.encoder = StackedBidirectional(
            cell, units, depth, merge_mode, dropout,
            component_config(kernel_initializer, "initializers"),
            component_config(recurrent_initializer, "initializers"),
            name="encoder")
        self.output_dropout = keras.layers.Dropout(dropout, name="output_dropout")
        self.head = registry.create("output_heads", head, num_tags)

    def call(self, inputs, training=None):
        mask = self.padding_mask(inputs)
        x = self.input_dropout(self.embedding(inputs), training=training)
        x = self.encoder(x, mask=mask, training=training)
        x = self.output_dropout(x, training=training)
        return self.head(x, training=training)

    def predict_tags(self, token_ids, batch_size=64):
        """Tag ids for padded word ids, 0 at padded positions (numpy)."""
        token_ids = ops.convert_to_numpy(token_ids)
        tags = [ops.convert_to_numpy(self._decode(token_ids[i:i + batch_size]))
                for i in range(0, len(token_ids), batch_size)]
        if not tags:
            raise ConfigError("predict_tags received no sequences.")
        return np.concatenate(tags)

    def _decode(self, token_ids):
        return self.head.decode(self(token_ids, training=False),
                                mask=self.padding_mask(token_ids))

    def get_config(self):
        encoder = self.encoder
        return {
            **super().get_config(),
            "vocab_size": self.vocab_size, "num_tags": self.num_tags,
            "cell": encoder.cell, "units": encoder.units, "depth": encoder.depth,
            "embedding_dim": self.embedding_dim,
            "merge_mode": encoder.merge_mode, "dropout": self.dropout,
            "head": self.head_spec,
            "kernel_initializer": encoder.kernel_initializer,
            "recurrent_initializer": encoder.recurrent_initializer,
        }
