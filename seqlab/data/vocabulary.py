"""Vocabularies: token <-> id, with padding (id 0) and unknown (id 1)."""

import collections
import re

from seqlab.errors import ConfigError

PAD = "<pad>"
UNK = "<unk>"
_DIGITS = re.compile(r"\d")


def normalise(token, lowercase=False, digits=False):
    """The form a token is looked up under: optionally lower-cased, and with
    every digit replaced by 0 (so "1996" and "2003" share an entry)."""
    if lowercase:
        token = token.lower()
    if digits:
        token = _DIGITS.sub("0", token)
    return token


class Vocabulary:
    """An ordered token list: id 0 is padding, id 1 unknown words.

    Args:
        tokens: the entries after ``<pad>`` and ``<unk>``, most frequent first.
        lowercase, digits: normalisation applied before lookup (see `normalise`).
    """

    def __init__(self, tokens, lowercase=False, digits=False):
        self.lowercase = lowercase
        self.digits = digits
        self.tokens = [PAD, UNK] + [t for t in tokens if t not in (PAD, UNK)]
        self.index = {t: i for i, t in enumerate(self.tokens)}
        if len(self.index) != len(self.tokens):
            raise ConfigError("A vocabulary cannot list a token twice.")

    @classmethod
    def build(cls, sentences, min_count=1, max_size=None, lowercase=False,
              digits=False):
        """Count the (normalised) tokens of ``sentences`` and keep those seen
        at least ``min_count`` times, at most ``max_size`` of them, most
        frequent first (ties in first-seen order)."""
        counts = collections.Counter(
            normalise(t, lowercase, digits) for s in sentences for t in s.tokens)
        kept = [t for t, c in counts.most_common() if c >= min_count]
        return cls(kept[:max_size] if max_size else kept, lowercase, digits)

    @classmethod
    def sized(cls, size):
        """A stand-in of ``size`` entries for models built from sizes alone."""
        if size < 2:
            raise ConfigError(f"A vocabulary has at least 2 entries (padding and "
                              f"unknown). Received: size={size}")
        return cls([f"<{i}>" for i in range(2, size)])

    @classmethod
    def characters(cls, sentences):
        """The characters of ``sentences``, most frequent first."""
        counts = collections.Counter(c for s in sentences for t in s.tokens for c in t)
        return cls([c for c, _ in counts.most_common()])

    def __len__(self):
        return len(self.tokens)

    def __eq__(self, other):
        return isinstance(other, Vocabulary) and self.get_config() == other.get_config()

    def normalised(self, token):
        """The form ``token`` is looked up under in this vocabulary."""
        return normalise(token, self.lowercase, self.digits)

    def extended(self, tokens):
        """A vocabulary with ``tokens`` (normalised forms) added after these."""
        return Vocabulary(self.tokens[2:] + [t for t in tokens if t not in self.index],
                          self.lowercase, self.digits)

    def ids(self, tokens):
        """Ids of tokens; unknown ones map to 1."""
        return [self.index.get(normalise(t, self.lowercase, self.digits), 1)
                for t in tokens]

    def get_config(self):
        return {"tokens": self.tokens[2:], "lowercase": self.lowercase,
                "digits": self.digits}

    @classmethod
    def from_config(cls, config):
        return cls(**config)
