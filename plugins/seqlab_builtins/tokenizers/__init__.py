"""Built-in tokenizers for raw text: ``treebank`` (the Penn Treebank's
rules, as CoNLL data are split) and ``whitespace``."""

import seqlab


@seqlab.hookimpl
def seqlab_register_tokenizers(register):
    register("treebank", "seqlab_builtins.tokenizers.treebank:TreebankTokenizer")
    register("whitespace", "seqlab_builtins.tokenizers.whitespace:WhitespaceTokenizer")
