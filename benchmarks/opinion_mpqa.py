"""Opinion expressions on MPQA, fold 0 (Irsoy & Cardie 2014; BENCHMARKS.md section 2).

    python benchmarks/opinion_mpqa.py --data ../shared/data/opinion/mpqa [--seeds 3] [--quick]

For DSE and ESE, trains a deep (3-layer) narrow and a shallow (1-layer)
wide bidirectional RNN with the same number of parameters (the shallow
width is solved for), selects each on dev F1 and reports on test: binary-
and proportional-overlap P/R/F1 and exact (seqeval) F1, mean and spread
over seeds. Irsoy & Cardie's claim: the deep narrow model wins.

The paper used fixed 300-d word2vec vectors; none are available offline
here, so embeddings are learned from random initialisation (the same for
both models). Prints a line per epoch, then one JSON line.
"""

import argparse
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ner_conll2003 import machine, quick_split  # noqa: E402

DEEP_UNITS = 100
EMBEDDING = 100


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


def settings(depth, units, cell, epochs):
    return {
        "model": {"cell": cell, "units": units, "depth": depth, "dropout": 0.5,
                  "word_dropout": 0.05, "head": "softmax", "scheme": "iob2",
                  "encoders": [{"name": "word_embedding", "dim": EMBEDDING}]},
        "training": {"epochs": epochs, "batch_size": 32, "learning_rate": 0.002,
                     "lr_decay": 0.05, "patience": 4},
    }


def run(task, name, depth, units, args, seeds, epochs):
    import seqlab
    from seqlab.tagging import evaluate_tagger, read_tagged

    folder = os.path.join(os.path.abspath(args.data), task)
    files = {"train": os.path.join(folder, "train.txt"), "dev": os.path.join(folder, "dev.txt"),
             "test": os.path.join(folder, "test.txt")}
    if args.quick:
        files["train"] = quick_split(files["train"], os.path.join(args.output, task), 1500)
    data = {**files, "format": "two_column", "scheme": "iob2"}
    results = []
    for seed in seeds:
        config = seqlab.load_config(data={
            "output": os.path.join(args.output, f"{task}-{name}-seed{seed}"), "data": data,
            **settings(depth, units, args.cell, epochs)}, overrides=[f"training.seed={seed}"])
        print(f"[{task} {name} seed {seed}] training", file=sys.stderr, flush=True)
        outcome = seqlab.train_tagger(config, resume=False, verbose=2)
        scores = evaluate_tagger(outcome.model, read_tagged(files["test"], config["data"]), "iob2")
        results.append({
            "seed": seed, "exact_f1": 100 * scores["f1"],
            "binary": {k: 100 * v for k, v in scores["untyped_overlap"]["binary"].items()},
            "proportional": {k: 100 * v for k, v in scores["untyped_overlap"]["proportional"].items()},
            "dev_f1": 100 * outcome.dev["f1"], "best_epoch": outcome.best_epoch})
    mean = lambda values: {"mean": statistics.mean(values),
                           "spread": statistics.stdev(values) if len(values) > 1 else 0.0}
    return {
        "depth": depth, "units": units, "parameters": parameters(depth, units, args.cell),
        "exact_f1": mean([r["exact_f1"] for r in results]),
        **{f"{kind}_{m}": mean([r[kind][m] for r in results])
           for kind in ("binary", "proportional") for m in ("precision", "recall", "f1")},
        "runs": results,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default="../shared/data/opinion/mpqa")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--quick", action="store_true",
                        help="1,500 training sentences, 3 epochs, one seed")
    parser.add_argument("--cell", default="relu",
                        help="recurrent cell (Irsoy & Cardie used ReLU Elman units)")
    parser.add_argument("--tasks", default="dse,ese")
    parser.add_argument("--output", default="runs/bench-mpqa")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras

    started = time.time()
    seeds = [1] if args.quick else list(range(1, args.seeds + 1))
    epochs = 3 if args.quick else 25
    if args.cell not in GATES:
        parser.error(f"--cell must be one of {', '.join(GATES)} (parameters are matched per cell)")
    shallow_units = matching_width(3, DEEP_UNITS, 1, args.cell)
    results = {}
    for task in args.tasks.split(","):
        results[task] = {
            "deep_narrow": run(task, "deep", 3, DEEP_UNITS, args, seeds, epochs),
            "shallow_wide": run(task, "shallow", 1, shallow_units, args, seeds, epochs),
        }
        deep, shallow = results[task]["deep_narrow"], results[task]["shallow_wide"]
        results[task]["deep_wins_binary_f1"] = deep["binary_f1"]["mean"] > shallow["binary_f1"]["mean"]
        results[task]["deep_wins_proportional_f1"] = (
            deep["proportional_f1"]["mean"] > shallow["proportional_f1"]["mean"])
    print(json.dumps({
        "benchmark": "opinion_mpqa", "quick": args.quick, "seeds": seeds, "cell": args.cell,
        "tasks": results, "backend": keras.backend.backend(), "machine": machine(),
        "wall_seconds": time.time() - started, "date": time.strftime("%Y-%m-%d"),
    }))


if __name__ == "__main__":
    main()
