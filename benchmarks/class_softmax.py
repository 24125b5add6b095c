"""Full versus class-factored softmax, in one run (BENCHMARKS.md, section 3).

    python benchmarks/class_softmax.py --data ../shared/data/ptb [--epochs 2] [--quick]

1. Training-step time of the same language model (LSTM 1x200, batch 20 x 35
   words, SGD, global-norm clipping) with a full softmax and with class
   softmaxes of several class counts, at V = 10k (PTB windows) and V = 100k
   (a synthetic Zipf corpus). Each model takes warm-up steps, then the
   median over --repeats timed blocks of steps is kept.
2. PTB perplexity of the full softmax and of class softmaxes with several
   class counts, each trained the same way (LSTM 1x200, Adam, --epochs
   epochs), selected on validation, reported on test.

The last line is JSON: speedup_v100k (full step time / class step time at
V = 100k, for the fastest class count, which it names; speedup_v100k_sqrt is
the same at C = sqrt(V)), ppl_ratio (class softmax with C = sqrt(V) = 100
over full softmax, PTB test perplexity), and every measurement. --quick
times fewer steps and trains one short epoch on 3,000 sentences.
"""

import argparse
import json
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lm_ptb import files, machine  # noqa: E402

UNITS = 200
BATCH, STEPS = 20, 35
SWEEP = {10001: [25, 50, 100, 200, 400, 1000], 100001: [100, 316, 1000, 2000, 4000]}
PPL_CLASSES = [25, 100, 400]
DEFAULT_C = 100   # about sqrt(10k)


def zipf_counts(vocab_size):
    counts = np.zeros(vocab_size)
    counts[1:] = 1e7 / np.arange(1, vocab_size)
    return counts.astype(np.int64)


def step_time(vocab_size, head, windows, counts, num_classes, steps, repeats):
    import keras
    import seqlab

    keras.utils.set_random_seed(0)
    options = ({"num_classes": num_classes, "word_counts": counts.tolist()}
               if head == "class_softmax" else {})
    model = seqlab.LanguageModel(vocab_size=vocab_size, cell="lstm", units=UNITS,
                                 head=head, stream_batch_size=BATCH, **options)
    model.compile(optimizer=keras.optimizers.SGD(0.1), clipper="global_norm")
    x, y = windows
    for i in range(3):  # warm-up: tracing and compilation
        model.train_on_batch(x[i], y[i])
    times = []
    for r in range(repeats):
        start = time.perf_counter()
        for i in range(steps):
            model.train_on_batch(x[(r * steps + i) % len(x)], y[(r * steps + i) % len(y)])
        times.append((time.perf_counter() - start) / steps)
    return statistics.median(times)


def speed(ptb_ids, steps, repeats):
    from seqlab.data.corpus import stream_windows, word_counts

    rows = []
    rng = np.random.default_rng(0)
    for vocab_size, sweep in SWEEP.items():
        if vocab_size == 10001:
            ids = ptb_ids
            counts = word_counts(ids, vocab_size)
        else:
            counts = zipf_counts(vocab_size)
            ids = rng.choice(vocab_size, size=BATCH * STEPS * (steps + 4),
                             p=counts / counts.sum()).astype("int32")
        x, y = stream_windows(ids[:BATCH * (STEPS * (steps + 3) + 1)], BATCH, STEPS)
        windows = (x.reshape(-1, BATCH, STEPS), y.reshape(-1, BATCH, STEPS))
        full = step_time(vocab_size, "softmax", windows, counts, None, steps, repeats)
        rows.append({"vocab_size": vocab_size, "head": "softmax", "classes": None,
                     "step_ms": 1000 * full, "speedup": 1.0})
        print(f"V={vocab_size} full softmax: {1000 * full:.1f} ms/step", flush=True)
        for num_classes in sweep:
            t = step_time(vocab_size, "class_softmax", windows, counts, num_classes,
                          steps, repeats)
            rows.append({"vocab_size": vocab_size, "head": "class_softmax",
                         "classes": num_classes, "step_ms": 1000 * t, "speedup": full / t})
            print(f"V={vocab_size} class softmax C={num_classes}: {1000 * t:.1f} ms/step "
                  f"({full / t:.2f}x)", flush=True)
    return rows


def perplexities(paths, epochs, output):
    import seqlab
    import seqlab.lm

    rows = []
    for head, num_classes in [("softmax", None)] + [("class_softmax", c) for c in PPL_CLASSES]:
        name = head if num_classes is None else f"{head}_{num_classes}"
        config = seqlab.load_config(task="lm", data={
            "output": os.path.join(output, name),
            "data": {"train": paths["train"], "dev": paths["valid"], "test": paths["test"]},
            "model": {"cell": "lstm", "units": UNITS, "depth": 1, "head": head,
                      "num_classes": num_classes or 0},
            "training": {"epochs": epochs, "batch_size": BATCH, "num_steps": STEPS,
                         "optimizer": "adam", "learning_rate": 0.002, "lr_decay": 0.5,
                         "decay_after": 2, "init_scale": 0.0, "seed": 1,
                         "clipper": {"name": "global_norm", "threshold": 1.0}}})
        start = time.perf_counter()
        run = seqlab.lm.train_language_model(config, resume=False, verbose=2)
        rows.append({"head": head, "classes": num_classes,
                     "valid_ppl": run.dev["perplexity"], "test_ppl": run.test["perplexity"],
                     "best_epoch": run.best_epoch, "train_s": time.perf_counter() - start})
        print(f"{name}: test perplexity {run.test['perplexity']:.2f}", flush=True)
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default="../shared/data/ptb")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--steps", type=int, default=10, help="timed steps per block")
    parser.add_argument("--repeats", type=int, default=3, help="timed blocks per model")
    parser.add_argument("--part", choices=("all", "speed", "ppl"), default="all")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--output", default="runs/class_softmax")
    parser.add_argument("--results", help="also write the JSON line to this file")
    args = parser.parse_args(argv)
    wall = time.perf_counter()
    paths = files(args.data, args.quick, os.path.join(args.output, "quick"))
    if args.quick:
        args.steps, args.repeats, args.epochs = 2, 1, 1
    from seqlab.data.corpus import build_vocabulary, corpus_ids, read_corpus
    import keras

    train = read_corpus(os.path.join(args.data, "ptb.train.txt"))
    ptb_ids = corpus_ids(train, build_vocabulary(train))
    result = {"benchmark": "class_softmax", "units": UNITS, "batch": [BATCH, STEPS]}
    if args.part in ("all", "speed"):
        rows = speed(ptb_ids, args.steps, args.repeats)
        big = [r for r in rows if r["vocab_size"] == 100001 and r["classes"]]
        best = max(big, key=lambda r: r["speedup"])
        sqrt_row = next(r for r in big if r["classes"] == 316)
        result.update({"speedup_v100k": best["speedup"], "speedup_v100k_classes": best["classes"],
                       "speedup_v100k_sqrt": sqrt_row["speedup"], "speed": rows})
    if args.part in ("all", "ppl"):
        rows = perplexities(paths, args.epochs, args.output)
        full = rows[0]["test_ppl"]
        default = next(r for r in rows if r["classes"] == DEFAULT_C)
        result.update({"ppl_ratio": default["test_ppl"] / full, "ppl_ratio_classes": DEFAULT_C,
                       "perplexity": rows, "epochs": args.epochs})
    result.update({"targets": {"speedup_v100k": 5.0, "ppl_ratio": 1.03},
                   "quick": args.quick, "wall_s": time.perf_counter() - wall,
                   "backend": keras.backend.backend(), "machine": machine()})
    line = json.dumps(result)
    if args.results:
        with open(args.results, "w") as handle:
            handle.write(line + "\n")
    print(line)


if __name__ == "__main__":
    main()
