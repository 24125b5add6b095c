"""Issue 26 item 1 and 3: a tagger in process against its ONNX exports.

    python benchmarks/export_speed.py MODEL --test ../shared/data/conll2000/test.txt
        [--scheme iob2] [--passes 5] [--record benchmarks/results/export_speed_DATE.jsonl]

MODEL is a tagger's ``.keras`` file or run directory; ``--test`` a CoNLL
file (tokens in the first column, gold tags in the last, in ``--scheme``).
Three ways of tagging it, each timed over the whole file in batches of
256 sentences of similar length, after a warm-up pass (the median of
``--passes`` passes), alternating so that drift hits all three alike:

- ``seqlab``: ``Tagger.tag`` in this process (TensorFlow or JAX, as
  ``KERAS_BACKEND`` says);
- ``onnx``: ``seqlab export --format onnx`` run in ONNX Runtime, the
  inputs built with NumPy as docs/deploying.md does (encoding included in
  the time, as it is in ``Tagger.tag``'s);
- ``onnx-int8``: the same with ``--quantize dynamic-int8``.

For each: sentences/s, test F1 (seqeval, in ``--scheme``), the sentences
whose tags equal ``Tagger.tag``'s, and the artifact's size. Prints a
Markdown table and one JSON line (appended to ``--record``). Run it alone:
a second busy process on a 2-core machine halves whichever side it meets.
Export needs ``KERAS_BACKEND=tensorflow`` (ONNX export runs under it).
"""

import argparse
import json
import os
import re
import statistics
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from ner_conll2003 import emit, machine  # noqa: E402


def onnx_tagger(folder):
    """A function from token lists to tag names (the model's scheme) that
    uses ONNX Runtime and the export's metadata only."""
    import onnxruntime

    meta = json.load(open(os.path.join(folder, "seqlab-export.json")))
    session = onnxruntime.InferenceSession(os.path.join(folder, meta["file"]),
                                           providers=["CPUExecutionProvider"])

    def lookup(vocabulary):
        index = {t: i for i, t in enumerate(vocabulary["tokens"])}

        def ids(items):
            out = []
            for t in items:
                t = t.lower() if vocabulary["lowercase"] else t
                t = re.sub(r"\d", "0", t) if vocabulary["digits_to_zero"] else t
                out.append(index.get(t, 1))
            return out
        return ids

    words_of = lookup(meta["vocabulary"])
    chars_of = lookup(meta["char_vocabulary"]) if meta["char_vocabulary"] else None
    names = meta["tag_names"]

    def tag(sentences, batch_size=256):
        order = sorted(range(len(sentences)), key=lambda i: len(sentences[i]))
        result = [None] * len(sentences)
        known = {}
        for start in range(0, len(order), batch_size):
            rows = order[start:start + batch_size]
            width = max(len(sentences[i]) for i in rows)
            feed = {"words": np.zeros((len(rows), width), "int32")}
            if chars_of:
                feed["chars"] = np.zeros((len(rows), width, 20), "int32")
            for r, i in enumerate(rows):
                tokens = sentences[i]
                feed["words"][r, :len(tokens)] = words_of(tokens)
                for j, token in enumerate(tokens if chars_of else ()):
                    ids = known.get(token)
                    if ids is None:
                        ids = known[token] = chars_of(token[:20])
                    feed["chars"][r, j, :len(ids)] = ids
            (best,) = session.run(["tags"], feed)
            for r, i in enumerate(rows):
                result[i] = [names[k] for k in best[r, :len(sentences[i])]]
        return result

    return tag


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model")
    parser.add_argument("--test", required=True, help="a CoNLL file with gold tags")
    parser.add_argument("--scheme", default="iob2", help="the gold tags' scheme")
    parser.add_argument("--passes", type=int, default=5)
    parser.add_argument("--record", help="append the JSON line to this file")
    args = parser.parse_args(argv)

    import keras

    import seqlab
    from seqlab.data.schemes import convert
    from seqlab.evaluation import entity_scores
    from seqlab.saving import _model_file
    from seqlab.tagging import read_tagged

    source = _model_file(args.model)
    tagger = seqlab.load_model(source, compile=False)
    data = seqlab.load_config(data={"data": {
        "train": args.test, "dev": args.test, "format": "conll", "token_column": 0,
        "tag_column": -1, "scheme": args.scheme}}).data
    gold = read_tagged(args.test, data)
    sentences = [s.tokens for s in gold]
    folder = tempfile.mkdtemp(prefix="export-speed-")
    ways = {"seqlab": lambda: tagger.tag(sentences, batch_size=256, scheme=tagger.scheme)}
    sizes = {"seqlab": os.path.getsize(source)}
    for name, quantize in (("onnx", None), ("onnx-int8", "dynamic-int8")):
        out = os.path.join(folder, name)
        seqlab.export(tagger, out, format="onnx", quantize=quantize)
        sizes[name] = os.path.getsize(os.path.join(out, "model.onnx"))
        run = onnx_tagger(out)
        ways[name] = lambda run=run: run(sentences)
    outputs = {name: way() for name, way in ways.items()}  # warm-up
    speeds = {name: [] for name in ways}
    for _ in range(args.passes):
        for name, way in ways.items():
            start = time.perf_counter()
            way()
            speeds[name].append(len(sentences) / (time.perf_counter() - start))
    reference = outputs["seqlab"]
    rows = {}
    for name, tags in outputs.items():
        predicted = [convert(t, tagger.scheme, args.scheme) for t in tags]
        scores = entity_scores([s.tags for s in gold], predicted, args.scheme)
        rows[name] = {"sentences_per_s": statistics.median(speeds[name]),
                      "passes": speeds[name], "test_f1": 100 * scores["f1"],
                      "same_tags_as_seqlab": sum(a == b for a, b in zip(tags, reference)),
                      "bytes": sizes[name]}
    print(f"| way | sentences/s (median of {args.passes}) | test F1 | sentences tagged as "
          f"seqlab tags them | file |")
    print("| --- | --- | --- | --- | --- |")
    for name, row in rows.items():
        print(f"| {name} | {row['sentences_per_s']:,.0f} | {row['test_f1']:.2f} | "
              f"{row['same_tags_as_seqlab']:,} of {len(sentences):,} | "
              f"{row['bytes'] / 2**20:.1f} MiB |")
    record = {"benchmark": "export_speed", "model": args.model, "test": args.test,
              "sentences": len(sentences), "backend": keras.backend.backend(), "rows": rows,
              "date": time.strftime("%Y-%m-%d"), "machine": machine()}
    emit(record, args.record)


if __name__ == "__main__":
    main()
