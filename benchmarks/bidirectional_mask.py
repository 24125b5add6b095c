"""Decoding with `StackedBidirectional` read masked or unmasked, in one
process, interleaved: the measurement behind its device rule (on a CPU
the backward direction masked and the forward one not; on a GPU or TPU
both unmasked). "masked" below is the CPU's way.

    python benchmarks/bidirectional_mask.py MODEL --test ../shared/data/conll2003/test.txt
        [--rounds 6]

Loads the tagger twice, sets its `StackedBidirectional`'s
``read_unmasked`` to False in one copy and True in the other, and times
``Tagger.tag`` over the test file's sentences (tokens in the first column)
round by round, alternating the copies, after a warm-up pass each. Prints
sentences/s per copy (median and best round) and one JSON line. Run it
alone: on a shared 2-core machine, whichever process runs first is faster,
which is why both copies live in one process.
"""

import argparse
import json
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from ner_conll2003 import machine  # noqa: E402
from serve_load import conll_sentences  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model")
    parser.add_argument("--test", required=True)
    parser.add_argument("--rounds", type=int, default=6)
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras

    import seqlab

    sentences = conll_sentences(args.test)
    models = {}
    for unmasked in (False, True):
        model = seqlab.load_model(args.model)
        model.encoder.read_unmasked = unmasked  # the tagger's StackedBidirectional
        model.tag(sentences)  # warm-up: traces and compiles
        models["unmasked" if unmasked else "masked"] = model
    times = {name: [] for name in models}
    for _ in range(args.rounds):
        for name, model in models.items():
            start = time.perf_counter()
            model.tag(sentences)
            times[name].append(time.perf_counter() - start)
    result = {name: {"median": len(sentences) / statistics.median(values),
                     "best": len(sentences) / min(values)}
              for name, values in times.items()}
    for name, speed in result.items():
        print(f"{name:9s} {speed['median']:,.0f} sentences/s (median of {args.rounds}), "
              f"best round {speed['best']:,.0f}", file=sys.stderr)
    print(json.dumps({"benchmark": "bidirectional_mask", "sentences": len(sentences),
                      "rounds": args.rounds, "speeds": result,
                      "backend": keras.backend.backend(), "machine": machine(),
                      "date": time.strftime("%Y-%m-%d")}))


if __name__ == "__main__":
    main()
