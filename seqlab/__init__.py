"""seqlab: recurrent sequence models for tagging and language modelling.

Example:
    >>> import seqlab
    >>> tagger = seqlab.Tagger(vocab_size=20000, num_tags=9, cell="lstm",
    ...                        depth=3, units=100, head="softmax")
    >>> seqlab.available("cells")
    {'elman': 'seqlab_builtins.cells', 'gru': 'seqlab_builtins.cells', ...}
"""

import importlib

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
from seqlab.hookspecs import hookimpl
from seqlab.registry import available, components

# What needs Keras (and so a backend) is imported on first use (PEP 562):
# `seqlab --help`, `seqlab plugins` and the config loader start in well
# under a second.
_LAZY = {
    "load_config": "seqlab.config",
    "TaggerConfig": "seqlab.config",
    "LanguageModelConfig": "seqlab.config",
    "layers": "seqlab.layers",
    "LanguageModel": "seqlab.models",
    "Tagger": "seqlab.models",
    "load_model": "seqlab.saving",
    "train_language_model": "seqlab.lm",
    "Run": "seqlab.runs",
    "evaluate_tagger": "seqlab.tagging",
    "export": "seqlab.exporting",
    "train_tagger": "seqlab.tagging",
    "GradientClipper": "seqlab.clipping",
    "GradientClippingOptimizer": "seqlab.clipping",
    "global_norm": "seqlab.clipping",
    "Vectors": "seqlab.embeddings",
}


def __getattr__(name):
    if name not in _LAZY:
        raise AttributeError(f"module 'seqlab' has no attribute {name!r}")
    from seqlab.backend_logs import hidden

    with hidden():  # the backend's C++ start-up lines (SEQLAB_BACKEND_LOGS=1 shows them)
        module = importlib.import_module(_LAZY[name])
    value = module if module.__name__ == f"seqlab.{name}" else getattr(module, name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY))


__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "DataError",
    "DuplicateComponentError",
    "GradientClipper",
    "GradientClippingOptimizer",
    "LanguageModel",
    "LanguageModelConfig",
    "PluginError",
    "Run",
    "SeqlabError",
    "SeqlabWarning",
    "Tagger",
    "TaggerConfig",
    "TrainingError",
    "UnknownComponentError",
    "UnsafeModelError",
    "Vectors",
    "available",
    "components",
    "global_norm",
    "hookimpl",
    "evaluate_tagger",
    "export",
    "layers",
    "load_config",
    "load_model",
    "train_language_model",
    "train_tagger",
]
