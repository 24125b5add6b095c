"""How many distinct batch shapes (each one a compilation of the training
step under JAX, where the compiled step is specialised to shapes) one
training epoch of a tagging corpus produces, and how much padding, for
seqlab's bucket widths (multiples of 8) and coarser alternatives.

    python benchmarks/batch_shapes.py --data ../shared/data/conll2003/train.txt [--batch 32]

No model runs: the batches are the ones `seqlab.data.SequenceBatches`
builds (sorted by length, cut, shuffled). Last line: JSON.
"""

import argparse
import json
import math

import numpy as np


def widths_and_padding(lengths, batch, rule, seed=1):
    from seqlab.data.batching import bucketed_batches

    shapes, real, padded = set(), 0, 0
    for rows in bucketed_batches(lengths, batch, np.random.default_rng(seed)):
        width = rule(max(int(lengths[rows].max()), 1))
        shapes.add((len(rows), width))
        real += int(lengths[rows].sum())
        padded += len(rows) * width
    return len(shapes), padded / real


def geometric(ratio):
    def rule(length):
        width = 8
        while width < length:
            width = 8 * math.ceil(width * ratio / 8)
        return width
    return rule


RULES = {
    "multiple of 8 (seqlab)": lambda length: 8 * math.ceil(length / 8),
    "x1.25 steps": geometric(1.25),
    "x1.5 steps": geometric(1.5),
    "powers of 2": lambda length: max(8, 2 ** math.ceil(math.log2(length))),
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, help="a CoNLL file")
    parser.add_argument("--batch", type=int, default=32)
    args = parser.parse_args(argv)
    from seqlab.data.readers import read_conll

    lengths = np.asarray([len(s.tokens) for s in read_conll(args.data)])
    rows = []
    for name, rule in RULES.items():
        shapes, padding = widths_and_padding(lengths, args.batch, rule)
        rows.append({"widths": name, "distinct_shapes": shapes,
                     "padded_per_real_token": round(padding, 3)})
        print(f"{name:24s} {shapes:3d} distinct batch shapes, "
              f"{padding:.3f} padded positions per real token")
    print(json.dumps({"benchmark": "batch_shapes", "data": args.data, "batch": args.batch,
                      "sentences": len(lengths), "longest": int(lengths.max()),
                      "rows": rows}))


if __name__ == "__main__":
    main()
