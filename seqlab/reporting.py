"""What a run directory says, for people: ``seqlab report RUN_DIR``.

Reads ``state.json`` (the history, while a run is going) and ``report.json``
(the scores, once it has ended), prints the learning curve and the per-type
scores as tables, and plots the curves into ``curves.png``. Imports no
Keras: it works beside a running run, and fast.

Example:
    >>> print(seqlab.reporting.summary("runs/ner"))
"""

import os

from seqlab import presentation
from seqlab.errors import SeqlabError
from seqlab.rundir import RunDirectory

def read_run(path):
    """``(state, report)`` of a run directory; ``report`` is None while the
    run has not finished.

    Raises:
        SeqlabError: the directory holds no run (no finished epoch), or its
            state or report is not one seqlab writes.
    """
    directory = RunDirectory(path)
    if not os.path.isdir(directory.path):
        raise SeqlabError(f"{directory.path}: no such run directory.")
    # The history is all a report needs: the checkpoints are not read.
    state = directory.read_state(verify=False)
    if state is None:
        raise SeqlabError(
            f"{directory.path} holds no finished epoch yet (no {RunDirectory.STATE}); "
            f"a run directory is the `output` of seqlab train or seqlab lm train.")
    report = directory.read_report()
    if report is not None and report["epoch"] != state["epoch"]:
        report = None  # the run went on after this report
    return state, report


def summary(path, plot=True):
    """The text ``seqlab report`` prints; with ``plot``, writes ``curves.png``."""
    directory = RunDirectory(path)
    state, report = read_run(path)
    history = state["history"]
    score_name = next((k for k in presentation.COLUMNS if k.startswith("dev_") and history
                       and k in history[0]), None)
    lines = [f"{directory.path}: {state['epoch']} epoch{'s' if state['epoch'] != 1 else ''}"
             f", best epoch {state['best_epoch']}"
             + ("" if report else " (running or stopped before its report)")]
    lines += ["", presentation.history_table(history, state["best_epoch"])]
    if report:
        for split in ("dev", "test"):
            scores = report.get(split)
            if scores:
                lines += ["", f"{split}:", _checked_scores_text(scores, directory)]
    if plot and history and score_name:
        from seqlab.plots import plot_learning_curves

        curves = directory.file(RunDirectory.CURVES)
        plot_learning_curves(history, curves, score_name, state["best_epoch"])
        lines += ["", f"curves: {curves}"]
    return "\n".join(lines)


def _checked_scores_text(scores, directory):
    try:
        return presentation.scores_table(scores)
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        # report.json is a file on disk: what seqlab wrote has every score.
        raise SeqlabError(
            f"{directory.file(RunDirectory.REPORT)} lacks scores seqlab writes "
            f"({type(error).__name__}: {error}): it was edited or written by another "
            f"program. Remove it, and `seqlab train` with the same config writes it "
            f"again.") from None
