"""Training language models with truncated BPTT: the language model's part
of a run (`seqlab.runs`)."""

import math

import numpy as np

from seqlab import memory, runs
from seqlab.backend_logs import quiet
from seqlab.callbacks import PlateauHalving, ResetStates, plateau_halving, step_decay
from seqlab.errors import ConfigError
from seqlab.data.corpus import (build_vocabulary, check_windows, corpus_ids, read_corpus,
                                stream_windows, word_counts)
from seqlab.lm.scoring import perplexity
from seqlab.models.language_model import LanguageModel


def uniform_init(model, scale, seed):
    """Re-initialise every trainable weight uniformly in [-scale, scale]
    (Zaremba et al.'s initialisation)."""
    rng = np.random.default_rng(seed)
    for variable in model.trainable_variables:
        variable.assign(rng.uniform(-scale, scale, variable.shape).astype(variable.dtype))


class LanguageModelTask(runs.Task):
    """A language model's part of a run: corpora, a `LanguageModel`, dev perplexity."""

    kind = "lm"
    score_name = "dev_ppl"

    def use_distribution(self, distribution):
        super().use_distribution(distribution)
        if distribution.replicas > 1 and not distribution.splits_carried_state:
            raise ConfigError(
                "A language model carries its hidden state from one window to the "
                "next in a variable of the global batch's shape, which tf.distribute "
                "cannot split across replicas. Train language models on several "
                "devices with the JAX backend (KERAS_BACKEND=jax), or on one device.")

    def read_data(self):
        data = self.config.data
        units = {"unit": data.unit, "direction": self.config.model.direction}
        self.train = read_corpus(data.train, **units)
        self.dev = read_corpus(data.dev, **units)
        self.test = read_corpus(data.test, **units) if data.test else None
        training = self.config.training
        check_windows(sum(len(s) for s in self.train), training.batch_size,
                      training.num_steps, where=f"{data.train}: its stream")

    def _use_vocabulary(self, vocabulary):
        self.vocabulary = vocabulary
        self.train_ids = corpus_ids(self.train, vocabulary)
        self.dev_ids = corpus_ids(self.dev, vocabulary)

    def build_model(self):
        vocabulary = self.config.vocabulary
        self._use_vocabulary(build_vocabulary(self.train, vocabulary.max_size or None,
                                              vocabulary.min_count, self.config.data.unit))
        training = self.config.training
        batch_size, num_steps = training.batch_size, training.num_steps
        options = self.config.model.model_dump(exclude_none=True)
        if not options.get("num_classes"):
            options.pop("num_classes", None)
        counts = word_counts(self.train_ids, len(self.vocabulary))
        model = LanguageModel(vocabulary=self.vocabulary, stream_batch_size=batch_size,
                              word_counts=counts.tolist(), unit=self.config.data.unit,
                              **options)
        model(np.zeros((batch_size, num_steps), "int32"), carry_state=False)
        if training.init_scale:
            uniform_init(model, training.init_scale, training.seed)
        model.compile(**runs.compile_options(training))
        return model

    def resumed(self, model):
        self._use_vocabulary(model.vocabulary)

    def fit_data(self, model, epoch):
        training = self.config.training
        batch_size = training.batch_size
        distribution = self.distribution
        x, y = stream_windows(self.train_ids, batch_size, training.num_steps)
        # Window k is rows k*batch_size.. of x; each process reads its own
        # streams (the same rows of every window), so states carry over.
        share = batch_size // distribution.processes
        memory.check_batch(share, training.num_steps, memory.values_per_token([model]),
                           unit="streams in windows of")
        x, y = (distribution.shard_batch(a.reshape(-1, batch_size, a.shape[-1])
                                         .transpose(1, 0, 2)).transpose(1, 0, 2)
                .reshape(-1, a.shape[-1]) for a in (x, y))
        return {"x": x, "y": y, "batch_size": share, "shuffle": False}

    def callbacks(self, history):
        training = self.config.training
        if training.lr_schedule == "plateau":
            schedule = PlateauHalving(training.learning_rate, training.lr_decay,
                                      training.min_improvement, history)
        else:
            schedule = step_decay(training.learning_rate, training.lr_decay,
                                  training.decay_after)
        return [ResetStates(), schedule]

    def stop_reason(self, history):
        training = self.config.training
        if training.lr_schedule != "plateau":
            return None
        _, stop = plateau_halving(training.learning_rate, training.lr_decay,
                                  training.min_improvement,
                                  [row["dev_ppl"] for row in history])
        if not stop:
            return None
        return (f"dev perplexity improved by less than the factor "
                f"{training.min_improvement} in log-likelihood twice (the learning "
                f"rate has decayed since the first time)")

    def _perplexity(self, model, ids):
        training = self.config.training
        return {**perplexity(model, ids, training.batch_size, training.num_steps),
                "unit": self.config.data.unit}

    def dev_score(self, model):
        return -self._perplexity(model, self.dev_ids)["perplexity"]

    def shown(self, score):
        if self.config.data.unit == "char" and -score > 0:  # what character models are read in
            return f"{-score:.2f} ({math.log2(-score):.3f} bits per character)", -score
        return f"{-score:.2f}", -score

    def report(self, model, directory):
        dev = self._perplexity(model, self.dev_ids)
        test = None
        if self.test is not None:
            test = self._perplexity(model, corpus_ids(self.test, self.vocabulary))
        parameters = int(sum(np.prod(v.shape) for v in model.trainable_variables))
        return dev, test, {"parameters": parameters}


@quiet
def train_language_model(config, resume=True, verbose=1, allow_changed_data=False,
                         callbacks=()):
    """Train a language model as a config (``seqlab.load_config(path,
    task="lm")``) describes.

    Batches are ``batch_size`` parallel streams cut into windows of
    ``num_steps`` words, the hidden state carried across windows and reset
    at the start of each epoch. The model is selected on dev perplexity and
    checkpointed every epoch into ``config.output``; an unfinished run of
    the same config resumes (on the same data, unless
    ``allow_changed_data``).

    ``callbacks``: more Keras callbacks, after the run's own (an epoch's
    logs hold the dev score).

    Returns:
        A `seqlab.runs.Run`.
    """
    return runs.train(LanguageModelTask(config), config, resume, verbose, allow_changed_data,
                      callbacks)
