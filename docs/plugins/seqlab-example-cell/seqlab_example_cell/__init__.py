"""A seqlab plugin that adds the Minimal Gated Unit (Zhou et al. 2016).

    f_t  = sigmoid(W_f x_t + U_f h_{t-1} + b_f)
    h~_t = tanh(W_h x_t + U_h (f_t * h_{t-1}) + b_h)
    h_t  = (1 - f_t) * h_{t-1} + f_t * h~_t

One gate instead of the GRU's two. Installed, it is a cell named ``mgu``:
``seqlab.Tagger(..., cell="mgu")``.
"""

import seqlab


@seqlab.hookimpl
def seqlab_register_cells(register):
    # By name ("module:function"): seqlab imports the module, and Keras with
    # it, only when a model uses the cell, so `seqlab plugins` stays fast.
    register("mgu", "seqlab_example_cell.mgu:mgu")
