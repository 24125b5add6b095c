"""Training configurations: TOML files, defaults, overrides, validation.

A config fully describes a run::

    output = "runs/ner"            # checkpoints, predictions, reports

    [data]
    train = "train.txt"            # paths relative to this file
    dev = "dev.txt"
    test = "test.txt"              # optional
    format = "conll"               # a registered format: `seqlab plugins --kind readers`
    token_column = 0               # shorthands for the format's options
    tag_column = -1                #   (format = {name = "conll", tag_column = -1})
    scheme = "iob1"                # scheme of the files
    repair = false                 # true: read stray I- tags as conlleval does

    [vocabulary]
    min_count = 1
    max_size = 0                   # 0: no limit
    lowercase = false
    digits = false                 # map every digit to 0

    [model]                        # seqlab.Tagger arguments
    scheme = "iobes"               # scheme the model learns and predicts
    cell = "lstm"
    units = 100
    depth = 2

    [training]
    epochs = 30
    learning_rate = 0.001
    clipper = { name = "global_norm", threshold = 5.0 }

    [distribution]                 # data-parallel training (docs/scaling.md)
    devices = 1                    # devices per process; 0: all
    addresses = []                 # one "host:port" per process; [] : one process
    process_id = 0                 # this process's index in addresses

    [plugins]
    require = ["seqlab-example-cell"]   # fail early if a plugin is missing
"""

import codecs
import copy
import difflib
import inspect
import math
import os

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

from seqlab import registry
from seqlab.errors import ConfigError, UnknownComponentError

DEFAULTS = {
    "output": "runs/tagger",
    "data": {"train": None, "dev": None, "test": None, "format": "conll",
             "token_column": None, "tag_column": None, "scheme": "iob2",
             "repair": False},
    # The best configuration benchmarks/ner_conll2003.py found (its
    # BEST_CONFIG; a test keeps the two equal): word embeddings (pretrained
    # when model.pretrained names a vectors file) and a character CNN, one
    # BiLSTM layer, a CRF; within 30 minutes.
    "vocabulary": {"min_count": 1, "max_size": 0, "lowercase": False, "digits": True},
    "model": {"scheme": "iobes", "cell": "lstm", "units": 200, "depth": 1,
              "embedding_dim": None, "merge_mode": "concat", "dropout": 0.5,
              "head": "crf", "kernel_initializer": None,
              "recurrent_initializer": None, "word_dropout": 0.05,
              "encoders": ["word_embedding", "char_cnn"], "pretrained": None},
    "training": {"epochs": 50, "batch_size": 32, "optimizer": "adam",
                 "learning_rate": 0.002, "lr_decay": 0.05,
                 "clipper": "global_norm", "patience": 8, "seed": 1,
                 "time_budget": 1800, "steps_per_execution": 1, "jit_compile": "auto",
                 "metric": "f1", "weight_decay": 0.0},
    "distribution": {"devices": 1, "addresses": [], "process_id": 0},
    "plugins": {"require": []},
}
LM_DEFAULTS = {
    "output": "runs/lm",
    "data": {"train": None, "dev": None, "test": None},
    "vocabulary": {"min_count": 1, "max_size": 0},
    "model": {"cell": "lstm", "units": 200, "depth": 2, "embedding_dim": None,
              "dropout": 0.0, "head": "softmax", "num_classes": 0,
              "tie_embeddings": False, "kernel_initializer": None,
              "recurrent_initializer": None},
    "training": {"epochs": 13, "batch_size": 20, "num_steps": 35,
                 "optimizer": "sgd", "learning_rate": 1.0, "lr_decay": 0.5,
                 "decay_after": 4, "lr_schedule": "step", "min_improvement": 1.003,
                 "init_scale": 0.1,
                 "clipper": {"name": "global_norm", "threshold": 5.0},
                 "patience": 0, "seed": 1, "time_budget": 0,
                 "steps_per_execution": 1, "jit_compile": "auto", "weight_decay": 0.0},
    "distribution": {"devices": 1, "addresses": [], "process_id": 0},
    "plugins": {"require": []},
}
TASKS = {"tagger": DEFAULTS, "lm": LM_DEFAULTS}
PATH_KEYS = ("train", "dev", "test")


def load_config(path=None, overrides=(), data=None, task="tagger"):
    """Read a TOML config, apply ``section.key=value`` overrides, validate.

    Args:
        path: a TOML file, or None to start from the defaults (and ``data``).
        overrides: strings like ``"training.epochs=3"`` or
            ``"model.cell=\\"gru\\""``; values are TOML, bare words are strings.
        data: a dict merged over the file before the overrides.
        task: ``"tagger"`` (``seqlab train``) or ``"lm"`` (``seqlab lm
            train``; see `seqlab.lm`), which sets the defaults and keys.

    Returns:
        A complete config dict; data paths are absolute.

    Raises:
        ConfigError: unreadable TOML, an unknown section or key (with the
            closest valid one), or a missing required key.
    """
    if task not in TASKS:
        raise ConfigError(f"`task` must be one of {', '.join(TASKS)}. "
                          f"Received: task={task!r}")
    defaults = TASKS[task]
    raw, base = {}, os.getcwd()
    if path is not None:
        path = os.fspath(path)
        raw = _read_toml(path)
        base = os.path.dirname(os.path.abspath(path))
    config = copy.deepcopy(defaults)
    _merge(config, raw, where=path or "config", defaults=defaults)
    if data:
        _merge(config, data, where="arguments", defaults=defaults)
    for override in overrides:
        _merge(config, _parse_override(override), where=f"override {override!r}",
               defaults=defaults)
    # Paths are relative to the config file; what is not a string is left
    # for check_config to name.
    for key in PATH_KEYS:
        value = config["data"][key]
        if isinstance(value, str) and value:
            config["data"][key] = os.path.join(base, os.path.expanduser(value))
    pretrained = config["model"].get("pretrained")
    if isinstance(pretrained, str) and pretrained:
        config["model"]["pretrained"] = os.path.join(base, os.path.expanduser(pretrained))
    elif isinstance(pretrained, dict) and isinstance(pretrained.get("path"), str) and pretrained["path"]:
        config["model"]["pretrained"] = {
            **pretrained, "path": os.path.join(base, os.path.expanduser(pretrained["path"]))}
    if isinstance(config["output"], str) and config["output"]:
        config["output"] = os.path.join(base, os.path.expanduser(config["output"]))
    for key in ("train", "dev"):
        if not config["data"][key]:
            raise ConfigError(f"The config must give data.{key} (a file path).")
    check_config(config, task, files=False)
    return config


def _read_toml(path):
    """A TOML file's tables; a UTF-8 byte-order mark at its start is skipped."""
    if os.path.isdir(path):
        raise ConfigError(f"{path}: a folder, not a config file.")
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such config file.") from None
    if data.startswith(codecs.BOM_UTF8):  # editors on Windows write one
        data = data[len(codecs.BOM_UTF8):]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[:error.start].count(b"\n") + 1
        raise ConfigError(f"{path}:{line}: bytes that are not UTF-8 "
                          f"({data[error.start:error.start + 4]!r}); TOML files are UTF-8. "
                          f"Save the file as UTF-8.") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None


def check_config(config, task="tagger", files=True):
    """Check every key of a config against its schema, before any work.

    Types, ranges and choices of every key; component names against the
    registry; with ``files``, that every data path (test included) is a
    readable file and that the output directory can be written.

    Raises:
        ConfigError: one message naming every wrong key, its value and
            what is allowed.
    """
    if task not in TASKS:
        raise ConfigError(f"`task` must be one of {', '.join(TASKS)}. "
                          f"Received: task={task!r}")
    problems = []
    for key, check in _schema(task).items():
        section, _, name = key.rpartition(".")
        table = config.get(section, {}) if section else config
        if not isinstance(table, dict) or name not in table:
            problems.append(f"{key} is missing (build configs with seqlab.load_config, "
                            f"which fills in the defaults)")
            continue
        problem = check(table[name], files)
        if problem:
            problems.append(f"{key} = {_shown(table[name])}: {problem}")
    if task == "tagger" and not any(p.startswith("data.") for p in problems):
        try:
            _check_format(config["data"])
        except ConfigError as error:
            problems.append(str(error).rstrip("."))
    if problems:
        raise ConfigError("Invalid config: " + "; ".join(problems) + ".")
    return config


def _shown(value):
    return repr(value) if isinstance(value, str) else _toml(value)


def _toml(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return "(none)" if value is None else repr(value)


def _integer(low=None, optional=False, high=None):
    def check(value, files):
        if value is None and optional:
            return None
        if (isinstance(value, bool) or not isinstance(value, int)
                or (low is not None and value < low) or (high is not None and value > high)):
            return f"expected an integer{_bound(low, high)}"
        return None
    return check


def _bound(low, high=None):
    shown = [f">= {low}" if low is not None else "", f"<= {high:,}" if high is not None else ""]
    return "".join(f" {b}" if i == 0 or not shown[0] else f" and {b}"
                   for i, b in enumerate(shown) if b)


def _number(low=None, high=None, low_open=False, high_open=False):
    shown = (f"{'>' if low_open else '>='} {low}" if low is not None else "",
             f"{'<' if high_open else '<='} {high}" if high is not None else "")
    allowed = " and ".join(s for s in shown if s)
    allowed = f"expected a number {allowed}".rstrip()

    def check(value, files):
        if (isinstance(value, bool) or not isinstance(value, (int, float))
                or not math.isfinite(value)):
            return f"{allowed} (a finite number)" if isinstance(value, float) else allowed
        if low is not None and (value <= low if low_open else value < low):
            return allowed
        if high is not None and (value >= high if high_open else value > high):
            return allowed
        return None
    return check


def _boolean(value, files):
    return None if isinstance(value, bool) else "expected true or false"


def _choice(*choices, normalise=lambda v: v):
    def check(value, files):
        try:
            if normalise(value) in choices:
                return None
        except (TypeError, ValueError, AttributeError):
            pass
        return f"expected one of {', '.join(_toml(c) for c in choices)}"
    return check


def _scheme(value, files):
    return _choice("iob1", "iob2", "iobes", normalise=lambda v: (
        {"bio": "iob2"}.get(v.lower().replace("-", ""), v.lower().replace("-", ""))))(value, files)


def _component(kind, optional=False):
    def check(value, files):
        if value is None and optional:
            return None
        try:
            name, options = registry.parse_spec(value, kind)
            registry.check_options(registry.get(kind, name), options)
        except (ConfigError, UnknownComponentError) as error:
            return str(error).rstrip(".")
        return None
    return check


def _components(kind):
    single = _component(kind)

    def check(value, files):
        if value is None:
            return None
        if not isinstance(value, list) or not value:
            return f"expected a non-empty list of {kind}, e.g. [\"word_embedding\", \"char_cnn\"]"
        for item in value:
            problem = single(item, files)
            if problem:
                return problem
        return None
    return check


def _names(value, files):
    if isinstance(value, list) and all(isinstance(n, str) and n for n in value):
        return None
    return 'expected a list of plugin distribution names, e.g. ["seqlab-example-cell"]'


def _addresses(value, files):
    if not isinstance(value, list) or not all(
            isinstance(a, str) and a.rpartition(":")[0] and a.rpartition(":")[2].isdigit()
            for a in value):
        return 'expected a list of "host:port" addresses, one per process, e.g. ["10.0.0.1:7777", "10.0.0.2:7777"]'
    return None


def _optimizer(value, files):
    if isinstance(value, str) and value.lower() in OPTIMIZERS:
        return None
    if not isinstance(value, str) or not value:
        return "expected the name of a Keras optimizer, e.g. \"adam\" or \"sgd\""
    close = difflib.get_close_matches(value.lower(), OPTIMIZERS, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"not a Keras optimizer{hint}; expected one of {', '.join(OPTIMIZERS)}"


def _file(optional=False):
    def check(value, files):
        if value is None and optional:
            return None
        if not isinstance(value, str) or not value:
            return "expected a file path"
        if files and not os.path.isfile(value):
            return "no such file" if not os.path.exists(value) else "not a file"
        if files and not os.access(value, os.R_OK):
            return "the file cannot be read (permissions)"
        return None
    return check


def _output(value, files):
    if not isinstance(value, str) or not value:
        return "expected a directory path"
    if not files:
        return None
    path = os.path.abspath(value)
    if os.path.exists(path) and not os.path.isdir(path):
        return "exists and is not a directory"
    existing = path
    while not os.path.exists(existing):
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing) or not os.access(existing, os.W_OK | os.X_OK):
        return f"cannot be written ({existing} is not writable)"
    return None


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
#: ``training.metric`` values of a tagger (`seqlab.tagging.METRICS`): entity
#: F1 (exact spans and types), Irsoy & Cardie's binary- and proportional-overlap
#: F1 (untyped), token accuracy.
TAGGER_METRICS = ("f1", "binary_overlap", "proportional_overlap", "token_accuracy")
#: ``model.merge_mode`` values (`seqlab.layers.stacked.MERGE_MODES`).
MERGE_MODES = ("concat", "sum", "mul", "ave")


def _schema(task):
    """Dotted key -> check, for every key of a task's config."""
    common = {
        "output": _output,
        "data.train": _file(), "data.dev": _file(), "data.test": _file(optional=True),
        "vocabulary.min_count": _integer(1), "vocabulary.max_size": _integer(0),
        "model.cell": _component("cells"), "model.units": _integer(1, high=MAX_WIDTH),
        "model.depth": _integer(1, high=MAX_DEPTH),
        "model.dropout": _number(0, 1, high_open=True),
        "model.head": _component("output_heads"),
        "model.kernel_initializer": _component("initializers", optional=True),
        "model.recurrent_initializer": _component("initializers", optional=True),
        "training.epochs": _integer(1),
        "training.batch_size": _integer(1, high=MAX_BATCH_SIZE),
        "training.optimizer": _optimizer,
        "training.learning_rate": _number(0, low_open=True),
        "training.weight_decay": _number(0),
        "training.lr_decay": _number(0),
        "training.clipper": _component("gradient_clippers"),
        "training.patience": _integer(0), "training.seed": _integer(0, high=MAX_SEED),
        "training.time_budget": _number(0),
        "training.steps_per_execution": _integer(1),
        "training.jit_compile": _choice("auto", True, False),
        "distribution.devices": _integer(0),
        "distribution.addresses": _addresses,
        "distribution.process_id": _integer(0),
        "plugins.require": _names,
    }
    if task == "lm":
        return {**common,
                "model.embedding_dim": _integer(1, optional=True, high=MAX_WIDTH),
                "model.num_classes": _integer(0), "model.tie_embeddings": _boolean,
                "training.num_steps": _integer(1), "training.decay_after": _integer(0),
                "training.lr_schedule": _choice("step", "plateau"),
                "training.min_improvement": _number(1),
                "training.init_scale": _number(0)}
    return {**common,
            "data.format": _data_format, "data.token_column": _integer(optional=True),
            "data.tag_column": _integer(optional=True), "data.scheme": _scheme,
            "data.repair": _boolean,
            "vocabulary.lowercase": _boolean, "vocabulary.digits": _boolean,
            "model.scheme": _scheme,
            "model.embedding_dim": _integer(1, optional=True, high=MAX_WIDTH),
            "model.merge_mode": _choice(*MERGE_MODES),
            "model.word_dropout": _number(0, 1, high_open=True),
            "model.encoders": _components("token_encoders"),
            "model.pretrained": _pretrained,
            "training.metric": _choice(*TAGGER_METRICS)}


#: ``model.pretrained`` options besides ``path``, with their defaults.
PRETRAINED_OPTIONS = {"trainable": True, "extend_vocabulary": True}


def pretrained_spec(value):
    """``model.pretrained`` as a dict (``path`` and `PRETRAINED_OPTIONS`), or None."""
    if not value:
        return None
    value = {"path": value} if isinstance(value, str) else value
    return {**PRETRAINED_OPTIONS, **value}


def _pretrained(value, files):
    example = ('expected the path of a vectors file, or a table like {path = '
               '"glove.6B.50d.txt", trainable = true, extend_vocabulary = true}')
    if value is None:
        return None
    if isinstance(value, dict):
        unknown = sorted(set(value) - {"path", *PRETRAINED_OPTIONS})
        if unknown:
            return f"unknown option {unknown[0]!r}; {example}"
        for key in PRETRAINED_OPTIONS:
            if key in value and not isinstance(value[key], bool):
                return f"{key} must be true or false"
        if "path" not in value:
            return example
        value = value["path"]
    if not isinstance(value, str) or not value:
        return example
    return _file()(value, files)


def _data_format(value, files):
    try:
        registry.parse_spec(value, "readers")
    except ConfigError as error:
        return str(error).rstrip(".")
    return None


def format_spec(data):
    """The data format spec of a ``[data]`` section: ``format`` with the
    ``token_column`` and ``tag_column`` shorthands added to its options."""
    name, options = registry.parse_spec(data["format"], "readers")
    columns = {key: data[key] for key in ("token_column", "tag_column")
               if data.get(key) is not None}
    return registry.normalise_spec({"name": name, **options, **columns})


def _check_format(data):
    """An unknown format or option is a config error; a broken plugin stays
    a `PluginError` naming it."""
    try:
        registry.create("readers", format_spec(data))
    except (ConfigError, UnknownComponentError) as error:
        raise ConfigError(f"data.format: {error}") from None


def _merge(config, update, where, prefix="", defaults=DEFAULTS):
    for key, value in update.items():
        name = f"{prefix}{key}"
        if key not in config:
            close = difflib.get_close_matches(key, list(config), n=1)
            hint = f" Did you mean {prefix + close[0]!r}?" if close else ""
            raise ConfigError(
                f"{where}: unknown config key {name!r}.{hint} Valid keys here: "
                f"{', '.join(prefix + k for k in config)}.")
        # Recurse into sections only; a component spec (a name or a table
        # like {name = "value", threshold = 1.0}) is replaced whole.
        if not prefix and isinstance(defaults.get(key), dict):
            if not isinstance(value, dict):
                raise ConfigError(f"{where}: {name!r} must be a table.")
            _merge(config[key], value, where, prefix=f"{name}.", defaults=defaults)
        else:
            config[key] = value


def _parse_override(text):
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"An override is section.key=value. Received: {text!r}")
    try:
        parsed = tomllib.loads(f"v = {value}")["v"]
    except tomllib.TOMLDecodeError:
        parsed = value  # a bare word: a string
    nested = parsed
    for part in reversed(key.strip().split(".")):
        nested = {part: nested}
    return nested
