"""Built-in weight initializers: identity, orthogonal, uniform, glorot_uniform."""

import seqlab


@seqlab.hookimpl
def seqlab_register_initializers(register):
    register("identity", "seqlab_builtins.initializers.keras_initializers:identity")
    register("orthogonal", "seqlab_builtins.initializers.keras_initializers:orthogonal")
    register("uniform", "seqlab_builtins.initializers.keras_initializers:uniform")
    register("glorot_uniform", "seqlab_builtins.initializers.keras_initializers:glorot_uniform")
