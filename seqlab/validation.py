"""Argument checks with messages that name the argument, the value and the fix.

Public, so that plugins validate their options the way the core does::

    from seqlab.validation import check_positive_number

    def my_clipper(threshold=1.0):
        check_positive_number("threshold", threshold)
"""

import math

from seqlab.errors import ConfigError


def check_positive_int(name, value):
    """Raise a `ConfigError` unless ``value`` is a positive integer."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(
            f"`{name}` must be a positive integer. Received: {name}={value!r}")


def check_positive_number(name, value):
    """Raise a `ConfigError` unless ``value`` is a number greater than 0."""
    if (isinstance(value, bool) or not isinstance(value, (int, float))
            or not 0 < value < math.inf):
        raise ConfigError(
            f"`{name}` must be a finite number > 0. Received: {name}={value!r}")


def check_seed(name, value):
    """Raise a `ConfigError` unless ``value`` is None or a seed NumPy takes."""
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                              or not 0 <= value < 2 ** 32):
        raise ConfigError(f"`{name}` must be an integer from 0 to {2 ** 32 - 1}, or None. "
                          f"Received: {name}={value!r}")


def check_open_unit_interval(name, value):
    """Raise a `ConfigError` unless ``0 < value < 1``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 < value < 1.0:
        raise ConfigError(f"`{name}` must be in (0, 1). Received: {name}={value!r}")


def check_printable_names(name, values):
    """Raise a `ConfigError` unless every entry of ``values`` (tag names, a
    vocabulary's words) can be printed as one field of a line: a non-empty
    string without whitespace or control characters. Model files are input
    too: a tag name holding a line break would add lines to ``seqlab tag``'s
    output.
    """
    from seqlab.data.readers import token_problem

    for position, value in enumerate(values):
        problem = token_problem(value)
        if problem:
            raise ConfigError(f"`{name}` entry {position} ({value!r:.60}) {problem}; each is "
                              f"a non-empty string without whitespace or control characters.")
