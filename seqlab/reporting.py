"""What a run directory says, for people: ``seqlab report RUN_DIR``.

Reads ``state.json`` (the history, while a run is going) and ``report.json``
(the scores, once it has ended), prints the learning curve and the per-type
scores as tables, and plots the curves into ``curves.png``. Imports no
Keras: it works beside a running run, and fast.

Example:
    >>> print(seqlab.reporting.summary("runs/ner"))
"""

import os

from seqlab.errors import SeqlabError
from seqlab.rundir import RunDirectory

#: History columns shown, in this order, when a run has them.
COLUMNS = ("loss", "dev_f1", "dev_binary_overlap", "dev_proportional_overlap",
           "dev_token_accuracy", "dev_ppl", "learning_rate", "gradient_norm_mean",
           "clipped_fraction")
#: Columns shown as percentages.
PERCENT = {"dev_f1", "dev_binary_overlap", "dev_proportional_overlap",
           "dev_token_accuracy", "clipped_fraction"}


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
    score_name = next((k for k in COLUMNS if k.startswith("dev_") and history
                       and k in history[0]), None)
    lines = [f"{directory.path}: {state['epoch']} epoch{'s' if state['epoch'] != 1 else ''}"
             f", best epoch {state['best_epoch']}"
             + ("" if report else " (running or stopped before its report)")]
    lines += ["", _history_table(history, state["best_epoch"])]
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


def _history_table(history, best_epoch):
    columns = [c for c in COLUMNS if any(c in h for h in history)]
    rows = [["epoch", *columns]]
    for entry in history:
        mark = "*" if entry["epoch"] == best_epoch else ""
        rows.append([f"{entry['epoch']}{mark}",
                     *(_number(c, entry.get(c)) for c in columns)])
    return _table(rows) + "\n(* the selected model, best.keras)"


def _number(column, value):
    if value is None:
        return "-"
    if column in PERCENT:
        return f"{100 * value:.2f}"
    if column == "learning_rate":
        return f"{value:.3g}"
    return f"{value:.4f}" if abs(value) < 100 else f"{value:.2f}"


def _checked_scores_text(scores, directory):
    try:
        return _scores_text(scores)
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        # report.json is a file on disk: what seqlab wrote has every score.
        raise SeqlabError(
            f"{directory.file(RunDirectory.REPORT)} lacks scores seqlab writes "
            f"({type(error).__name__}: {error}): it was edited or written by another "
            f"program. Remove it, and `seqlab train` with the same config writes it "
            f"again.") from None


def _scores_text(scores):
    if "perplexity" in scores:
        return (f"  perplexity {scores['perplexity']:.2f} ({scores['bits']:.3f} bits per "
                f"word, {scores['tokens']} tokens)")
    rows = [["type", "precision", "recall", "F1", "support"]]
    for kind, values in sorted(scores.get("per_type", {}).items()):
        rows.append([kind, *(f"{100 * values[k]:.2f}" for k in ("precision", "recall",
                                                               "f1-score")),
                     f"{values['support']:.0f}"])
    rows.append(["all (micro)", *(f"{100 * scores[k]:.2f}" for k in ("precision", "recall",
                                                                      "f1")), ""])
    text = _table(rows)
    typed = scores.get("typed_overlap")
    if typed:
        untyped = scores["untyped_overlap"]
        text += (f"\n  overlap F1: binary {100 * typed['binary']['f1']:.2f} typed, "
                 f"{100 * untyped['binary']['f1']:.2f} untyped; proportional "
                 f"{100 * typed['proportional']['f1']:.2f} typed, "
                 f"{100 * untyped['proportional']['f1']:.2f} untyped")
    return text


def _table(rows):
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  " + "  ".join(str(cell).rjust(w) if i else str(cell).ljust(w)
                                      for i, (cell, w) in enumerate(zip(row, widths))).rstrip()
                     for row in rows)
