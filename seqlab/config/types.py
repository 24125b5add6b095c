"""The types of config keys, each with its check and the sentence its error
shows (`Expected`), and `Section`, the base of every config table: what
`seqlab.config.schema` declares the keys with."""

import difflib
import json
import math
import os
from typing import Annotated, Any, Optional, Union, get_args

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PrivateAttr, ValidationError
from pydantic_core import PydanticCustomError

from seqlab import registry
from seqlab.errors import ConfigError, UnknownComponentError

#: The optimizers ``keras.optimizers.get`` knows by name (in any case); a
#: test keeps the list equal to Keras's.
OPTIMIZERS = ("adadelta", "adafactor", "adagrad", "adam", "adamax", "adamw", "ftrl",
              "lion", "muon", "nadam", "rmsprop", "schedulefreeadamw", "sgd")


class Expected:
    """What a key allows, as its error message says it: ``expected ...``."""

    def __init__(self, text):
        self.text = text


def _problem(message):
    # "{message}" as the template: a message may hold braces ({bogus = 1}).
    return PydanticCustomError("seqlab", "{message}", {"message": message})


def toml_value(value, string=repr):
    """A value as TOML writes it, strings as ``string`` quotes them: `repr`
    in messages (``'adam'``), JSON's quotes in a TOML file (``"adam"``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return string(value)
    if isinstance(value, BaseModel):
        value = value.model_dump()
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {toml_value(v, string)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v, string) for v in value) + "]"
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    return "(none)" if value is None else repr(value)


def toml_string(value):
    """A string quoted as in a TOML file."""
    return json.dumps(value, ensure_ascii=False)


def shown(value):
    """A config value as an error message shows it."""
    return toml_value(value)


def _bounds(low=None, high=None, low_open=False, high_open=False, thousands=True):
    parts = [f"{'>' if low_open else '>='} {low}" if low is not None else "",
             (f"{'<' if high_open else '<='} {high:,}" if thousands else
              f"{'<' if high_open else '<='} {high}") if high is not None else ""]
    return " and ".join(s for s in parts if s)


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
    listed = ", ".join(toml_value(c) for c in get_args(kind))
    before = [BeforeValidator(lambda v: normalise(v) if isinstance(v, str) else v)] \
        if normalise else []
    return Annotated[(kind, *before, Expected(f"expected one of {listed}"))]


def _component_check(kind, optional=False, registered=True):
    """A spec's check: its shape, and with ``registered`` its name and
    options against the registry."""
    def check(value):
        if value is None and optional:
            return value
        try:
            name, options = registry.parse_spec(value, kind)
            if registered:
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


def ComponentSpec(kind):
    """A component name or table, checked against the registry elsewhere (a
    data format together with its column shorthands)."""
    return Annotated[Spec, BeforeValidator(_component_check(kind, registered=False)),
                     Field(json_schema_extra={"x-seqlab-registry": kind})]


def Components(kind, example='["word_embedding", "char_cnn"]', empty=False):
    """A list of components of ``kind``: non-empty unless ``empty``, or None
    (the default)."""
    single = _component_check(kind)

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
            raise _invalid(type(self), error, {name: value}, self._where) from None

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
            raise _invalid(cls, error, values, prefix) from None


def _invalid(kind, error, values, prefix):
    """The `ConfigError` of a validation error: one sentence per wrong key,
    ``key = value: what is allowed``."""
    problems = {}
    for item in error.errors():
        names = [p for p in item["loc"] if isinstance(p, str)]
        key, field, value = _field(kind, names, values)
        key = prefix + key if key else key
        if item["type"] == "seqlab":
            text = item["ctx"]["message"]
            if not key or is_section(field):  # a check of a table names its keys
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
    return ConfigError("Invalid config: " + "; ".join(problems.values()) + ".")


def is_section(field):
    """Whether a model field is a table (a `Section`), not a key."""
    annotation = getattr(field, "annotation", None)
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _field(kind, names, values):
    """The dotted key, field info and given value an error location names."""
    model, path, field = kind, [], None
    for name in names:
        field = model.model_fields.get(name)
        path.append(name)  # an unknown key (field None) ends the path too
        if not is_section(field):
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
