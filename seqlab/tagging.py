"""Training and evaluating taggers on files: the work behind ``seqlab train``
and ``seqlab evaluate``, also usable from Python.

Example:
    >>> config = seqlab.load_config("ner.toml", overrides=["training.epochs=5"])
    >>> run = seqlab.train_tagger(config)
    >>> print(run.test["report"])
"""

import os
import warnings

from seqlab import memory, runs
from seqlab.backend_logs import quiet
from seqlab.config import format_spec, pretrained_spec
from seqlab.data.batching import SequenceBatches
from seqlab.data.formats import read_sentences
from seqlab.data.readers import write_conll
from seqlab.data.schemes import check_scheme, convert, split_tag
from seqlab.data.vocabulary import Vocabulary
from seqlab.embeddings import Vectors
from seqlab.errors import ConfigError, DataError, SeqlabWarning
from seqlab.evaluation import entity_scores, overlap_scores, token_accuracy
from seqlab.models.tagger import Tagger
from seqlab.callbacks import inverse_time_decay, say


def read_tagged(path, data):
    """Read a tagged file as the ``[data]`` section of a config says
    (a `seqlab.config.TaggerData`: ``format``, its options, ``scheme``,
    ``repair``)."""
    return read_sentences(path, format_spec(data), data.scheme, repair=data.repair)


@quiet
def evaluate_tagger(model, sentences, scheme, predictions_path=None):
    """Score a tagger on gold sentences.

    Args:
        model: a `Tagger` with a vocabulary and tag names.
        sentences: `Sentence` objects with gold tags in ``scheme``.
        scheme: the scheme of the gold tags; predictions are converted to
            it, and the predictions file is written in it.
        predictions_path: if given, write ``token gold predicted`` lines
            (what conlleval reads) there.

    Returns:
        A dict: ``precision``, ``recall``, ``f1`` (seqeval, conlleval-style),
        ``strict`` (the same in strict mode), ``token_accuracy``,
        ``untyped_overlap`` (Irsoy & Cardie's binary and proportional
        overlap, entity types ignored), ``typed_overlap`` (the same counting
        only overlaps of one type, with ``per_type``), ``per_type``,
        ``report``.
    """
    scheme = check_scheme(scheme)
    predicted = _predict(model, sentences, scheme)
    gold = [s.tags for s in sentences]
    scores = entity_scores(gold, predicted, scheme)
    strict = entity_scores(gold, predicted, scheme, mode="strict")
    scores["strict"] = {k: strict[k] for k in ("precision", "recall", "f1")}
    scores["token_accuracy"] = token_accuracy(gold, predicted)
    scores["untyped_overlap"] = overlap_scores(gold, predicted, scheme)
    scores["typed_overlap"] = overlap_scores(gold, predicted, scheme, typed=True)
    if predictions_path:
        write_conll(predictions_path, sentences, predicted)
    return scores


def _predict(model, sentences, scheme):
    return model.tag(sentences, scheme=scheme)  # Sentences: their columns too


#: ``training.metric`` values (`seqlab.config.TAGGER_METRICS`, a test keeps
#: the two equal): the dev score
#: that selects the model and stops training early, from (gold, predicted, scheme).
METRICS = {
    "f1": lambda gold, predicted, scheme: entity_scores(gold, predicted, scheme)["f1"],
    "binary_overlap": lambda gold, predicted, scheme:
        overlap_scores(gold, predicted, scheme)["binary"]["f1"],
    "proportional_overlap": lambda gold, predicted, scheme:
        overlap_scores(gold, predicted, scheme)["proportional"]["f1"],
    "token_accuracy": lambda gold, predicted, scheme: token_accuracy(gold, predicted),
}


class TaggerTask(runs.Task):
    """A tagger's part of a run: tagged files, a `Tagger`, a dev score
    (``training.metric``: entity F1 unless the config says otherwise)."""

    untrained_score = 0.0

    def __init__(self, config, verbose=0):
        super().__init__(config)
        self.verbose = verbose
        self.pretrained = None  # coverage of the pretrained vectors, for the report

    @property
    def metric(self):
        return self.config.training.metric

    @property
    def score_name(self):
        return f"dev_{self.metric}"

    def read_data(self):
        data = self.config.data
        self.train = read_tagged(data.train, data)
        self.dev = read_tagged(data.dev, data)
        # read now, so a malformed test file stops the run before training
        self.test = read_tagged(data.test, data) if data.test else None
        seen = _entity_types(self.train)
        for split, sentences in (("dev", self.dev), ("test", self.test)):
            unseen = sorted(_entity_types(sentences or []) - seen)
            if unseen:
                warnings.warn(
                    f"{getattr(data, split)}: entity type{'s' if len(unseen) > 1 else ''} "
                    f"{', '.join(unseen)} never occur{'' if len(unseen) > 1 else 's'} "
                    f"in the training data ({data.train}); the tagger cannot "
                    f"predict {'them' if len(unseen) > 1 else 'it'}, so its {split} "
                    f"recall will be 0.", SeqlabWarning, stacklevel=2)
        self.batch_size = self._batch_size(len(self.train))
        self.model_scheme = check_scheme(self.config.model.scheme)
        self.train_tags = [convert(s.tags, data.scheme, self.model_scheme)
                           for s in self.train]

    def _batch_size(self, sentences):
        """``training.batch_size``, or the whole training set when it is
        larger: every batch is filled to whole rows, so rows past the data
        would be padding that costs memory and time (300 sentences in
        batches of 100,000 took 24 GB before the kernel killed the run)."""
        asked = self.config.training.batch_size
        if asked <= sentences:
            return asked
        replicas = self.distribution.replicas if self.distribution else 1
        capped = -(-sentences // replicas) * replicas
        if "batch_size" not in self.config.training.model_fields_set:
            return capped  # the default on a small set: nothing the user asked for
        warnings.warn(
            f"training.batch_size = {asked:,} is more than the {sentences:,} training "
            f"sentences: batches of {capped:,} (the whole set) instead. Set a batch_size "
            f"of at most {sentences:,} to silence this.", SeqlabWarning, stacklevel=2)
        return capped

    def _vocabulary(self):
        options = self.config.vocabulary
        return Vocabulary.build(self.train, options.min_count, options.max_size or None,
                                options.lowercase, options.digits)

    def build_model(self):
        vocabulary = self._vocabulary()
        tag_names = ["O"] + sorted({t for tags in self.train_tags for t in tags} - {"O"})
        options = self.config.model.model_dump(exclude={"scheme", "pretrained"})
        vectors = None
        spec = pretrained_spec(self.config.model.pretrained)
        if spec:
            vocabulary, vectors = self._pretrained(vocabulary, spec)
            options["vectors_trainable"] = spec["trainable"]
        model = Tagger(vocabulary=vocabulary, tag_names=tag_names,
                       char_vocabulary=Vocabulary.characters(self.train),
                       scheme=self.model_scheme, pretrained=vectors,
                       tokenizer=self.config.data.tokenizer,
                       output_scheme=self.config.data.scheme, train_sentences=self.train,
                       **options)
        if vectors is not None and not any(e.from_vectors for e in model.token_encoders):
            raise ConfigError(
                "model.pretrained gives word vectors, but model.encoders has no "
                "word_embedding (nor another encoder that reads vectors) to start from "
                "them; add \"word_embedding\" to model.encoders or remove "
                "model.pretrained.")
        # Built here, in the caller's distribution scope, rather than in the
        # first (replicated) training step: the same weights on any device count.
        (x,) = SequenceBatches(model.encode_inputs(self.train[:1]))[0]
        model(x)
        model.compile(**runs.compile_options(self.config.training))
        return model

    def resumed(self, model):
        spec = pretrained_spec(self.config.model.pretrained)
        if spec:  # the same coverage figures in the report as an uninterrupted run's
            self._pretrained(self._vocabulary(), spec)

    def _pretrained(self, vocabulary, spec):
        """Read the vectors the vocabulary needs, extend it with the dev and
        test words that have one (Lample et al. 2016), and measure coverage."""
        normal = lambda sentences: [vocabulary.normalised(t) for s in sentences for t in s.tokens]
        train_forms = normal(self.train)
        held_out = normal(self.dev) + normal(self.test or []) if spec["extend_vocabulary"] else []
        vectors = Vectors.read(spec["path"], keep=set(vocabulary.tokens) | set(held_out),
                               progress=self.verbose == 1)
        added = list(dict.fromkeys(f for f in held_out
                                   if f not in vocabulary.index and f in vectors))
        vocabulary = vocabulary.extended(added)
        coverage = vectors.coverage(train_forms)
        self.pretrained = {"path": spec["path"], "dim": vectors.dim,
                           "file_words": vectors.file_words,
                           "train_tokens_found": coverage["tokens"],
                           "train_types_found": coverage["types"],
                           "vocabulary_extended_by": len(added),
                           "trainable": spec["trainable"]}
        say(self.verbose,
                 f"Pretrained vectors {os.path.basename(spec['path'])}: {vectors.file_words:,} "
                 f"words, {vectors.dim} wide; {100 * coverage['tokens']:.1f}% of training "
                 f"tokens and {100 * coverage['types']:.1f}% of their types have one"
                 + (f"; {len(added):,} dev/test words added to the vocabulary" if added else "")
                 + ("" if spec["trainable"] else "; frozen") + ".")
        return vocabulary, vectors

    def fit_data(self, model, epoch):
        adding = [name for name, e in zip(model.encoder_names, model.token_encoders)
                  if e.adds_losses]
        if adding and self.distribution.replicas > 1 \
                and not self.distribution.keeps_layer_losses:
            raise ConfigError(
                f"Token encoder {adding[0]!r} adds a loss in training (lm_loss), which "
                f"Keras does not keep per replica under tf.distribute: "
                f"{self.distribution.replicas} replicas would train without part of it. "
                f"Train it on several devices with the JAX backend (KERAS_BACKEND=jax), "
                f"or on one device.")
        tag_index = {t: i for i, t in enumerate(model.tag_names)}
        self._check_tags_known(tag_index)
        x = model.encode_inputs(self.train)
        y = [[tag_index[t] for t in tags] for tags in self.train_tags]
        training = self.config.training
        # One endless, seeded stream of epochs: what a step reads depends on
        # (seed, epoch) alone, however the input pipeline prefetches. Full
        # rows: a batch splits evenly across replicas, reads (and is
        # weighed in the epoch's loss) alike on any number of devices, and
        # the short last batch adds no shape to compile.
        batches = SequenceBatches(x, y, self.batch_size, shuffle=True,
                                  seed=training.seed, epoch=epoch, repeat=True,
                                  steps_per_execution=training.steps_per_execution,
                                  full_rows=True,
                                  share=self.distribution.shard_batch)
        # The widest batch (the longest sentences, every row filled) must fit.
        char_encoders = [e for e in model.token_encoders if e.input_name == "chars"]
        word_layers = [e for e in model.token_encoders if e.input_name != "chars"]
        memory.check_batch(
            self.batch_size // self.distribution.processes, max(batches.widths),
            memory.values_per_token([*word_layers, model.encoder, model.head],
                                    char_encoders, batches.char_width))
        return {"x": batches, "steps_per_epoch": batches.steps_per_epoch, "shuffle": False}

    def _check_tags_known(self, tag_index):
        """A resumed model has a fixed tag set: training data changed since
        (``--allow-changed-data``) may not bring a new tag."""
        for sentence, tags in zip(self.train, self.train_tags):
            for position, tag in enumerate(tags):
                if tag not in tag_index:
                    raise DataError(
                        f"{self.config.data.train}:{sentence.line_of(position)}: tag "
                        f"{sentence.tags[position]!r} is not one the resumed model was built "
                        f"with ({', '.join(sorted(tag_index))}); a resumed run cannot learn a "
                        f"new tag. Restart the run (--restart) to train on this data.")

    def callbacks(self, history):
        training = self.config.training
        return [inverse_time_decay(training.learning_rate, training.lr_decay)]

    def dev_score(self, model):
        scheme = self.config.data.scheme
        return METRICS[self.metric]([s.tags for s in self.dev],
                                    _predict(model, self.dev, scheme), scheme)

    def report(self, model, directory):
        data = self.config.data
        dev = evaluate_tagger(model, self.dev, data.scheme, directory.predictions("dev"))
        test = None
        if self.test is not None:
            test = evaluate_tagger(model, self.test, data.scheme,
                                   directory.predictions("test"))
        extra = {"metric": self.metric}
        if self.pretrained:
            extra["pretrained"] = self.pretrained
        return dev, test, extra


def _entity_types(sentences):
    return {split_tag(tag)[1] for s in sentences for tag in s.tags} - {"", None}


@quiet
def train_tagger(config, resume=True, verbose=1, allow_changed_data=False, callbacks=()):
    """Train a tagger as a config (see `seqlab.load_config`) describes.

    Selects the model on dev F1, stops early, checkpoints every epoch into
    ``config.output`` and, when that directory holds an unfinished run of
    the same config, resumes it (on the same data files, unless
    ``allow_changed_data``). Writes ``best.keras``, ``report.json`` and
    prediction files there (see `seqlab.runs.RunDirectory`).

    ``callbacks``: more Keras callbacks, after the run's own (an epoch's
    logs hold the dev score).

    Returns:
        A `seqlab.runs.Run`.
    """
    return runs.train(TaggerTask(config, verbose), config, resume, verbose, allow_changed_data,
                      callbacks)
