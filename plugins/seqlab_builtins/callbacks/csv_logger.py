"""The ``csv_logger`` callback: one CSV row per epoch in the run directory."""

import os

import keras


def csv_logger(context, filename="history.csv", separator=","):
    """Each epoch's logs (loss, the dev score, the learning rate, gradient
    statistics) as a CSV row. A resumed run appends to the rows it wrote
    before; a fresh one starts the file again.

    Args:
        filename: the file, relative to the run directory.
        separator: between the columns.
    """
    return keras.callbacks.CSVLogger(os.path.join(context.run_directory, filename),
                                     separator=separator, append=context.resumed_after > 0)
