"""Scores over tag sequences: pure functions, no model in sight.

- `entity_scores`: seqeval entity-level precision/recall/F1 and its report.
  ``mode="default"`` scores like the conlleval script; ``mode="strict"``
  only counts entities that are well-formed in the scheme.
- `token_accuracy`: the share of tokens tagged right.
- `overlap_scores`: Irsoy & Cardie's (2014) binary- and proportional-overlap
  precision/recall/F1 for opinion expressions.

Sequences are lists of tag strings; ``gold`` and ``predicted`` must align.
"""

import math

from seqeval import metrics as seqeval_metrics
from seqeval import scheme as seqeval_scheme
from seqeval.metrics.sequence_labeling import get_entities

from seqlab.data.schemes import check_scheme, convert, spans
from seqlab.errors import ConfigError

_SEQEVAL_SCHEMES = {"iob2": seqeval_scheme.IOB2, "iobes": seqeval_scheme.IOBES}


def _check_aligned(gold, predicted):
    if len(gold) != len(predicted):
        raise ConfigError(f"gold has {len(gold)} sentences, predicted "
                          f"{len(predicted)}.")
    for i, (g, p) in enumerate(zip(gold, predicted)):
        if len(g) != len(p):
            raise ConfigError(f"sentence {i}: gold has {len(g)} tags, "
                              f"predicted {len(p)}.")


def entity_scores(gold, predicted, scheme="iob2", mode="default", digits=4):
    """Entity-level scores with seqeval.

    Args:
        gold, predicted: lists of tag sequences in ``scheme``.
        scheme: ``"iob1"``, ``"iob2"`` or ``"iobes"``. IOB1 is converted to
            IOB2 first (seqeval reads IOB2 and IOBES).
        mode: ``"default"`` (conlleval's lenient chunking) or ``"strict"``.
        digits: decimals in the text report.

    Returns:
        A dict with ``precision``, ``recall``, ``f1`` (fractions),
        ``per_type`` ({type: {precision, recall, f1, support}}) and
        ``report`` (seqeval's classification report as text).
    """
    _check_aligned(gold, predicted)
    scheme = check_scheme(scheme)
    if mode not in ("default", "strict"):
        raise ConfigError(f"`mode` must be 'default' or 'strict'. Received: mode={mode!r}")
    if scheme == "iob1":
        gold = [convert(g, "iob1", "iob2") for g in gold]
        predicted = [convert(p, "iob1", "iob2") for p in predicted]
        scheme = "iob2"
    options = ({"mode": "strict", "scheme": _SEQEVAL_SCHEMES[scheme]}
               if mode == "strict" else {})
    if not _has_entities(gold, options) and not _has_entities(predicted, options):
        # seqeval's report fails on this (max() of an empty sequence): a
        # split without entities, tagged without any, scores zero.
        return {"precision": 0.0, "recall": 0.0, "f1": 0.0, "per_type": {},
                "report": "no entities in the gold or the predicted tags\n"}
    per_type = seqeval_metrics.classification_report(
        gold, predicted, output_dict=True, zero_division=0, **options)
    # The micro average is what precision_score/recall_score/f1_score
    # return; reading it here saves three more passes over the data.
    micro = per_type["micro avg"]
    return {
        "precision": float(micro["precision"]),
        "recall": float(micro["recall"]),
        "f1": float(micro["f1-score"]),
        "per_type": {k: {m: float(v[m]) for m in ("precision", "recall", "f1-score", "support")}
                     for k, v in per_type.items() if not k.endswith(" avg")},
        "report": seqeval_metrics.classification_report(
            gold, predicted, digits=digits, zero_division=0, **options),
    }


def _has_entities(sequences, options):
    if options:  # strict: only the spans the scheme allows count
        return any(seqeval_scheme.Entities(sequences, options["scheme"]).entities)
    return bool(get_entities(sequences))


def token_accuracy(gold, predicted):
    """Share of tokens whose predicted tag equals the gold tag."""
    _check_aligned(gold, predicted)
    total = sum(len(g) for g in gold)
    right = sum(a == b for g, p in zip(gold, predicted) for a, b in zip(g, p))
    return right / total if total else 0.0


def _f1(precision, recall):
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def overlap_scores(gold, predicted, scheme="iob2", typed=False):
    """Binary- and proportional-overlap scores (Irsoy & Cardie 2014).

    Spans are read leniently from the tags (an ``I`` after ``O`` opens a
    span), as Irsoy's released code does. With P the predicted and G the
    gold spans:

    - binary: precision = |{p : p overlaps some g}| / |P|,
      recall = |{g : g overlaps some p}| / |G|;
    - proportional: precision = sum over p, g of |p & g| / |p|, over |P|;
      recall = sum over g, p of |p & g| / |g|, over |G|.

    F1 = 2PR / (P + R). A ratio with a zero denominator (no predicted or no
    gold spans) is defined as 0.

    Untyped (the default, as the paper: one expression type per task), a
    predicted PER span overlapping a gold LOC span counts. ``typed=True``
    counts overlaps of spans of the same type only, and adds ``per_type``:
    the same scores for each type's spans alone.

    Returns:
        ``{"binary": {"precision", "recall", "f1"}, "proportional": {...}}``,
        and with ``typed`` also ``"per_type": {type: {"binary": ..., ...}}``.
    """
    _check_aligned(gold, predicted)
    gold_spans = [spans(list(tags), scheme) for tags in gold]
    predicted_spans = [spans(list(tags), scheme) for tags in predicted]
    if not typed:
        return _overlap_counts([[(None, s, e) for _, s, e in x] for x in gold_spans],
                               [[(None, s, e) for _, s, e in x] for x in predicted_spans])
    result = _overlap_counts(gold_spans, predicted_spans)
    kinds = sorted({k for x in gold_spans + predicted_spans for k, _, _ in x})
    result["per_type"] = {
        kind: _overlap_counts([[x for x in g if x[0] == kind] for g in gold_spans],
                              [[x for x in p if x[0] == kind] for p in predicted_spans])
        for kind in kinds}
    return result


def _overlap_counts(gold_spans, predicted_spans):
    """Overlap scores of spans ``(type, start, end)``; only spans of one
    type (None for all) overlap each other."""
    counts = {"binary": [0.0, 0.0], "proportional": [0.0, 0.0]}
    n_predicted = n_gold = 0
    for g_spans, p_spans in zip(gold_spans, predicted_spans):
        n_predicted += len(p_spans)
        n_gold += len(g_spans)
        for p in p_spans:
            overlaps = [_overlap(p[1:], g[1:]) for g in g_spans if g[0] == p[0]]
            counts["binary"][0] += any(overlaps)
            counts["proportional"][0] += sum(overlaps) / (p[2] - p[1])
        for g in g_spans:
            overlaps = [_overlap(p[1:], g[1:]) for p in p_spans if p[0] == g[0]]
            counts["binary"][1] += any(overlaps)
            counts["proportional"][1] += sum(overlaps) / (g[2] - g[1])
    result = {}
    for kind, (p_sum, g_sum) in counts.items():
        precision = p_sum / n_predicted if n_predicted else 0.0
        recall = g_sum / n_gold if n_gold else 0.0
        result[kind] = {"precision": precision, "recall": recall,
                        "f1": _f1(precision, recall)}
    return result


def _overlap(a, b):
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def perplexity(total_negative_log_likelihood, num_tokens):
    """exp(mean negative log-likelihood per token) (natural logs)."""
    if num_tokens <= 0:
        raise ConfigError("perplexity needs at least one token.")
    return math.exp(total_negative_log_likelihood / num_tokens)
