"""Issue 25, item 5: what the lm_embeddings encoder costs the default tagger.

    python benchmarks/lm_embeddings_cost.py [--data ../shared/data/conll2003]
        [--scheme iob1] [--forward FW.keras --backward BW.keras | --units 256 --depth 1]
        [--steps 40] [--passes 3] [--record benchmarks/results/lm_embeddings_cost.jsonl]

Two taggers of the default recipe's shape (word embedding, character CNN,
BiLSTM, CRF; ``seqlab.TaggerConfig``'s defaults, random word vectors) are
built on CoNLL-2003's training data, one with and one without an
``lm_embeddings`` encoder over a forward and a backward character model.
Without ``--forward``/``--backward`` the models are built here with random
weights (``--units``, ``--depth``, an embedding of ``--embedding-dim``)
over the training text's characters: the cost does not depend on the
weights. For each tagger:

- **decoding**: ``Tagger.tag`` of the test split (3,453 sentences) in
  batches of 256, sentences/s, the median of ``--passes`` passes after a
  warm-up, the two taggers alternating so that drift hits both alike;
- **training**: seconds per training step at the default batch size,
  timed over ``--steps`` steps after a first call that traces the step,
  and the epoch this makes (steps per epoch times that).

Prints a Markdown table and one JSON line (appended to ``--record``). Run
it alone: on 2 cores a second busy process halves whichever side it meets.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from ner_conll2003 import emit, machine  # noqa: E402

DATA = os.path.join(HERE, "..", "..", "shared", "data", "conll2003")


def random_char_lms(sentences, folder, units, depth, embedding_dim):
    """A forward and a backward character LM with random weights over the
    characters of ``sentences``."""
    import keras

    import seqlab
    from seqlab.data.corpus import build_vocabulary

    vocabulary = build_vocabulary([list(" ".join(s.tokens)) + ["<eos>"] for s in sentences],
                                  unit="char")
    paths = []
    for direction in ("forward", "backward"):
        model = seqlab.LanguageModel(cell="lstm", units=units, depth=depth,
                                     embedding_dim=embedding_dim, vocabulary=vocabulary,
                                     unit="char", direction=direction)
        model(np.zeros((1, 2), "int32"))
        paths.append(os.path.join(folder, f"{direction}.keras"))
        model.save(paths[-1])
    keras.backend.clear_session()
    return paths


def build(data, scheme, output, encoders):
    import seqlab
    from seqlab.distribution import setup
    from seqlab.tagging import TaggerTask

    config = seqlab.load_config(data={
        "output": output,
        "data": {"train": os.path.join(data, "train.txt"),
                 "dev": os.path.join(data, "valid.txt"),
                 "test": os.path.join(data, "test.txt"), "scheme": scheme},
        "model": {"encoders": encoders}})
    task = TaggerTask(config)
    task.use_distribution(setup(config.distribution))
    task.read_data()
    return task, task.build_model()


def step_seconds(task, model, steps):
    """Seconds per training step (after a first call that traces it), and
    the steps of an epoch."""
    fit = task.fit_data(model, 0)
    batches = fit["x"]
    model.fit(batches, steps_per_epoch=2, epochs=1, verbose=0, shuffle=False)  # trace
    start = time.perf_counter()
    model.fit(batches, steps_per_epoch=steps, epochs=1, verbose=0, shuffle=False)
    return (time.perf_counter() - start) / steps, fit["steps_per_epoch"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=DATA)
    parser.add_argument("--scheme", default="iob1", help="the data's tag scheme")
    parser.add_argument("--forward")
    parser.add_argument("--backward")
    parser.add_argument("--units", type=int, default=256)
    parser.add_argument("--depth", type=int, default=1)
    parser.add_argument("--embedding-dim", type=int, default=32)
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--record", help="append the JSON line to this file")
    args = parser.parse_args(argv)

    import keras

    import seqlab
    from seqlab.tagging import read_tagged

    folder = tempfile.mkdtemp(prefix="lm-embeddings-cost-")
    base = seqlab.load_config(data={"data": {
        "train": os.path.join(args.data, "train.txt"),
        "dev": os.path.join(args.data, "valid.txt"), "scheme": args.scheme}})
    default = list(base.model.encoders)
    lm_files = [args.forward, args.backward]
    if not all(lm_files):
        data = base.data
        lm_files = random_char_lms(read_tagged(data.train, data), folder, args.units,
                                   args.depth, args.embedding_dim)
    taggers = {}
    for name, encoders in (("default", default), ("default + lm_embeddings", default + [{
            "name": "lm_embeddings", "forward": lm_files[0], "backward": lm_files[1]}])):
        task, model = build(args.data, args.scheme, os.path.join(folder, name.replace(" ", "")), encoders)
        taggers[name] = (task, model)
    test = [s.tokens for s in next(iter(taggers.values()))[0].test]
    for task, model in taggers.values():
        model.tag(test, batch_size=256)  # warm-up: traces
    speeds = {name: [] for name in taggers}
    for _ in range(args.passes):
        for name, (task, model) in taggers.items():
            start = time.perf_counter()
            model.tag(test, batch_size=256)
            speeds[name].append(len(test) / (time.perf_counter() - start))
    rows = {}
    for name, (task, model) in taggers.items():
        per_step, steps = step_seconds(task, model, args.steps)
        rows[name] = {"sentences_per_s": statistics.median(speeds[name]),
                      "passes": speeds[name], "step_seconds": per_step,
                      "steps_per_epoch": steps, "epoch_seconds": per_step * steps,
                      "parameters": model.count_params(),
                      "trainable_parameters": sum(int(np.prod(w.shape))
                                                  for w in model.trainable_weights)}
    lm = seqlab.load_model(lm_files[0], compile=False)
    print(f"| tagger | decoding, sentences/s (median of {args.passes}) | training step | "
          f"epoch ({rows['default']['steps_per_epoch']} steps) | parameters (trainable) |")
    print("| --- | --- | --- | --- | --- |")
    for name, row in rows.items():
        print(f"| {name} | {row['sentences_per_s']:,.0f} | {row['step_seconds'] * 1000:.0f} ms | "
              f"{row['epoch_seconds']:.0f} s | {row['parameters']:,} "
              f"({row['trainable_parameters']:,}) |")
    record = {"benchmark": "lm_embeddings_cost", "backend": keras.backend.backend(),
              "language_models": {"files": [args.forward, args.backward]
                                  if args.forward else "random weights",
                                  "units": lm.decoder.units, "depth": lm.decoder.depth,
                                  "embedding_dim": lm.embedding_dim,
                                  "characters": lm.vocab_size},
              "test_sentences": len(test), "rows": rows,
              "date": time.strftime("%Y-%m-%d"), "machine": machine()}
    emit(record, args.record)


if __name__ == "__main__":
    main()
