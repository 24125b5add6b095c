"""Built-in output heads: softmax, class_softmax and adaptive_softmax."""

import importlib

import seqlab


def __getattr__(name):
    # The implementation (and Keras) is imported on first use, so listing
    # components (`seqlab plugins`) imports neither.
    return getattr(importlib.import_module("seqlab_builtins._heads"), name)


@seqlab.hookimpl
def seqlab_register_output_heads(register):
    register("softmax", "seqlab_builtins._heads:softmax")
    register("class_softmax", "seqlab_builtins._heads:class_softmax")
    register("adaptive_softmax", "seqlab_builtins._heads:adaptive_softmax")
