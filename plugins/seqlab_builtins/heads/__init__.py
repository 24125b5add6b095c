"""Built-in output heads: softmax, class_softmax and adaptive_softmax."""

import seqlab


@seqlab.hookimpl
def seqlab_register_output_heads(register):
    register("softmax", "seqlab_builtins.heads.softmax:softmax")
    register("class_softmax", "seqlab_builtins.heads.class_softmax:class_softmax")
    register("adaptive_softmax", "seqlab_builtins.heads.adaptive_softmax:adaptive_softmax")
