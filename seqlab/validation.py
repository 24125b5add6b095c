"""Argument checks with messages that name the argument, the value and the fix.

Public, so that plugins validate their options the way the core does::

    from seqlab.validation import check_positive_number

    def my_clipper(threshold=1.0):
        check_positive_number("threshold", threshold)
"""

from seqlab.errors import ConfigError


def check_positive_int(name, value):
    """Raise a `ConfigError` unless ``value`` is a positive integer."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(
            f"`{name}` must be a positive integer. Received: {name}={value!r}")


def check_positive_number(name, value):
    """Raise a `ConfigError` unless ``value`` is a number greater than 0."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ConfigError(
            f"`{name}` must be a positive number. Received: {name}={value!r}")


def check_open_unit_interval(name, value):
    """Raise a `ConfigError` unless ``0 < value < 1``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 < value < 1.0:
        raise ConfigError(f"`{name}` must be in (0, 1). Received: {name}={value!r}")
