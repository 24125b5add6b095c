"""seqlab's Keras models."""

from seqlab.models.language_model import LanguageModel
from seqlab.models.tagger import Tagger

__all__ = ["LanguageModel", "Tagger"]
