"""seqlab: recurrent sequence models for tagging and language modelling.

Example:
    >>> import seqlab
    >>> tagger = seqlab.Tagger(vocab_size=20000, num_tags=9, cell="lstm",
    ...                        depth=3, units=100, head="softmax")
    >>> seqlab.available("cells")
    {'elman': 'seqlab_builtins.cells', 'gru': 'seqlab_builtins.cells', ...}
"""

from seqlab import layers
from seqlab.errors import (
    ConfigError,
    DuplicateComponentError,
    PluginError,
    SeqlabError,
    TrainingError,
    UnknownComponentError,
)
from seqlab.hookspecs import hookimpl
from seqlab.models import LanguageModel, Tagger
from seqlab.registry import available, components
from seqlab.saving import load_model
from seqlab.training import GradientClipper, GradientClippingOptimizer, global_norm

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "DuplicateComponentError",
    "GradientClipper",
    "GradientClippingOptimizer",
    "LanguageModel",
    "PluginError",
    "SeqlabError",
    "Tagger",
    "TrainingError",
    "UnknownComponentError",
    "available",
    "components",
    "global_norm",
    "hookimpl",
    "layers",
    "load_model",
]
