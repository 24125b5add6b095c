"""The typed schema of a run's config: one declaration per key.

Each key is declared once, here: its type (from `seqlab.config.types`,
which also says what an error shows), default, range or choices, and the
registry it names a component of. `TaggerConfig` and `LanguageModelConfig` are the two kinds of
run; their sections (`TaggerModel`, `LanguageModelTraining`, ...) are read
as attributes (``config.training.epochs``). Unknown keys are refused, and
assignments are checked like the file's values (``validate_assignment``).
"""

from typing import Annotated, ClassVar, Literal, Optional, Union, get_args

from pydantic import BeforeValidator, Field, model_validator

from seqlab import registry
from seqlab.config.types import (Addresses, Boolean, Choice, Component, ComponentSpec,
                                 Components, Directory, FilePath, Integer, Number, Optimizer,
                                 PackageNames, Section, _problem)
from seqlab.errors import ConfigError, UnknownComponentError

#: Upper bounds that no real model reaches; past them a typo would run for
#: minutes or ask for terabytes before failing. Seeds are what NumPy takes.
MAX_DEPTH = 64
MAX_WIDTH = 16_384
MAX_BATCH_SIZE = 65_536
MAX_SEED = 2 ** 32 - 1

Scheme = Literal["iob1", "iob2", "iobes"]
#: How the stacked RNN merges its two directions (`seqlab.layers.stacked`).
MergeMode = Literal["concat", "sum", "mul", "ave"]
MERGE_MODES = get_args(MergeMode)
#: A tagger's dev score (`seqlab.tagging.METRICS`): entity F1, Irsoy &
#: Cardie's binary- and proportional-overlap F1 (untyped), token accuracy.
TaggerMetric = Literal["f1", "binary_overlap", "proportional_overlap", "token_accuracy"]
TAGGER_METRICS = get_args(TaggerMetric)


def _normalise_scheme(value):
    value = value.lower().replace("-", "")
    return {"bio": "iob2"}.get(value, value)


SchemeName = Choice(Scheme, _normalise_scheme)


_PRETRAINED_EXAMPLE = ('expected the path of a vectors file, or a table like {path = '
                       '"glove.6B.50d.txt", trainable = true, extend_vocabulary = true}')


def _pretrained_check(value):
    if value is None:
        return value
    if isinstance(value, dict):
        unknown = sorted(set(value) - {"path", *PRETRAINED_OPTIONS})
        if unknown:
            raise _problem(f"unknown option {unknown[0]!r}; {_PRETRAINED_EXAMPLE}")
        for key in PRETRAINED_OPTIONS:
            if key in value and not isinstance(value[key], bool):
                raise _problem(f"{key} must be true or false")
        if not isinstance(value.get("path"), str) or not value["path"]:
            raise _problem(_PRETRAINED_EXAMPLE)
        return value
    if not isinstance(value, str) or not value:
        raise _problem(_PRETRAINED_EXAMPLE)
    return value


class PretrainedVectors(Section):
    """Pretrained word vectors and how the tagger uses them."""

    path: FilePath
    """A vectors file: word2vec text, GloVe text, or fastText ``.vec``."""
    trainable: Boolean = True
    """false: the vectors stay as read (frozen)."""
    extend_vocabulary: Boolean = True
    """Add the dev and test words that have a vector (Lample et al. 2016)."""


#: ``model.pretrained`` options besides ``path``, with their defaults.
PRETRAINED_OPTIONS = {name: field.default for name, field in
                      PretrainedVectors.model_fields.items() if name != "path"}
Pretrained = Annotated[Optional[Union[str, PretrainedVectors]],
                       BeforeValidator(_pretrained_check)]


# -- sections -------------------------------------------------------------------------

class TaggerData(Section):
    """``[data]`` of a tagger: tagged files and how to read them."""

    train: Optional[FilePath] = None
    """The training file (relative to the config file)."""
    dev: Optional[FilePath] = None
    """The file that selects the model and stops training early."""
    test: Optional[FilePath] = None
    """Scored once, with the best model (optional)."""
    format: ComponentSpec("readers") = "conll"
    """A registered format (`seqlab plugins --kind readers`), or a table with its options."""
    token_column: Integer(optional=True) = None
    """Column formats: the token column (shorthand for the format's option)."""
    tag_column: Integer(optional=True) = None
    """Column formats: the tag column (-1: the last)."""
    scheme: SchemeName = "iob2"
    """The tag scheme of the files (bio is iob2)."""
    repair: Boolean = False
    """Read tags that break the scheme (a stray I-X) as conlleval does."""
    tokenizer: Component("tokenizers") = "treebank"
    """How raw text is split into tokens: when the model tags text (`seqlab tag`,
    `Tagger.annotate`; the model keeps it) and when a spans_jsonl file is read.
    treebank (Penn Treebank rules, as CoNLL data are split), whitespace, or a
    plugin's (`seqlab plugins --kind tokenizers`)."""

    @model_validator(mode="after")
    def _format_reads(self):
        # An unknown format or option is a config error; a broken plugin
        # stays a PluginError naming it.
        try:
            registry.create("readers", format_spec(self))
        except (ConfigError, UnknownComponentError) as error:
            raise _problem(f"data.format: {str(error).rstrip('.')}") from None
        return self


class LanguageModelData(Section):
    """``[data]`` of a language model: text with one sentence per line."""

    train: Optional[FilePath] = None
    """The training text (relative to the config file)."""
    dev: Optional[FilePath] = None
    """The text that selects the model (dev perplexity)."""
    test: Optional[FilePath] = None
    """Scored once, with the best model (optional)."""
    unit: Choice(Literal["word", "char"]) = "word"
    """word: tokens split on whitespace; char: every character, spaces and
    case kept (scored in bits per character)."""


class LanguageModelVocabulary(Section):
    """``[vocabulary]``: which words get an index."""

    min_count: Integer(1) = 1
    """Words seen fewer times are <unk>."""
    max_size: Integer(0) = 0
    """Keep the most frequent words only (0: no limit)."""


class TaggerVocabulary(LanguageModelVocabulary):
    """``[vocabulary]`` of a tagger: which words get an index, normalised how."""

    lowercase: Boolean = False
    """Lowercase every word before looking it up."""
    digits: Boolean = True
    """Map every digit to 0."""


class ModelBase(Section):
    """What every model section has: the recurrent part and its head."""

    cell: Component("cells") = "lstm"
    """A registered cell (`seqlab plugins --kind cells`)."""
    units: Integer(1, MAX_WIDTH) = 200
    """Units per direction and layer."""
    depth: Integer(1, MAX_DEPTH) = 1
    """Stacked recurrent layers."""
    embedding_dim: Integer(1, MAX_WIDTH, optional=True) = None
    """Word embedding width (default: units)."""
    dropout: Number(0, 1, high_open=True) = 0.5
    """Dropout between layers."""
    head: Component("output_heads") = "crf"
    """A registered output head (`seqlab plugins --kind output_heads`)."""
    kernel_initializer: Component("initializers", optional=True) = None
    """A registered initializer for input kernels (default: the cell's)."""
    recurrent_initializer: Component("initializers", optional=True) = None
    """A registered initializer for recurrent kernels (default: the cell's)."""


class TaggerModel(ModelBase):
    """``[model]`` of a tagger: `seqlab.Tagger` arguments.

    The defaults are benchmarks/ner_conll2003.py's BEST_CONFIG (a test keeps
    the two equal): word embeddings (pretrained when ``pretrained`` names a
    vectors file) and a character CNN, one BiLSTM layer, a CRF; within 30
    minutes. The dropout rates and the training recipe are trial 4 of a
    ``seqlab tune`` study on CoNLL-2000, kept because it beat the previous
    defaults on the whole suite of benchmarks/suite.py (benchmarks/README.md
    section 8), not on one dataset.
    """

    scheme: SchemeName = "iobes"
    """The scheme the model learns and predicts."""
    merge_mode: Choice(MergeMode) = "concat"
    """How the two directions are merged."""
    dropout: Number(0, 1, high_open=True) = 0.3739
    """Dropout between layers."""
    word_dropout: Number(0, 1, high_open=True) = 0.07794
    """Share of training words replaced by the unknown word."""
    encoders: Components("token_encoders") = ["word_embedding", "char_cnn"]
    """Token encoders whose outputs are concatenated."""
    pretrained: Pretrained = None
    """Pretrained word vectors: a file, or {path, trainable, extend_vocabulary}."""


class LanguageModelModel(ModelBase):
    """``[model]`` of a language model: `seqlab.LanguageModel` arguments."""

    depth: Integer(1, MAX_DEPTH) = 2
    """Stacked recurrent layers."""
    dropout: Number(0, 1, high_open=True) = 0.0
    """Dropout on the embeddings and between layers."""
    head: Component("output_heads") = "softmax"
    """softmax, class_softmax, adaptive_softmax or a plugin's head."""
    num_classes: Integer(0) = 0
    """Classes of a class-factored softmax (0: the head's default)."""
    tie_embeddings: Boolean = False
    """Share the input embedding with the output layer."""
    direction: Choice(Literal["forward", "backward"]) = "forward"
    """forward, or backward: each line read reversed (the second half of a
    tagger's contextual string embeddings)."""


class TrainingBase(Section):
    """What every ``[training]`` section has."""

    epochs: Integer(1) = 50
    """The most epochs to train."""
    batch_size: Integer(1, MAX_BATCH_SIZE) = 32
    """Sentences per step (across all devices)."""
    optimizer: Optimizer = "adam"
    """A Keras optimizer by name."""
    learning_rate: Number(0, low_open=True) = 0.002
    """The learning rate at the first epoch."""
    lr_decay: Number(0) = 0.05
    """Inverse-time decay: lr / (1 + lr_decay * epoch)."""
    weight_decay: Number(0) = 0.0
    """L2 penalty (decoupled where the optimizer supports it)."""
    clipper: Component("gradient_clippers") = "global_norm"
    """A registered gradient clipper (`seqlab plugins --kind gradient_clippers`)."""
    patience: Integer(0) = 8
    """Epochs without a better dev score before stopping (0: never)."""
    seed: Integer(0, MAX_SEED) = 1
    """Seeds initialisation, shuffling and dropout: a run repeats exactly."""
    time_budget: Number(0) = 1800
    """Seconds; no epoch starts that would overrun it (0: no budget)."""
    steps_per_execution: Integer(1) = 1
    """Training steps per compiled call."""
    jit_compile: Choice(Literal["auto", True, False]) = "auto"
    """XLA compilation: auto, true or false."""
    callbacks: Components("callbacks", '["csv_logger", {name = "tensorboard"}]',
                          empty=True) = []
    """Keras callbacks to add: tensorboard, csv_logger or a plugin's
    (`seqlab plugins --kind callbacks`)."""


class TaggerTraining(TrainingBase):
    """``[training]`` of a tagger (the recipe: see `TaggerModel`)."""

    optimizer: Optimizer = "rmsprop"
    """A Keras optimizer by name."""
    learning_rate: Number(0, low_open=True) = 0.006985
    """The learning rate at the first epoch."""
    lr_decay: Number(0) = 0.06977
    """Inverse-time decay: lr / (1 + lr_decay * epoch)."""
    patience: Integer(0) = 6
    """Epochs without a better dev score before stopping, or annealing (0: never)."""
    anneals: Integer(0) = 0
    """Times to go on when patience runs out, at the learning rate times
    anneal_factor (Flair's anneal on plateau), before it stops the run."""
    anneal_factor: Number(0, 1, low_open=True, high_open=True) = 0.5
    """What each anneal multiplies the learning rate by."""
    restore_best: Boolean = True
    """Anneals go on from the best epoch's weights (false: the last epoch's)."""

    metric: Choice(TaggerMetric) = "f1"
    """The dev score that selects the model."""


class LanguageModelTraining(TrainingBase):
    """``[training]`` of a language model: Zaremba et al.'s small recipe for
    a per-token mean loss (their learning rate 1 and clipping at 5 on a loss
    summed over 20 steps are 20 and 0.25 here), the `small` row of
    benchmarks/lm_ptb.py."""

    epochs: Integer(1) = 13
    """The most epochs to train."""
    batch_size: Integer(1, MAX_BATCH_SIZE) = 20
    """Parallel text streams."""
    num_steps: Integer(1) = 20
    """Truncated BPTT window; the state is carried across windows."""
    optimizer: Optimizer = "sgd"
    """A Keras optimizer by name."""
    learning_rate: Number(0, low_open=True) = 20.0
    """The learning rate at the first epoch (of the mean loss per word)."""
    lr_decay: Number(0) = 0.5
    """The factor the learning rate is multiplied by when it decays."""
    decay_after: Integer(0) = 4
    """Step schedule: epochs at the full learning rate."""
    lr_schedule: Choice(Literal["step", "plateau"]) = "step"
    """step, or Mikolov's plateau halving."""
    min_improvement: Number(1) = 1.003
    """Plateau schedule: the dev likelihood ratio that counts as progress."""
    init_scale: Number(0) = 0.1
    """Uniform initialisation range (0: the initializers' own)."""
    clipper: Component("gradient_clippers") = {"name": "global_norm", "threshold": 0.25}
    """A registered gradient clipper, with its options."""
    patience: Integer(0) = 0
    """Epochs without a better dev perplexity before stopping (0: never)."""
    seed: Integer(0, MAX_SEED) = 1
    """Seeds initialisation and dropout: a run repeats exactly."""
    time_budget: Number(0) = 0
    """Seconds; no epoch starts that would overrun it (0: no budget)."""


class DistributionSection(Section):
    """``[distribution]``: data-parallel training (docs/scaling.md)."""

    devices: Integer(0) = 1
    """Devices per process; 0: all."""
    addresses: Addresses = []
    """One "host:port" per process, the chief's first; []: one process."""
    process_id: Integer(0) = 0
    """This process's index in addresses."""


class PluginsSection(Section):
    """``[plugins]``."""

    require: PackageNames = []
    """Plugin packages that must be installed (fail early when one is missing)."""


# -- whole configs --------------------------------------------------------------------

class RunConfig(Section):
    """What every run's config has; `TaggerConfig` and `LanguageModelConfig`
    add the sections of their kind."""

    #: "tagger" or "lm": the name `load_config` takes.
    task: ClassVar[Optional[str]] = None

    output: Directory = "runs/tagger"
    """The run directory: checkpoints, best.keras, report.json."""
    distribution: DistributionSection = Field(default_factory=DistributionSection)
    plugins: PluginsSection = Field(default_factory=PluginsSection)

    @model_validator(mode="after")
    def _name_sections(self):
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, Section):
                value._where = f"{name}."
        return self

    @model_validator(mode="after")
    def _data_given(self):
        missing = [key for key in ("train", "dev") if getattr(self.data, key) is None]
        if missing:
            raise _problem("; ".join(f"data.{key} = (none): expected a file path"
                                     for key in missing))
        return self

    @classmethod
    def defaults(cls):
        """Every key's default, as a dict (data files unset)."""
        return cls.model_construct().model_dump()

    def dump(self):
        """The config as plain data (what ``config.json`` holds)."""
        return self.model_dump(mode="json")


class TaggerConfig(RunConfig):
    """A tagger's run (``seqlab train``)."""

    task: ClassVar[Optional[str]] = "tagger"
    data: TaggerData = Field(default_factory=TaggerData)
    vocabulary: TaggerVocabulary = Field(default_factory=TaggerVocabulary)
    model: TaggerModel = Field(default_factory=TaggerModel)
    training: TaggerTraining = Field(default_factory=TaggerTraining)


class LanguageModelConfig(RunConfig):
    """A language model's run (``seqlab lm train``)."""

    task: ClassVar[Optional[str]] = "lm"
    output: Directory = "runs/lm"
    data: LanguageModelData = Field(default_factory=LanguageModelData)
    vocabulary: LanguageModelVocabulary = Field(default_factory=LanguageModelVocabulary)
    model: LanguageModelModel = Field(default_factory=LanguageModelModel)
    training: LanguageModelTraining = Field(default_factory=LanguageModelTraining)


TASKS = {"tagger": TaggerConfig, "lm": LanguageModelConfig}


# -- helpers over sections ------------------------------------------------------------

def format_spec(data):
    """The data format spec of a `TaggerData`: ``format`` with the
    ``token_column`` and ``tag_column`` shorthands added to its options,
    and ``data.tokenizer`` for a format that reads raw text (unless its
    options name one)."""
    name, options = registry.parse_spec(data.format, "readers")
    columns = {key: getattr(data, key) for key in ("token_column", "tag_column")
               if getattr(data, key) is not None}
    try:
        raw_text = getattr(registry.get("readers", name).factory, "reads_raw_text", False)
    except UnknownComponentError:
        raw_text = False  # refused by the format check, which names it
    if raw_text and "tokenizer" not in options:
        columns["tokenizer"] = getattr(data, "tokenizer", "treebank")
    return registry.normalise_spec({"name": name, **options, **columns})


def pretrained_spec(value):
    """``model.pretrained`` as a dict (``path`` and `PRETRAINED_OPTIONS`), or None."""
    if not value:
        return None
    if isinstance(value, str):
        value = PretrainedVectors(path=value)
    elif isinstance(value, dict):
        value = PretrainedVectors(**value)
    return value.model_dump()
