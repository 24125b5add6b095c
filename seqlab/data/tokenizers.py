"""Tokenizers: raw text to tokens with their character offsets.

A tokenizer is a component of kind ``tokenizers`` (hook
``seqlab_register_tokenizers``). The built-ins live in
``seqlab_builtins.tokenizers``: ``treebank`` (the Penn Treebank rules, as
CoNLL data are tokenized: ``"Tokyo,"`` is ``Tokyo`` and ``,``) and
``whitespace``. A tagger keeps the name of the one that splits raw text for
it (``data.tokenizer``), so ``seqlab tag`` and `Tagger.annotate` split text
the way its training data was split.

Example:
    >>> tokenizer = tokenizer_for("treebank")
    >>> text = "Maria flew to Cape Town."
    >>> [text[s:e] for s, e in token_spans(tokenizer, text)]
    ['Maria', 'flew', 'to', 'Cape', 'Town', '.']
"""

from seqlab import registry
from seqlab.data.readers import token_problem
from seqlab.errors import PluginError


class Tokenizer:
    """Splits raw text into tokens, keeping where each token came from.

    Subclasses implement `spans`; options are constructor arguments.
    """

    def spans(self, text):
        """``(start, end)`` character offsets of each token of ``text``
        (end exclusive), in order, not overlapping, none of them empty or
        holding whitespace."""
        raise NotImplementedError

    def __call__(self, text):
        """The tokens of ``text``."""
        return [text[start:end] for start, end in self.spans(text)]


def tokenizer_for(spec):
    """The `Tokenizer` a spec names (``"treebank"``, ``{"name": ...}``)."""
    return registry.create("tokenizers", spec)


def token_spans(tokenizer, text):
    """``tokenizer.spans(text)``, checked: offsets in order, inside the
    text, and tokens a line-oriented file can hold (`token_problem`).

    Raises:
        PluginError: the tokenizer broke that contract (naming it).
    """
    offsets = [tuple(span) for span in tokenizer.spans(text)]
    previous = 0
    for start, end in offsets:
        problem = (None if isinstance(start, int) and isinstance(end, int)
                   and previous <= start < end <= len(text)
                   else "offsets out of order or outside the text")
        problem = problem or token_problem(text[start:end])
        if problem:
            name = type(tokenizer).__name__
            raise PluginError(
                f"Tokenizer {name} returned the span ({start!r}, {end!r}) for "
                f"{text[:60]!r}: {problem}. A tokenizer's spans are increasing, "
                f"non-overlapping (start, end) offsets of tokens without whitespace.")
        previous = end
    return offsets
