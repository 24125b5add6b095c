"""The ``whitespace`` tokenizer: text that is tokenized already."""

import re

from seqlab.data import Tokenizer

_TOKEN = re.compile(r"[^\s\x00-\x1f\x7f-\x9f]+")


class WhitespaceTokenizer(Tokenizer):
    """Tokens are the runs of characters between whitespace (and control
    characters): for text tokenized already, one sentence per line."""

    def spans(self, text):
        return [match.span() for match in _TOKEN.finditer(text)]
