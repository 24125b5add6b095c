"""The adding problem: which cells learn long-range dependencies (BENCHMARKS.md, section 4).

    python benchmarks/adding_problem.py [--steps 150,200,300,400] [--cells tanh,irnn,lstm]
        [--max-steps 20000] [--time-budget SECONDS] [--quick]

For every sequence length T and cell: a 100-unit recurrent layer read at the
last step and a linear output, trained on fresh random batches (Le, Jaitly &
Hinton 2015's setup, with Adam instead of plain SGD) with global-norm
clipping; the learning rates and thresholds per cell are in CELLS and in the
JSON. Every --eval-every steps the model is scored on 1,000 validation
sequences; a run stops once that MSE is below --stop-at, or at --max-steps,
or when its share of --time-budget is spent. The test MSE is then measured on
10,000 fresh sequences. Predicting a constant scores 0.167; "solved" means
test MSE < 0.01.

Meant for the GPU machine (KERAS_BACKEND=jax, ../shared/gpu/README.md). Prints
a line per run and, last, one JSON line with one row per run (cell, T,
test_mse, solved, steps, seconds) and the settings. --results also writes it
to a file after every run, so a run cut short keeps what finished.
"""

import argparse
import json
import os
import platform
import sys
import time

import numpy as np

CELLS = {
    # name: (cell spec, Adam learning rate, global-norm clip threshold)
    "tanh": ({"name": "elman", "activation": "tanh"}, 1e-3, 1.0),
    "irnn": ("irnn", 3e-4, 1.0),
    "lstm": ("lstm", 1e-3, 1.0),
}
BASELINE_MSE = 1.0 / 6.0


def machine():
    try:
        import jax
        devices = [d.device_kind for d in jax.devices() if d.platform == "gpu"]
        if devices:
            return devices[0]
    except Exception:  # noqa: BLE001 - no JAX or no GPU: describe the CPU
        pass
    return f"{platform.processor() or platform.machine()} ({os.cpu_count()} cores)"


def run(cell_name, steps, args, budget_s):
    import keras
    import seqlab
    from seqlab.diagnostics import adding_problem, sequence_regressor

    spec, learning_rate, threshold = CELLS[cell_name]
    keras.utils.set_random_seed(args.seed)
    model = sequence_regressor(spec, units=args.units)
    model.compile(optimizer=seqlab.GradientClippingOptimizer(
        keras.optimizers.Adam(learning_rate),
        {"name": "global_norm", "threshold": threshold}), loss="mse")
    valid_x, valid_y = adding_problem(1000, steps, seed=10_000 + args.seed)
    rng_seed = [args.seed * 1_000_003 + steps]

    def batches():
        while True:
            rng_seed[0] += 1
            yield adding_problem(args.batch, steps, seed=rng_seed[0])

    start = time.perf_counter()
    curve, trained = [], 0
    data = batches()
    while trained < args.max_steps:
        model.fit(data, steps_per_epoch=args.eval_every, epochs=1, verbose=0)
        trained += args.eval_every
        mse = float(model.evaluate(valid_x, valid_y, batch_size=500, verbose=0))
        curve.append([trained, mse])
        elapsed = time.perf_counter() - start
        if not np.isfinite(mse) or mse < args.stop_at or elapsed > budget_s:
            break
    test_x, test_y = adding_problem(10_000, steps, seed=20_000 + args.seed)
    test_mse = float(model.evaluate(test_x, test_y, batch_size=500, verbose=0))
    return {"cell": cell_name, "T": steps, "test_mse": test_mse,
            "solved": bool(test_mse < 0.01), "steps": trained,
            "examples": trained * args.batch, "seconds": time.perf_counter() - start,
            "learning_rate": learning_rate, "clip_threshold": threshold,
            "curve": curve}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", default="150,200,300,400",
                        help="sequence lengths T, comma-separated")
    parser.add_argument("--cells", default="tanh,irnn,lstm")
    parser.add_argument("--units", type=int, default=100)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--max-steps", type=int, default=20000, help="training steps per run")
    parser.add_argument("--eval-every", type=int, default=250)
    parser.add_argument("--stop-at", type=float, default=0.002,
                        help="stop a run once the validation MSE is below this")
    parser.add_argument("--time-budget", type=float, default=0,
                        help="seconds for all runs together (0: no limit); each run "
                             "gets a share of the time left, weighted by T")
    parser.add_argument("--lr", action="append", default=[], metavar="CELL=RATE",
                        help="override a cell's learning rate, e.g. --lr irnn=1e-3")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quick", action="store_true",
                        help="T = 20 and 40, a few hundred steps: a smoke test")
    parser.add_argument("--results", help="write the JSON line here after every run")
    args = parser.parse_args(argv)
    lengths = [20, 40] if args.quick else [int(t) for t in args.steps.split(",")]
    if args.quick:
        args.max_steps, args.eval_every = 100, 50
    for override in args.lr:
        name, _, rate = override.partition("=")
        if name not in CELLS:
            sys.exit(f"adding_problem.py: --lr names an unknown cell {name!r}.")
        spec, _, threshold = CELLS[name]
        CELLS[name] = (spec, float(rate), threshold)
    cells = [c.strip() for c in args.cells.split(",")]
    unknown = [c for c in cells if c not in CELLS]
    if unknown:
        sys.exit(f"adding_problem.py: unknown cell {unknown[0]!r}; choose from "
                 f"{', '.join(CELLS)}.")
    import keras

    wall = time.perf_counter()
    plan = [(cell, t) for t in lengths for cell in cells]
    rows = []
    result = {}
    for index, (cell, t) in enumerate(plan):
        # Each run gets a share of the time left, weighted by T; time a run
        # does not need (it solved the task early) goes to the later ones.
        left = args.time_budget - (time.perf_counter() - wall)
        weight = sum(length for _, length in plan[index:])
        budget = max(0.0, left) * t / weight if args.time_budget else float("inf")
        row = run(cell, t, args, budget)
        rows.append(row)
        print(f"{cell:5s} T={t:3d}: test MSE {row['test_mse']:.4f} "
              f"({'solved' if row['solved'] else 'not solved'}) after {row['steps']} "
              f"steps, {row['seconds']:.0f} s", flush=True)
        result = {
            "benchmark": "adding_problem", "rows": rows, "baseline_mse": BASELINE_MSE,
            "units": args.units, "batch": args.batch, "optimizer": "adam",
            "clipper": "global_norm", "max_steps": args.max_steps,
            "stop_at": args.stop_at, "time_budget": args.time_budget,
            "quick": args.quick, "wall_s": time.perf_counter() - wall,
            "backend": keras.backend.backend(), "machine": machine()}
        if args.results:
            tmp = args.results + ".tmp"
            with open(tmp, "w") as handle:
                handle.write(json.dumps(result) + "\n")
            os.replace(tmp, args.results)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
