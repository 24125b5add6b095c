"""The ``treebank`` tokenizer: NLTK's Penn Treebank tokenizer, with spans."""

import re

from seqlab.data import Tokenizer

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]+")


class TreebankTokenizer(Tokenizer):
    """The Penn Treebank's conventions (NLTK's ``NLTKWordTokenizer``, the
    improved Treebank tokenizer behind ``nltk.word_tokenize``): punctuation
    and brackets split off (``"Tokyo,"`` is ``Tokyo`` ``,``), clitics split
    (``don't`` is ``do`` ``n't``), a sentence's final period split off
    (``"Cape Town."`` is ``Cape`` ``Town`` ``.``), abbreviations and numbers
    kept (``p.m.``, ``3:30``, ``5,000``). CoNLL-2000 (the Wall Street
    Journal) is tokenized so, and CoNLL-2003 nearly so. It expects one
    sentence per text: a period inside the text stays on its word.
    """

    _tokenizer = None

    def spans(self, text):
        # NLTK's aligner stops at characters it does not expect (a control
        # character becomes a space here: never part of a token).
        text = _CONTROL.sub(lambda m: " " * len(m.group()), text)
        if not text.strip():
            return []
        if self._tokenizer is None:
            # NLTK's import takes about a second: paid by the first text
            # split, not by building a reader or loading a model.
            from nltk.tokenize.destructive import NLTKWordTokenizer

            self._tokenizer = NLTKWordTokenizer()
        return list(self._tokenizer.span_tokenize(text))
