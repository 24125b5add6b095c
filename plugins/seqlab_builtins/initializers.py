"""Built-in weight initializers: identity, orthogonal, uniform, glorot_uniform."""

import importlib

import seqlab


def __getattr__(name):
    # The implementation (and Keras) is imported on first use, so listing
    # components (`seqlab plugins`) imports neither.
    return getattr(importlib.import_module("seqlab_builtins._initializers"), name)


@seqlab.hookimpl
def seqlab_register_initializers(register):
    register("identity", "seqlab_builtins._initializers:identity")
    register("orthogonal", "seqlab_builtins._initializers:orthogonal")
    register("uniform", "seqlab_builtins._initializers:uniform")
    register("glorot_uniform", "seqlab_builtins._initializers:glorot_uniform")
