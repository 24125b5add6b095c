"""Built-in data formats: conll, two_column, text, jsonl, spans_jsonl, and
html (output only)."""

import seqlab


@seqlab.hookimpl
def seqlab_register_readers(register):
    register("conll", "seqlab_builtins.formats.conll:conll")
    register("two_column", "seqlab_builtins.formats.conll:two_column")
    register("text", "seqlab_builtins.formats.lines:TextFormat")
    register("jsonl", "seqlab_builtins.formats.lines:JsonlFormat")
    register("spans_jsonl", "seqlab_builtins.formats.spans_jsonl:SpansJsonlFormat")
    register("html", "seqlab_builtins.formats.html:HtmlFormat")
