"""Built-in recurrent cells: elman, relu, irnn, lstm, gru.

``elman``, ``relu`` and ``irnn`` are `seqlab.layers.ProjectedCell`s: their
input projection runs once per sequence. ``lstm`` and ``gru`` are Keras's own
layers, which take the fused cuDNN kernel on a GPU where the backend has one.
"""

import importlib

import seqlab


def __getattr__(name):
    # The implementation (and Keras) is imported on first use, so listing
    # components (`seqlab plugins`) imports neither.
    return getattr(importlib.import_module("seqlab_builtins._cells"), name)


@seqlab.hookimpl
def seqlab_register_cells(register):
    register("elman", "seqlab_builtins._cells:elman")
    register("relu", "seqlab_builtins._cells:relu")
    register("irnn", "seqlab_builtins._cells:irnn")
    register("lstm", "seqlab_builtins._cells:lstm")
    register("gru", "seqlab_builtins._cells:gru")
