"""Kill points: how many instants of a run, killed there, resume to a different end.

Copies the run directory before every file operation of a two-epoch tagger
run (what a kill at that instant leaves on disk), resumes each copy, and
counts those whose final best.keras or report.json differ from an
uninterrupted run's, or that leave temporary files behind.

    .venv/bin/python benchmarks/kill_points.py /tmp/kill-points

To measure another checkout (an older seqlab, say), put it first on the path:
    SEQLAB_LOAD_PLUGINS="" PYTHONPATH=../old:../old/plugins .venv/bin/python benchmarks/kill_points.py /tmp/kp
"""
import hashlib, json, os, shutil, sys
import numpy as np
import keras
import seqlab
from seqlab.config import load_config
from seqlab.demo import write_ner_corpus
from seqlab.tagging import train_tagger
from seqlab.saving import load_model


def main(base):
    print("seqlab from", seqlab.__file__)
    shutil.rmtree(base, ignore_errors=True); os.makedirs(base)
    corpus = write_ner_corpus(base + "/c", seed=7, train=60, dev=12, test=12)
    def cfg(out):
        return load_config(data={"output": out, "data": {**corpus, "format": "two_column", "scheme": "iob2"},
            "model": {"units": 4, "embedding_dim": 4, "depth": 1, "dropout": 0.5, "word_dropout": 0.1},
            "training": {"epochs": 2, "learning_rate": 0.05, "batch_size": 16, "patience": 0}})
    ref = train_tagger(cfg(base + "/ref"), verbose=0)
    wref = load_model(base + "/ref/best.keras").get_weights()
    rref = json.load(open(base + "/ref/report.json"))
    snaps, seen = [], set()
    run = base + "/run"
    def take(name):
        if not os.path.isdir(run): return
        sig = hashlib.sha256()
        for root, _, files in sorted(os.walk(run)):
            for f in sorted(files):
                st = os.stat(os.path.join(root, f)); sig.update(f"{root}/{f}:{st.st_ino}:{st.st_size}:{st.st_mtime_ns}".encode())
        if sig.hexdigest() in seen: return
        seen.add(sig.hexdigest())
        dst = f"{base}/k{len(snaps):03d}-{name}"
        shutil.copytree(run, dst, copy_function=lambda a, b: open(b, "wb").write(open(a, "rb").read()))
        snaps.append(dst)
    def wrap(mod, name):
        orig = getattr(mod, name)
        def w(*a, **k):
            take(name); return orig(*a, **k)
        setattr(mod, name, w); return orig
    origs = [(os, n, wrap(os, n)) for n in ("replace", "link", "unlink", "fsync")]
    osave = keras.Model.save
    def save(self, *a, **k):
        take("save"); return osave(self, *a, **k)
    keras.Model.save = save
    train_tagger(cfg(run), verbose=0)
    for mod, n, o in origs: setattr(mod, n, o)
    keras.Model.save = osave
    bad = []
    for s in snaps:
        try:
            # old code compares the whole config incl. output: resume in place of `run`
            shutil.rmtree(run); shutil.copytree(s, run)
            train_tagger(cfg(run), verbose=0)
            w = load_model(run + "/best.keras").get_weights()
            r = json.load(open(run + "/report.json"))
            same = all(np.array_equal(a, b) for a, b in zip(w, wref)) and r == rref
            leftovers = [n for n in os.listdir(run) if n.startswith(".tmp")]
            if not same or leftovers: bad.append((os.path.basename(s), "differs" if not same else "", leftovers))
        except Exception as e:
            bad.append((os.path.basename(s), type(e).__name__ + ": " + str(e)[:80], []))
    print(f"{len(snaps)} kill points; {len(bad)} resumed runs ended differently or left temporary files")
    for b in bad: print(" ", b)


if __name__ == "__main__":
    main(sys.argv[1])
