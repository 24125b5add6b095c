"""Issue 26: `Tagger.tag`'s sentences/s over a CoNLL file, pass by pass.

    python benchmarks/decode_passes.py MODEL --test ../shared/data/conll2003/test.txt
        [--passes 5] [--batch-size 256] [--row-tokens N]

Loads the tagger, tags the file's sentences (tokens in the first column)
twice to trace, then times ``--passes`` passes and prints each pass's
sentences/s, the time inside the compiled step and the median, then one
JSON line. ``--row-tokens`` overrides `seqlab.models.tagger.DECODE_ROW_TOKENS`
(the cap on positions per batch under TensorFlow; 100000 turns it off).

To compare two versions of seqlab, put the other's ``seqlab/`` and
``plugins/`` in a folder (``git archive COMMIT seqlab plugins | tar -x -C
DIR``) and run it first on the path, processes alternating, nothing else
running (the JSON line's ``seqlab`` names the copy that was imported)::

    PYTHONPATH=DIR:DIR/plugins .venv/bin/python benchmarks/decode_passes.py ...

(``cd DIR`` alone does not do it: a script's own folder, not the working
one, goes on the path.)

On this 2-core machine a process's passes differ by up to 25% (about one
pass in ten meets a full collection of Python's garbage collector, 0.23 s),
and processes differ by as much, so compare medians over several processes.
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
    parser.add_argument("--passes", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--row-tokens", type=int)
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras

    import seqlab
    import seqlab.models.tagger as tagger_module

    if args.row_tokens:
        tagger_module.DECODE_ROW_TOKENS = args.row_tokens
    model = seqlab.load_model(args.model)
    sentences = [s for s in conll_sentences(args.test) if s]
    model.tag(sentences[:600], batch_size=args.batch_size)
    model.tag(sentences, batch_size=args.batch_size)
    decode, inside = model._decode, [0.0]

    def timed(*call):
        start = time.perf_counter()
        out = decode(*call)
        inside[0] += time.perf_counter() - start
        return out

    model._decode = timed
    speeds = []
    for number in range(1, args.passes + 1):
        inside[0] = 0.0
        start = time.perf_counter()
        model.tag(sentences, batch_size=args.batch_size)
        wall = time.perf_counter() - start
        speeds.append(len(sentences) / wall)
        print(f"pass {number}: {speeds[-1]:,.0f} sentences/s ({wall:.3f} s, "
              f"{inside[0]:.3f} s in the compiled step)", file=sys.stderr)
    print(f"median {statistics.median(speeds):,.0f} sentences/s over {args.passes} passes",
          file=sys.stderr)
    print(json.dumps({
        "benchmark": "decode_passes", "backend": keras.backend.backend(),
        "sentences": len(sentences), "batch_size": args.batch_size,
        "row_tokens": tagger_module.DECODE_ROW_TOKENS,
        "seqlab": os.path.dirname(seqlab.__file__),
        "sentences_per_s": [round(s) for s in speeds],
        "median": round(statistics.median(speeds)), "machine": machine(),
        "date": time.strftime("%Y-%m-%d")}))


if __name__ == "__main__":
    main()
