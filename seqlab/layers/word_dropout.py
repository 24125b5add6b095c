"""Word dropout: train the ``<unk>`` embedding on real contexts."""

import keras
from keras import ops

from seqlab.errors import ConfigError


@keras.saving.register_keras_serializable(package="seqlab")
class WordDropout(keras.layers.Layer):
    """During training, replace each real word id by ``unk_id`` with
    probability ``rate``.

    A model whose vocabulary holds every training word never sees
    ``<unk>`` in training, yet meets it for every unseen word at test time.
    Dropping words to ``<unk>`` (as Lample et al. 2016 do for singletons)
    teaches it to tag unknown words from their context.

    Args:
        rate: probability of replacing a word, in [0, 1).
        unk_id: the id words are replaced by.
        padding_id: ids never replaced.
        seed: seed of the random draws.
    """

    def __init__(self, rate=0.0, unk_id=1, padding_id=0, seed=None, **kwargs):
        if not 0.0 <= rate < 1.0:
            raise ConfigError(f"`word_dropout` must be in [0, 1). Received: {rate!r}")
        super().__init__(**kwargs)
        self.rate, self.unk_id, self.padding_id, self.seed = rate, unk_id, padding_id, seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, token_ids, training=None):
        if not training or self.rate == 0.0:
            return token_ids
        draw = keras.random.uniform(ops.shape(token_ids), seed=self.seed_generator)
        replace = ops.logical_and(draw < self.rate,
                                  ops.not_equal(token_ids, self.padding_id))
        return ops.where(replace, ops.full_like(token_ids, self.unk_id), token_ids)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "unk_id": self.unk_id,
                "padding_id": self.padding_id, "seed": self.seed}
