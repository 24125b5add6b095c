"""Memory and first-output time of `seqlab tag` on a large input.

Trains the default tagger (word embeddings + character CNN, BiLSTM, CRF) on
the generated demo corpus for one epoch, writes a text input of ``--size-mb``
MB (sentences drawn from that corpus), and runs ``seqlab tag MODEL INPUT`` as
a separate process reading its output as it comes. Every half second it
samples the process's resident memory; it stops the process after
``--seconds`` (or when it ends) and prints one JSON line: time to the first
output line, resident memory at the first line and at the end, the peak
(VmHWM), sentences tagged and their rate.

    .venv/bin/python benchmarks/tag_memory.py /tmp/tag-memory [--size-mb 200] [--seconds 180]

To measure another checkout (the seqlab before streaming, say):
    git worktree add ../old 1877a31
    PYTHONPATH=../old:../old/plugins .venv/bin/python benchmarks/tag_memory.py /tmp/tm-old
"""

import argparse
import json
import os
import platform
import random
import subprocess
import sys
import threading
import time

#: Paths in the results are relative to the repository: no machine's own folders.
_REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _train(base):
    from seqlab.config import load_config
    from seqlab.demo import DEMO_CONFIG, write_ner_corpus
    from seqlab.tagging import train_tagger

    paths = write_ner_corpus(os.path.join(base, "data"), seed=0)
    config = os.path.join(base, "demo.toml")
    with open(config, "w", encoding="utf-8") as out:
        out.write(DEMO_CONFIG.format(output=os.path.join(base, "model"), epochs=1, seed=0,
                                     **paths))
    run = train_tagger(load_config(config), resume=False, verbose=0)
    return os.path.join(run.output, "best.keras"), paths["train"]


def _write_input(path, train, size):
    sentences, current = [], []
    with open(train, encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                current.append(line.split()[0])
            elif current:
                sentences.append(" ".join(current))
                current = []
    rng, written, lines = random.Random(0), 0, 0
    with open(path, "w", encoding="utf-8") as out:
        while written < size:
            chunk = "\n".join(rng.choice(sentences) for _ in range(10_000)) + "\n"
            out.write(chunk)
            written += len(chunk.encode())
            lines += 10_000
    return lines


def _status(pid, key):
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base", help="a scratch folder (model, input)")
    parser.add_argument("--size-mb", type=float, default=200)
    parser.add_argument("--seconds", type=float, default=180,
                        help="stop seqlab tag after this long")
    args = parser.parse_args()
    os.makedirs(args.base, exist_ok=True)
    model, train = _train(args.base)
    text = os.path.join(args.base, "input.txt")
    lines_in = _write_input(text, train, args.size_mb * 1e6)
    seqlab = [sys.executable, "-c", "import sys; from seqlab.cli import main; "
              "sys.exit(main())"]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    started = time.monotonic()
    process = subprocess.Popen([*seqlab, "tag", model, text], stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, env=env)
    seen = {"first": None, "sentences": 0, "rss_first": None}

    def read():
        for line in process.stdout:
            if seen["first"] is None:
                seen["first"] = time.monotonic() - started
                seen["rss_first"] = _status(process.pid, "VmRSS")
            if line == b"\n":
                seen["sentences"] += 1

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    samples, peak = [], 0
    while process.poll() is None and time.monotonic() - started < args.seconds:
        time.sleep(0.5)
        rss = _status(process.pid, "VmRSS")
        peak = max(peak, _status(process.pid, "VmHWM") or 0)
        if rss:
            samples.append((round(time.monotonic() - started, 1), rss, seen["sentences"]))
    elapsed = time.monotonic() - started
    finished = process.poll() is not None
    if not finished:
        process.kill()
    process.wait()
    reader.join(5)
    import seqlab as package

    after_first = [s for s in samples if seen["first"] and s[0] >= seen["first"]]
    rate = ((after_first[-1][2] - after_first[0][2]) / (after_first[-1][0] - after_first[0][0])
            if len(after_first) > 1 and after_first[-1][0] > after_first[0][0] else None)
    print(json.dumps({
        "seqlab": os.path.relpath(package.__file__, _REPO),
        "input_mb": round(os.path.getsize(text) / 1e6, 1),
        "input_sentences": lines_in, "seconds": round(elapsed, 1), "finished": finished,
        "first_output_s": None if seen["first"] is None else round(seen["first"], 2),
        "rss_at_first_output_mb": seen["rss_first"] and round(seen["rss_first"] / 2 ** 20),
        "rss_at_end_mb": samples and round(samples[-1][1] / 2 ** 20),
        "peak_rss_mb": round(peak / 2 ** 20), "sentences_tagged": seen["sentences"],
        # the rate of output once it started (a reader's view), and of the
        # whole command from its start (loading and tracing included)
        "output_sentences_per_s": rate and round(rate),
        "end_to_end_sentences_per_s": round(seen["sentences"] / elapsed),
        "rss_mb_by_time": [(t, round(r / 2 ** 20)) for t, r, _ in samples[::20]],
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
        "date": time.strftime("%Y-%m-%d"),
    }))


if __name__ == "__main__":
    main()
