"""Training throughput of seqlab's models against plain Keras and PyTorch
models of the same shape, in one process, timed in interleaved rounds.

    python benchmarks/throughput.py [--quick] [--rows tagger_2x100_b32,lm_2x650_b20]
        [--rounds 3] [--seconds 6] [--peer-mask] [--seqlab-unmasked] [--per-step-read]
        [--no-torch] [--results out.json]

The backend is Keras's (KERAS_BACKEND=tensorflow or jax). seqlab trains as
`seqlab train` does: its own compile (Adam wrapped in
GradientClippingOptimizer, global-norm clipping at 5, the on-device
statistics) and its run pipeline's `TrainingMonitor`. The Keras peer
is Keras's own layers with Adam(global_clipnorm=5); the PyTorch peer (if
torch is installed: `pip install -e ".[peer]"`) is the same shape with
`clip_grad_norm_(5)`. Data are random ids without padding. Each round times
every model for about `--seconds` of steps after a warm-up, in turn (in an
order drawn afresh each round, so that no model always follows the same
one); the figure is the median over rounds, in tokens per second (sequences
per second x length for the ReLU rows), and the ratio of the fastest rounds
beside it (interference only slows a round down). The JSON's
`ratio_keras_paired` is the median over rounds of each round's ratio: the
two models of a round ran seconds apart, so a slow spell of the machine
moves both. The last line is JSON with every figure and the ratios seqlab /
peer.

Small rows under JAX are best timed on one core (`taskset -c 1`): the
rounds then differ by a few percent instead of 20-45%. Not TensorFlow,
whose thread pools on one core make a step of `tiny` take 6-9 ms instead of
about 3, and whose ratios then moved between 0.6 and 1.6 from one run to
the next.
"""

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time

import numpy as np

#: name -> shape. kind: tagger (BiLSTM, 9 tags), lm (LSTM LM), relu (ReLU RNN
#: regression over T steps of 2 features, the adding problem's shape).
ROWS = {
    "tagger_2x100_b32": dict(kind="tagger", units=100, depth=2, batch=32, length=40,
                             vocab=20000, embed=100, tags=9),
    "tagger_2x256_b256": dict(kind="tagger", units=256, depth=2, batch=256, length=40,
                              vocab=20000, embed=100, tags=9),
    "lm_2x650_b20": dict(kind="lm", units=650, depth=2, batch=20, length=35, vocab=10000),
    "lm_2x650_b128": dict(kind="lm", units=650, depth=2, batch=128, length=35, vocab=10000),
    "relu_T200_b32": dict(kind="relu", units=100, depth=1, batch=32, length=200),
    "relu_T200_b256": dict(kind="relu", units=100, depth=1, batch=256, length=200),
    "tiny": dict(kind="tagger", units=8, depth=1, batch=8, length=10, vocab=100, embed=8,
                 tags=3),
}
QUICK_SHRINK = {"tagger_2x256_b256": dict(batch=64), "lm_2x650_b128": dict(batch=32)}


def data(row, steps, seed=0):
    """``steps`` batches of random inputs and targets (no padding)."""
    rng = np.random.default_rng(seed)
    shape = (steps * row["batch"], row["length"])
    if row["kind"] == "relu":
        x = rng.random(shape + (2,), dtype=np.float32)
        return x, x[:, :, 0].mean(axis=1).astype("float32")
    x = rng.integers(1, row["vocab"], size=shape).astype("int32")
    y = (rng.integers(0, row["tags"], size=shape) if row["kind"] == "tagger"
         else rng.integers(1, row["vocab"], size=shape)).astype("int32")
    return x, y


def seqlab_model(row):
    import keras

    import seqlab
    from seqlab.diagnostics import sequence_regressor
    from seqlab.clipping import GradientClippingOptimizer

    clipper = {"name": "global_norm", "threshold": 5.0}
    if row["kind"] == "tagger":
        model = seqlab.Tagger(vocab_size=row["vocab"], num_tags=row["tags"], cell="lstm",
                              units=row["units"], depth=row["depth"],
                              embedding_dim=row["embed"])
    elif row["kind"] == "lm":
        model = seqlab.LanguageModel(vocab_size=row["vocab"], cell="lstm", units=row["units"],
                                     depth=row["depth"], stream_batch_size=row["batch"])
    else:
        model = sequence_regressor("relu", units=row["units"])
        model.compile(optimizer=GradientClippingOptimizer(keras.optimizers.Adam(1e-3), clipper),
                      loss="mse")
        return model
    model.compile(optimizer=keras.optimizers.Adam(1e-3), clipper=clipper)
    return model


def keras_model(row, mask=False):
    """The plain Keras peer; ``mask=True`` masks padding (``mask_zero``) as
    seqlab's models always do (the data have none: only the cost differs)."""
    import keras
    from keras import layers

    optimizer = keras.optimizers.Adam(1e-3, global_clipnorm=5.0)
    if row["kind"] == "relu":
        inputs = keras.Input((None, 2))
        x = layers.SimpleRNN(row["units"], activation="relu")(inputs)
        model = keras.Model(inputs, keras.ops.squeeze(layers.Dense(1)(x), -1))
        model.compile(optimizer=optimizer, loss="mse")
        return model
    inputs = keras.Input((None,), dtype="int32")
    x = layers.Embedding(row["vocab"], row.get("embed", row["units"]), mask_zero=mask)(inputs)
    for _ in range(row["depth"]):
        rnn = layers.LSTM(row["units"], return_sequences=True)
        x = layers.Bidirectional(rnn)(x) if row["kind"] == "tagger" else rnn(x)
    outputs = layers.Dense(row["tags"] if row["kind"] == "tagger" else row["vocab"])(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=optimizer,
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def seqlab_callbacks(row):
    """The callback seqlab's run pipeline adds to every ``fit`` that could
    cost time per step (the others act per epoch): it reads its counters at
    epoch ends only, so it is here to prove that it costs nothing."""
    from seqlab.callbacks import TrainingMonitor

    return [TrainingMonitor()]


def step_loss_reader():
    """What seqlab's NaN check did before 2026-11-27: a callback reading the
    loss after every step (any per-step hook makes Keras convert every
    step's logs and, on JAX, stops asynchronous dispatch). Only for
    `--per-step-read`."""
    import keras

    class StepLossReader(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            float((logs or {}).get("loss", 0.0))

    return StepLossReader()


class KerasRunner:
    """Times ``fit`` on one model: each call runs whole epochs of ``steps``."""

    def __init__(self, model, row, steps, callbacks=()):
        self.model, self.row, self.steps = model, row, steps
        self.x, self.y = data(row, steps)
        self.callbacks = list(callbacks)

    def resize(self, steps):
        self.steps = steps
        self.x, self.y = data(self.row, steps)

    def run(self, epochs=1):
        start = time.perf_counter()
        self.model.fit(self.x, self.y, batch_size=self.row["batch"], epochs=epochs,
                       shuffle=False, verbose=0, callbacks=self.callbacks)
        return time.perf_counter() - start


class TorchRunner:
    """The same shape in PyTorch: one step = forward, backward, clip, Adam."""

    def __init__(self, row, steps):
        import torch

        self.torch, self.row, self.steps = torch, row, steps
        self.device = "cuda" if torch.cuda.is_available() else "cpu"
        self.model = self._model().to(self.device)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=1e-3)
        self.resize(steps)

    def resize(self, steps):
        self.steps = steps
        x, y = data(self.row, steps)
        torch = self.torch
        self.x = torch.as_tensor(x).to(self.device)
        self.y = torch.as_tensor(y if self.row["kind"] == "relu"
                                 else y.astype("int64")).to(self.device)

    def _model(self):
        nn, row = self.torch.nn, self.row

        class Model(nn.Module):
            def __init__(self):
                super().__init__()
                kind = row["kind"]
                if kind == "relu":
                    self.embed = None
                    self.rnn = nn.RNN(2, row["units"], nonlinearity="relu", batch_first=True)
                    self.out = nn.Linear(row["units"], 1)
                else:
                    width = row.get("embed", row["units"])
                    self.embed = nn.Embedding(row["vocab"], width)
                    both = kind == "tagger"
                    self.rnn = nn.LSTM(width, row["units"], num_layers=row["depth"],
                                       batch_first=True, bidirectional=both)
                    self.out = nn.Linear(row["units"] * (2 if both else 1),
                                         row["tags"] if both else row["vocab"])

            def forward(self, x):
                hidden, _ = self.rnn(self.embed(x) if self.embed is not None else x)
                if self.embed is None:
                    return self.out(hidden[:, -1])[:, 0]
                return self.out(hidden)

        return Model()

    def run(self, epochs=1):
        torch, batch = self.torch, self.row["batch"]
        loss_fn = (torch.nn.MSELoss() if self.row["kind"] == "relu"
                   else torch.nn.CrossEntropyLoss())
        start = time.perf_counter()
        for _ in range(epochs):
            for i in range(0, len(self.x), batch):
                x, y = self.x[i:i + batch], self.y[i:i + batch]
                self.optimizer.zero_grad(set_to_none=True)
                out = self.model(x)
                loss = loss_fn(out.reshape(-1, out.shape[-1]) if out.dim() == 3 else out,
                               y.reshape(-1) if out.dim() == 3 else y)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(self.model.parameters(), 5.0)
                self.optimizer.step()
        if self.device == "cuda":
            torch.cuda.synchronize()
        return time.perf_counter() - start


def calibrate(runner, seconds):
    """Steps per timed epoch so that one takes about ``seconds``."""
    elapsed = runner.run()  # warm-up: compiles, builds
    elapsed = runner.run()
    per_step = elapsed / runner.steps
    return max(runner.steps, int(seconds / max(per_step, 1e-6)))


def unmasked_seqlab_model(row):
    """seqlab's tagger reading both directions unmasked, as on a GPU or TPU
    (`StackedBidirectional.read_unmasked`): each row's real steps reversed
    for the backward direction, instead of Keras's masked loop."""
    model = seqlab_model(row)
    model.encoder.read_unmasked = True
    return model


def measure(name, row, rounds, seconds, steps, with_torch, per_step_read=False,
            peer_mask=False, seqlab_unmasked=False):
    import keras

    keras.utils.set_random_seed(0)
    runners = {"seqlab": KerasRunner(seqlab_model(row), row, steps, seqlab_callbacks(row)),
               "keras": KerasRunner(keras_model(row), row, steps)}
    if peer_mask and row["kind"] != "relu":
        runners["keras_masked"] = KerasRunner(keras_model(row, mask=True), row, steps)
    if seqlab_unmasked and row["kind"] == "tagger":
        runners["seqlab_unmasked"] = KerasRunner(unmasked_seqlab_model(row), row, steps,
                                                 seqlab_callbacks(row))
    if per_step_read:
        runners["seqlab_per_step_read"] = KerasRunner(
            seqlab_model(row), row, steps, seqlab_callbacks(row) + [step_loss_reader()])
    if with_torch:
        runners["torch"] = TorchRunner(row, steps)
    for runner in runners.values():
        # one timed epoch of enough steps for about `seconds`: the same
        # batch shapes, so nothing compiles again
        runner.resize(calibrate(runner, seconds))
    times = {key: [] for key in runners}
    order = random.Random(0)
    for _ in range(rounds):
        keys = list(runners)
        order.shuffle(keys)
        for key in keys:
            times[key].append(runners[key].run())
    tokens = {key: runners[key].steps * row["batch"] * row["length"] for key in runners}
    speed = {key: tokens[key] / statistics.median(times[key]) for key in runners}
    # The fastest round of each model: on a shared machine interference only
    # slows a round down, so the best rounds compare the undisturbed speeds
    # (TensorFlow's rounds of one model on 2 cores differed by up to 114%).
    best = {key: tokens[key] / min(times[key]) for key in runners}

    def paired(key):
        # The median of each round's own speed ratio, key / plain Keras.
        return round(statistics.median(
            [k / t for k, t in zip(times["keras"], times[key])])
            * runners[key].steps / runners["keras"].steps, 3)

    result = {"name": name, "backend": keras.backend.backend(),
              "seqlab": round(speed["seqlab"]), "keras": round(speed["keras"]),
              "torch": round(speed["torch"]) if "torch" in speed else None,
              "ratio_keras": round(speed["seqlab"] / speed["keras"], 3),
              "ratio_keras_best": round(best["seqlab"] / best["keras"], 3),
              "ratio_keras_paired": paired("seqlab"),
              "ratio_torch_best": (round(best["seqlab"] / best["torch"], 3)
                                   if "torch" in best else None),
              "ratio_torch": (round(speed["seqlab"] / speed["torch"], 3)
                              if "torch" in speed else None),
              "unit": "tokens/s", "shape": row,
              **({"keras_masked": round(speed["keras_masked"]),
                  "ratio_keras_masked": round(speed["seqlab"] / speed["keras_masked"], 3)}
                 if "keras_masked" in speed else {}),
              **({"seqlab_unmasked": round(speed["seqlab_unmasked"]),
                  "ratio_keras_unmasked": round(speed["seqlab_unmasked"] / speed["keras"], 3),
                  "ratio_keras_unmasked_paired": paired("seqlab_unmasked")}
                 if "seqlab_unmasked" in speed else {}),
              **({"seqlab_per_step_read": round(speed["seqlab_per_step_read"]),
                  "per_step_read_slowdown": round(
                      speed["seqlab"] / speed["seqlab_per_step_read"], 3)}
                 if per_step_read else {}),
              "spread": {k: round(max(v) / min(v) - 1, 3) for k, v in times.items()}}
    print(f"{name:18s} {result['backend']:10s} seqlab {result['seqlab']:>9,}  keras "
          f"{result['keras']:>9,}  torch {result['torch'] or 0:>9,}  "
          f"x keras {result['ratio_keras']:.2f} (best rounds {result['ratio_keras_best']:.2f}, "
          f"paired {result['ratio_keras_paired']:.2f})"
          + (f"  x torch {result['ratio_torch']:.2f}" if result["torch"] else "")
          + (f"  keras masked {result['keras_masked']:,} (x {result['ratio_keras_masked']:.2f})"
             if "keras_masked" in result else "")
          + (f"  seqlab unmasked {result['seqlab_unmasked']:,} (x keras "
             f"{result['ratio_keras_unmasked']:.2f}, paired {result['ratio_keras_unmasked_paired']:.2f})"
             if "seqlab_unmasked" in result else "")
          + (f"  per-step read: {result['seqlab_per_step_read']:,} "
             f"({result['per_step_read_slowdown']:.2f}x slower)" if per_step_read else ""),
          flush=True)
    return result


def machine():
    try:
        import jax

        devices = [d.device_kind for d in jax.devices()]
    except Exception:  # noqa: BLE001 - jax absent or without devices
        devices = []
    cpu = platform.processor() or platform.machine()
    if os.path.exists("/proc/cpuinfo"):
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {"cpu": cpu, "cores": os.cpu_count(), "devices": devices}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", help=f"comma-separated, of: {', '.join(ROWS)}")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=6.0,
                        help="the length of one timed epoch of each model")
    parser.add_argument("--quick", action="store_true",
                        help="every row briefly: 1 round of about 1.5 s, smaller big batches")
    parser.add_argument("--no-torch", action="store_true")
    parser.add_argument("--peer-mask", action="store_true",
                        help="also time the plain Keras peer with mask_zero=True, as "
                             "seqlab masks padding")
    parser.add_argument("--seqlab-unmasked", action="store_true",
                        help="also time seqlab's taggers reading both directions unmasked, "
                             "as on a GPU or TPU")
    parser.add_argument("--per-step-read", action="store_true",
                        help="also time seqlab with a callback that reads the loss after "
                             "every step, as its NaN check did before 2026-11-27")
    parser.add_argument("--results", help="also write the JSON here")
    args = parser.parse_args(argv)
    names = args.rows.split(",") if args.rows else list(ROWS)
    unknown = [n for n in names if n not in ROWS]
    if unknown:
        sys.exit(f"throughput.py: unknown row {unknown[0]!r}; rows: {', '.join(ROWS)}")
    if args.quick:
        args.rounds, args.seconds = 1, 1.5
    try:
        import torch  # noqa: F401
        with_torch = not args.no_torch
    except ImportError:
        with_torch = False
        print("PyTorch is not installed (pip install -e '.[peer]'): no torch column.",
              file=sys.stderr)
    start = time.time()
    rows = []
    for name in names:
        row = dict(ROWS[name], **(QUICK_SHRINK.get(name, {}) if args.quick else {}))
        rows.append(measure(name, row, args.rounds, args.seconds, 5, with_torch,
                            args.per_step_read, args.peer_mask, args.seqlab_unmasked))
    summary = {"benchmark": "throughput", "rows": rows, "rounds": args.rounds,
               "cpus_allowed": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
               else os.cpu_count(),
               "seconds": args.seconds, "quick": args.quick, "machine": machine(),
               "wall_time_s": round(time.time() - start, 1),
               "date": time.strftime("%Y-%m-%d")}
    if args.results:
        with open(args.results, "w", encoding="utf-8") as handle:
            json.dump(summary, handle, indent=1)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
