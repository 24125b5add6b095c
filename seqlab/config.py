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

    [plugins]
    require = ["seqlab-example-cell"]   # fail early if a plugin is missing
"""

import copy
import difflib
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
             "token_column": None, "tag_column": None, "scheme": "iob2"},
    "vocabulary": {"min_count": 1, "max_size": 0, "lowercase": False, "digits": False},
    "model": {"scheme": "iobes", "cell": "lstm", "units": 100, "depth": 2,
              "embedding_dim": 100, "merge_mode": "concat", "dropout": 0.5,
              "head": "softmax", "kernel_initializer": None,
              "recurrent_initializer": None, "word_dropout": 0.0,
              "encoders": None},
    "training": {"epochs": 30, "batch_size": 32, "optimizer": "adam",
                 "learning_rate": 0.001, "lr_decay": 0.0,
                 "clipper": "global_norm", "patience": 5, "seed": 1,
                 "time_budget": 0, "steps_per_execution": 1, "jit_compile": "auto"},
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
                 "decay_after": 4, "init_scale": 0.1,
                 "clipper": {"name": "global_norm", "threshold": 5.0},
                 "patience": 0, "seed": 1, "time_budget": 0,
                 "steps_per_execution": 1, "jit_compile": "auto"},
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
        try:
            with open(path, "rb") as handle:
                raw = tomllib.load(handle)
        except FileNotFoundError:
            raise ConfigError(f"{path}: no such config file.") from None
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(f"{path}: not valid TOML: {error}") from None
        base = os.path.dirname(os.path.abspath(path))
    config = copy.deepcopy(defaults)
    _merge(config, raw, where=path or "config", defaults=defaults)
    if data:
        _merge(config, data, where="arguments", defaults=defaults)
    for override in overrides:
        _merge(config, _parse_override(override), where=f"override {override!r}",
               defaults=defaults)
    for key in PATH_KEYS:
        value = config["data"][key]
        if value is not None:
            config["data"][key] = os.path.join(base, os.path.expanduser(value))
    config["output"] = os.path.join(base, os.path.expanduser(config["output"]))
    for key in ("train", "dev"):
        if not config["data"][key]:
            raise ConfigError(f"The config must give data.{key} (a file path).")
    require = config["plugins"]["require"]
    if not (isinstance(require, list) and all(isinstance(n, str) for n in require)):
        raise ConfigError(f"plugins.require must be a list of plugin distribution names, "
                          f'e.g. ["seqlab-example-cell"]. Received: {require!r}')
    if task == "tagger":
        _check_format(config["data"])
    return config


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
