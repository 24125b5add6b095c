"""The ``tensorboard`` callback: Keras's TensorBoard logs in the run directory."""

import importlib.util
import os

import keras

import seqlab


def tensorboard(context, log_dir="tensorboard", histogram_freq=0, write_graph=False,
                update_freq="epoch"):
    """TensorBoard event files: each epoch's loss, dev score, learning rate
    and gradient statistics (``tensorboard --logdir RUN/tensorboard``).

    Args:
        log_dir: where the event files go, relative to the run directory.
        histogram_freq: epochs between weight histograms (0: none).
        write_graph: write the model's graph too.
        update_freq: ``"epoch"``, ``"batch"`` or a number of batches.
    """
    if importlib.util.find_spec("tensorboard") is None:
        raise seqlab.ConfigError(
            "The tensorboard callback writes its logs with the tensorboard package, which "
            "is not installed: pip install tensorboard (or seqlab[tensorboard]).")
    return keras.callbacks.TensorBoard(
        log_dir=os.path.join(context.run_directory, log_dir), histogram_freq=histogram_freq,
        write_graph=write_graph, update_freq=update_freq)
