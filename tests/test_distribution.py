"""Data-parallel training (`seqlab.distribution`) on this CPU: two virtual
devices in one process, and two processes on the loopback address, under
TensorFlow and JAX. Each case runs in subprocesses, as the device set-up
must happen before the backend starts (so these are not ``backend`` tests:
they choose their backend themselves)."""

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time

import pytest

from seqlab.demo import write_ner_corpus

BACKENDS = ["tensorflow", "jax"]

# One device against two, same global batch and seed, clipping on (the
# threshold is below the norms, so it fires every step) and dropout off (its
# masks are drawn per replica under tf.distribute). 60 sentences in batches
# of 16: 4 steps an epoch (the last batch is padded to full rows), 5 epochs.
EQUIVALENCE = textwrap.dedent("""
    import json, os, sys
    backend, corpus, out = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
    tagged = {k: corpus[k] for k in ("train", "dev", "test")}
    if backend == "tensorflow":
        import tensorflow as tf
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import numpy as np
    from seqlab.config import load_config
    from seqlab.errors import ConfigError
    from seqlab.lm import train_language_model
    from seqlab.saving import load_model
    from seqlab.tagging import train_tagger

    def config(name, devices):
        return load_config(data={
            "output": os.path.join(out, name),
            "data": {**tagged, "format": "two_column", "scheme": "iob2"},
            "model": {"units": 6, "embedding_dim": 6, "depth": 2, "dropout": 0.0,
                      "word_dropout": 0.0, "head": "crf", "encoders": ["word_embedding"]},
            "training": {"epochs": 3, "learning_rate": 0.05, "batch_size": 16,
                         "patience": 0, "optimizer": "sgd",
                         "clipper": {"name": "global_norm", "threshold": 0.5}},
            "distribution": {"devices": devices}})

    def weights(name):
        model = load_model(os.path.join(out, name, "last.keras"))
        return [np.asarray(w).tolist() for w in model.get_weights()]

    result = {}
    for name, devices in (("one", 1), ("two", 2)):
        run = train_tagger(config(name, devices), verbose=0)
        result[name] = {"history": run.history, "weights": weights(name)}
    try:
        train_tagger(load_config(data={**config("odd", 2).model_dump(),
                                       "training": {"batch_size": 15}}), verbose=0)
    except ConfigError as error:
        result["odd_batch"] = str(error)
    lm = {"output": None, "data": {"train": corpus["lm"], "dev": corpus["lm"]},
          "model": {"units": 8, "depth": 1},
          # A modest rate: the test is of the all-reduce, and the default rate
          # (20 per token) amplifies float summation order past the tolerance.
          "training": {"epochs": 2, "batch_size": 4, "num_steps": 5, "learning_rate": 1.0,
                       "clipper": {"name": "global_norm", "threshold": 5.0}}}
    # Under TensorFlow only the refusal is checked (no one-device run needed).
    for name, devices in (("lm_one", 1), ("lm_two", 2))[backend == "tensorflow":]:
        lm["output"] = os.path.join(out, name)
        lm["distribution"] = {"devices": devices}
        try:
            run = train_language_model(load_config(data=lm, task="lm"), verbose=0)
            result[name] = {"history": run.history, "weights": weights(name)}
        except ConfigError as error:
            result[name] = str(error)
    print("RESULT " + json.dumps(result))
""")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpus")
    files = write_ner_corpus(root, seed=7, train=60, dev=12, test=12)
    lm = root / "lm.txt"
    lm.write_text("\n".join(" ".join(f"w{(i * j) % 17}" for j in range(8))
                            for i in range(60)) + "\n", encoding="utf-8")
    return {**files, "lm": str(lm)}


def _env(backend, **extra):
    env = {**os.environ, "KERAS_BACKEND": backend, "SEQLAB_LOAD_PLUGINS": "",
           "TF_CPP_MIN_LOG_LEVEL": "3", **extra}
    if backend == "jax":
        env["XLA_FLAGS"] = (env.get("XLA_FLAGS", "") +
                            " --xla_force_host_platform_device_count=2").strip()
    return env


def _close(a, b, tolerance):
    if isinstance(a, list):
        return len(a) == len(b) and all(_close(x, y, tolerance) for x, y in zip(a, b))
    return abs(a - b) <= tolerance * max(1.0, abs(a), abs(b))


@pytest.mark.parametrize("backend", BACKENDS)
def test_two_replicas_train_as_one_device(backend, corpus, tmp_path):
    done = subprocess.run([sys.executable, "-c", EQUIVALENCE, backend, json.dumps(corpus),
                           str(tmp_path)], env=_env(backend), capture_output=True,
                          text=True, timeout=600)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert lines, done.stdout[-2000:] + done.stderr[-4000:]
    result = json.loads(lines[-1][len("RESULT "):])
    one, two = result["one"], result["two"]
    assert len(one["history"]) == len(two["history"]) == 3  # 12 steps
    for a, b in zip(one["history"], two["history"]):
        # the loss, and the clipper's view: the global norm of the all-reduced gradient
        for key in ("loss", "gradient_norm_mean", "gradient_norm_max", "clipped_fraction"):
            assert _close(a[key], b[key], 1e-4), (key, a, b)
    assert one["history"][0]["clipped_fraction"] == 1.0  # clipping fired every step
    assert _close(one["weights"], two["weights"], 1e-4)
    assert "must be a multiple of 2" in result["odd_batch"]
    if backend == "jax":
        lm_one, lm_two = result["lm_one"], result["lm_two"]
        assert _close([h["loss"] for h in lm_one["history"]],
                      [h["loss"] for h in lm_two["history"]], 1e-4)
        assert _close(lm_one["weights"], lm_two["weights"], 1e-4)
    else:  # the carried state cannot be split by tf.distribute: said, not mistrained
        assert "JAX backend" in result["lm_two"]


def _free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def _start_workers(backend, config, addresses, tmp_path, epochs, tag):
    processes = []
    for index in range(len(addresses)):
        scratch = tmp_path / f"tmp-{tag}-{index}"
        scratch.mkdir()
        log = open(tmp_path / f"{tag}-{index}.log", "w")
        processes.append((subprocess.Popen(
            [sys.executable, "-m", "seqlab", "train", str(config),
             "--epochs", str(epochs), "--addresses", ",".join(addresses),
             "--process-id", str(index)],
            env=_env(backend, TMPDIR=str(scratch)), stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True), log, scratch))
    return processes


def _wait(processes, timeout=300):
    for process, log, _ in processes:
        process.wait(timeout=timeout)
        log.close()
    return [process.returncode for process, _, _ in processes]


@pytest.mark.parametrize("backend", BACKENDS)
def test_two_processes_train_checkpoint_once_and_resume_after_a_kill(backend, corpus,
                                                                      tmp_path):
    """Two processes, one replica each: killed mid-run, restarted, resumed
    from the chief's last commit; only the chief wrote."""
    config = tmp_path / "run.toml"
    config.write_text(textwrap.dedent(f"""
        output = "run"
        [data]
        train = "{corpus['train']}"
        dev = "{corpus['dev']}"
        test = "{corpus['test']}"
        format = "two_column"
        [model]
        units = 4
        embedding_dim = 4
        depth = 1
        dropout = 0.0
        head = "softmax"
        encoders = ["word_embedding"]
        [training]
        batch_size = 16
        learning_rate = 0.05
        patience = 0
    """), encoding="utf-8")
    run = tmp_path / "run"
    state = run / "state.json"
    addresses = [f"127.0.0.1:{port}" for port in _free_ports(2)]
    first = _start_workers(backend, config, addresses, tmp_path, epochs=8, tag="first")
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and not state.exists():
        assert all(p.poll() is None for p, _, _ in first), \
            (tmp_path / "first-0.log").read_text()[-3000:]
        time.sleep(0.05)
    for process, _, _ in first:  # killed mid-run, both of them
        os.killpg(process.pid, signal.SIGKILL)
    _wait(first)
    killed_at = json.loads(state.read_text())["epoch"]
    assert killed_at < 8

    addresses = [f"127.0.0.1:{port}" for port in _free_ports(2)]
    second = _start_workers(backend, config, addresses, tmp_path, epochs=8, tag="second")
    codes = _wait(second)
    chief_log = (tmp_path / "second-0.log").read_text()
    worker_log = (tmp_path / "second-1.log").read_text()
    assert codes == [0, 0], chief_log[-3000:] + worker_log[-3000:]
    assert f"Resuming {run} after epoch {killed_at}" in chief_log
    assert "Resuming" not in worker_log and "model:" not in worker_log  # the chief speaks
    assert json.loads(state.read_text())["epoch"] == 8
    report = json.loads((run / "report.json").read_text())
    assert report["epoch"] == 8
    # Only the chief wrote: one set of files; the worker's scratch is gone.
    assert sorted(os.listdir(run / "checkpoints")) == sorted(
        {json.loads(state.read_text())[k].split("/")[-1] for k in ("last", "best")})
    assert not any(second[1][2].iterdir())
