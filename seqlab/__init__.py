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
    DataError,
    DuplicateComponentError,
    PluginError,
    SeqlabError,
    SeqlabWarning,
    TrainingError,
    UnknownComponentError,
    UnsafeModelError,
)
from seqlab.config import load_config
from seqlab.hookspecs import hookimpl
from seqlab.models import LanguageModel, Tagger
from seqlab.registry import available, components
from seqlab.saving import load_model
from seqlab.lm import train_language_model
from seqlab.runs import Run
from seqlab.tagging import evaluate_tagger, train_tagger
from seqlab.training import GradientClipper, GradientClippingOptimizer, global_norm

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "DataError",
    "DuplicateComponentError",
    "GradientClipper",
    "GradientClippingOptimizer",
    "LanguageModel",
    "PluginError",
    "Run",
    "SeqlabError",
    "SeqlabWarning",
    "Tagger",
    "TrainingError",
    "UnknownComponentError",
    "UnsafeModelError",
    "available",
    "components",
    "global_norm",
    "hookimpl",
    "evaluate_tagger",
    "layers",
    "load_config",
    "load_model",
    "train_language_model",
    "train_tagger",
]
