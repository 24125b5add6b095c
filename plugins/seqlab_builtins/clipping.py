"""Built-in gradient clipping: none, global_norm, value, adaptive_norm."""

import importlib

import seqlab


def __getattr__(name):
    # The implementation (and Keras) is imported on first use, so listing
    # components (`seqlab plugins`) imports neither.
    return getattr(importlib.import_module("seqlab_builtins._clipping"), name)


@seqlab.hookimpl
def seqlab_register_gradient_clippers(register):
    register("none", "seqlab_builtins._clipping:NoClipping")
    register("global_norm", "seqlab_builtins._clipping:GlobalNormClipper")
    register("value", "seqlab_builtins._clipping:ValueClipper")
    register("adaptive_norm", "seqlab_builtins._clipping:AdaptiveNormClipper")
