"""The defaults suite (BENCHMARKS.md 1d): seqlab's default tagger on every
tagged dataset in ``../shared/data``, one table against each anchor.

    python benchmarks/suite.py [--data ../shared/data] [--seeds 3]
        [--seed-list K,L] [--rows conll2003-glove,conll2000-glove,...]
        [--set training.patience=5 ...]
        [--glove .data/glove.6B.50d.txt] [--quick] [--table]

Rows (every one is ``TaggerConfig.defaults()`` with the dataset's files,
format and scheme; ``glove`` rows add ``model.pretrained`` = GloVe 6B 50d):

- ``conll2003-random``, ``conll2003-glove``: CoNLL-2003 English NER (IOB1 files);
- ``conll2000-random``, ``conll2000-glove``: CoNLL-2000 chunking (IOB2);
- ``mpqa_dse-glove``, ``mpqa_ese-glove``: MPQA direct-subjective and
  expressive-subjective expressions, fold 0 (IOB2; binary-overlap F1
  reported beside exact F1).

``--set SECTION.KEY=VALUE`` (repeatable) changes the config of every row:
a candidate recipe is run on the same suite as the defaults and compared by
the suite's score, the mean gap to the anchors (higher is better). Models
are selected on dev; test is reported.

A run stopped part-way resumes from its last committed epoch when the
suite is started again (run directories under ``--output``). Each
finished run is appended to ``benchmarks/results/suite_runs.jsonl``
(row, seed, config, scores, epochs, seconds, machine, date); a later
invocation skips the (row, config, seed) runs already there, and CoNLL-2003
runs of the same config recorded by ``ner_conll2003.py`` count too. So the
suite can stop and continue in a later session. ``--table`` prints the
table from the records alone (no training). Prints the Markdown table, then
one JSON line.
"""

import argparse
import copy
import hashlib
import json
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from ner_conll2003 import (RESULTS as NER_RESULTS, _key, _recorded, _seed_list,  # noqa: E402
                           chosen_rows, machine, quick_split, read_runs)

RESULTS = os.path.join(HERE, "results", "suite_runs.jsonl")

#: Each dataset: where its files are, how to read them, and its anchors
#: (test F1, percent): published systems where there are any, and seqlab's
#: figure before the suite existed (benchmarks/README.md), which no row may
#: fall below.
DATASETS = {
    "conll2003": {
        "folder": "conll2003", "splits": ("train", "valid", "test"),
        "data": {"format": "conll", "token_column": 0, "tag_column": -1, "scheme": "iob1"},
        "anchors": {
            "random": {"published": (83.63, "Lample et al. 2016, random init"),
                       "seqlab": (83.83, "benchmarks/README.md section 1")},
            "glove": {"published": (91.35, "NCRF++ 2018, GloVe 100d"),
                      "seqlab": (90.18, "benchmarks/README.md section 1")}},
    },
    "conll2000": {
        "folder": "conll2000", "splits": ("train", "dev", "test"),
        "data": {"format": "conll", "token_column": 0, "tag_column": -1, "scheme": "iob2"},
        "anchors": {
            "random": {"published": (93.48, "Kudo & Matsumoto 2000, shared-task best")},
            "glove": {"published": (94.46, "Huang et al. 2015, BiLSTM-CRF")}},
    },
    "mpqa_dse": {
        "folder": "opinion/mpqa/dse", "splits": ("train", "dev", "test"),
        "data": {"format": "two_column", "scheme": "iob2"},
        "anchors": {"glove": {"seqlab": (48.54, "benchmarks/README.md section 2, best exact F1")}},
    },
    "mpqa_ese": {
        "folder": "opinion/mpqa/ese", "splits": ("train", "dev", "test"),
        "data": {"format": "two_column", "scheme": "iob2"},
        "anchors": {"glove": {"seqlab": (20.96, "benchmarks/README.md section 2, best exact F1")}},
    },
}
ROWS = [f"{name}-{vectors}" for name, dataset in DATASETS.items()
        for vectors in dataset["anchors"]]
#: The sections of a config a row sets (the rest is where and how to run).
SECTIONS = ("vocabulary", "model", "training")


def defaults():
    from seqlab.config.schema import TaggerConfig

    every = TaggerConfig.defaults()
    return {section: every[section] for section in SECTIONS}


def row_settings(row, glove, changes=(), files=None):
    """The config sections of ``row`` (``DATASET-VECTORS``): the defaults,
    with ``changes`` (``SECTION.KEY=VALUE``) applied to every row (checked
    by the config, which reads the row's ``files``)."""
    import seqlab

    settings = defaults()
    if changes:
        changed = seqlab.load_config(data={"data": {**(files or {}), "format": "conll"},
                                           **settings}, overrides=list(changes))
        settings = {section: changed.dump()[section] for section in SECTIONS}
    if row.endswith("-glove"):
        # A candidate may give the vectors' options (``--set
        # model.pretrained={path="...", trainable=false}``): the row's file
        # replaces only the path.
        given = settings["model"].get("pretrained")
        settings["model"]["pretrained"] = ({**given, "path": glove} if isinstance(given, dict)
                                           else glove)
    return settings


def recorded():
    """``{(row, config key, seed): record}``: the suite's records, and the
    CoNLL-2003 runs ``ner_conll2003.py`` recorded (row ``glove`` is
    ``conll2003-glove`` when the config is the same)."""
    runs = {(f"conll2003-{r['row']}", _key(r["config"]), r["seed"]): r
            for r in read_runs(NER_RESULTS, lambda r: (r["row"], r["seed"], r["date"],
                                                       r["test_f1"])).values()}
    runs.update(read_runs(RESULTS, lambda r: (r["row"], _key(r["config"]), r["seed"])))
    return runs


def train_row(row, settings, files, data, seed, output, epochs, resume=True):
    import seqlab
    from seqlab.tagging import evaluate_tagger, read_tagged

    overrides = [f"training.seed={seed}"] + ([f"training.epochs={epochs}"] if epochs else [])
    config = seqlab.load_config(data={
        "output": os.path.join(output, f"{row}-seed{seed}"),
        "data": {**files, **data}, **copy.deepcopy(settings)}, overrides=overrides)
    start = time.perf_counter()
    # A run stopped part-way (Ctrl-C, the end of a session) resumes from its
    # last committed epoch: the result is the uninterrupted run's.
    run = seqlab.train_tagger(config, resume=resume, verbose=2)
    # seqlab's count of the committed epochs' time: a resumed run's
    # epochs before the interruption included (this call's own wall
    # time would leave them out).
    seconds = run.train_seconds or time.perf_counter() - start
    scores = evaluate_tagger(run.model, read_tagged(files["test"], config.data), data["scheme"])
    overlap = scores.get("untyped_overlap", {}).get("binary", {}).get("f1")
    return {"row": row, "seed": seed, "test_f1": 100 * scores["f1"],
            "dev_f1": 100 * run.dev["f1"],
            "test_binary_overlap_f1": None if overlap is None else 100 * overlap,
            "best_epoch": run.best_epoch, "epochs_run": len(run.history),
            "train_seconds": seconds, "config": _recorded(settings),
            "date": time.strftime("%Y-%m-%d"), "machine": machine()}


def summary(runs):
    def stats(key):
        values = [r[key] for r in runs if r.get(key) is not None]
        if not values:
            return None
        return {"mean": statistics.mean(values),
                "sd": statistics.stdev(values) if len(values) > 1 else 0.0,
                "values": values}

    return {key: stats(key) for key in ("test_f1", "dev_f1", "test_binary_overlap_f1",
                                         "train_seconds", "epochs_run", "best_epoch")}


def anchor(row):
    """The row's reference figure: the published one where there is one,
    else seqlab's figure before the suite, as ``(value, source)``."""
    name, vectors = row.split("-")
    anchors = DATASETS[name]["anchors"][vectors]
    return anchors.get("published") or anchors["seqlab"]


def table(rows):
    """The Markdown table of ``{row: summary}`` and the suite's score."""
    lines = ["| row | test F1 (mean ± sd, per seed) | dev F1 | anchor (source) | gap | "
             "seqlab before | epochs (best) | per run |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    gaps = []
    for row, result in rows.items():
        test = result["test_f1"]
        value, source = anchor(row)
        name, vectors = row.split("-")
        before = DATASETS[name]["anchors"][vectors].get("seqlab")
        gap = test["mean"] - value
        gaps.append(gap)
        seeds = ", ".join(f"{v:.2f}" for v in test["values"])
        binary = result["test_binary_overlap_f1"]
        extra = (f"; binary overlap {binary['mean']:.2f}" if binary and name.startswith("mpqa")
                 else "")
        lines.append(
            f"| `{row}` | **{test['mean']:.2f} ± {test['sd']:.2f}** ({seeds}){extra} | "
            f"{result['dev_f1']['mean']:.2f} | {value:.2f} ({source}) | {gap:+.2f} | "
            f"{'%.2f' % before[0] if before else 'none'} | "
            f"{result['epochs_run']['mean']:.1f} ({result['best_epoch']['mean']:.1f}) | "
            f"{result['train_seconds']['mean']:.0f} s |")
    score = statistics.mean(gaps) if gaps else None
    lines.append("")
    lines.append(f"Suite score (mean gap to the anchors, higher is better): "
                 f"{score:+.2f} over {len(gaps)} rows" if gaps else "No rows recorded.")
    return "\n".join(lines), score


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default="../shared/data",
                        help="folder with conll2003/, conll2000/ and opinion/mpqa/")
    parser.add_argument("--seeds", type=int, default=3, help="seeds 1 to SEEDS")
    parser.add_argument("--seed-list", type=_seed_list, metavar="K,L",
                        help="only these seeds (instead of 1 to SEEDS): one process "
                             "per core, each with its own seeds")
    parser.add_argument("--rows", default=",".join(ROWS), help=f"comma-separated, of {', '.join(ROWS)}")
    parser.add_argument("--set", dest="changes", action="append", default=[],
                        metavar="SECTION.KEY=VALUE", help="change every row's config (repeatable)")
    parser.add_argument("--glove", default=".data/glove.6B.50d.txt",
                        help="GloVe 6B 50d text file (../shared/data/glove/README.md)")
    parser.add_argument("--output", default="runs/suite",
                        help="run directories; a candidate's (--set) go in a folder named "
                             "by its changes, so candidates never share one")
    parser.add_argument("--quick", action="store_true",
                        help="1,000 training sentences, 2 epochs, one seed, not recorded")
    parser.add_argument("--table", action="store_true",
                        help="print the table of the recorded runs only; train nothing")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

    started = time.time()
    if args.changes:
        args.output = os.path.join(args.output, "set-" + hashlib.sha256(
            "\n".join(sorted(args.changes)).encode()).hexdigest()[:10])
    rows, glove = chosen_rows(parser, args.rows, ROWS, args.glove,
                              lambda row: not args.table and row.endswith("-glove"))
    seeds = [1] if args.quick else args.seed_list or list(range(1, args.seeds + 1))
    done = {} if args.quick else recorded()
    results = {}
    for row in rows:
        name = row.split("-")[0]
        dataset = DATASETS[name]
        folder = os.path.join(os.path.abspath(args.data), dataset["folder"])
        files = {split: os.path.join(folder, f"{file}.txt")
                 for split, file in zip(("train", "dev", "test"), dataset["splits"])}
        settings = row_settings(row, glove, args.changes, files)
        runs = []
        for seed in seeds:
            key = (row, _key(settings), seed)
            if key in done:
                runs.append(done[key])
                continue
            if args.table:
                continue
            if args.quick:
                files["train"] = quick_split(files["train"], os.path.join(args.output, name), 1000)
            print(f"[{row} seed {seed}] training", file=sys.stderr, flush=True)
            result = train_row(row, settings, files, dataset["data"], seed,
                               os.path.join(args.output, "quick") if args.quick else args.output,
                               2 if args.quick else None, resume=not args.quick)
            runs.append(result)
            if not args.quick:
                with open(RESULTS, "a") as handle:
                    handle.write(json.dumps(result) + "\n")
            print(f"[{row} seed {seed}] test F1 {result['test_f1']:.2f} dev F1 "
                  f"{result['dev_f1']:.2f} in {result['train_seconds']:.0f} s "
                  f"({result['epochs_run']} epochs, best {result['best_epoch']})",
                  file=sys.stderr, flush=True)
        if runs:
            results[row] = summary(runs)
    text, score = table(results)
    print(text, file=sys.stderr)
    print(json.dumps({"benchmark": "suite", "quick": args.quick, "seeds": seeds,
                      "changes": args.changes, "rows": results, "score": score,
                      "machine": machine(), "wall_seconds": time.time() - started,
                      "date": time.strftime("%Y-%m-%d")}))


if __name__ == "__main__":
    main()
