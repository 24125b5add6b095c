"""Built-in gradient clipping: none, global_norm, value, adaptive_norm."""

import seqlab


@seqlab.hookimpl
def seqlab_register_gradient_clippers(register):
    register("none", "seqlab_builtins.clipping.none:NoClipping")
    register("global_norm", "seqlab_builtins.clipping.global_norm:GlobalNormClipper")
    register("value", "seqlab_builtins.clipping.value:ValueClipper")
    register("adaptive_norm", "seqlab_builtins.clipping.adaptive_norm:AdaptiveNormClipper")
