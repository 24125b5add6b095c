"""Reading configs: TOML files, ``section.key=value`` overrides, paths
relative to the file, and the checks before a run (`seqlab.config`)."""

import codecs
import difflib
import os

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

from pydantic import BaseModel

from seqlab.config.schema import TASKS, pretrained_spec
from seqlab.config.types import (check_file, check_output, is_section, shown, toml_string,
                                 toml_value)
from seqlab.errors import ConfigError

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
        A `TaggerConfig` or `LanguageModelConfig`, every default filled in;
        data paths are absolute.

    Raises:
        ConfigError: unreadable TOML, an unknown section or key (with the
            closest valid one), a missing required key, or values the schema
            refuses (every one of them named in one message).
    """
    kind = _task(task)
    raw, base = {}, os.getcwd()
    if path is not None:
        path = os.fspath(path)
        raw = _read_toml(path)
        base = os.path.dirname(os.path.abspath(path))
    values = {}
    _merge(values, raw, kind, where=path or "config")
    if data:
        _merge(values, data, kind, where="arguments")
    for override in overrides:
        _merge(values, _parse_override(override), kind, where=f"override {override!r}")
    _resolve_paths(values, base, kind.model_fields["output"].default)
    for key in ("train", "dev"):
        if not values.get("data", {}).get(key):
            raise ConfigError(f"The config must give data.{key} (a file path).")
    return kind.checked(values)


def updated(config, values):
    """A copy of ``config`` with ``values`` (``{"training.epochs": 3}``) set,
    checked like the file's values (one `ConfigError` naming every wrong one)."""
    # What the user set stays what the user set (a default stays a default):
    # code may tell the two apart (`model_fields_set`).
    merged = config.model_dump(exclude_unset=True)
    for key, value in values.items():
        section, _, name = key.rpartition(".")
        (merged.setdefault(section, {}) if section else merged)[name] = value
    return type(config).checked(merged)


def as_config(config, task="tagger"):
    """``config`` as a checked config of ``task``: a typed config as it is
    (checked when built and at every assignment), a dict (built by hand)
    read with the defaults filled in."""
    kind = _task(task)
    if isinstance(config, BaseModel):
        if not isinstance(config, kind):
            raise ConfigError(f"A {type(config).__name__} cannot configure a {task} run; "
                              f"load it with task={task!r}.")
        return config  # checked when it was built, and at every assignment since
    if not isinstance(config, dict):
        raise ConfigError(f"A config is a {kind.__name__} (seqlab.load_config) or a dict. "
                          f"Received: {type(config).__name__}")
    return kind.checked(config)


def check_config(config, task="tagger", files=True):
    """Check a config before any work, and return it as a typed config.

    The schema's checks (`as_config`) and, with ``files``, that every data
    path (test and pretrained vectors included) is a readable file and that
    the output directory can be written.

    Raises:
        ConfigError: one message naming every wrong key, its value and
            what is allowed.
    """
    config = as_config(config, task)
    if not files:
        return config
    spec = pretrained_spec(getattr(config.model, "pretrained", None))
    paths = [(f"data.{key}", getattr(config.data, key)) for key in PATH_KEYS]
    paths.append(("model.pretrained", spec and spec["path"]))
    problems = [(key, value, check_file(value)) for key, value in paths if value]
    problems.append(("output", config.output, check_output(config.output)))
    problems = [f"{key} = {shown(value)}: {problem}" for key, value, problem in problems
                if problem]
    if problems:
        raise ConfigError("Invalid config: " + "; ".join(problems) + ".")
    return config


def to_toml(config):
    """A config as a TOML text that `load_config` reads back to the same
    config: every key, defaults included; unset optional keys commented."""
    lines, tables = [], []
    for name, value in config:
        if isinstance(value, BaseModel):
            tables.append((name, value))
        else:
            lines.append(_toml_line(name, value))
    order = ("data", "vocabulary", "model", "training")
    tables.sort(key=lambda table: order.index(table[0]) if table[0] in order else len(order))
    for name, section in tables:
        lines += ["", f"[{name}]"] + [_toml_line(key, value) for key, value in section]
    return "\n".join(lines) + "\n"


def _toml_line(key, value):
    if value is None:
        return f"# {key} = (not set)"
    return f"{key} = {toml_value(value, toml_string)}"


def _task(task):
    if task not in TASKS:
        raise ConfigError(f"`task` must be one of {', '.join(TASKS)}. "
                          f"Received: task={task!r}")
    return TASKS[task]


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


def _sections(kind):
    """``{name: section model or None}`` for the top-level keys of ``kind``."""
    return {name: field.annotation if is_section(field) else None
            for name, field in kind.model_fields.items()}


def _merge(values, update, kind, where):
    """Merge ``update`` into ``values`` (plain dicts), refusing keys the
    schema does not have with the closest valid one. A component spec (a name
    or a table like {name = "value", threshold = 1.0}) is replaced whole."""
    sections = _sections(kind)
    for key, value in update.items():
        _known(key, list(sections), "", where)
        if sections[key] is None:
            values[key] = value
            continue
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: {key!r} must be a table.")
        table = values.setdefault(key, {})
        for name, item in value.items():
            _known(name, list(sections[key].model_fields), f"{key}.", where)
            table[name] = item


def _known(key, valid, prefix, where):
    if key in valid:
        return
    close = difflib.get_close_matches(key, valid, n=1)
    hint = f" Did you mean {prefix + close[0]!r}?" if close else ""
    raise ConfigError(f"{where}: unknown config key {prefix + key!r}.{hint} Valid keys here: "
                      f"{', '.join(prefix + k for k in valid)}.")


#: Options of built-in encoders that name files (relative to the config file).
ENCODER_PATH_OPTIONS = {"lm_embeddings": ("forward", "backward"),
                        "word_embedding": ("pretrained",)}


def _resolve_paths(values, base, default_output):
    """Paths are relative to the config file; what is not a string is left
    for the schema to name."""
    def resolve(value):
        return os.path.join(base, os.path.expanduser(value))

    data = values.get("data", {})
    for key in PATH_KEYS:
        if isinstance(data.get(key), str) and data[key]:
            data[key] = resolve(data[key])
    model = values.get("model", {})
    pretrained = model.get("pretrained")
    if isinstance(pretrained, str) and pretrained:
        model["pretrained"] = resolve(pretrained)
    elif isinstance(pretrained, dict) and isinstance(pretrained.get("path"), str) \
            and pretrained["path"]:
        model["pretrained"] = {**pretrained, "path": resolve(pretrained["path"])}
    encoders = model.get("encoders")
    for spec in encoders if isinstance(encoders, list) else []:
        if isinstance(spec, dict) and spec.get("name") in ENCODER_PATH_OPTIONS:
            for key in ENCODER_PATH_OPTIONS[spec["name"]]:
                if isinstance(spec.get(key), str) and spec[key]:
                    spec[key] = resolve(spec[key])
    output = values.get("output", default_output)
    if isinstance(output, str) and output:
        values["output"] = resolve(output)


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
