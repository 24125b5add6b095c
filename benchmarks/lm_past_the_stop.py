"""What Mikolov's stopping rule costs: train a stopped lm_ptb.py run on.

    python benchmarks/lm_past_the_stop.py --run runs/lm_ptb/rnnlm_seed1 \
        --rates 0.625,0.3125 [--config rnnlm] [--data ../shared/data/ptb] [--results FILE]

Loads the run's best.keras and trains it one more epoch at each of --rates
in turn (the rates the plateau schedule would have taken next), with the
run's other settings (batch, windows, optimizer, L2, clipper: its
config.json, or lm_ptb.py's --config when given), printing
a JSON line per epoch with dev and test perplexity. Exploratory: it is not a
run of the recipe (no run directory, no resume), and it reads the test
split after every epoch, so nothing here may select a model; it says how
far the rule stopped short (benchmarks/README.md section 3).
"""

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lm_ptb import CONFIGS, files  # noqa: E402
from ner_conll2003 import machine  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--run", required=True, help="a finished lm_ptb.py run directory")
    parser.add_argument("--config", choices=sorted(CONFIGS),
                        help="the run's lm_ptb.py config; by default its own "
                             "RUN/config.json, which also holds its --set values")
    parser.add_argument("--rates", required=True,
                        help="comma-separated learning rates, one epoch each")
    parser.add_argument("--data", default="../shared/data/ptb")
    parser.add_argument("--results", help="also append the JSON lines to this file")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

    import seqlab
    from seqlab.data.corpus import corpus_ids, read_corpus, stream_windows
    from seqlab.lm.scoring import perplexity
    from seqlab.rundir import RunDirectory
    from seqlab.runs import compile_options

    run = RunDirectory(args.run)
    settings = CONFIGS[args.config] if args.config else run.saved_config()
    if settings is None:
        parser.error(f"{run.file(run.CONFIG)}: no such file; name the run's --config")
    paths = files(args.data, quick=False, workdir=None)
    training = seqlab.load_config(task="lm", data={
        "data": {"train": paths["train"], "dev": paths["valid"], "test": paths["test"]},
        "model": settings["model"], "training": settings["training"]}).training
    model = seqlab.load_model(run.best)
    ids = {split: corpus_ids(read_corpus(path), model.vocabulary)
           for split, path in paths.items()}
    batch, steps = training.batch_size, training.num_steps
    x, y = stream_windows(ids["train"], batch, steps)

    def scores():
        return {split: perplexity(model, ids[name], batch, steps)["perplexity"]
                for split, name in (("valid_ppl", "valid"), ("test_ppl", "test"))}

    rows = [{"epoch": 0, "learning_rate": None, **scores()}]
    print(json.dumps(rows[-1]), flush=True)
    for epoch, rate in enumerate(float(r) for r in args.rates.split(",")):
        model.compile(**compile_options(training.model_copy(update={"learning_rate": rate})))
        model.reset_states()  # each epoch starts every stream from a zero state
        start = time.perf_counter()
        model.fit(x, y, batch_size=batch, shuffle=False, verbose=0)
        seconds = time.perf_counter() - start
        model.reset_states()
        rows.append({"epoch": epoch + 1, "learning_rate": rate, **scores(),
                     "train_s": seconds})
        print(json.dumps(rows[-1]), flush=True)
    if args.results:
        with open(args.results, "a") as handle:
            handle.write(json.dumps({"benchmark": "lm_past_the_stop", "run": args.run,
                                     "config": args.config, "rows": rows,
                                     "date": time.strftime("%Y-%m-%d"),
                                     "machine": machine()}) + "\n")


if __name__ == "__main__":
    main()
