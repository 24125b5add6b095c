"""Opinion expressions on MPQA, fold 0 (Irsoy & Cardie 2014; BENCHMARKS.md section 2).

    python benchmarks/opinion_mpqa.py --data ../shared/data/opinion/mpqa [--seeds 5]
        [--embeddings random,glove,glove_lm] [--models deep,shallow]
        [--glove .data/glove.6B.50d.txt] [--lm-forward F --lm-backward B] [--quick]

For DSE and ESE, trains a deep (3-layer) narrow and a shallow (1-layer)
wide bidirectional RNN with the same number of parameters (the shallow
width is solved for), with 50-d word vectors either random or GloVe 6B
50d (fine-tuned), selects each on dev binary-overlap F1 (`training.metric`)
and reports on test: binary- and proportional-overlap P/R/F1 and exact
(seqeval) F1, mean and standard deviation over seeds, and a paired t-test
of deep against shallow across seeds (same seeds, same data order).
Irsoy & Cardie's claim: the deep narrow model wins.

``glove_lm`` vectors are GloVe plus the ``lm_embeddings`` encoder over a
forward and a backward character language model (benchmarks/char_lm.py;
frozen), the same models with the same widths; with ``glove`` in the same
invocation each model also gets a paired test of ``glove_lm`` against
``glove`` across seeds (issue 25: what the language model adds). A run's
record names the character models but its key does not: after training new
ones, rerun their rows with ``--fresh --embeddings glove_lm``.

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
from ner_conll2003 import machine, quick_split, read_runs, relative  # noqa: E402

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


def input_width(lm=None):
    """The width of what the first recurrent layer reads: the word vectors,
    plus each character model's units with ``lm``."""
    if not lm:
        return EMBEDDING
    import seqlab

    return EMBEDDING + sum(seqlab.load_model(path, compile=False).get_config()["units"]
                           for path in lm.values())


def matching_width(depth_from, units_from, depth_to, cell="relu"):
    """The width at ``depth_to`` whose parameter count is closest."""
    target = parameters(depth_from, units_from, cell)
    return min(range(1, 2000), key=lambda u: abs(parameters(depth_to, u, cell) - target))


#: ``--embeddings`` choices, and ``--models``: name -> depth (the width is
#: DEEP_UNITS for the deep model and solved for the shallow one).
VECTORS = ("random", "glove", "glove_lm")
MODELS = {"deep": 3, "shallow": 1}


def settings(depth, units, cell, epochs, pretrained=None, lm=None):
    """The config of one run; ``lm`` (``{"forward": path, "backward": path}``)
    adds the ``lm_embeddings`` encoder over those character models."""
    encoders = [{"name": "word_embedding", "dim": EMBEDDING}]
    if lm:
        encoders.append({"name": "lm_embeddings", **lm})
    return {
        "model": {"cell": cell, "units": units, "depth": depth, "dropout": 0.5,
                  "word_dropout": 0.05, "head": "softmax", "scheme": "iob2",
                  "encoders": encoders, "pretrained": pretrained},
        "training": {"epochs": epochs, "batch_size": 32, "learning_rate": 0.002,
                     "lr_decay": 0.05, "patience": 4, "metric": "binary_overlap",
                     "time_budget": 0},
    }


def recorded(path=RESULTS):
    """``{(task, model, embeddings, cell, epochs, seed): record}`` of finished runs."""
    return read_runs(path, lambda r: (r["task"], r["model"], r["embeddings"], r["cell"],
                                      r["epochs"], r["seed"]))


def paired_test(first, second):
    """Paired t-test across seeds of ``first - second``: ``{"mean_difference",
    "t", "p"}`` (two-sided)."""
    from scipy import stats

    differences = [a - b for a, b in zip(first, second)]
    if len(differences) < 2:
        return {"mean_difference": statistics.mean(differences), "t": None, "p": None}
    result = stats.ttest_rel(first, second)
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
    pretrained = os.path.abspath(args.glove) if embeddings in ("glove", "glove_lm") else None
    lm = ({"forward": os.path.abspath(args.lm_forward),
           "backward": os.path.abspath(args.lm_backward)} if embeddings == "glove_lm" else None)
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
            "data": data, **settings(depth, units, args.cell, epochs, pretrained, lm)},
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
            **({"language_models": {d: relative(p) for d, p in lm.items()}} if lm else {}),
            "best_epoch": outcome.best_epoch, "epochs_run": len(outcome.history),
            "train_seconds": seconds, "machine": machine(), "date": time.strftime("%Y-%m-%d")})
        if not args.quick:
            with open(RESULTS, "a") as handle:
                handle.write(json.dumps(results[-1]) + "\n")
    mean = lambda values: {"mean": statistics.mean(values),
                           "sd": statistics.stdev(values) if len(values) > 1 else 0.0}
    return {
        "depth": depth, "units": units,
        "parameters": parameters(depth, units, args.cell, input_width(lm)),
        "exact_f1": mean([r["exact_f1"] for r in results]),
        "train_seconds": mean([r["train_seconds"] for r in results]),
        **{f"{kind}_{m}": mean([r[kind][m] for r in results])
           for kind in ("binary", "proportional") for m in ("precision", "recall", "f1")},
        "runs": results,
    }


def comparisons(results):
    """The paired tests across seeds of ``results[(task, vectors)][model]``:
    deep against shallow for each task and vectors, and ``glove_lm``
    against ``glove`` for each task and model; binary and proportional F1.
    ``{(task, label, first, second): {kind: test}}``."""
    pairs = []
    for (task, vectors), models in results.items():
        if {"deep", "shallow"} <= set(models):
            pairs.append((task, vectors, models["deep"], models["shallow"], "deep - shallow"))
    for (task, vectors), models in results.items():
        if vectors == "glove_lm" and (task, "glove") in results:
            for model, row in models.items():
                if model in results[(task, "glove")]:
                    pairs.append((task, model, row, results[(task, "glove")][model],
                                  "glove_lm - glove"))
    tests = {}
    for task, label, first, second, difference in pairs:
        seeds = sorted({r["seed"] for r in first["runs"]} & {r["seed"] for r in second["runs"]})
        by_seed = lambda row, kind: [next(r[kind]["f1"] for r in row["runs"] if r["seed"] == s)
                                     for s in seeds]
        tests[(task, label, difference)] = {
            kind: paired_test(by_seed(first, kind), by_seed(second, kind))
            for kind in ("binary", "proportional")}
    return tests


def markdown(results, tests):
    """The README's tables: one row per task, vectors and model, then the
    paired ``tests`` across seeds (two-sided; `comparisons`)."""
    def cell(row, kind):
        return " / ".join(f"{row[f'{kind}_{m}']['mean']:.2f} ± {row[f'{kind}_{m}']['sd']:.2f}"
                          for m in ("precision", "recall")) + (
            f" / **{row[f'{kind}_f1']['mean']:.2f} ± {row[f'{kind}_f1']['sd']:.2f}**")

    lines = ["| task | vectors | model | binary overlap P / R / F1 | proportional overlap "
             "P / R / F1 | exact F1 | epochs (best) | per run |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for (task, vectors), models in results.items():
        for label, row in models.items():
            runs = row["runs"]
            lines.append(
                f"| {task.upper()} | {vectors} | {label} ({row['depth']}x{row['units']}, "
                f"{row['parameters']:,} params) | {cell(row, 'binary')} | "
                f"{cell(row, 'proportional')} | {row['exact_f1']['mean']:.2f} ± "
                f"{row['exact_f1']['sd']:.2f} | "
                f"{statistics.mean(r['epochs_run'] for r in runs):.1f} "
                f"({statistics.mean(r['best_epoch'] for r in runs):.1f}) | "
                f"{row['train_seconds']['mean']:.0f} s |")
    lines_of_tests = []
    for (task, label, difference), kinds in tests.items():
        for kind, test in kinds.items():
            verdict = ("n/a" if test["p"] is None else
                       "significant" if test["p"] < 0.05 else "not significant")
            lines_of_tests.append(f"| {task.upper()} | {label} | {kind} F1 | {difference} | "
                                  f"{test['mean_difference']:+.2f} | "
                                  + (f"{test['t']:.2f} | {test['p']:.3f} | {verdict} |"
                                     if test["p"] is not None else "n/a | n/a | n/a |"))
    return "\n".join(lines + ["", "| task | vectors or model | measure | difference | mean "
                               "| t | p (two-sided) | at 0.05 |",
                               "| --- | --- | --- | --- | --- | --- | --- | --- |"] + lines_of_tests)


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
                        help="comma-separated: " + ", ".join(VECTORS))
    parser.add_argument("--models", default="deep,shallow",
                        help="comma-separated: deep (3 layers), shallow (1 layer, as many "
                             "parameters)")
    parser.add_argument("--glove", default=".data/glove.6B.50d.txt",
                        help="GloVe 6B 50d text file (../shared/data/glove/README.md)")
    parser.add_argument("--lm-forward", default="runs/char_lm/forward/best.keras",
                        help="the forward character LM of glove_lm (benchmarks/char_lm.py)")
    parser.add_argument("--lm-backward", default="runs/char_lm/backward/best.keras",
                        help="the backward character LM of glove_lm")
    parser.add_argument("--fresh", action="store_true",
                        help="rerun runs already recorded in " + os.path.relpath(RESULTS))
    parser.add_argument("--output", default="runs/bench-mpqa")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

    seeds = [1] if args.quick else list(range(1, args.seeds + 1))
    epochs = 3 if args.quick else 25
    if args.cell not in GATES:
        parser.error(f"--cell must be one of {', '.join(GATES)} (parameters are matched per cell)")
    embeddings = args.embeddings.split(",")
    if set(embeddings) - set(VECTORS):
        parser.error(f"--embeddings takes {', '.join(VECTORS)}")
    models = args.models.split(",")
    if not models or set(models) - set(MODELS):
        parser.error(f"--models takes {', '.join(MODELS)}")
    if {"glove", "glove_lm"} & set(embeddings) and not os.path.isfile(args.glove):
        parser.error(f"{args.glove}: no such file. Make it with: python "
                     f"../shared/data/glove/make_glove.py {args.glove}")
    for path in (args.lm_forward, args.lm_backward) if "glove_lm" in embeddings else ():
        if not os.path.isfile(path):
            parser.error(f"{path}: no such file. Train the character models with "
                         f"benchmarks/char_lm.py (benchmarks/README.md, section 10) or "
                         f"name them with --lm-forward and --lm-backward")
    import keras

    started = time.time()
    if args.fresh and os.path.exists(RESULTS):
        kept = [line for line in open(RESULTS) if line.strip() and not (
            json.loads(line)["task"] in args.tasks.split(",")
            and json.loads(line)["embeddings"] in embeddings
            and json.loads(line)["model"] in models)]
        with open(RESULTS, "w") as handle:
            handle.writelines(kept)
    widths = {"deep": DEEP_UNITS, "shallow": matching_width(3, DEEP_UNITS, 1, args.cell)}
    results = {}
    for task in args.tasks.split(","):
        for vectors in embeddings:
            results[(task, vectors)] = {
                model: run(task, model, MODELS[model], widths[model], args, seeds, epochs,
                           vectors) for model in models}
    tests = comparisons(results)
    print(markdown(results, tests), file=sys.stderr)
    print(json.dumps({
        "benchmark": "opinion_mpqa", "quick": args.quick, "seeds": seeds, "cell": args.cell,
        "tasks": {f"{task}_{vectors}": models for (task, vectors), models in results.items()},
        "paired_tests": [{"task": task, "of": label, "difference": difference, **kinds}
                         for (task, label, difference), kinds in tests.items()],
        "backend": keras.backend.backend(), "machine": machine(),
        "wall_seconds": time.time() - started, "date": time.strftime("%Y-%m-%d"),
    }))


if __name__ == "__main__":
    main()
