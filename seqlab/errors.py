"""The exception hierarchy: every error seqlab raises on purpose is a `SeqlabError`.

Messages name what was received, where it came from (file and line, plugin,
config key) and what to do about it.
"""


class SeqlabError(Exception):
    """Base class of every error raised by seqlab itself."""


class ConfigError(SeqlabError, ValueError):
    """An argument or configuration value is invalid."""


class PluginError(SeqlabError):
    """A plugin could not be loaded, or one of its hooks failed.

    Attributes:
        plugin: the name of the offending plugin.
    """

    def __init__(self, message, plugin=None):
        super().__init__(message)
        self.plugin = plugin


class DuplicateComponentError(PluginError):
    """Two plugins registered a component of the same kind under one name."""


class UnknownComponentError(SeqlabError, KeyError):
    """No installed plugin provides a component of this kind and name.

    Attributes:
        kind: the component kind, e.g. ``"cells"``.
        name: the name that was asked for.
        available: the names that are registered for this kind.
    """

    def __init__(self, message, kind=None, name=None, available=()):
        super().__init__(message)
        self.kind = kind
        self.name = name
        self.available = tuple(available)

    def __str__(self):
        # KeyError would print the message with quotes around it.
        return str(self.args[0])


class TrainingError(SeqlabError):
    """Training cannot go on (for example, the loss became NaN)."""


class DataError(SeqlabError, ValueError):
    """An input file is malformed; the message names the file and line."""


class UnsafeModelError(SeqlabError):
    """A model file asks for something seqlab never does when loading: to
    run code, or to read another file."""


class SeqlabWarning(UserWarning):
    """Something in the input is probably not what the user meant, but work
    can go on (a byte-order mark removed, a dev entity type never seen in
    training, a text mostly of unknown words). The command line prints these
    as ``seqlab: warning:`` lines."""
