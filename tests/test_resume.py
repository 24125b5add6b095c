"""Runs that survive a kill: crash-consistent checkpoints, exact resume,
one run per directory. Under TensorFlow and JAX (``-m backend``)."""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import seqlab
from seqlab import runs
from seqlab.config import load_config
from seqlab.demo import write_ner_corpus
from seqlab.io import DirectoryLock
from seqlab.tagging import train_tagger

from conftest import same_weights, saved_weights as weights


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return write_ner_corpus(tmp_path_factory.mktemp("corpus"), seed=7,
                            train=60, dev=12, test=12)


def tagger_config(corpus, output, epochs=2, **model):
    return load_config(data={
        "output": str(output),
        "data": {**corpus, "format": "two_column", "scheme": "iob2"},
        "model": {"units": 4, "embedding_dim": 4, "depth": 1, "dropout": 0.5,
                  "head": "softmax", "encoders": ["word_embedding"],
                  "word_dropout": 0.1, **model},
        "training": {"epochs": epochs, "learning_rate": 0.05, "batch_size": 16,
                     "patience": 0},
    })


def report(directory):
    with open(os.path.join(directory, "report.json"), encoding="utf-8") as handle:
        return json.load(handle)


@pytest.mark.backend
def test_a_tagger_resumed_between_epochs_ends_as_an_uninterrupted_one(corpus, tmp_path):
    whole = train_tagger(tagger_config(corpus, tmp_path / "whole", epochs=3), verbose=0)
    train_tagger(tagger_config(corpus, tmp_path / "cut", epochs=1), verbose=0)
    resumed = train_tagger(tagger_config(corpus, tmp_path / "cut", epochs=3), verbose=0)
    # dropout and word dropout on: bitwise equal on the CPU
    assert same_weights(weights(tmp_path / "whole" / "last.keras"),
                        weights(tmp_path / "cut" / "last.keras"))
    assert resumed.history == whole.history
    assert report(tmp_path / "cut") == report(tmp_path / "whole")


@pytest.mark.backend
@pytest.mark.parametrize("unit, direction", [("word", "forward"), ("char", "backward")])
def test_a_language_model_resumed_between_epochs_ends_as_an_uninterrupted_one(
        unit, direction, tmp_path):
    from seqlab.lm import train_language_model

    words = "the cat sat on the mat . a dog ran to the cat . the mat is red .".split()
    rng = np.random.default_rng(0)
    for split, count in (("train", 60), ("valid", 10)):
        lines = [" ".join(rng.choice(words, 8)) for _ in range(count)]
        (tmp_path / f"{split}.txt").write_text("\n".join(lines) + "\n")

    def config(output, epochs):
        return load_config(task="lm", data={
            "output": str(tmp_path / output),
            "data": {"train": str(tmp_path / "train.txt"), "dev": str(tmp_path / "valid.txt"),
                     "unit": unit},
            "model": {"units": 8, "depth": 1, "dropout": 0.3, "direction": direction},
            "training": {"epochs": epochs, "batch_size": 4, "num_steps": 5,
                         "decay_after": 1, "lr_decay": 0.5}})

    whole = train_language_model(config("whole", 3), verbose=0)
    train_language_model(config("cut", 1), verbose=0)
    resumed = train_language_model(config("cut", 3), verbose=0)
    assert same_weights(weights(tmp_path / "whole" / "last.keras"),
                        weights(tmp_path / "cut" / "last.keras"))
    assert resumed.history == whole.history  # learning rates included
    assert report(tmp_path / "cut") == report(tmp_path / "whole")


class _Snapshots:
    """Copies the run directory before every file operation in it: each copy
    is what a kill at that instant leaves on disk."""

    OPERATIONS = (("os", "replace"), ("os", "link"), ("os", "unlink"), ("os", "rmdir"),
                  ("os", "fsync"), ("shutil", "copyfile"))

    def __init__(self, directory, into, monkeypatch):
        self.directory, self.into = str(directory), into
        self.taken, self.seen = [], set()
        for module_name, name in self.OPERATIONS:
            module = {"os": os, "shutil": shutil}[module_name]
            monkeypatch.setattr(module, name, self._wrap(getattr(module, name), name))
        import keras

        monkeypatch.setattr(keras.Model, "save", self._wrap(keras.Model.save, "save"))

    def _wrap(self, operation, name):
        def wrapped(*args, **kwargs):
            self.take(name)
            return operation(*args, **kwargs)
        return wrapped

    def take(self, name):
        if not os.path.isdir(self.directory):
            return
        signature = self._signature()
        if signature in self.seen:
            return  # the same files as an instant already taken
        self.seen.add(signature)
        copy = os.path.join(self.into, f"{len(self.taken):03d}-{name}")
        shutil.copytree(self.directory, copy, copy_function=_plain_copy)
        self.taken.append(copy)

    def _signature(self):
        digest = hashlib.sha256()
        for root, _, files in sorted(os.walk(self.directory)):
            for name in sorted(files):
                path = os.path.join(root, name)
                stat = os.stat(path)
                digest.update(f"{path}:{stat.st_ino}:{stat.st_size}:{stat.st_mtime_ns}".encode())
        return digest.hexdigest()


_copy = shutil.copy2


def _bytes(path):
    with open(path, "rb") as handle:
        return handle.read()


def _plain_copy(source, target):
    with open(source, "rb") as a, open(target, "wb") as b:
        b.write(a.read())


# TensorFlow only: what it kills is file operations; resuming under JAX
# ends as an uninterrupted run in the between-epochs test above.
def test_a_run_killed_at_any_file_operation_resumes_to_the_same_end(
        corpus, tmp_path, monkeypatch):
    reference = train_tagger(tagger_config(corpus, tmp_path / "reference"), verbose=0)
    expected_weights = weights(tmp_path / "reference" / "best.keras")
    expected_report = report(tmp_path / "reference")

    snapshots = tmp_path / "kills"
    snapshots.mkdir()
    with monkeypatch.context() as patch:
        spy = _Snapshots(tmp_path / "run", snapshots, patch)
        train_tagger(tagger_config(corpus, tmp_path / "run"), verbose=0)
    # every instant of two epoch ends and of the report
    assert len(spy.taken) >= 12

    resumed_from = set()
    for copy in spy.taken:
        directory = runs.RunDirectory(copy)
        state = directory.recover()
        # after recovery the files agree with the manifest
        assert not [n for n in os.listdir(copy) if n.startswith(".tmp-")], copy
        if state:
            for published, key in ((directory.best, "best"), (directory.last, "last")):
                checkpoint = directory.file(state[key])
                # the same bytes, never the same storage (a copy, not a link)
                assert _bytes(published) == _bytes(checkpoint), copy
                assert not os.path.samefile(published, checkpoint), copy
            if os.path.exists(directory.file("report.json")):
                assert report(copy)["best_epoch"] == state["best_epoch"], copy
        else:
            assert not os.path.exists(directory.best), copy
        # What a resume does depends on the recovered manifest and report
        # alone: resume once from each distinct one.
        recovered = (json.dumps(state, sort_keys=True),
                     os.path.exists(directory.file("report.json")))
        if recovered in resumed_from:
            continue
        resumed_from.add(recovered)
        resumed = train_tagger(tagger_config(corpus, copy), verbose=0)
        assert same_weights(weights(directory.best), expected_weights), copy
        assert report(copy) == expected_report, copy
        assert resumed.history == reference.history, copy
    print(f"{len(spy.taken)} kill points, {len(resumed_from)} distinct recoveries resumed")


def test_a_second_run_in_a_directory_is_refused_and_a_stale_lock_taken_over(
        corpus, tmp_path):
    output = tmp_path / "run"
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys, time
            from seqlab.io import DirectoryLock
            with DirectoryLock({str(output)!r}):
                print("locked", flush=True)
                time.sleep(60)
        """)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(seqlab.SeqlabError,
                           match=rf"in use by another seqlab run \(process {holder.pid} on"):
            train_tagger(tagger_config(corpus, output), verbose=0)
        assert not os.path.exists(output / "state.json")
    finally:
        holder.kill()  # a killed holder leaves its record behind
        holder.wait()
    with DirectoryLock(output) as lock:
        assert lock.stale["pid"] == holder.pid
        assert f"left by a run that ended without releasing it (process {holder.pid}" \
            in lock.describe_stale()
    with DirectoryLock(output) as lock:
        assert lock.stale is None  # released cleanly last time


def test_restart_forgets_the_run_and_a_missing_checkpoint_is_named(corpus, tmp_path):
    config = tagger_config(corpus, tmp_path / "run", epochs=1)
    train_tagger(config, verbose=0)
    directory = runs.RunDirectory(tmp_path / "run")
    state = directory.read_state()
    os.unlink(directory.file(state["last"]))
    with pytest.raises(seqlab.SeqlabError, match=r"names checkpoints/epoch-0001.keras as "
                                                 r"the last checkpoint, but it is missing"):
        train_tagger(config, verbose=0)
    run = train_tagger(config, resume=False, verbose=0)
    assert run.best_epoch == 1 and directory.read_state()["epoch"] == 1


def test_a_moved_run_or_a_new_test_file_still_resumes(corpus, tmp_path, capsys):
    train_tagger(tagger_config(corpus, tmp_path / "run", epochs=1), verbose=0)
    shutil.move(tmp_path / "run", tmp_path / "moved")
    config = tagger_config(corpus, tmp_path / "moved", epochs=2)
    config.data.test = corpus["dev"]
    run = train_tagger(config, verbose=2)
    assert "Resuming" in capsys.readouterr().out and len(run.history) == 2


def test_a_run_saved_before_a_key_existed_still_resumes(corpus, tmp_path, capsys):
    import json as json_module

    train_tagger(tagger_config(corpus, tmp_path / "run", epochs=1), verbose=0)
    saved = tmp_path / "run" / "config.json"
    config = json_module.loads(saved.read_text())
    del config["data"]["repair"]  # as seqlab wrote it before data.repair
    saved.write_text(json_module.dumps(config))
    run = train_tagger(tagger_config(corpus, tmp_path / "run", epochs=2), verbose=2)
    assert "Resuming" in capsys.readouterr().out and len(run.history) == 2
    changed = tagger_config(corpus, tmp_path / "run", epochs=3)
    changed.data.repair = True  # a real change is still refused
    with pytest.raises(seqlab.ConfigError, match="holds a run of a different config"):
        train_tagger(changed, verbose=0)
