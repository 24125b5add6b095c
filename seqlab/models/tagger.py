"""The sequence tagger: embeddings, a deep bidirectional RNN, an output head."""

import keras
import numpy as np
from keras import ops

from seqlab import registry
from seqlab.data.batching import SequenceBatches
from seqlab.data.schemes import check_scheme
from seqlab.data.vocabulary import Vocabulary
from seqlab.errors import ConfigError
from seqlab.layers.recurrent import check_positive_int
from seqlab.layers.stacked import StackedBidirectional
from seqlab.layers.word_dropout import WordDropout
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
        vocabulary: a `seqlab.data.Vocabulary` (or its config); with it and
            ``tag_names`` the model tags raw tokens (`tag`) and carries both
            in its saved file. ``vocab_size`` then defaults to its length.
        tag_names: the tag of each tag id.
        scheme: the tag scheme of ``tag_names`` (``"iob2"``, ``"iobes"``, ...).
        word_dropout: in training, the probability of replacing a word by
            ``<unk>`` (id 1), so unknown words are tagged from context.

    Example:
        >>> tagger = seqlab.Tagger(vocab_size=20000, num_tags=9, cell="lstm",
        ...                        depth=3, units=100, head="softmax")
        >>> tagger.compile(optimizer="adam", clipper="global_norm")
        >>> tagger.fit(word_ids, tag_ids, epochs=5)
        >>> tagger.predict_tags(word_ids)
    """

    def __init__(self, vocab_size=None, num_tags=None, cell="lstm", units=100,
                 depth=1, embedding_dim=100, merge_mode="concat", dropout=0.0,
                 head="softmax", kernel_initializer=None,
                 recurrent_initializer=None, vocabulary=None, tag_names=None,
                 scheme="iob2", word_dropout=0.0, **kwargs):
        if isinstance(vocabulary, dict):
            vocabulary = Vocabulary.from_config(vocabulary)
        vocab_size = _size("vocab_size", vocab_size, vocabulary, "vocabulary")
        num_tags = _size("num_tags", num_tags, tag_names, "tag_names")
        check_positive_int("embedding_dim", embedding_dim)
        super().__init__(**kwargs)
        self.vocabulary = vocabulary
        self.tag_names = None if tag_names is None else list(tag_names)
        self.scheme = check_scheme(scheme)
        self.vocab_size = vocab_size
        self.num_tags = num_tags
        self.embedding_dim = embedding_dim
        self.dropout = dropout
        self.head_spec = component_config(head, "output_heads")
        self.word_dropout = WordDropout(word_dropout, name="word_dropout")
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
        words = self.word_dropout(inputs, training=training)
        x = self.input_dropout(self.embedding(words), training=training)
        x = self.encoder(x, mask=mask, training=training)
        x = self.output_dropout(x, training=training)
        return self.head(x, training=training)

    def tag(self, sentences, batch_size=128):
        """Tag tokenised sentences with tag names (in the model's scheme).

        Args:
            sentences: lists of tokens. Unknown words map to ``<unk>``.
            batch_size: sentences per batch (batches are bucketed by length).

        Returns:
            One list of tag names per sentence.

        Raises:
            ConfigError: the model was built without a vocabulary and tag names.
        """
        if self.vocabulary is None or self.tag_names is None:
            raise ConfigError(
                "This tagger has no vocabulary or tag names, so it can only "
                "tag ids (predict_tags). Train it with seqlab.train_tagger or "
                "pass vocabulary= and tag_names= when building it.")
        ids = [self.vocabulary.ids(tokens) for tokens in sentences]
        batches = SequenceBatches([i or [1] for i in ids], batch_size=batch_size)
        tagged = [None] * len(ids)
        for index, rows in enumerate(batches.batches):
            (x,) = batches[index]
            best = ops.convert_to_numpy(self._decode(x))
            for row, i in enumerate(rows):
                tagged[i] = [self.tag_names[t] for t in best[row, :len(ids[i])]]
        return tagged

    def predict_tags(self, token_ids, batch_size=64):
        """Tag ids for padded word ids, 0 at padded positions (numpy)."""
        token_ids = ops.convert_to_numpy(token_ids)
        tags = [ops.convert_to_numpy(self._decode(token_ids[i:i + batch_size]))
                for i in range(0, len(token_ids), batch_size)]
        if not tags:
            raise ConfigError("predict_tags received no sequences.")
        return np.concatenate(tags)

    def _decode(self, token_ids):
        scores = self.predict_on_batch(token_ids)  # compiled
        return self.head.decode(scores, mask=self.padding_mask(token_ids))

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
            "vocabulary": None if self.vocabulary is None else self.vocabulary.get_config(),
            "tag_names": self.tag_names, "scheme": self.scheme,
            "word_dropout": self.word_dropout.rate,
        }


def _size(name, size, items, items_name):
    """A size given directly or by a list of items (both must agree)."""
    if items is not None:
        if size is not None and size != len(items):
            raise ConfigError(f"`{name}`={size} but `{items_name}` has "
                              f"{len(items)} entries.")
        size = len(items)
    check_positive_int(name, size)
    return size
