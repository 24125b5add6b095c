"""The language model's defaults on a small corpus (issue 23, item 4).

Trains ``LanguageModelConfig``'s defaults (``--set`` changes them, e.g. to
compare an older set of defaults) on the first ``--train`` sentences of a
one-sentence-per-line text (default: the Brown Corpus in
``../shared/data/unlabeled``), selecting on the next ``--dev`` sentences,
for ``--epochs`` epochs, and prints the dev perplexity of every epoch; one
JSON line per run is appended to ``benchmarks/results/lm_defaults_runs.jsonl``.
The defaults must learn here as on the Penn Treebank (``lm_ptb.py --config
small`` is the same recipe).

    .venv/bin/python benchmarks/lm_defaults.py [--text ../shared/data/unlabeled/brown.txt]
        [--train 2000 --dev 200 --epochs 6] [--set training.learning_rate=1.0 ...]
"""

import argparse
import json
import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from ner_conll2003 import machine  # noqa: E402

RESULTS = os.path.join(HERE, "results", "lm_defaults_runs.jsonl")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--text", default="../shared/data/unlabeled/brown.txt")
    parser.add_argument("--train", type=int, default=2000, help="training sentences")
    parser.add_argument("--dev", type=int, default=200, help="dev sentences (the next ones)")
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--set", dest="changes", action="append", default=[],
                        metavar="SECTION.KEY=VALUE")
    parser.add_argument("--label", default="defaults", help="the row's name in the record")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import seqlab

    with open(args.text, encoding="utf-8") as handle:
        lines = [line for line in handle if line.strip()][:args.train + args.dev]
    work = tempfile.mkdtemp(prefix="lm-defaults-")
    paths = {}
    for split, part in (("train", lines[:args.train]), ("dev", lines[args.train:])):
        paths[split] = os.path.join(work, f"{split}.txt")
        with open(paths[split], "w", encoding="utf-8") as out:
            out.writelines(part)
    config = seqlab.load_config(
        data={"output": os.path.join(work, "run"), "data": paths},
        overrides=[f"training.epochs={args.epochs}", "training.time_budget=0", *args.changes],
        task="lm")
    start = time.perf_counter()
    run = seqlab.train_language_model(config, resume=False, verbose=2)
    record = {"label": args.label, "changes": args.changes,
              "text": os.path.basename(args.text), "train_sentences": args.train,
              "dev_sentences": args.dev, "dev_ppl": [h["dev_ppl"] for h in run.history],
              "training": {k: v for k, v in config.training.model_dump(mode="json").items()
                           if k in ("optimizer", "learning_rate", "num_steps", "clipper",
                                    "batch_size", "lr_decay", "decay_after")},
              "seconds": time.perf_counter() - start, "machine": machine(),
              "date": time.strftime("%Y-%m-%d")}
    with open(RESULTS, "a") as handle:
        handle.write(json.dumps(record) + "\n")
    print(json.dumps(record))


if __name__ == "__main__":
    main()
