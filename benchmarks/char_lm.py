"""Issue 25, item 4: forward and backward character language models on
unlabeled text, the two halves of a tagger's contextual string embeddings.

    python benchmarks/char_lm.py [--files ../shared/data/unlabeled/brown.txt ...]
        [--conll-text ../shared/data/conll2003/train.txt ...]
        [--directions forward,backward] [--units 256] [--depth 1] [--embedding-dim 32]
        [--batch-size 64] [--num-steps 100] [--epochs 10] [--budget 3600]
        [--output runs/char_lm] [--limit-lines N]

The named files' non-blank lines, then the sentences of each
``--conll-text`` file (its tokens joined by spaces, as a tagger's
``lm_embeddings`` reads a sentence; give training splits only, never the
dev or test text a tagger is scored on), are one corpus; every 50th line is held
out (dev, which selects the model; bits per character are reported on
it), the rest is training text. Each direction is one `seqlab lm train`
run in ``OUTPUT/DIRECTION`` (``data.unit = "char"``), so a run stopped by
Ctrl-C, the time budget or the end of a session continues where it
stopped when the command is given again; a finished direction is not
trained twice. Every finished run appends a JSON line to
``benchmarks/results/char_lm_runs.jsonl``: files, size, dev bits per
character, seconds per epoch, parameters, machine, date.
"""

import argparse
import contextlib
import json
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from ner_conll2003 import emit, machine, relative  # noqa: E402
from serve_load import conll_sentences  # noqa: E402

RESULTS = os.path.join(HERE, "results", "char_lm_runs.jsonl")
DATA = os.path.join(HERE, "..", "..", "shared", "data", "unlabeled")


def write_split(files, folder, limit=None, every=50, conll=()):
    """Training and held-out text of ``files`` and the sentences of the
    ``conll`` files (every ``every``-th non-blank line held out) in
    ``folder``; returns their paths and sizes."""
    os.makedirs(folder, exist_ok=True)
    train, dev = os.path.join(folder, "train.txt"), os.path.join(folder, "dev.txt")
    # written beside and then renamed into place, so that two invocations
    # (a direction on each core) never read a half-written file
    partial = {path: f"{path}.{os.getpid()}.partial" for path in (train, dev)}
    counts = {"train": 0, "dev": 0}
    with open(partial[train], "w", encoding="utf-8") as out_train, \
            open(partial[dev], "w", encoding="utf-8") as out_dev:
        index = 0
        sources = [open(path, encoding="utf-8") for path in files]
        # a CoNLL file's sentences, a line each (the first iterable of a
        # generator expression is read at once: each keeps its own path)
        sources += [(" ".join(s) for s in conll_sentences(path)) for path in conll]
        for handle in sources:
            with contextlib.closing(handle):
                for line in handle:
                    line = line.rstrip("\n")
                    if not line.strip():
                        continue
                    if limit and index >= limit:
                        break
                    split = "dev" if index % every == every - 1 else "train"
                    (out_dev if split == "dev" else out_train).write(line + "\n")
                    counts[split] += len(line) + 1
                    index += 1
    for path, written in partial.items():
        os.replace(written, path)
    return {"train": train, "dev": dev}, counts


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", nargs="+",
                        default=[os.path.join(DATA, "brown.txt")])
    parser.add_argument("--conll-text", nargs="*", default=[],
                        help="CoNLL files whose sentences are text too (training splits)")
    parser.add_argument("--directions", default="forward,backward")
    parser.add_argument("--units", type=int, default=256)
    parser.add_argument("--depth", type=int, default=1)
    parser.add_argument("--embedding-dim", type=int, default=32)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--num-steps", type=int, default=100)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--learning-rate", type=float, default=0.002)
    parser.add_argument("--budget", type=float, default=3600,
                        help="seconds of training per direction (0: none)")
    parser.add_argument("--output", default=os.path.join("runs", "char_lm"))
    parser.add_argument("--limit-lines", type=int, help="the first N lines only (a quick check)")
    parser.add_argument("--record", default=RESULTS)
    args = parser.parse_args(argv)

    import seqlab

    paths, characters = write_split(args.files, os.path.join(args.output, "data"),
                                    args.limit_lines, conll=args.conll_text)
    for direction in args.directions.split(","):
        config = seqlab.load_config(task="lm", data={
            "output": os.path.join(args.output, direction),
            "data": {**paths, "unit": "char"},
            "model": {"units": args.units, "depth": args.depth, "direction": direction,
                      "embedding_dim": args.embedding_dim, "dropout": 0.1},
            "training": {"epochs": args.epochs, "batch_size": args.batch_size,
                         "num_steps": args.num_steps, "optimizer": "adam",
                         "learning_rate": args.learning_rate,
                         # Mikolov's schedule: halve the rate from the first
                         # epoch that gains under 0.3% dev likelihood, stop
                         # after the next (the LM's lr_decay is a factor:
                         # 0 would zero the rate after decay_after epochs).
                         "lr_schedule": "plateau", "lr_decay": 0.5,
                         "clipper": "global_norm", "init_scale": 0.0,
                         "time_budget": args.budget}})
        state = os.path.join(config.output, "state.json")
        before = json.load(open(state))["epoch"] if os.path.exists(state) else 0
        start = time.perf_counter()
        run = seqlab.train_language_model(config, verbose=2)
        seconds = time.perf_counter() - start
        trained = len(run.history) - before
        record = {
            "benchmark": "char_lm", "direction": direction,
            "files": [os.path.basename(f) for f in args.files],
            "conll_text": [os.path.relpath(f, os.path.join(DATA, "..")) for f in args.conll_text],
            "limit_lines": args.limit_lines, "train_characters": characters["train"],
            "dev_characters": characters["dev"], "units": args.units, "depth": args.depth,
            "embedding_dim": args.embedding_dim, "batch_size": args.batch_size, "num_steps": args.num_steps,
            "dev_bits_per_character": run.dev["bits"], "best_epoch": run.best_epoch,
            "epochs_run": len(run.history), "epochs_this_invocation": trained,
            "seconds_per_epoch": seconds / trained if trained else None,
            "parameters": int(sum(np.prod(v.shape) for v in run.model.trainable_variables)),
            "vocabulary": len(run.model.vocabulary),
            "model": relative(os.path.join(run.output, "best.keras")),
            "date": time.strftime("%Y-%m-%d"), "machine": machine()}
        emit(record, args.record)


if __name__ == "__main__":
    main()
