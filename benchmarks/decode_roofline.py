"""Issue 26 item 3: where a tagger's decoding time goes, against what this
machine's matrix products allow.

    python benchmarks/decode_roofline.py MODEL --test ../shared/data/conll2003/test.txt
        [--passes 3] [--record benchmarks/results/decode_roofline_DATE.jsonl]

Measures, on ``--test``'s sentences (tokens in the first column) in
batches of 256 as ``Tagger.tag`` makes them:

- ``Tagger.tag``'s sentences/s (median of ``--passes``);
- the floating-point work of the recurrent layers' matrix products over
  the padded batches ``Tagger.tag`` actually ran (2 x rows x width x (inputs + units) x
  gates x units per direction and layer), the bulk of the model's;
- the rate this machine's backend multiplies matrices of the recurrent
  step's shape (256 x (inputs + units) by (inputs + units) x gates x units)
  and of one large product, in GFLOP/s;

and prints the time that work alone would take at those rates, i.e. the
fastest the recurrent layers could decode if nothing else cost anything.
Run it alone: a second busy process halves the rates.
"""

import argparse
import os
import statistics
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from ner_conll2003 import emit, machine  # noqa: E402
from serve_load import conll_sentences  # noqa: E402


def matmul_rate(rows, inner, cols, seconds=1.0):
    """GFLOP/s of ``keras.ops.matmul`` of a (rows, inner) by (inner, cols)
    product, compiled, repeated for about ``seconds``."""
    import keras

    a = keras.ops.convert_to_tensor(np.random.rand(rows, inner).astype("float32"))
    b = keras.ops.convert_to_tensor(np.random.rand(inner, cols).astype("float32"))
    repeat = 20

    class Products(keras.Model):
        def call(self, x):
            for _ in range(repeat):  # a chain, so none is skipped
                x = keras.ops.matmul(x, b)[:, :inner]
            return x

    model = Products()
    model.predict_on_batch(a)
    calls, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        model.predict_on_batch(a)
        calls += 1
    elapsed = time.perf_counter() - start
    return 2 * rows * inner * cols * repeat * calls / elapsed / 1e9


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model")
    parser.add_argument("--test", required=True)
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--record")
    args = parser.parse_args(argv)

    import keras

    import seqlab
    from seqlab.saving import _model_file

    tagger = seqlab.load_model(_model_file(args.model), compile=False)
    sentences = conll_sentences(args.test)
    tagger.tag(sentences, batch_size=256)  # warm-up: every shape traced
    speeds = []
    for _ in range(args.passes):
        start = time.perf_counter()
        tagger.tag(sentences, batch_size=256)
        speeds.append(len(sentences) / (time.perf_counter() - start))
    seconds = len(sentences) / statistics.median(speeds)

    # The recurrent kernels: (inputs, gates * units) and (units, gates * units).
    layers = {}
    for weight in tagger.weights:
        layer, name = weight.path.rsplit("/", 1)
        if name in ("kernel", "recurrent_kernel") and "encoder/" in weight.path:
            layers.setdefault(layer, {})[name] = tuple(weight.shape)
    # The shapes Tagger.tag actually ran (its padding depends on the backend).
    shapes, decode = [], tagger._decode
    tagger._decode = lambda x, *helper: shapes.append(
        (x["words"] if isinstance(x, dict) else x).shape) or decode(x, *helper)
    tagger.tag(sentences, batch_size=256)
    tagger._decode = decode
    padded_tokens = sum(rows * width for rows, width in shapes)
    tokens = sum(map(len, sentences))
    flop = sum(2 * padded_tokens * (k["kernel"][0] + k["recurrent_kernel"][0])
               * k["kernel"][1] for k in layers.values())
    inputs, gated = next(iter(layers.values()))["kernel"]
    units = next(iter(layers.values()))["recurrent_kernel"][0]
    step_rate = matmul_rate(256, inputs + units, gated)
    large_rate = matmul_rate(2048, 1024, 1024)
    record = {
        "benchmark": "decode_roofline", "model": args.model, "test": args.test,
        "backend": keras.backend.backend(), "sentences": len(sentences),
        "tag_sentences_per_s": statistics.median(speeds), "passes": speeds,
        "recurrent_layers": len(layers), "tokens": tokens, "padded_tokens": padded_tokens,
        "batch_shapes": shapes,
        "recurrent_gflop": flop / 1e9,
        "step_shape_gflop_per_s": step_rate, "large_gemm_gflop_per_s": large_rate,
        "recurrent_seconds_at_step_rate": flop / 1e9 / step_rate,
        "sentences_per_s_bound_at_step_rate": len(sentences) / (flop / 1e9 / step_rate),
        "share_of_time_recurrent_products_at_step_rate": flop / 1e9 / step_rate / seconds,
        "date": time.strftime("%Y-%m-%d"), "machine": machine()}
    print(f"Tagger.tag: {record['tag_sentences_per_s']:,.0f} sentences/s ({seconds:.2f} s a pass); "
          f"recurrent products: {record['recurrent_gflop']:.1f} GFLOP over {padded_tokens:,} "
          f"positions ({tokens:,} tokens); matmul at the step's shape {step_rate:.0f} GFLOP/s (large: "
          f"{large_rate:.0f}), so those products alone take "
          f"{record['recurrent_seconds_at_step_rate']:.2f} s "
          f"({100 * record['share_of_time_recurrent_products_at_step_rate']:.0f}% of the pass; "
          f"at most {record['sentences_per_s_bound_at_step_rate']:,.0f} sentences/s).")
    emit(record, args.record)


if __name__ == "__main__":
    main()
