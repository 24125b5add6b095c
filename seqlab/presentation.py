"""Every table and score report seqlab prints, for people.

Pure functions from scores, histories and components to text: the
commands (`seqlab.cli`) and `seqlab.reporting` print what these return, so
a score looks the same wherever it is shown. Imports no Keras.
"""

#: History columns shown, in this order, when a run has them.
COLUMNS = ("loss", "dev_f1", "dev_binary_overlap", "dev_proportional_overlap",
           "dev_token_accuracy", "dev_ppl", "learning_rate", "gradient_norm_mean",
           "clipped_fraction")
#: Columns shown as percentages.
PERCENT = {"dev_f1", "dev_binary_overlap", "dev_proportional_overlap",
           "dev_token_accuracy", "clipped_fraction"}


def table(rows, indent="  ", numbers=True):
    """Rows of cells as aligned columns: the first left, the others right
    (``numbers``) or left."""
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(indent + "  ".join(str(cell).rjust(w) if i and numbers else str(cell).ljust(w)
                                        for i, (cell, w) in enumerate(zip(row, widths))).rstrip()
                     for row in rows)


def components_table(components, uses=None):
    """``seqlab plugins``: kind, name, plugin and package of each component
    (and, given ``uses`` by name, what each format does)."""
    rows = [("KIND", "NAME", "PLUGIN", "PACKAGE") + (("USE",) if uses else ())]
    rows += [(c.kind, c.name, c.plugin, c.package or "(built-in)")
             + ((uses[c.name],) if uses else ()) for c in components]
    return table(rows, indent="", numbers=False)


def _percent(value):
    return f"{100 * value:.2f}"


def _overlap(scores):
    """``(binary typed, binary untyped, proportional typed, proportional
    untyped)`` overlap F1s, as percentages."""
    typed, untyped = scores["typed_overlap"], scores["untyped_overlap"]
    return tuple(_percent(s[kind]["f1"]) for kind in ("binary", "proportional")
                 for s in (typed, untyped))


def score_line(scores, label):
    """One line of a tagger's scores: entity F1 (and strict), token
    accuracy, the overlap F1s."""
    binary_typed, binary_untyped, proportional_typed, proportional_untyped = _overlap(scores)
    return (f"{label}: entity F1 {_percent(scores['f1'])} (strict "
            f"{_percent(scores['strict']['f1'])}), token accuracy "
            f"{_percent(scores['token_accuracy'])}; overlap F1, binary "
            f"{binary_typed} typed / {binary_untyped} untyped, proportional "
            f"{proportional_typed} typed / {proportional_untyped} untyped")


def scores_report(scores, label):
    """seqeval's report followed by `score_line` (``seqlab train``, ``evaluate``)."""
    return f"{scores['report']}\n{score_line(scores, label)}"


def _unit(scores):
    return "character" if scores.get("unit") == "char" else "word"


def perplexity_line(scores, label):
    """A language model's scores on one text in a line (a character model's
    in bits per character first)."""
    unit = _unit(scores)
    unknown = (f", {100 * scores['unk_share']:.1f}% of {unit}s <unk>"
               if "unk_share" in scores else "")
    if unit == "character":
        return (f"{label}: {scores['bits']:.3f} bits per character (perplexity "
                f"{scores['perplexity']:.2f}, {scores['tokens']} characters{unknown})")
    return (f"{label}: perplexity {scores['perplexity']:.2f} "
            f"({scores['bits']:.3f} bits per word, {scores['tokens']} tokens{unknown})")


def scores_table(scores):
    """Scores of a report.json split: per type and in all, or perplexity."""
    if "perplexity" in scores:
        return (f"  perplexity {scores['perplexity']:.2f} ({scores['bits']:.3f} bits per "
                f"{_unit(scores)}, {scores['tokens']} tokens)")
    rows = [["type", "precision", "recall", "F1", "support"]]
    for kind, values in sorted(scores.get("per_type", {}).items()):
        rows.append([kind, *(_percent(values[k]) for k in ("precision", "recall", "f1-score")),
                     f"{values['support']:.0f}"])
    rows.append(["all (micro)", *(_percent(scores[k]) for k in ("precision", "recall", "f1")),
                 ""])
    text = table(rows)
    if scores.get("typed_overlap"):
        binary_typed, binary_untyped, proportional_typed, proportional_untyped = \
            _overlap(scores)
        text += (f"\n  overlap F1: binary {binary_typed} typed, {binary_untyped} untyped; "
                 f"proportional {proportional_typed} typed, {proportional_untyped} untyped")
    return text


def history_table(history, best_epoch):
    """One row per epoch with the columns a run has; the best marked."""
    columns = [c for c in COLUMNS if any(c in h for h in history)]
    rows = [["epoch", *columns]]
    for entry in history:
        mark = "*" if entry["epoch"] == best_epoch else ""
        rows.append([f"{entry['epoch']}{mark}",
                     *(_history_number(c, entry.get(c)) for c in columns)])
    return table(rows) + "\n(* the selected model, best.keras)"


def _history_number(column, value):
    if value is None:
        return "-"
    if column in PERCENT:
        return _percent(value)
    if column == "learning_rate":
        return f"{value:.3g}"
    return f"{value:.4f}" if abs(value) < 100 else f"{value:.2f}"


def sentence_score_line(result):
    """``seqlab lm score``: log10 p, perplexity, share of <unk>, the sentence."""
    return (f"{result['log10_prob']:.4f}\t{result['perplexity']:.2f}\t"
            f"{result['unk_share']:.2f}\t{result['sentence']}")


def gradient_table(results, steps, batch, units):
    """``seqlab diagnose gradients``: ||dE_T/dh_t|| of each cell at a few t."""
    marks = sorted({1, max(1, steps // 2), steps - 1})
    lines = [f"||dE_T/dh_t|| at T={steps} (mean over {batch} sequences, {units} units):",
             "cell".ljust(12) + "".join(f"t={t}".rjust(12) for t in marks)]
    for label, result in results.items():
        norms = result["gradient_norm"]
        lines.append(label.ljust(12) + "".join(f"{norms[t - 1]:12.3e}" for t in marks))
    return "\n".join(lines)
