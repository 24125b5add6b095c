"""CoNLL-2003 English NER with seqlab (BENCHMARKS.md, section 1).

    python benchmarks/ner_conll2003.py --data ../shared/data/conll2003 [--seeds 3]
        [--rows random,glove] [--glove .data/glove.6B.50d.txt] [--quick]

Rows:

- ``random``: `BEST_CONFIG`, seqlab's default tagger (word embeddings and a
  character CNN, one BiLSTM layer, a CRF, a 30-minute time budget), random
  word vectors: the config a user gets from data paths alone;
- ``glove``: the same with ``model.pretrained`` = GloVe 6B 50d (make the file
  with ``python ../shared/data/glove/make_glove.py .data/glove.6B.50d.txt``);
- ``glove_frozen``: the same with the vectors frozen;
- ``word_softmax``: word embeddings only, a BiLSTM, a softmax (the shape of
  Huang et al. 2015's baseline);
- ``glove_lm``: ``glove`` with an ``lm_embeddings`` encoder over the
  character language models ``--lm-forward`` and ``--lm-backward`` (frozen;
  train them with ``benchmarks/char_lm.py``);
- ``glove_cotrain``: ``glove`` with new 128-unit character models trained
  with the tagger, ``lm_loss = 1.0`` (co-training, Liu et al. 2018; no text
  besides the training data).

Models are selected on dev F1; the test split is reported. The files are
IOB1 and are read as such; the models learn IOBES.

Each finished seed is appended to ``benchmarks/results/ner_conll2003_runs.jsonl``
(row, seed, config, scores, epochs, seconds, machine, date) and a later
invocation skips the (row, config, seed) runs already there, so a run over
seeds can stop and continue in another session (``--fresh`` reruns them).
Prints a progress line per epoch, then one JSON line: per row test_f1 and
dev_f1 (percent; mean, sample standard deviation and per seed), training
seconds, epochs, decoding speed (sentences/s over the test split, after a
warm-up pass over it), and the config, backend, machine and wall time.
"""

import argparse
import copy
import json
import os
import platform
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(HERE, "results", "ner_conll2003_runs.jsonl")

#: The default configuration (benchmarks/README.md, sections 1 and 8), spelled
#: out: seqlab's config defaults are this (tests/test_benchmarks.py checks).
BEST_CONFIG = {
    "vocabulary": {"min_count": 1, "max_size": 0, "lowercase": False, "digits": True},
    "model": {"scheme": "iobes", "cell": "lstm", "units": 200, "depth": 1,
              "embedding_dim": None, "merge_mode": "concat", "dropout": 0.3739,
              "head": "crf", "kernel_initializer": None, "recurrent_initializer": None,
              "word_dropout": 0.07794, "encoders": ["word_embedding", "char_cnn"],
              "pretrained": None},
    "training": {"epochs": 50, "batch_size": 32, "optimizer": "rmsprop",
                 "learning_rate": 0.006985, "lr_decay": 0.06977, "clipper": "global_norm",
                 "patience": 6, "seed": 1, "time_budget": 1800,
                 "steps_per_execution": 1, "jit_compile": "auto", "metric": "f1",
                 "weight_decay": 0.0, "callbacks": [], "anneals": 0, "anneal_factor": 0.5,
                 "restore_best": True},
}
# Config keys added after runs were recorded, at the value that trains as
# before the key existed: left out of a run's key, so those runs still count.
ADDED_SINCE = {("training", "weight_decay"): 0.0, ("training", "callbacks"): [],
               ("training", "anneals"): 0, ("training", "anneal_factor"): 0.5,
               ("training", "restore_best"): True}


def _row(**model):
    config = copy.deepcopy(BEST_CONFIG)
    config["model"].update(model)
    return config


#: The character language models of the ``glove_lm`` row (``--lm-forward``,
#: ``--lm-backward``).
LM_FILES = {"forward": "runs/char_lm/forward/best.keras",
            "backward": "runs/char_lm/backward/best.keras"}


def _lm_encoders(**lm):
    return ["word_embedding", "char_cnn", {"name": "lm_embeddings", **lm}]


ROWS = {
    "random": lambda glove: _row(),
    "glove": lambda glove: _row(pretrained=glove),
    "glove_frozen": lambda glove: _row(pretrained={"path": glove, "trainable": False}),
    "word_softmax": lambda glove: _row(units=100, head="softmax", encoders=["word_embedding"]),
    "glove_lm": lambda glove: _row(pretrained=glove, encoders=_lm_encoders(**LM_FILES)),
    "glove_cotrain": lambda glove: _row(pretrained=glove, encoders=_lm_encoders(
        units=128, lm_loss=1.0)),
}


def machine():
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return f"{line.split(':', 1)[1].strip()} ({os.cpu_count()} cores)"
    except OSError:
        pass
    return platform.processor() or platform.machine()


def emit(record, path=None):
    """Print ``record`` as one JSON line, and append it to ``path`` when one
    is given (the benchmarks' results files)."""
    line = json.dumps(record)
    print(line)
    if path:
        with open(path, "a") as handle:
            handle.write(line + "\n")


def chosen_rows(parser, text, known, glove, needs_glove):
    """The rows a comma-separated ``text`` names, and the GloVe file's
    absolute path; a usage error for an unknown row, or for a missing
    GloVe file when a row ``needs_glove``."""
    rows = text.split(",")
    unknown = [r for r in rows if r not in known]
    if unknown:
        parser.error(f"unknown row {unknown[0]!r}; rows: {', '.join(known)}")
    path = os.path.abspath(glove)
    if any(needs_glove(r) for r in rows) and not os.path.isfile(path):
        parser.error(f"{glove}: no such file. Make it with: python "
                     f"../shared/data/glove/make_glove.py {glove}")
    return rows, path


def quick_split(path, directory, sentences):
    """The first ``sentences`` sentences of a CoNLL file, for --quick."""
    os.makedirs(directory, exist_ok=True)
    out = os.path.join(directory, os.path.basename(path))
    with open(path) as source, open(out, "w") as target:
        count = 0
        for line in source:
            target.write(line)
            if not line.strip():
                count += 1
                if count >= sentences:
                    break
    return out


def decoding_speed(model, sentences, passes=1):
    """Sentences per second of ``model.tag`` over ``sentences`` (batches of
    256), after a warm-up pass; the median of ``passes`` passes."""
    tokens = [s.tokens for s in sentences]
    model.tag(tokens, batch_size=256)  # warm-up: compile every padded shape once
    speeds = []
    for _ in range(passes):
        start = time.perf_counter()
        model.tag(tokens, batch_size=256)
        speeds.append(len(tokens) / (time.perf_counter() - start))
    return statistics.median(speeds)


def read_runs(path, key):
    """``{key(record): record}`` of the JSON lines in ``path`` (none when
    the file does not exist): the finished runs of a resumable benchmark."""
    runs = {}
    if path and os.path.exists(path):
        with open(path) as handle:
            for line in handle:
                if line.strip():
                    record = json.loads(line)
                    runs[key(record)] = record
    return runs


def done_runs(path=RESULTS):
    """The runs recorded so far: ``{(row, config json, seed): record}``."""
    return read_runs(path, lambda r: (r["row"], _key(r["config"]), r["seed"]))


def relative(path):
    """An absolute path as a record keeps it: relative to the repository,
    not this checkout's location."""
    return os.path.relpath(path, os.path.dirname(HERE)) if os.path.isabs(path) else path


def _recorded(settings):
    """``settings`` as a record keeps them: the vectors' and the language
    models' paths relative to the repository (`_key` reads them so)."""
    settings = copy.deepcopy(settings)
    model = settings["model"]
    if isinstance(model.get("pretrained"), str):
        model["pretrained"] = relative(model["pretrained"])
    for spec in model.get("encoders", []):
        if isinstance(spec, dict) and spec.get("name") == "lm_embeddings":
            spec.update({k: relative(spec[k]) for k in ("forward", "backward")
                         if isinstance(spec.get(k), str)})
    return settings


def _key(config):
    """A row's config as recorded, without what differs between machines."""
    config = _recorded(config)
    for (section, key), neutral in ADDED_SINCE.items():
        if config.get(section, {}).get(key, neutral) == neutral:
            config.get(section, {}).pop(key, None)
    pretrained = config["model"].get("pretrained")
    if isinstance(pretrained, str):
        config["model"]["pretrained"] = os.path.basename(pretrained)
    elif isinstance(pretrained, dict):
        config["model"]["pretrained"] = {**pretrained, "path": os.path.basename(pretrained["path"])}
    return json.dumps(_integral(config), sort_keys=True)


def _integral(value):
    """``value`` with whole floats as ints: a config read through the schema
    says ``1800.0`` where the same config spelled in Python says ``1800``."""
    if isinstance(value, dict):
        return {key: _integral(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_integral(item) for item in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _recorded_vectors(report):
    """The report's vectors coverage, their path relative to the repository."""
    return report if not report else {**report, "path": relative(report["path"])}


def run_row(name, settings, data, seeds, output, epochs, record_to):
    import keras
    import seqlab
    from seqlab.tagging import read_tagged

    done = done_runs(record_to) if record_to else {}
    results = []
    for seed in seeds:
        key = (name, _key(settings), seed)
        if key in done:
            print(f"[{name} seed {seed}] recorded on {done[key]['date']}: test F1 "
                  f"{done[key]['test_f1']:.2f}", file=sys.stderr, flush=True)
            results.append(done[key])
            continue
        config = seqlab.load_config(data={
            "output": os.path.join(output, f"{name}-seed{seed}"),
            "data": data, **copy.deepcopy(settings)},
            overrides=[f"training.seed={seed}"] + ([f"training.epochs={epochs}"] if epochs else []))
        print(f"[{name} seed {seed}] training", file=sys.stderr, flush=True)
        start = time.perf_counter()
        run = seqlab.train_tagger(config, resume=False, verbose=2)
        seconds = time.perf_counter() - start
        test = read_tagged(data["test"], config.data)
        report = json.load(open(os.path.join(run.output, "report.json")))
        result = {"row": name, "seed": seed, "test_f1": 100 * run.test["f1"],
                  "dev_f1": 100 * run.dev["f1"], "best_epoch": run.best_epoch,
                  "epochs_run": len(run.history), "train_seconds": seconds,
                  "decode_sentences_per_s": decoding_speed(run.model, test),
                  "pretrained": _recorded_vectors(report.get("pretrained")),
                  "config": _recorded(settings),
                  "backend": keras.backend.backend(), "machine": machine(),
                  "date": time.strftime("%Y-%m-%d")}
        results.append(result)
        if record_to:
            with open(record_to, "a") as handle:
                handle.write(json.dumps(result) + "\n")
        print(f"[{name} seed {seed}] test F1 {result['test_f1']:.2f} dev F1 "
              f"{result['dev_f1']:.2f} in {seconds:.0f} s ({result['epochs_run']} epochs, "
              f"best {run.best_epoch})", file=sys.stderr, flush=True)

    def summary(key):
        values = [r[key] for r in results]
        return {"mean": statistics.mean(values),
                "sd": statistics.stdev(values) if len(values) > 1 else 0.0}

    return {"test_f1": summary("test_f1"), "dev_f1": summary("dev_f1"),
            "train_seconds": summary("train_seconds"), "epochs_run": summary("epochs_run"),
            "decode_sentences_per_s": summary("decode_sentences_per_s"),
            "runs": [{k: v for k, v in r.items() if k not in ("config", "row")}
                     for r in results], "config": settings}


def _seed_list(text):
    try:
        seeds = [int(part) for part in text.split(",")]
    except ValueError:
        seeds = []
    if not seeds or min(seeds) < 1 or len(set(seeds)) != len(seeds):
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list of "
                                         f"distinct seeds from 1 (say 2,3)")
    return seeds


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default="../shared/data/conll2003",
                        help="folder with train.txt, valid.txt, test.txt")
    parser.add_argument("--seeds", type=int, default=3, help="seeds 1 to SEEDS")
    parser.add_argument("--seed-list", type=_seed_list, metavar="K,L",
                        help="only these seeds (instead of 1 to SEEDS): say 2 in one "
                             "process and 3 in another to train two seeds at once")
    parser.add_argument("--quick", action="store_true",
                        help="2,000 training sentences, 3 epochs, one seed")
    parser.add_argument("--rows", default="random,glove", help=f"comma-separated, of {', '.join(ROWS)}")
    parser.add_argument("--glove", default=".data/glove.6B.50d.txt",
                        help="GloVe text file (../shared/data/glove/README.md)")
    parser.add_argument("--lm-forward", default=LM_FILES["forward"],
                        help="the forward character LM of row glove_lm")
    parser.add_argument("--lm-backward", default=LM_FILES["backward"],
                        help="the backward character LM of row glove_lm")
    parser.add_argument("--output", default="runs/bench-ner")
    parser.add_argument("--decode-only", action="store_true",
                        help="only measure decoding speed of the rows' saved models "
                             "(OUTPUT/ROW-seedN/best.keras; median of 5 passes), on a "
                             "quiet machine")
    parser.add_argument("--fresh", action="store_true",
                        help="rerun seeds already recorded in " + os.path.relpath(RESULTS))
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras

    started = time.time()
    rows, glove = chosen_rows(parser, args.rows, ROWS, args.glove,
                              lambda row: row.startswith("glove"))
    LM_FILES.update(forward=os.path.abspath(args.lm_forward),
                    backward=os.path.abspath(args.lm_backward))
    for path in LM_FILES.values() if "glove_lm" in rows else ():
        if not os.path.isfile(path):
            parser.error(f"{path}: no such file. Train the character language models "
                         f"with benchmarks/char_lm.py (--lm-forward, --lm-backward).")
    files = {split: os.path.abspath(os.path.join(args.data, f"{name}.txt"))
             for split, name in (("train", "train"), ("dev", "valid"), ("test", "test"))}
    epochs, seeds = None, args.seed_list or list(range(1, args.seeds + 1))
    if args.quick:
        files["train"] = quick_split(files["train"], args.output, 2000)
        epochs, seeds = 3, [1]
    # --quick runs are not recorded: they are not the benchmark.
    record_to = None if args.quick else RESULTS
    if args.fresh and record_to and os.path.exists(record_to):
        kept = [line for line in open(record_to) if line.strip()
                and json.loads(line)["row"] not in rows]
        with open(record_to, "w") as handle:
            handle.writelines(kept)
    data = {**files, "format": "conll", "token_column": 0, "tag_column": -1, "scheme": "iob1"}
    if args.decode_only:
        import seqlab
        from seqlab.tagging import read_tagged

        test = read_tagged(data["test"], seqlab.load_config(data={"data": data}).data)
        speeds = {name: {seed: decoding_speed(seqlab.load_model(os.path.join(
            args.output, f"{name}-seed{seed}", "best.keras")), test, passes=5)
            for seed in seeds} for name in rows}
        print(json.dumps({"benchmark": "ner_conll2003_decoding", "sentences_per_s": speeds,
                          "backend": keras.backend.backend(), "machine": machine(),
                          "date": time.strftime("%Y-%m-%d")}))
        return
    rows = {name: run_row(name, ROWS[name](glove), data, seeds, args.output, epochs, record_to)
            for name in rows}
    print(json.dumps({
        "benchmark": "ner_conll2003", "quick": args.quick, "seeds": seeds,
        "rows": rows, "backend": keras.backend.backend(), "machine": machine(),
        "wall_seconds": time.time() - started,
        "date": time.strftime("%Y-%m-%d"),
    }))


if __name__ == "__main__":
    main()
