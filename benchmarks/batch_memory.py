"""Peak memory of training against ``training.batch_size`` (issue 23, item 2).

For each batch size, a separate process trains seqlab's default tagger (word
embeddings + character CNN, BiLSTM 1x200, CRF) for one epoch on the first
``--sentences`` sentences of a CoNLL file (default: the generated demo
corpus, 300 sentences) and reports its peak resident memory (VmHWM), the
longest sentence and the effective batch. Prints one JSON line per batch
size, then a summary line; appends them to ``--record`` when given.

    .venv/bin/python benchmarks/batch_memory.py [--train FILE --format conll --scheme iob1]
        [--sentences 300] [--batch-sizes 32,300,3000,100000]

To measure another checkout (the seqlab before the batch cap, say):
    git worktree add ../old HEAD~1
    PYTHONPATH=../old:../old/plugins .venv/bin/python benchmarks/batch_memory.py
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)  # results name checkouts relative to this repository
sys.path.insert(0, HERE)
from ner_conll2003 import machine, quick_split  # noqa: E402


def child(args):
    """Train one epoch; print peak memory (VmHWM) as a JSON line."""
    import warnings

    import seqlab
    from seqlab.tagging import train_tagger

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        config = seqlab.load_config(data={
            "output": args.output,
            "data": {"train": args.train, "dev": args.train, "format": args.format,
                     "scheme": args.scheme},
            "training": {"epochs": 1, "batch_size": args.batch_size, "time_budget": 0}})
        try:
            run = train_tagger(config, resume=False, verbose=0)
            outcome = {"dev_f1": 100 * run.dev["f1"]}
        except seqlab.SeqlabError as error:
            outcome = {"refused": str(error)}
    with open("/proc/self/status") as status:
        peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM"))
    said = [str(w.message) for w in caught if "batch_size" in str(w.message)]
    print(json.dumps({"batch_size": args.batch_size, "peak_gb": peak / 2**20,
                      "warning": said[0] if said else None, **outcome}))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--train", help="a tagged file (default: the generated demo corpus)")
    parser.add_argument("--format", default="two_column")
    parser.add_argument("--scheme", default="iob2")
    parser.add_argument("--sentences", type=int, default=300)
    parser.add_argument("--batch-sizes", default="32,300,3000,100000")
    parser.add_argument("--record", help="append the JSON lines to this file")
    parser.add_argument("--child-batch-size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--child-output", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child_batch_size:
        args.batch_size, args.output = args.child_batch_size, args.child_output
        return child(args)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    work = tempfile.mkdtemp(prefix="batch-memory-")
    if args.train is None:
        from seqlab.demo import write_ner_corpus

        args.train = write_ner_corpus(os.path.join(work, "data"), seed=0,
                                      train=args.sentences)["train"]
        args.format, args.scheme = "two_column", "iob2"
    train = quick_split(args.train, os.path.join(work, "slice"), args.sentences)
    import seqlab

    rows = []
    for batch_size in [int(b) for b in args.batch_sizes.split(",")]:
        command = [sys.executable, __file__, "--train", train, "--format", args.format,
                   "--scheme", args.scheme, "--child-batch-size", str(batch_size),
                   "--child-output", os.path.join(work, f"run-{batch_size}")]
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True)
        lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
        row = json.loads(lines[-1]) if lines else {
            "batch_size": batch_size, "failed": f"exit {done.returncode}",
            "stderr": done.stderr[-300:]}
        row.update({"seconds": time.perf_counter() - start, "sentences": args.sentences,
                    "train": os.path.basename(args.train),
                    "seqlab": os.path.relpath(os.path.dirname(seqlab.__file__), REPO),
                    "machine": machine(), "date": time.strftime("%Y-%m-%d")})
        rows.append(row)
        print(json.dumps(row), flush=True)
        if args.record:
            with open(args.record, "a") as handle:
                handle.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
