"""Keras layers of seqlab's core."""

from seqlab.layers.encoders import TokenEncoder
from seqlab.layers.heads import (OutputHead, TokenRoutes, best_index, checked_word_counts,
                                 group_capacity, route_tokens, static_size)
from seqlab.layers.word_dropout import WordDropout
from seqlab.layers.recurrent import ProjectedCell, ProjectedRNN
from seqlab.layers.stacked import (
    StackedBidirectional,
    StackedRNN,
    make_recurrent_layer,
)

__all__ = [
    "OutputHead",
    "ProjectedCell",
    "ProjectedRNN",
    "StackedBidirectional",
    "StackedRNN",
    "TokenEncoder",
    "TokenRoutes",
    "WordDropout",
    "best_index",
    "checked_word_counts",
    "group_capacity",
    "make_recurrent_layer",
    "route_tokens",
    "static_size",
]
