"""Full, class-factored and adaptive softmax heads, in one run (BENCHMARKS.md, section 3).

    python benchmarks/class_softmax.py --data ../shared/data/ptb --speed-only
    python benchmarks/class_softmax.py --data ../shared/data/ptb --part ppl [--classes 100,400]
    python benchmarks/class_softmax.py --part plot --classes 25,50,100,200,400,1000

1. Speed (``--speed-only``, minutes). Training-step time of the same language
   model (LSTM 1x200, batch 20 x 35 words, SGD, global-norm clipping) with a
   full softmax, class softmaxes of several class counts and the adaptive
   softmax (default cutoffs), at V = 10k (PTB windows) and V = 100k (a
   synthetic Zipf corpus). In the same process, plain PyTorch (if installed:
   ``pip install -e .[peer]``) trains the same LSTM with a full softmax and
   with ``torch.nn.AdaptiveLogSoftmaxWithLoss`` (same cutoffs, div_value 4)
   on the same windows: the speed anchor. Each model takes warm-up steps,
   then the median over --repeats timed blocks of --steps steps is kept.
2. Perplexity at convergence (``--part ppl``, hours on a 2-core CPU). Each
   head trains the same LSTM 1x200 (Adam, learning rate halved every epoch
   from --decay-after, early stopping after --patience epochs without a
   better validation perplexity, at most --epochs epochs), selected on
   validation, reported on test. Every finished run is appended to
   benchmarks/results/class_softmax_ppl_runs.jsonl and skipped when the
   command is run again, so a long sweep (``--classes 25,50,100,200,400,1000``,
   the lecture's trade-off of speed against perplexity) resumes where it
   stopped. ``--schedule plateau --dropout 0.5`` trains the heads under
   Mikolov's validation-driven schedule instead (recorded apart). The runs'
   test perplexity and training time against C are drawn to --plot
   (docs/images/class_softmax_tradeoff.png, with the recipe's suffix);
   ``--part plot`` draws it from the recorded runs alone, training nothing.

The last line is JSON. Speed: speedup_v10k_sqrt and speedup_v100k_sqrt
(full step time / class step time at C = round(sqrt(V))), speedup_v100k
(the fastest class count, named), adaptive_speedup_v10k/_v100k (full /
adaptive), adaptive_vs_torch_v100k (PyTorch adaptive step time / seqlab
adaptive step time: above 1 means seqlab is faster), torch_full_vs_seqlab_full
likewise, and every row. Perplexity: each head's valid/test perplexity,
epochs and time, and ppl_ratio (class at C = 100, and adaptive, over full).
--quick times fewer steps and trains one short epoch on 3,000 sentences.
"""

import argparse
import json
import math
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lm_ptb import files, machine  # noqa: E402
from ner_conll2003 import read_runs  # noqa: E402

UNITS = 200
BATCH, STEPS = 20, 35
CLIP = 5.0
SWEEP = {10001: [25, 50, 100, 200, 400, 1000], 100001: [100, 316, 1000, 2000, 4000]}
DEFAULT_C = 100   # round(sqrt(10k))
IMAGES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "docs", "images")
RUNS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results",
                    "class_softmax_ppl_runs.jsonl")


def zipf_counts(vocab_size):
    counts = np.zeros(vocab_size)
    counts[1:] = 1e7 / np.arange(1, vocab_size)
    return counts.astype(np.int64)


def adaptive_cutoffs(vocab_size):
    """seqlab's default cutoffs (the head's rule), for PyTorch too."""
    from seqlab_builtins.heads.adaptive_softmax import AdaptiveSoftmaxHead

    return AdaptiveSoftmaxHead(vocab_size).cutoffs


def timed(step, windows, steps, repeats):
    """Median seconds per step over ``repeats`` blocks, after 3 warm-up steps."""
    x, y = windows
    for i in range(3):  # warm-up: tracing and compilation
        step(x[i], y[i])
    times = []
    for r in range(repeats):
        start = time.perf_counter()
        for i in range(steps):
            j = (3 + r * steps + i) % len(x)
            step(x[j], y[j])
        times.append((time.perf_counter() - start) / steps)
    return statistics.median(times)


def seqlab_step_time(vocab_size, head, counts, windows, steps, repeats):
    import keras
    import seqlab

    keras.utils.set_random_seed(0)
    model = seqlab.LanguageModel(vocab_size=vocab_size, cell="lstm", units=UNITS,
                                 head=head, word_counts=counts.tolist(),
                                 stream_batch_size=BATCH)
    model.compile(optimizer=keras.optimizers.SGD(0.1),
                  clipper={"name": "global_norm", "threshold": CLIP})
    return timed(model.train_on_batch, windows, steps, repeats)


def torch_step_time(vocab_size, adaptive, windows, steps, repeats):
    """The same LSTM LM in plain PyTorch: full softmax or AdaptiveLogSoftmaxWithLoss."""
    import torch
    from torch import nn

    torch.manual_seed(0)
    embedding = nn.Embedding(vocab_size, UNITS)
    lstm = nn.LSTM(UNITS, UNITS, batch_first=True)
    if adaptive:
        head = nn.AdaptiveLogSoftmaxWithLoss(UNITS, vocab_size, adaptive_cutoffs(vocab_size),
                                             div_value=4.0)
    else:
        head = nn.Linear(UNITS, vocab_size)
    parameters = [*embedding.parameters(), *lstm.parameters(), *head.parameters()]
    optimizer = torch.optim.SGD(parameters, lr=0.1)
    state = [None]

    def step(x, y):
        x, y = torch.from_numpy(np.asarray(x, "int64")), torch.from_numpy(np.asarray(y, "int64"))
        optimizer.zero_grad()
        out, carried = lstm(embedding(x), state[0])
        state[0] = tuple(s.detach() for s in carried)
        features, targets = out.reshape(-1, UNITS), y.reshape(-1)
        if adaptive:
            loss = head(features, targets).loss
        else:
            loss = nn.functional.cross_entropy(head(features), targets)
        loss.backward()
        nn.utils.clip_grad_norm_(parameters, CLIP)
        optimizer.step()
        return float(loss)

    return timed(step, windows, steps, repeats)


def speed(ptb_ids, steps, repeats, torch_anchor):
    from seqlab.data.corpus import stream_windows, word_counts

    rows = []
    rng = np.random.default_rng(0)
    for vocab_size, sweep in SWEEP.items():
        if vocab_size == 10001:
            ids = ptb_ids
            counts = word_counts(ids, vocab_size)
        else:
            counts = zipf_counts(vocab_size)
            ids = rng.choice(vocab_size, size=BATCH * STEPS * (steps * repeats + 5),
                             p=counts / counts.sum()).astype("int32")
        need = BATCH * (STEPS * (steps * repeats + 3) + 1)
        x, y = stream_windows(ids[:need], BATCH, STEPS)
        windows = (x.reshape(-1, BATCH, STEPS), y.reshape(-1, BATCH, STEPS))

        def add(head, classes, seconds, library="seqlab"):
            rows.append({"vocab_size": vocab_size, "library": library, "head": head,
                         "classes": classes, "step_ms": 1000 * seconds})
            label = f"{head}" + (f" C={classes}" if classes else "")
            print(f"V={vocab_size} {library} {label}: {1000 * seconds:.1f} ms/step", flush=True)

        add("softmax", None, seqlab_step_time(vocab_size, "softmax", counts, windows,
                                              steps, repeats))
        for num_classes in sorted(set(sweep) | {round(math.sqrt(vocab_size))}):
            add("class_softmax", num_classes, seqlab_step_time(
                vocab_size, {"name": "class_softmax", "num_classes": num_classes}, counts,
                windows, steps, repeats))
        add("adaptive_softmax", None, seqlab_step_time(vocab_size, "adaptive_softmax", counts,
                                                       windows, steps, repeats))
        if torch_anchor:
            add("softmax", None, torch_step_time(vocab_size, False, windows, steps, repeats),
                "torch")
            add("adaptive_softmax", None,
                torch_step_time(vocab_size, True, windows, steps, repeats), "torch")
    return rows


def speed_summary(rows):
    def ms(vocab_size, head, classes=None, library="seqlab"):
        for r in rows:
            if (r["vocab_size"], r["head"], r["classes"], r["library"]) == (
                    vocab_size, head, classes, library):
                return r["step_ms"]
        return None

    summary = {}
    for vocab_size, tag in ((10001, "v10k"), (100001, "v100k")):
        full = ms(vocab_size, "softmax")
        sqrt_c = round(math.sqrt(vocab_size))
        classes = [r for r in rows if r["vocab_size"] == vocab_size and r["classes"]]
        best = min(classes, key=lambda r: r["step_ms"])
        summary[f"speedup_{tag}_sqrt"] = full / ms(vocab_size, "class_softmax", sqrt_c)
        summary[f"speedup_{tag}"] = full / best["step_ms"]
        summary[f"speedup_{tag}_classes"] = best["classes"]
        summary[f"adaptive_speedup_{tag}"] = full / ms(vocab_size, "adaptive_softmax")
        torch_adaptive = ms(vocab_size, "adaptive_softmax", library="torch")
        if torch_adaptive is not None:
            summary[f"adaptive_vs_torch_{tag}"] = torch_adaptive / ms(vocab_size,
                                                                      "adaptive_softmax")
            summary[f"torch_full_vs_seqlab_full_{tag}"] = (
                ms(vocab_size, "softmax", library="torch") / full)
    return summary


def recorded(path=None):
    """``{key: record}`` of the finished perplexity runs (in RUNS by default)."""
    return read_runs(path or RUNS, lambda r: r["key"])


def perplexity_training(args):
    """The training section every head of the perplexity runs shares."""
    training = {"epochs": args.epochs, "batch_size": BATCH, "num_steps": STEPS,
                "optimizer": "adam", "learning_rate": 0.002, "lr_decay": 0.5,
                "decay_after": args.decay_after, "init_scale": 0.0, "seed": args.seed,
                "patience": args.patience,
                "clipper": {"name": "global_norm", "threshold": 1.0}}
    if args.schedule == "plateau":
        training["lr_schedule"] = "plateau"
    return training


def perplexity_key(name, args):
    """What identifies a recorded perplexity run. Settings at their first
    defaults (the step schedule, no dropout) stay out, so the runs recorded
    before they existed still count."""
    parts = [name, UNITS, perplexity_training(args)]
    if args.dropout:
        parts.append({"dropout": args.dropout})
    return json.dumps(parts, sort_keys=True)


def recipe_suffix(args):
    """'' for the first recipe, else what differs from it: '_plateau_dropout0.5'."""
    return (("_plateau" if args.schedule == "plateau" else "")
            + (f"_dropout{args.dropout:g}" if args.dropout else ""))


def recipe_title(args):
    """The recipe in words, for the figure's title."""
    schedule = (f"halved each epoch from epoch {args.decay_after}" if args.schedule == "step"
                else "plateau schedule")
    return f"Adam, {schedule}, " + (f"dropout {args.dropout:g}" if args.dropout else "no dropout")


def run_folder(name, args):
    """A run's folder: other settings train in another folder, so a resume
    never mixes two recipes."""
    return os.path.join(args.output, name + recipe_suffix(args))


def perplexities(paths, heads, args, train=True):
    """Train each head (or take its recorded run) and return the rows;
    with ``train=False`` only the recorded rows, saying which are missing."""
    done = {} if args.quick or args.fresh else recorded()
    training = perplexity_training(args)
    rows = []
    for name, head in heads:
        key = perplexity_key(name, args)
        if key in done:
            print(f"{name}: recorded on {done[key]['date']}", flush=True)
            rows.append(done[key])
            continue
        if not train:
            print(f"{name}: not on record (train it with --part ppl)", flush=True)
            continue
        import seqlab
        import seqlab.lm

        config = seqlab.load_config(task="lm", data={
            "output": run_folder(name, args),
            "data": {"train": paths["train"], "dev": paths["valid"], "test": paths["test"]},
            "model": {"cell": "lstm", "units": UNITS, "depth": 1, "head": head,
                      "dropout": args.dropout},
            "training": training})
        start = time.perf_counter()
        # A killed run resumes; --fresh trains from scratch.
        run = seqlab.lm.train_language_model(config, resume=not args.fresh, verbose=2)
        rows.append({"key": key, "name": name, "head": head,
                     "valid_ppl": run.dev["perplexity"], "test_ppl": run.test["perplexity"],
                     "best_epoch": run.best_epoch, "epochs_run": len(run.history),
                     # The run's own count survives a resume; the wall clock
                     # would count only the part after it.
                     "train_s": run.train_seconds or time.perf_counter() - start,
                     "machine": machine(),
                     "date": time.strftime("%Y-%m-%d")})
        if not args.quick:
            os.makedirs(os.path.dirname(RUNS), exist_ok=True)
            with open(RUNS, "a") as handle:
                handle.write(json.dumps(rows[-1]) + "\n")
        print(f"{name}: test perplexity {run.test['perplexity']:.2f} "
              f"(best epoch {run.best_epoch})", flush=True)
    return rows


def ppl_table(rows):
    """The perplexity rows as the markdown table of benchmarks/README.md."""
    full = next((r for r in rows if r["name"] == "softmax"), None)
    lines = ["| head | valid | test | test / full | best epoch (of run) | training | per epoch |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        head = r["head"] if isinstance(r["head"], str) else (
            f"{r['head']['name']}, C = {r['head']['num_classes']}")
        ratio = f"{r['test_ppl'] / full['test_ppl']:.3f}" if full else ""
        lines.append(f"| {head} | {r['valid_ppl']:.2f} | {r['test_ppl']:.2f} | {ratio} | "
                     f"{r['best_epoch']} ({r['epochs_run']}) | {r['train_s'] / 60:.0f} min | "
                     f"{r['train_s'] / r['epochs_run']:.0f} s |")
    return "\n".join(lines)


def plot_tradeoff(rows, path, recipe=""):
    """The lecture's trade-off from converged runs: test perplexity, training
    time and seconds per epoch against the number of classes C (log scale),
    with the full and adaptive softmax as horizontal references."""
    from seqlab.plots import pyplot, save_figure

    plt = pyplot()
    rows = [{**r, "epoch_s": r["train_s"] / r["epochs_run"]} for r in rows]
    by_c = sorted(((r["head"]["num_classes"], r) for r in rows if isinstance(r["head"], dict)
                   and r["head"].get("name") == "class_softmax"), key=lambda cr: cr[0])
    references = {r["name"]: r for r in rows if r["name"] in ("softmax", "adaptive_softmax")}
    if not by_c:
        raise SystemExit("class_softmax.py: no class-softmax run on record to plot; "
                         "run --part ppl first")
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    panels = [("test_ppl", 1, "test perplexity (PTB)"),
              ("train_s", 1 / 60, "training time to early stopping (min)"),
              ("epoch_s", 1, "seconds per epoch")]
    styles = {"softmax": ("tab:gray", "--", "full softmax"),
              "adaptive_softmax": ("tab:orange", ":", "adaptive softmax")}
    cs = [c for c, _ in by_c]
    for ax, (key, factor, title) in zip(axes, panels):
        ax.plot(cs, [r[key] * factor for _, r in by_c], marker="o", lw=1.4,
                label="class softmax")
        for c, r in by_c:
            ax.annotate(f"{r[key] * factor:.1f}" if key == "test_ppl" else f"{r[key] * factor:.0f}",
                        (c, r[key] * factor), textcoords="offset points", xytext=(0, 6),
                        ha="center", fontsize=7)
        for name, r in references.items():
            color, style, label = styles[name]
            ax.axhline(r[key] * factor, color=color, ls=style, lw=1.1,
                       label=f"{label} ({r[key] * factor:.1f})")
        ax.set_xscale("log")
        ax.minorticks_off()
        ax.set_xticks(cs)
        ax.set_xticklabels([str(c) for c in cs])
        ax.set_xlabel("classes C")
        ax.set_title(title, fontsize=10)
        ax.margins(y=0.15)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle("Class-factored softmax on PTB, LSTM 1x200"
                 + (f" ({recipe})" if recipe else "") + ", each run to early stopping",
                 fontsize=10)
    fig.tight_layout()
    save_figure(fig, path)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default="../shared/data/ptb")
    parser.add_argument("--part", choices=("all", "speed", "ppl", "plot"), default="all",
                        help="plot: the trade-off figure from the recorded runs only")
    parser.add_argument("--speed-only", action="store_true", help="same as --part speed")
    parser.add_argument("--steps", type=int, default=10, help="timed steps per block")
    parser.add_argument("--repeats", type=int, default=3, help="timed blocks per model")
    parser.add_argument("--no-torch", action="store_true", help="skip the PyTorch anchor")
    parser.add_argument("--classes", default=str(DEFAULT_C),
                        help="class counts of the perplexity runs (comma-separated)")
    parser.add_argument("--epochs", type=int, default=30, help="most epochs per run")
    parser.add_argument("--patience", type=int, default=2)
    parser.add_argument("--decay-after", type=int, default=4)
    parser.add_argument("--schedule", choices=("step", "plateau"), default="step",
                        help="step: halve every epoch from --decay-after; plateau: "
                             "Mikolov's (halve once an epoch gains under 0.3%%, stop "
                             "at the next), so each head decays when it stops improving")
    parser.add_argument("--dropout", type=float, default=0.0,
                        help="dropout on the LSTM's non-recurrent connections")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--fresh", action="store_true",
                        help="train the heads on record again (and record them again)")
    parser.add_argument("--output", default="runs/class_softmax")
    parser.add_argument("--results", help="also write the JSON line to this file")
    parser.add_argument("--plot", help="where --part ppl/plot draw perplexity and training "
                                       "time against C (default docs/images/"
                                       "class_softmax_tradeoff[recipe].png; '' for no plot)")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # TensorFlow's C++ start-up notes
    if args.speed_only:
        args.part = "speed"
    wall = time.perf_counter()
    paths = files(args.data, args.quick, os.path.join(args.output, "quick"))
    if args.quick:
        args.steps, args.repeats, args.epochs = 2, 1, 1
    torch_anchor = not args.no_torch and args.part in ("all", "speed")
    if torch_anchor:
        try:
            import torch

            torch.set_num_threads(os.cpu_count() or 1)
        except ImportError:
            print("PyTorch is not installed (pip install -e .[peer]): no anchor rows",
                  file=sys.stderr)
            torch_anchor = False
    from seqlab.data.corpus import build_vocabulary, corpus_ids, read_corpus
    import keras

    train = read_corpus(paths["train"])
    ptb_ids = corpus_ids(train, build_vocabulary(train))
    result = {"benchmark": "class_softmax", "units": UNITS, "batch": [BATCH, STEPS]}
    if args.part in ("all", "speed"):
        rows = speed(ptb_ids, args.steps, args.repeats, torch_anchor)
        result.update(speed_summary(rows))
        result["speed"] = rows
        result["cutoffs"] = {str(v): adaptive_cutoffs(v) for v in SWEEP}
    if args.part in ("all", "ppl", "plot"):
        classes = [int(c) for c in args.classes.split(",") if c]
        heads = ([("softmax", "softmax")]
                 + [(f"class_softmax_{c}", {"name": "class_softmax", "num_classes": c})
                    for c in classes]
                 + [("adaptive_softmax", "adaptive_softmax")])
        rows = perplexities(paths, heads, args, train=args.part != "plot")
        full = next((r["test_ppl"] for r in rows if r["name"] == "softmax"), None)
        result["perplexity"] = rows
        if full:
            result["ppl_ratio"] = {r["name"]: r["test_ppl"] / full
                                   for r in rows if r["name"] != "softmax"}
        print(ppl_table(rows), file=sys.stderr)
        if args.plot is None:
            args.plot = os.path.join(IMAGES, f"class_softmax_tradeoff{recipe_suffix(args)}.png")
        if args.plot and not args.quick:
            plot_tradeoff(rows, args.plot, recipe=recipe_title(args))
            print(f"plot: {args.plot}", file=sys.stderr)
    result.update({"targets": {"speedup_v10k_sqrt": 1.5, "speedup_v100k_sqrt": 8.0,
                               "adaptive_vs_torch_v100k": 0.9, "ppl_ratio": 1.03},
                   "quick": args.quick, "wall_s": time.perf_counter() - wall,
                   "backend": keras.backend.backend(), "machine": machine(),
                   "date": time.strftime("%Y-%m-%d")})
    line = json.dumps(result)
    if args.results:
        with open(args.results, "w") as handle:
            handle.write(line + "\n")
    print(line)


if __name__ == "__main__":
    main()
