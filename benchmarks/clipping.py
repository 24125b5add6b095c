"""Exploding gradients and the clipping strategies (BENCHMARKS.md, section 4).

    python benchmarks/clipping.py [--steps 1500] [--output docs/images] [--quick]

A configuration that diverges without clipping: a tanh RNN (100 units) on the
adding problem (T = 50) whose recurrent weights start at 1.5 times a random
orthogonal matrix, so the products of Jacobians blow up, trained with plain
SGD (learning rate 0.1, batch 32). The same run (same initial weights, same
batches) is repeated with each clipper: `none`, `global_norm` (Pascanu et al.
2013), `value` (Mikolov's element-wise clipping) and `adaptive_norm`
(threshold = factor x running mean of the recorded norms, at most 1.0; and
once more without that bound). Writes
clipping.json (per-step loss, gradient norm and clipping for each) and
clipping.png (loss curves on one plot, gradient norms below), and prints one
JSON line last: per clipper the final loss (mean of the last 100 steps),
whether it diverged (a non-finite loss), the step it did, and how often
clipping fired.
"""

import argparse
import json
import math
import os
import sys
import time

import numpy as np

CLIPPERS = {
    "none": "none",
    "global_norm": {"name": "global_norm", "threshold": 1.0},
    "value": {"name": "value", "threshold": 0.1},
    "adaptive_norm": {"name": "adaptive_norm", "factor": 2.0, "decay": 0.99,
                      "max_threshold": 1.0},
    # The same without a bound: the first step has no statistics to go by.
    "adaptive_norm_unbounded": {"name": "adaptive_norm", "factor": 2.0, "decay": 0.99},
}
SETUP = {"cell": {"name": "elman", "activation": "tanh"}, "units": 100, "T": 50,
         "recurrent_initializer": {"name": "orthogonal", "gain": 1.5},
         "optimizer": "sgd", "learning_rate": 0.1, "batch": 32}


def train(clipper, steps, seed):
    import keras
    import seqlab
    from seqlab.diagnostics import GradientStatistics, adding_problem, sequence_regressor

    keras.utils.set_random_seed(seed)
    model = sequence_regressor(SETUP["cell"], SETUP["units"],
                               recurrent_initializer=SETUP["recurrent_initializer"])
    model.compile(optimizer=seqlab.GradientClippingOptimizer(
        keras.optimizers.SGD(SETUP["learning_rate"]), clipper), loss="mse")
    stats = GradientStatistics()
    stats.set_model(model)
    stats.on_train_begin()
    stats.on_epoch_begin(0)
    diverged_at = None
    for step in range(steps):
        x, y = adding_problem(SETUP["batch"], SETUP["T"], seed=seed * 1_000_000 + step)
        loss = float(model.train_on_batch(x, y))
        stats.on_train_batch_end(step, {"loss": loss})
        if not math.isfinite(loss):
            diverged_at = step + 1
            break
    losses = [s["loss"] for s in stats.steps]
    tail = [v for v in losses[-100:] if math.isfinite(v)]
    final = float(np.mean(tail)) if tail and diverged_at is None else None
    return {"final_loss": final,
            "diverged": diverged_at is not None, "diverged_at_step": diverged_at,
            # worse than predicting the mean (1/6): it learned nothing useful
            "worse_than_constant": final is None or final > 1 / 6,
            "summary": stats.summary(), "steps": stats.steps}


TOP = 100.0  # the loss axis stops here: a diverging run leaves the plot


def _round(value):
    if isinstance(value, bool) or value is None:
        return value
    return float(f"{value:.4g}") if math.isfinite(value) else str(value)


def plot(results, path):
    from seqlab.plots import pyplot, save_figure

    plt = pyplot()
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(7.5, 6), sharex=True)
    for name, result in results.items():
        steps = [s["step"] for s in result["steps"]]
        losses = np.asarray([s["loss"] for s in result["steps"]], dtype=float)
        finite = np.isfinite(losses)
        clean = np.where(finite, losses, np.nan)
        smooth = np.asarray([np.nanmean(clean[max(0, i - 19):i + 1]) if finite[i] else np.nan
                             for i in range(len(clean))])
        line, = top.plot(np.asarray(steps)[finite], smooth[finite], lw=1.3,
                         label=name + (f" (diverged at step {result['diverged_at_step']})"
                                       if result["diverged"] else ""))
        if result["diverged"]:
            top.plot([result["diverged_at_step"]], [TOP * 0.7], "x",
                     color=line.get_color(), ms=10, mew=2)
        norms = np.asarray([s["gradient_norm"] for s in result["steps"]], dtype=float)
        bottom.plot(steps, np.where(np.isfinite(norms), norms, np.nan), lw=0.7,
                    color=line.get_color(), alpha=0.8)
        thresholds = [s.get("threshold") for s in result["steps"]]
        # value clips each entry: its threshold is not a norm
        if name != "value" and any(t is not None and math.isfinite(t) for t in thresholds):
            bottom.plot(steps, [t if t is not None and math.isfinite(t) else np.nan
                                for t in thresholds],
                        ls="--", lw=1, color=line.get_color())
    top.axhline(1 / 6, color="grey", ls="--", lw=1, label="predict the mean (0.167)")
    top.set_yscale("log")
    top.set_ylim(0.05, TOP)
    top.set_ylabel(f"training MSE (20-step mean;\n cut at {TOP:g})")
    top.set_title("Adding problem T=50, tanh RNN, recurrent init 1.5 x orthogonal, SGD 0.1")
    top.legend(fontsize=8)
    bottom.set_yscale("log")
    bottom.set_ylabel("gradient norm (before clipping;\n dashed: threshold)")
    bottom.set_xlabel("training step")
    fig.tight_layout()
    save_figure(fig, path)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--output", default="docs/images",
                        help="folder for clipping.json and clipping.png")
    parser.add_argument("--quick", action="store_true", help="100 steps: a smoke test")
    parser.add_argument("--replot", action="store_true",
                        help="only redraw clipping.png from the clipping.json in --output")
    args = parser.parse_args(argv)
    if args.replot:
        with open(os.path.join(args.output, "clipping.json")) as handle:
            saved = json.load(handle)["results"]
        results = {name: {**r, "steps": [
            {"step": i + 1, **{key: (float(r[key][i]) if isinstance(r[key][i], str)
                                     else r[key][i]) for key in
                               ("loss", "gradient_norm", "clipped", "threshold")}}
            for i in range(len(r["loss"]))]} for name, r in saved.items()}
        plot(results, os.path.join(args.output, "clipping.png"))
        return 0
    steps = 100 if args.quick else args.steps
    import keras

    wall = time.perf_counter()
    results = {}
    for name, clipper in CLIPPERS.items():
        results[name] = train(clipper, steps, args.seed)
        r = results[name]
        outcome = (f"diverged at step {r['diverged_at_step']}" if r["diverged"]
                   else f"final MSE {r['final_loss']:.4f}")
        print(f"{name:13s} {outcome}; clipped on "
              f"{100 * r['summary']['clipped_fraction']:.0f}% of steps", flush=True)
    os.makedirs(args.output, exist_ok=True)
    with open(os.path.join(args.output, "clipping.json"), "w") as handle:
        json.dump({"setup": SETUP, "clippers": CLIPPERS, "results": {
            name: {**{k: v for k, v in r.items() if k != "steps"},
                   **{key: [_round(s.get(key)) for s in r["steps"]]
                      for key in ("loss", "gradient_norm", "clipped", "threshold")}}
            for name, r in results.items()}}, handle)
    plot(results, os.path.join(args.output, "clipping.png"))
    print(json.dumps({
        "benchmark": "clipping", "setup": SETUP, "clippers": CLIPPERS, "steps": steps,
        "results": {name: {k: v for k, v in r.items() if k != "steps"}
                    for name, r in results.items()},
        "quick": args.quick, "wall_s": time.perf_counter() - wall,
        "backend": keras.backend.backend()}))


if __name__ == "__main__":
    sys.exit(main())
