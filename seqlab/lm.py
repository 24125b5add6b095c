"""Language modelling on text files: training with truncated BPTT,
perplexity, sentence scoring and sampling. The work behind ``seqlab lm``.

Example:
    >>> config = seqlab.load_config("ptb.toml", task="lm")
    >>> run = seqlab.train_language_model(config)
    >>> run.test["perplexity"]
    >>> seqlab.lm.sentence_log_probs(run.model, ["the cat is small", "small the is cat"])
"""

import dataclasses
import inspect
import json
import math
import os

import keras
import numpy as np

from seqlab import callbacks as seqlab_callbacks
from seqlab import plugins, registry
from seqlab.data.corpus import (EOS, build_vocabulary, check_vocabulary,
                                corpus_ids, read_corpus, stream_windows,
                                word_counts)
from seqlab.errors import ConfigError, DataError, TrainingError
from seqlab.io import atomic_write
from seqlab.models.base import cached_helper
from seqlab.models.language_model import LanguageModel
from seqlab.saving import load_model
from seqlab.training import optimizer_from_config


@dataclasses.dataclass
class LanguageModelRun:
    """The outcome of `train_language_model`.

    Attributes:
        model: the best model (by dev perplexity).
        history: one dict per epoch (loss, dev_ppl, learning_rate, ...).
        best_epoch: the epoch of the best model.
        dev: `perplexity` of the best model on dev.
        test: the same on test, or None without a test file.
        output: the run directory.
    """

    model: LanguageModel
    history: list
    best_epoch: int
    dev: dict
    test: dict
    output: str


class _StreamScorer(keras.Model):
    """One compiled step of scoring: log p(y_t | history) and the final
    states, from given states. Shares the language model's weights and is
    neither tracked nor saved by it."""

    def __init__(self, lm):
        super().__init__(name=f"{lm.name}_scorer")
        self.lm = lm
        self.sizes = lm.decoder.state_sizes()

    def call(self, inputs):
        x, y, *flat = inputs
        states, k = [], 0
        for layer in self.sizes:
            states.append(flat[k:k + len(layer)])
            k += len(layer)
        log_probs, final = self.lm.token_log_probs(x, y, initial_state=states,
                                                   return_state=True)
        return [log_probs] + [s for layer in final for s in layer]


def _scorer(model):
    """The model's `_StreamScorer`, made once: its compiled predict step is
    reused by every evaluation (each epoch's dev perplexity included)."""
    return cached_helper(model, "_seqlab_scorer", _StreamScorer)


def _eval_rows(ids, batch_size):
    """Split the predictions of a stream into ``batch_size`` contiguous rows.

    ``ids`` is preceded by ``<eos>`` (the end of an imagined previous
    sentence) so that every token of the text is predicted once. Returns
    right-padded ``(inputs, targets)`` of shape ``(rows, length)``.
    """
    batch_size = max(1, min(batch_size, len(ids) - 1))
    bounds = np.linspace(0, len(ids) - 1, batch_size + 1).astype(int)
    length = int(np.max(np.diff(bounds)))
    x = np.zeros((batch_size, length), "int32")
    y = np.zeros((batch_size, length), "int32")
    for row, (start, end) in enumerate(zip(bounds[:-1], bounds[1:])):
        x[row, :end - start] = ids[start:end]
        y[row, :end - start] = ids[start + 1:end + 1]
    return x, y


def stream_log_likelihood(model, ids, batch_size=20, num_steps=35, eos_id=None):
    """Total log-likelihood (natural log) of a stream of word ids.

    The stream is cut into ``batch_size`` contiguous parts read in windows
    of ``num_steps``, the hidden state carried across windows (as in
    training); every token is predicted exactly once.

    Returns:
        ``(total_log_prob, num_tokens)``.
    """
    ids = np.asarray(ids, "int32")
    if len(ids) == 0:
        raise DataError("Cannot score an empty text.")
    if eos_id is None:
        eos_id = _eos_id(model)
    x, y = _eval_rows(np.concatenate([[eos_id], ids]).astype("int32"), batch_size)
    scorer = _scorer(model)
    states = [np.zeros((x.shape[0], size), "float32")
              for layer in scorer.sizes for size in layer]
    total = 0.0
    width = x.shape[1]
    padded = math.ceil(width / num_steps) * num_steps
    x = np.pad(x, ((0, 0), (0, padded - width)))
    y = np.pad(y, ((0, 0), (0, padded - width)))
    for start in range(0, padded, num_steps):
        xs, ys = x[:, start:start + num_steps], y[:, start:start + num_steps]
        log_probs, *states = scorer.predict_on_batch([xs, ys, *states])
        total += float(np.sum(np.where(ys > 0, log_probs, 0.0), dtype=np.float64))
    return total, int(np.sum(y > 0))


def perplexity(model, ids, batch_size=20, num_steps=35):
    """Perplexity of a language model on a stream of word ids.

    Returns:
        A dict: ``perplexity`` (exp of the mean negative log-likelihood per
        token), ``bits`` (its base-2 log: the cross-entropy in bits per
        word), ``nll`` (mean negative log-likelihood, nats) and ``tokens``.
    """
    total, count = stream_log_likelihood(model, ids, batch_size, num_steps)
    nll = -total / count
    return {"perplexity": math.exp(nll) if nll < 700 else math.inf,
            "bits": nll / math.log(2),
            "nll": nll, "tokens": count}


def text_perplexity(model, path, batch_size=20, num_steps=35):
    """`perplexity` of a saved model on a corpus file, read in its vocabulary.

    Raises:
        DataError: the file is missing, empty or not UTF-8, or its words are
            mostly outside the model's vocabulary.
    """
    vocabulary = _model_vocabulary(model)
    sentences = read_corpus(path)
    ids = corpus_ids(sentences, vocabulary)
    check_vocabulary(vocabulary, sentences, ids, path)
    return perplexity(model, ids, batch_size, num_steps)


def sentence_log_probs(model, sentences):
    """log p(sentence) for each sentence: its words and the final ``<eos>``,
    each predicted from the words before it (the first from ``<eos>``).

    Args:
        sentences: strings (split on whitespace) or token lists.

    Returns:
        A list of dicts: ``sentence``, ``log_prob`` (natural log),
        ``log10_prob``, ``tokens`` and ``perplexity``.
    """
    vocabulary = _model_vocabulary(model)
    eos = _eos_id(model)
    token_lists = [s.split() if isinstance(s, str) else list(s) for s in sentences]
    rows = [[eos] + vocabulary.ids(tokens) + [eos] for tokens in token_lists]
    width = max(len(r) for r in rows) - 1
    x = np.zeros((len(rows), width), "int32")
    y = np.zeros((len(rows), width), "int32")
    for i, row in enumerate(rows):
        x[i, :len(row) - 1], y[i, :len(row) - 1] = row[:-1], row[1:]
    log_probs = np.asarray(model.token_log_probs(x, y))
    results = []
    for i, tokens in enumerate(token_lists):
        n = len(rows[i]) - 1
        total = float(np.sum(log_probs[i, :n], dtype=np.float64))
        results.append({"sentence": " ".join(tokens), "log_prob": total,
                        "log10_prob": total / math.log(10), "tokens": n,
                        "perplexity": math.exp(-total / n)})
    return results


def generate(model, num_words=50, temperature=1.0, prompt=None, seed=None,
             stop_at_eos=False):
    """Sample words from a language model.

    Args:
        num_words: how many words to sample.
        temperature: > 0; below 1 sharpens the distribution, above 1 flattens it.
        prompt: words to start from (a string or token list), or None to
            start after an ``<eos>``.
        seed: for reproducible samples.
        stop_at_eos: stop after the first sampled ``<eos>``.

    Returns:
        The sampled words (``<eos>`` marks sentence ends).
    """
    if not temperature > 0:
        raise ConfigError(f"`temperature` must be > 0. Received: {temperature!r}")
    vocabulary = _model_vocabulary(model)
    eos = _eos_id(model)
    rng = np.random.default_rng(seed)
    prompt = prompt.split() if isinstance(prompt, str) else list(prompt or [])
    x = np.asarray([[eos] + vocabulary.ids(prompt)], "int32")
    states = model.decoder.zero_states(1)
    words = []
    for _ in range(num_words):
        # Read the prompt once, then one sampled word at a time.
        scores, states = model(x, training=False, initial_state=states,
                               return_state=True, carry_state=False)
        log_probs = np.asarray(model.head.log_probs(scores), "float64")[0, -1]
        logits = log_probs / temperature
        logits[:2] = -np.inf  # never padding or <unk>
        p = np.exp(logits - logits.max())
        word = int(rng.choice(len(p), p=p / p.sum()))
        words.append(vocabulary.tokens[word])
        if stop_at_eos and word == eos:
            break
        x = np.asarray([[word]], "int32")
    return words


def _model_vocabulary(model):
    if getattr(model, "vocabulary", None) is None:
        raise ConfigError("This language model has no vocabulary (it was built "
                          "from vocab_size alone), so it cannot read words. "
                          "Train it with `seqlab lm train` or pass vocabulary=.")
    return model.vocabulary


def _eos_id(model):
    vocabulary = getattr(model, "vocabulary", None)
    if vocabulary is None or EOS not in vocabulary.index:
        raise ConfigError(f"The model's vocabulary has no {EOS} token: it was "
                          f"not trained on sentences ending in {EOS}.")
    return vocabulary.index[EOS]


class ResetStates(keras.callbacks.Callback):
    """Zero a language model's carried states at the start of every pass
    over the data (each training epoch and each evaluation)."""

    def on_epoch_begin(self, epoch, logs=None):
        self.model.reset_states()

    def on_test_begin(self, logs=None):
        self.model.reset_states()

    def on_predict_begin(self, logs=None):
        self.model.reset_states()


def step_decay(learning_rate, decay, decay_after):
    """lr(epoch) = learning_rate * decay ** max(0, epoch + 1 - decay_after):
    constant for ``decay_after`` epochs, then multiplied by ``decay`` after
    each epoch (Zaremba et al. 2014)."""
    def schedule(epoch, lr=None):
        return learning_rate * decay ** max(0, epoch + 1 - decay_after)
    return schedule


def uniform_init(model, scale, seed):
    """Re-initialise every trainable weight uniformly in [-scale, scale]
    (Zaremba et al.'s initialisation)."""
    rng = np.random.default_rng(seed)
    for variable in model.trainable_variables:
        variable.assign(rng.uniform(-scale, scale, variable.shape).astype(variable.dtype))


def train_language_model(config, resume=True, verbose=1):
    """Train a language model as a config (``seqlab.load_config(path,
    task="lm")``) describes.

    Batches are ``batch_size`` parallel streams cut into windows of
    ``num_steps`` words, the hidden state carried across windows and reset
    at the start of each epoch. The model is selected on dev perplexity and
    checkpointed every epoch into ``config["output"]``; an unfinished run of
    the same config resumes.

    Returns:
        A `LanguageModelRun`.
    """
    plugins.require_distributions(config["plugins"]["require"])
    data, training, output = config["data"], config["training"], config["output"]
    keras.utils.set_random_seed(training["seed"])
    train = read_corpus(data["train"])
    dev = read_corpus(data["dev"])
    batch_size, num_steps = training["batch_size"], training["num_steps"]

    state = seqlab_callbacks.resumable_state(config, resume)
    if state:
        model = load_model(os.path.join(output, seqlab_callbacks.LAST))
        print(f"Resuming {output} after epoch {state['epoch']}.", flush=True)
        vocabulary = model.vocabulary
    else:
        vocabulary = build_vocabulary(train, config["vocabulary"]["max_size"] or None,
                                      config["vocabulary"]["min_count"])
    train_ids = corpus_ids(train, vocabulary)
    dev_ids = corpus_ids(dev, vocabulary)
    if not state:
        options = {k: v for k, v in config["model"].items() if v is not None}
        if _head_takes(options.get("head", "softmax"), "word_counts"):
            options["word_counts"] = word_counts(train_ids, len(vocabulary)).tolist()
        if not options.get("num_classes"):
            options.pop("num_classes", None)
        model = LanguageModel(vocabulary=vocabulary, stream_batch_size=batch_size,
                              **options)
        model(np.zeros((batch_size, num_steps), "int32"), carry_state=False)
        if training["init_scale"]:
            uniform_init(model, training["init_scale"], training["seed"])
        model.compile(optimizer=optimizer_from_config(training),
                      clipper=training["clipper"])
    os.makedirs(output, exist_ok=True)
    atomic_write(os.path.join(output, "config.json"), json.dumps(config, indent=1))

    x, y = stream_windows(train_ids, batch_size, num_steps)
    epoch = state["epoch"] if state else 0
    def dev_score(m):
        value = perplexity(m, dev_ids, batch_size, num_steps)["perplexity"]
        if not math.isfinite(value):
            kept = os.path.join(output, seqlab_callbacks.LAST)
            raise TrainingError(
                f"The dev perplexity became {value} after epoch "
                f"{len(checkpoint.history) + 1}: training diverged. "
                + (f"The last good checkpoint, {kept}, is kept. "
                   if os.path.exists(kept) else "")
                + "Lower the learning rate or clip gradients.")
        return -value

    checkpoint = seqlab_callbacks.DevCheckpoint(
        dev_score,
        output, training["patience"], state, name="dev_ppl",
        display=lambda score: f"{-score:.2f}", logged=lambda score: -score)
    schedule = step_decay(training["learning_rate"], training["lr_decay"],
                          training["decay_after"])
    if epoch < training["epochs"] and not (
            state and training["patience"] and state["wait"] >= training["patience"]):
        from seqlab.diagnostics import GradientStatistics
        budget = ([seqlab_callbacks.TimeBudget(training["time_budget"])]
                  if training["time_budget"] else [])
        model.fit(x, y, batch_size=batch_size, shuffle=False,
                  epochs=training["epochs"], initial_epoch=epoch, verbose=verbose,
                  callbacks=[ResetStates(),
                             keras.callbacks.LearningRateScheduler(schedule),
                             seqlab_callbacks.StopOnNaN(output),
                             # a sample of steps: reading every one would stall a GPU
                             GradientStatistics(every=max(1, len(x) // batch_size // 100)),
                             checkpoint, *budget])
    best = load_model(os.path.join(output, seqlab_callbacks.BEST))
    dev_scores = perplexity(best, dev_ids, batch_size, num_steps)
    test_scores = None
    if data["test"]:
        test = read_corpus(data["test"])
        test_scores = perplexity(best, corpus_ids(test, vocabulary), batch_size, num_steps)
    atomic_write(os.path.join(output, "report.json"), json.dumps({
        "best_epoch": checkpoint.best_epoch, "history": checkpoint.history,
        "dev": dev_scores, "test": test_scores,
        "parameters": int(sum(np.prod(v.shape) for v in best.trainable_variables)),
    }, indent=1))
    return LanguageModelRun(best, checkpoint.history, checkpoint.best_epoch,
                            dev_scores, test_scores, output)


def _head_takes(spec, option):
    name, _ = registry.parse_spec(spec, "output_heads")
    factory = registry.get("output_heads", name).factory
    return option in inspect.signature(factory).parameters
