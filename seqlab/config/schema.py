"""The typed schema of a run's config: one declaration per key.

Each key is declared once, here: its type, default, range or choices, the
registry it names a component of, and the sentence an error shows
(`Expected`). `TaggerConfig` and `LanguageModelConfig` are the two kinds of
run; their sections (`TaggerModel`, `LanguageModelTraining`, ...) are read
as attributes (``config.training.epochs``). Unknown keys are refused, and
assignments are checked like the file's values (``validate_assignment``).
"""

import difflib
import math
import os
from typing import Annotated, Any, ClassVar, Literal, Optional, Union, get_args

from pydantic import (BaseModel, BeforeValidator, ConfigDict, Field, PrivateAttr,
                      ValidationError, model_validator)
from pydantic_core import PydanticCustomError

from seqlab import registry
from seqlab.errors import ConfigError, UnknownComponentError

#: Upper bounds that no real model reaches; past them a typo would run for
#: minutes or ask for terabytes before failing. Seeds are what NumPy takes.
MAX_DEPTH = 64
MAX_WIDTH = 16_384
MAX_BATCH_SIZE = 65_536
MAX_SEED = 2 ** 32 - 1

#: The optimizers ``keras.optimizers.get`` knows by name (in any case); a
#: test keeps the list equal to Keras's.
OPTIMIZERS = ("adadelta", "adafactor", "adagrad", "adam", "adamax", "adamw", "ftrl",
              "lion", "muon", "nadam", "rmsprop", "schedulefreeadamw", "sgd")

Scheme = Literal["iob1", "iob2", "iobes"]
#: How the stacked RNN merges its two directions (`seqlab.layers.stacked`).
MergeMode = Literal["concat", "sum", "mul", "ave"]
MERGE_MODES = get_args(MergeMode)
#: A tagger's dev score (`seqlab.tagging.METRICS`): entity F1, Irsoy &
#: Cardie's binary- and proportional-overlap F1 (untyped), token accuracy.
TaggerMetric = Literal["f1", "binary_overlap", "proportional_overlap", "token_accuracy"]
TAGGER_METRICS = get_args(TaggerMetric)


class Expected:
    """What a key allows, as its error message says it: ``expected ...``."""

    def __init__(self, text):
        self.text = text


def _problem(message):
    # "{message}" as the template: a message may hold braces ({bogus = 1}).
    return PydanticCustomError("seqlab", "{message}", {"message": message})


def _toml(value):
    """A value as a TOML-like text in messages (strings as Python shows them)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, BaseModel):
        value = value.model_dump()
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    return "(none)" if value is None else repr(value)


def shown(value):
    """A config value as an error message shows it."""
    return repr(value) if isinstance(value, str) else _toml(value)


def _bounds(low=None, high=None, low_open=False, high_open=False, thousands=True):
    shown = [f"{'>' if low_open else '>='} {low}" if low is not None else "",
             (f"{'<' if high_open else '<='} {high:,}" if thousands else
              f"{'<' if high_open else '<='} {high}") if high is not None else ""]
    return " and ".join(s for s in shown if s)


def Integer(low=None, high=None, optional=False):
    """An integer within bounds (booleans refused), or None if ``optional``."""
    kind = Annotated[int, Field(ge=low, le=high)]
    allowed = Expected(f"expected an integer {_bounds(low, high)}".rstrip())
    return Annotated[Optional[kind] if optional else kind, allowed]


def Number(low=None, high=None, low_open=False, high_open=False):
    """A finite number within bounds."""
    limits = Field(ge=None if low_open else low, gt=low if low_open else None,
                   le=None if high_open else high, lt=high if high_open else None,
                   allow_inf_nan=False)
    bounds = _bounds(low, high, low_open, high_open, thousands=False)
    return Annotated[float, limits, Expected(f"expected a number {bounds}".rstrip())]


Boolean = Annotated[bool, Expected("expected true or false")]


def Choice(kind, normalise=None):
    """One of a `Literal`'s values, after ``normalise`` (on strings)."""
    shown = ", ".join(_toml(c) for c in get_args(kind))
    before = [BeforeValidator(lambda v: normalise(v) if isinstance(v, str) else v)] \
        if normalise else []
    return Annotated[(kind, *before, Expected(f"expected one of {shown}"))]


def _normalise_scheme(value):
    value = value.lower().replace("-", "")
    return {"bio": "iob2"}.get(value, value)


SchemeName = Choice(Scheme, _normalise_scheme)


def _component_check(kind, optional):
    def check(value):
        if value is None and optional:
            return value
        try:
            name, options = registry.parse_spec(value, kind)
            registry.check_options(registry.get(kind, name), options)
        except (ConfigError, UnknownComponentError) as error:
            raise _problem(str(error).rstrip(".")) from None
        return value
    return check


Spec = Union[str, dict[str, Any]]


def Component(kind, optional=False):
    """A registered component of ``kind``: its name, or a table with its
    ``name`` and options (``{name = "global_norm", threshold = 1.0}``)."""
    kind_type = Optional[Spec] if optional else Spec
    return Annotated[kind_type, BeforeValidator(_component_check(kind, optional)),
                     Field(json_schema_extra={"x-seqlab-registry": kind})]


def _spec_check(kind):
    def check(value):
        try:
            registry.parse_spec(value, kind)
        except ConfigError as error:
            raise _problem(str(error).rstrip(".")) from None
        return value
    return check


def ComponentSpec(kind):
    """A component name or table, checked against the registry elsewhere (a
    data format together with its column shorthands)."""
    return Annotated[Spec, BeforeValidator(_spec_check(kind)),
                     Field(json_schema_extra={"x-seqlab-registry": kind})]


def Components(kind, example='["word_embedding", "char_cnn"]', empty=False):
    """A list of components of ``kind``: non-empty unless ``empty``, or None
    (the default)."""
    single = _component_check(kind, optional=False)

    def check(value):
        if value is None:
            return value
        if not isinstance(value, list) or not (value or empty):
            raise _problem(f"expected a{'' if empty else ' non-empty'} list of {kind}, "
                           f"e.g. {example}")
        for item in value:
            single(item)
        return value
    return Annotated[Optional[list[Spec]], BeforeValidator(check),
                     Field(json_schema_extra={"x-seqlab-registry": kind})]


def _optimizer_check(value):
    if isinstance(value, str) and value.lower() in OPTIMIZERS:
        return value
    if not isinstance(value, str) or not value:
        raise _problem("expected the name of a Keras optimizer, e.g. \"adam\" or \"sgd\"")
    close = difflib.get_close_matches(value.lower(), OPTIMIZERS, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise _problem(f"not a Keras optimizer{hint}; expected one of {', '.join(OPTIMIZERS)}")


Optimizer = Annotated[str, BeforeValidator(_optimizer_check),
                      Field(json_schema_extra={"enum": list(OPTIMIZERS)})]
FilePath = Annotated[str, Field(min_length=1), Expected("expected a file path")]
Directory = Annotated[str, Field(min_length=1), Expected("expected a directory path")]


def _addresses_check(value):
    if not isinstance(value, list) or not all(
            isinstance(a, str) and a.rpartition(":")[0] and a.rpartition(":")[2].isdigit()
            for a in value):
        raise _problem('expected a list of "host:port" addresses, one per process, e.g. '
                       '["10.0.0.1:7777", "10.0.0.2:7777"]')
    return value


Addresses = Annotated[list[str], BeforeValidator(_addresses_check)]
PackageNames = Annotated[
    list[Annotated[str, Field(min_length=1)]],
    Expected('expected a list of plugin package names, e.g. ["seqlab-example-cell"]')]


class Section(BaseModel):
    """A table of a config: unknown keys refused, assignments checked."""

    model_config = ConfigDict(extra="forbid", strict=True, validate_assignment=True,
                              use_attribute_docstrings=True)
    #: The dotted prefix of this section's keys in its config (``"training."``),
    #: for messages about assignments.
    _where: str = PrivateAttr("")

    def __setattr__(self, name, value):
        try:
            super().__setattr__(name, value)
        except ValidationError as error:
            problems = _problems(type(self), error, {name: value}, self._where)
            raise ConfigError("Invalid config: " + "; ".join(problems) + ".") from None

    @classmethod
    def checked(cls, values, prefix=""):
        """This section (or config) read from ``values`` (a dict).

        Raises:
            ConfigError: one message naming every wrong key (``prefix``
                before its name), its value and what is allowed.
        """
        try:
            return cls.model_validate(values)
        except ValidationError as error:
            problems = _problems(cls, error, values, prefix)
            raise ConfigError("Invalid config: " + "; ".join(problems) + ".") from None


#: ``model.pretrained`` options besides ``path``, with their defaults.
PRETRAINED_OPTIONS = {"trainable": True, "extend_vocabulary": True}
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

    The defaults are the best configuration benchmarks/ner_conll2003.py found
    (its BEST_CONFIG; a test keeps the two equal): word embeddings
    (pretrained when ``pretrained`` names a vectors file) and a character
    CNN, one BiLSTM layer, a CRF; within 30 minutes.
    """

    scheme: SchemeName = "iobes"
    """The scheme the model learns and predicts."""
    merge_mode: Choice(MergeMode) = "concat"
    """How the two directions are merged."""
    word_dropout: Number(0, 1, high_open=True) = 0.05
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
    """Keras callbacks to add (`seqlab plugins --kind callbacks`): tensorboard, csv_logger, a plugin's."""


class TaggerTraining(TrainingBase):
    """``[training]`` of a tagger."""

    metric: Choice(TaggerMetric) = "f1"
    """The dev score that selects the model."""


class LanguageModelTraining(TrainingBase):
    """``[training]`` of a language model (Zaremba et al.'s small recipe)."""

    epochs: Integer(1) = 13
    """The most epochs to train."""
    batch_size: Integer(1, MAX_BATCH_SIZE) = 20
    """Parallel text streams."""
    num_steps: Integer(1) = 35
    """Truncated BPTT window; the state is carried across windows."""
    optimizer: Optimizer = "sgd"
    """A Keras optimizer by name."""
    learning_rate: Number(0, low_open=True) = 1.0
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
    clipper: Component("gradient_clippers") = {"name": "global_norm", "threshold": 5.0}
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
    ``token_column`` and ``tag_column`` shorthands added to its options."""
    name, options = registry.parse_spec(data.format, "readers")
    columns = {key: getattr(data, key) for key in ("token_column", "tag_column")
               if getattr(data, key) is not None}
    return registry.normalise_spec({"name": name, **options, **columns})


def pretrained_spec(value):
    """``model.pretrained`` as a dict (``path`` and `PRETRAINED_OPTIONS`), or None."""
    if not value:
        return None
    if isinstance(value, PretrainedVectors):
        return value.model_dump()
    value = {"path": value} if isinstance(value, str) else value
    return {**PRETRAINED_OPTIONS, **value}


def _problems(kind, error, values, prefix=""):
    """One sentence per wrong key: ``key = value: what is allowed``."""
    problems = {}
    for item in error.errors():
        names = [p for p in item["loc"] if isinstance(p, str)]
        key, field, value = _field(kind, names, values)
        key = prefix + key if key else key
        if item["type"] == "seqlab":
            text = item["ctx"]["message"]
            if not key or _is_section(field):  # a check of a table names its keys
                problems.setdefault(text, text)
                continue
        elif item["type"] == "extra_forbidden":
            text = "unknown key"
        else:
            expected = [m for m in (field.metadata if field else ()) if isinstance(m, Expected)]
            text = expected[0].text if expected else item["msg"]
            if isinstance(value, float) and not math.isfinite(value):
                text += " (a finite number)"
        problems.setdefault(key, f"{key} = {shown(value)}: {text}")
    return list(problems.values())


def _is_section(field):
    annotation = getattr(field, "annotation", None)
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _field(kind, names, values):
    """The dotted key, field info and given value an error location names."""
    model, path, field = kind, [], None
    for name in names:
        field = model.model_fields.get(name)
        path.append(name)  # an unknown key (field None) ends the path too
        if not _is_section(field):
            break
        model = field.annotation
    value = values
    for name in path:
        value = value.get(name) if isinstance(value, dict) else getattr(value, name, None)
    return ".".join(path), field, value


def check_output(value):
    """Why the run directory ``value`` cannot be used, or None."""
    path = os.path.abspath(value)
    if os.path.exists(path) and not os.path.isdir(path):
        return "exists and is not a directory"
    existing = path
    while not os.path.exists(existing):
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing) or not os.access(existing, os.W_OK | os.X_OK):
        return f"cannot be written ({existing} is not writable)"
    return None


def check_file(value):
    """Why the data file ``value`` cannot be read, or None."""
    if not os.path.isfile(value):
        return "no such file" if not os.path.exists(value) else "not a file"
    if not os.access(value, os.R_OK):
        return "the file cannot be read (permissions)"
    return None
