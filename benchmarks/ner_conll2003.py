"""CoNLL-2003 English NER with seqlab (BENCHMARKS.md, section 1).

    python benchmarks/ner_conll2003.py --data ../shared/data/conll2003 [--seeds 3] [--quick]

Rows: a word-only BiLSTM with a softmax (the Huang et al. 2015 baseline
shape) and the best configuration (word embeddings + character CNN, a
BiLSTM, a CRF). Models are selected on dev F1; the test split is reported.
The files are IOB1 and are read as such; the models learn IOBES.

Prints a progress line per epoch, then one JSON line: per row test_f1 and
dev_f1 (percent; mean, spread and per seed), training seconds, decoding
speed (sentences/s over the test split, after a warm-up pass over it), and the config, seeds, backend,
machine and wall time.
"""

import argparse
import json
import os
import platform
import statistics
import sys
import time

ROWS = {
    "word_softmax": {
        "vocabulary": {"digits": True},
        "model": {"cell": "lstm", "units": 100, "depth": 1, "dropout": 0.5,
                  "word_dropout": 0.05, "head": "softmax",
                  "encoders": [{"name": "word_embedding", "dim": 100}]},
        "training": {"epochs": 30, "batch_size": 32, "learning_rate": 0.002,
                     "lr_decay": 0.05, "patience": 5},
    },
    "best": {
        "vocabulary": {"digits": True},
        "model": {"cell": "lstm", "units": 200, "depth": 1, "dropout": 0.5,
                  "word_dropout": 0.05, "head": "crf",
                  "encoders": [{"name": "word_embedding", "dim": 100},
                               {"name": "char_cnn", "dim": 30, "filters": 50}]},
        "training": {"epochs": 30, "batch_size": 32, "learning_rate": 0.002,
                     "lr_decay": 0.05, "patience": 5},
    },
}


def machine():
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return f"{line.split(':', 1)[1].strip()} ({os.cpu_count()} cores)"
    except OSError:
        pass
    return platform.processor() or platform.machine()


def quick_split(path, directory, sentences):
    """The first ``sentences`` sentences of a CoNLL file, for --quick."""
    os.makedirs(directory, exist_ok=True)
    out = os.path.join(directory, os.path.basename(path))
    with open(path) as source, open(out, "w") as target:
        count = 0
        for line in source:
            target.write(line)
            if not line.strip():
                count += 1
                if count >= sentences:
                    break
    return out


def decoding_speed(model, sentences):
    tokens = [s.tokens for s in sentences]
    model.tag(tokens, batch_size=256)  # warm-up: compile every padded shape once
    start = time.perf_counter()
    model.tag(tokens, batch_size=256)
    return len(tokens) / (time.perf_counter() - start)


def run_row(name, settings, data, seeds, output, epochs):
    import seqlab
    from seqlab.tagging import read_tagged

    results = []
    for seed in seeds:
        config = seqlab.load_config(data={
            "output": os.path.join(output, f"{name}-seed{seed}"),
            "data": data, **{k: dict(v) for k, v in settings.items()}},
            overrides=[f"training.seed={seed}"] + ([f"training.epochs={epochs}"] if epochs else []))
        print(f"[{name} seed {seed}] training", file=sys.stderr, flush=True)
        start = time.perf_counter()
        run = seqlab.train_tagger(config, resume=False, verbose=2)
        seconds = time.perf_counter() - start
        test = read_tagged(data["test"], config["data"])
        results.append({"seed": seed, "test_f1": 100 * run.test["f1"],
                        "dev_f1": 100 * run.dev["f1"], "best_epoch": run.best_epoch,
                        "epochs_run": len(run.history), "train_seconds": seconds,
                        "decode_sentences_per_s": decoding_speed(run.model, test)})
        print(f"[{name} seed {seed}] test F1 {results[-1]['test_f1']:.2f} "
              f"dev F1 {results[-1]['dev_f1']:.2f} in {seconds:.0f} s", file=sys.stderr, flush=True)

    def summary(key):
        values = [r[key] for r in results]
        return {"mean": statistics.mean(values),
                "spread": statistics.stdev(values) if len(values) > 1 else 0.0}

    return {"test_f1": summary("test_f1"), "dev_f1": summary("dev_f1"),
            "train_seconds": summary("train_seconds"),
            "decode_sentences_per_s": summary("decode_sentences_per_s"),
            "runs": results, "config": settings}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default="../shared/data/conll2003",
                        help="folder with train.txt, valid.txt, test.txt")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--quick", action="store_true",
                        help="2,000 training sentences, 3 epochs, one seed")
    parser.add_argument("--rows", default=",".join(ROWS), help="comma-separated rows")
    parser.add_argument("--output", default="runs/bench-ner")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras

    started = time.time()
    files = {split: os.path.abspath(os.path.join(args.data, f"{name}.txt"))
             for split, name in (("train", "train"), ("dev", "valid"), ("test", "test"))}
    epochs, seeds = None, list(range(1, args.seeds + 1))
    if args.quick:
        files["train"] = quick_split(files["train"], args.output, 2000)
        epochs, seeds = 3, [1]
    data = {**files, "format": "conll", "token_column": 0, "tag_column": -1, "scheme": "iob1"}
    rows = {name: run_row(name, ROWS[name], data, seeds, args.output, epochs)
            for name in args.rows.split(",")}
    print(json.dumps({
        "benchmark": "ner_conll2003", "quick": args.quick, "seeds": seeds,
        "rows": rows, "backend": keras.backend.backend(), "machine": machine(),
        "wall_seconds": time.time() - started,
        "date": time.strftime("%Y-%m-%d"),
    }))


if __name__ == "__main__":
    main()
