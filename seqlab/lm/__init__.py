"""Language modelling on text files: training with truncated BPTT,
perplexity, sentence scoring and sampling, and the Kneser-Ney n-gram
baseline they are measured against. The work behind ``seqlab lm``.

Example:
    >>> config = seqlab.load_config("ptb.toml", task="lm")
    >>> run = seqlab.lm.train_language_model(config)
    >>> run.test["perplexity"]
    >>> seqlab.lm.sentence_log_probs(run.model, ["the cat is small", "small the is cat"])
"""

from seqlab.callbacks import ResetStates
from seqlab.lm.ngram import KneserNey
from seqlab.lm.sampling import generate
from seqlab.lm.scoring import (perplexity, sentence_log_probs, stream_log_likelihood,
                               text_perplexity)
from seqlab.lm.training import LanguageModelTask, train_language_model, uniform_init

__all__ = [
    "KneserNey", "LanguageModelTask", "ResetStates", "generate", "perplexity", "sentence_log_probs",
    "stream_log_likelihood", "text_perplexity", "train_language_model", "uniform_init",
]
