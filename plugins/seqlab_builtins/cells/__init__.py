"""Built-in recurrent cells: elman, relu, irnn, lstm, gru.

``elman``, ``relu`` and ``irnn`` are `seqlab.layers.ProjectedCell`s: their
input projection runs once per sequence, or per step for inputs narrower
than the projection (`seqlab.layers.ProjectedRNN`). ``lstm`` and ``gru`` are
Keras's own layers, which take the fused cuDNN kernel on a GPU where the
backend has one.
"""

import seqlab


@seqlab.hookimpl
def seqlab_register_cells(register):
    register("elman", "seqlab_builtins.cells.elman:elman")
    register("relu", "seqlab_builtins.cells.elman:relu")
    register("irnn", "seqlab_builtins.cells.elman:irnn")
    register("lstm", "seqlab_builtins.cells.lstm:lstm")
    register("gru", "seqlab_builtins.cells.gru:gru")
