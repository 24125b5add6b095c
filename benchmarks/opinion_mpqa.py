"""Opinion expressions on MPQA, fold 0 (Irsoy & Cardie 2014; BENCHMARKS.md section 2).

    python benchmarks/opinion_mpqa.py --data ../shared/data/opinion/mpqa [--seeds 5]
        [--embeddings random,glove] [--glove .data/glove.6B.50d.txt] [--quick]

For DSE and ESE, trains a deep (3-layer) narrow and a shallow (1-layer)
wide bidirectional RNN with the same number of parameters (the shallow
width is solved for), with 50-d word vectors either random or GloVe 6B
50d (fine-tuned), selects each on dev binary-overlap F1 (`training.metric`)
and reports on test: binary- and proportional-overlap P/R/F1 and exact
(seqeval) F1, mean and standard deviation over seeds, and a paired t-test
of deep against shallow across seeds (same seeds, same data order).
Irsoy & Cardie's claim: the deep narrow model wins.

Each finished run is appended to benchmarks/results/opinion_mpqa_runs.jsonl
and skipped by a later invocation (``--fresh`` reruns), so the 40 runs of
the full benchmark can span sessions. Prints a line per epoch, then one
JSON line.
"""

import argparse
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ner_conll2003 import machine, quick_split, read_runs  # noqa: E402

DEEP_UNITS = 100
EMBEDDING = 50  # GloVe 6B 50d's width; random vectors get the same
RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results",
                       "opinion_mpqa_runs.jsonl")


GATES = {"elman": 1, "relu": 1, "irnn": 1, "gru": 3, "lstm": 4}


def parameters(depth, units, cell="relu", embedding=EMBEDDING, tags=3):
    """Recurrent and output parameters of a bidirectional stack (the
    embeddings are the same for both models and left out)."""
    g = GATES[cell]
    bias = g * units * (2 if cell == "gru" else 1)  # Keras GRU (reset_after) has two
    first = 2 * g * (embedding * units + units * units) + 2 * bias
    later = (2 * g * (2 * units * units + units * units) + 2 * bias) * (depth - 1)
    return first + later + 2 * units * tags + tags


def matching_width(depth_from, units_from, depth_to, cell="relu"):
    """The width at ``depth_to`` whose parameter count is closest."""
    target = parameters(depth_from, units_from, cell)
    return min(range(1, 2000), key=lambda u: abs(parameters(depth_to, u, cell) - target))


def settings(depth, units, cell, epochs, pretrained=None):
    return {
        "model": {"cell": cell, "units": units, "depth": depth, "dropout": 0.5,
                  "word_dropout": 0.05, "head": "softmax", "scheme": "iob2",
                  "encoders": [{"name": "word_embedding", "dim": EMBEDDING}],
                  "pretrained": pretrained},
        "training": {"epochs": epochs, "batch_size": 32, "learning_rate": 0.002,
                     "lr_decay": 0.05, "patience": 4, "metric": "binary_overlap",
                     "time_budget": 0},
    }


def recorded(path=RESULTS):
    """``{(task, model, embeddings, cell, epochs, seed): record}`` of finished runs."""
    return read_runs(path, lambda r: (r["task"], r["model"], r["embeddings"], r["cell"],
                                      r["epochs"], r["seed"]))


def paired_test(deep, shallow):
    """Paired t-test across seeds: ``{"mean_difference", "t", "p"}`` (two-sided)."""
    from scipy import stats

    differences = [a - b for a, b in zip(deep, shallow)]
    if len(differences) < 2:
        return {"mean_difference": statistics.mean(differences), "t": None, "p": None}
    result = stats.ttest_rel(deep, shallow)
    return {"mean_difference": statistics.mean(differences),
            "t": float(result.statistic), "p": float(result.pvalue)}


def run(task, name, depth, units, args, seeds, epochs, embeddings="random"):
    import seqlab
    from seqlab.tagging import evaluate_tagger, read_tagged

    folder = os.path.join(os.path.abspath(args.data), task)
    files = {"train": os.path.join(folder, "train.txt"), "dev": os.path.join(folder, "dev.txt"),
             "test": os.path.join(folder, "test.txt")}
    if args.quick:
        files["train"] = quick_split(files["train"], os.path.join(args.output, task), 1500)
    data = {**files, "format": "two_column", "scheme": "iob2"}
    pretrained = os.path.abspath(args.glove) if embeddings == "glove" else None
    done = {} if args.quick else recorded()
    results = []
    for seed in seeds:
        key = (task, name, embeddings, args.cell, epochs, seed)
        if key in done:
            print(f"[{task} {name} {embeddings} seed {seed}] recorded on {done[key]['date']}",
                  file=sys.stderr, flush=True)
            results.append(done[key])
            continue
        config = seqlab.load_config(data={
            "output": os.path.join(args.output, f"{task}-{name}-{embeddings}-seed{seed}"),
            "data": data, **settings(depth, units, args.cell, epochs, pretrained)},
            overrides=[f"training.seed={seed}"])
        print(f"[{task} {name} {embeddings} seed {seed}] training", file=sys.stderr, flush=True)
        start = time.perf_counter()
        outcome = seqlab.train_tagger(config, resume=False, verbose=2)
        seconds = time.perf_counter() - start
        scores = evaluate_tagger(outcome.model, read_tagged(files["test"], config.data), "iob2")
        results.append({
            "task": task, "model": name, "embeddings": embeddings, "cell": args.cell,
            "epochs": epochs, "seed": seed, "depth": depth, "units": units,
            "exact_f1": 100 * scores["f1"],
            "binary": {k: 100 * v for k, v in scores["untyped_overlap"]["binary"].items()},
            "proportional": {k: 100 * v for k, v in scores["untyped_overlap"]["proportional"].items()},
            "dev_binary_f1": 100 * outcome.dev["untyped_overlap"]["binary"]["f1"],
            "best_epoch": outcome.best_epoch, "epochs_run": len(outcome.history),
            "train_seconds": seconds, "machine": machine(), "date": time.strftime("%Y-%m-%d")})
        if not args.quick:
            with open(RESULTS, "a") as handle:
                handle.write(json.dumps(results[-1]) + "\n")
    mean = lambda values: {"mean": statistics.mean(values),
                           "sd": statistics.stdev(values) if len(values) > 1 else 0.0}
    return {
        "depth": depth, "units": units, "parameters": parameters(depth, units, args.cell),
        "exact_f1": mean([r["exact_f1"] for r in results]),
        "train_seconds": mean([r["train_seconds"] for r in results]),
        **{f"{kind}_{m}": mean([r[kind][m] for r in results])
           for kind in ("binary", "proportional") for m in ("precision", "recall", "f1")},
        "runs": results,
    }


def markdown(results):
    """The README's table: one row per task, vectors and model, then the
    paired tests (deep minus shallow, two-sided, across seeds)."""
    def cell(row, kind):
        return " / ".join(f"{row[f'{kind}_{m}']['mean']:.2f} ± {row[f'{kind}_{m}']['sd']:.2f}"
                          for m in ("precision", "recall")) + (
            f" / **{row[f'{kind}_f1']['mean']:.2f} ± {row[f'{kind}_f1']['sd']:.2f}**")

    lines = ["| task | vectors | model | binary overlap P / R / F1 | proportional overlap "
             "P / R / F1 | exact F1 | epochs (best) | per run |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    tests = []
    for name, result in results.items():
        task, vectors = name.split("_")
        for label, key in (("deep", "deep_narrow"), ("shallow", "shallow_wide")):
            row = result[key]
            runs = row["runs"]
            lines.append(
                f"| {task.upper()} | {vectors} | {label} ({row['depth']}x{row['units']}, "
                f"{row['parameters']:,} params) | {cell(row, 'binary')} | "
                f"{cell(row, 'proportional')} | {row['exact_f1']['mean']:.2f} ± "
                f"{row['exact_f1']['sd']:.2f} | "
                f"{statistics.mean(r['epochs_run'] for r in runs):.1f} "
                f"({statistics.mean(r['best_epoch'] for r in runs):.1f}) | "
                f"{row['train_seconds']['mean']:.0f} s |")
        for kind in ("binary", "proportional"):
            test = result[f"paired_{kind}_f1"]
            verdict = ("n/a" if test["p"] is None else
                       "significant" if test["p"] < 0.05 else "not significant")
            tests.append(f"| {task.upper()} | {vectors} | {kind} F1 | "
                         f"{test['mean_difference']:+.2f} | "
                         + (f"{test['t']:.2f} | {test['p']:.3f} | {verdict} |"
                            if test["p"] is not None else "n/a | n/a | n/a |"))
    return "\n".join(lines + ["", "| task | vectors | measure | deep - shallow | t | p "
                               "(two-sided) | at 0.05 |", "| --- | --- | --- | --- | --- | "
                               "--- | --- |"] + tests)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default="../shared/data/opinion/mpqa")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--quick", action="store_true",
                        help="1,500 training sentences, 3 epochs, one seed")
    parser.add_argument("--cell", default="relu",
                        help="recurrent cell (Irsoy & Cardie used ReLU Elman units)")
    parser.add_argument("--tasks", default="dse,ese")
    parser.add_argument("--embeddings", default="random,glove",
                        help="comma-separated: random, glove")
    parser.add_argument("--glove", default=".data/glove.6B.50d.txt",
                        help="GloVe 6B 50d text file (../shared/data/glove/README.md)")
    parser.add_argument("--fresh", action="store_true",
                        help="rerun runs already recorded in " + os.path.relpath(RESULTS))
    parser.add_argument("--output", default="runs/bench-mpqa")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras

    started = time.time()
    seeds = [1] if args.quick else list(range(1, args.seeds + 1))
    epochs = 3 if args.quick else 25
    if args.cell not in GATES:
        parser.error(f"--cell must be one of {', '.join(GATES)} (parameters are matched per cell)")
    embeddings = args.embeddings.split(",")
    if set(embeddings) - {"random", "glove"}:
        parser.error("--embeddings takes random and glove")
    if "glove" in embeddings and not os.path.isfile(args.glove):
        parser.error(f"{args.glove}: no such file. Make it with: python "
                     f"../shared/data/glove/make_glove.py {args.glove}")
    if args.fresh and os.path.exists(RESULTS):
        kept = [line for line in open(RESULTS) if line.strip() and not (
            json.loads(line)["task"] in args.tasks.split(",")
            and json.loads(line)["embeddings"] in embeddings)]
        with open(RESULTS, "w") as handle:
            handle.writelines(kept)
    shallow_units = matching_width(3, DEEP_UNITS, 1, args.cell)
    results = {}
    for task in args.tasks.split(","):
        for vectors in embeddings:
            deep = run(task, "deep", 3, DEEP_UNITS, args, seeds, epochs, vectors)
            shallow = run(task, "shallow", 1, shallow_units, args, seeds, epochs, vectors)
            results[f"{task}_{vectors}"] = {
                "deep_narrow": deep, "shallow_wide": shallow,
                **{f"paired_{kind}_f1": paired_test(
                    [r[kind]["f1"] for r in deep["runs"]],
                    [r[kind]["f1"] for r in shallow["runs"]])
                   for kind in ("binary", "proportional")}}
    print(markdown(results), file=sys.stderr)
    print(json.dumps({
        "benchmark": "opinion_mpqa", "quick": args.quick, "seeds": seeds, "cell": args.cell,
        "tasks": results, "backend": keras.backend.backend(), "machine": machine(),
        "wall_seconds": time.time() - started, "date": time.strftime("%Y-%m-%d"),
    }))


if __name__ == "__main__":
    main()
