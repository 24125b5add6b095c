"""Built-in training callbacks a config names in ``training.callbacks``:
``tensorboard`` and ``csv_logger``, Keras's own, writing into the run
directory."""

import seqlab


@seqlab.hookimpl
def seqlab_register_callbacks(register):
    register("tensorboard", "seqlab_builtins.callbacks.tensorboard:tensorboard")
    register("csv_logger", "seqlab_builtins.callbacks.csv_logger:csv_logger")
