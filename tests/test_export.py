"""seqlab export: a tagger as a SavedModel that TensorFlow alone runs, or an
ONNX model that ONNX Runtime alone runs (issue 26, item 1), checked by
running docs/deploying.md's loaders in a Python where seqlab (and, for
ONNX, TensorFlow) cannot be imported."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import seqlab
from seqlab.cli import main

DOCS = Path(__file__).resolve().parent.parent / "docs"


@pytest.fixture(scope="module")
def trained(small_tagger_run):
    return small_tagger_run


def loader(export, sentences, section="## Loading it without seqlab", name="ner"):
    """A loading block of docs/deploying.md (the first after ``section``),
    on ``export`` and ``sentences``."""
    page = (DOCS / "deploying.md").read_text()
    block = page.split(section)[1]
    code = re.findall(r"```python\n(.*?)```", block, re.S)[0]
    assert f'EXPORT = "exported/{name}"\n' in code and "\nsentences = [" in code
    code = code.replace(f'EXPORT = "exported/{name}"', f"EXPORT = {str(export)!r}")
    return re.sub(r"\nsentences = .*\n", f"\nsentences = {json.dumps(sentences)}\n", code)


def run_without_seqlab(code, tmp_path, without=("seqlab",)):
    """Run ``code`` in a fresh Python where importing seqlab (and the other
    packages named in ``without``) fails."""
    script = tmp_path / "load.py"
    script.write_text("import sys\n" + "".join(f"sys.modules[{name!r}] = None  # not here\n"
                                               for name in without) + code
                      + f"\nassert not any(m.split('.')[0] in {list(without)!r} and sys.modules[m] "
                        "for m in sys.modules)\n")
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return [eval(line) for line in done.stdout.splitlines()]  # the block prints lists


@pytest.mark.backend
def test_an_exported_tagger_tags_as_seqlab_does_without_seqlab(trained, tmp_path, capsys):
    run, sentences = trained
    out = tmp_path / "exported"
    assert main(["export", run.output, str(out)]) == 0
    said = capsys.readouterr()
    assert said.out.strip() == (
        f"Wrote {out}: a SavedModel (endpoint serve: words, chars ids -> tag ids of "
        f"{len(run.model.tag_names)} tags) and {out}/seqlab-export.json.")
    assert "loading its best model" in said.err  # a run directory, said
    meta = json.loads((out / "seqlab-export.json").read_text())
    assert meta["model_sha256"] == seqlab.io.file_digest(os.path.join(run.output, "best.keras"))
    assert meta["scheme"] == "iobes" and meta["output_scheme"] == "iob2"
    got = run_without_seqlab(loader(out, sentences), tmp_path)
    expected = run.model.tag(sentences, scheme="iobes")
    assert [[tag for _, tag in row] for row in got] == expected
    assert [[token for token, _ in row] for row in got] == sentences
    assert any(tag != "O" for tags in expected for tag in tags)  # it found entities


def test_export_refuses_what_it_cannot_write(trained, tmp_path, capsys):
    run, _ = trained
    out = tmp_path / "exported"
    seqlab.export(run.model, out)
    assert json.loads((out / "seqlab-export.json").read_text())["model_sha256"] is None
    with pytest.raises(seqlab.ConfigError, match="exists; choose another folder, or add "
                                                 "--force"):
        seqlab.export(run.model, out)
    seqlab.export(run.model, out, force=True)  # an earlier export is replaced
    (tmp_path / "mine").mkdir()
    with pytest.raises(seqlab.ConfigError, match="is not a seqlab export"):
        seqlab.export(run.model, tmp_path / "mine", force=True)
    with pytest.raises(SystemExit, match="2"):
        main(["export", run.output, str(tmp_path / "x"), "--format", "tflite"])
    assert "argument --format: 'tflite' is not one of 'savedmodel', 'onnx'." in (
        capsys.readouterr().err)
    with pytest.raises(seqlab.ConfigError, match="Quantisation is for ONNX exports: add "
                                                 "--format onnx"):
        seqlab.export(run.model, tmp_path / "q", quantize="dynamic-int8")
    with pytest.raises(seqlab.ConfigError, match="Unknown quantisation 'int4'; seqlab knows "
                                                 "dynamic-int8."):
        seqlab.export(run.model, tmp_path / "q", format="onnx", quantize="int4")
    import keras

    with pytest.raises(seqlab.ConfigError, match="writes taggers and language models, "
                                                 "not Sequential"):
        seqlab.export(keras.Sequential([keras.layers.Dense(2)]), tmp_path / "other")
    with pytest.raises(seqlab.ConfigError, match="has no vocabulary"):
        seqlab.export(seqlab.LanguageModel(vocab_size=10, units=4), tmp_path / "lm")
    assert not (tmp_path / "lm").exists()
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".seqlab-export-")]


@pytest.mark.backend
def test_an_exported_language_model_scores_as_seqlab_does_without_seqlab(
        small_lm_run, tmp_path, capsys):
    from seqlab.lm import sentence_log_probs

    run = small_lm_run
    out = tmp_path / "exported"
    assert main(["export", os.path.join(run.output, "best.keras"), str(out)]) == 0
    assert capsys.readouterr().out.strip() == (
        f"Wrote {out}: a SavedModel (endpoint score: words, targets ids -> log-probabilities "
        f"of the targets) and {out}/seqlab-export.json.")
    sentences = ["the cat is small", "small the is cat", "a zebra saw the dog"]
    code = loader(out, sentences, "## A language model without seqlab", "lm")
    got = run_without_seqlab(code.replace("print(sentence, float(log_probs.sum()))",
                                          "print([sentence, float(log_probs.sum())])"),
                             tmp_path)
    expected = sentence_log_probs(run.model, sentences)  # "zebra" is <unk> to both
    assert [sentence for sentence, _ in got] == sentences
    assert [score for _, score in got] == pytest.approx([r["log_prob"] for r in expected],
                                                        abs=1e-4)


def test_an_onnx_tagger_tags_as_seqlab_does_with_onnx_runtime_alone(trained, tmp_path, capsys):
    """ONNX export (TensorFlow backend): docs/deploying.md's ONNX block, run
    where neither seqlab nor TensorFlow can be imported, gives seqlab tag's
    tags; the int8 export runs the same way."""
    run, sentences = trained
    out = tmp_path / "exported"
    assert main(["export", run.output, str(out), "--format", "onnx"]) == 0
    assert capsys.readouterr().out.strip() == (
        f"Wrote {out}: an ONNX model, {out}/model.onnx (words, chars ids -> tags: tag ids of "
        f"{len(run.model.tag_names)} tags) and {out}/seqlab-export.json.")
    meta = json.loads((out / "seqlab-export.json").read_text())
    assert (meta["format"], meta["file"], meta["quantized"]) == ("onnx", "model.onnx", None)
    assert oct(os.stat(out).st_mode & 0o777) != "0o700"  # readable by a server's user
    code = loader(out, sentences, "## ONNX", "ner-onnx")
    got = run_without_seqlab(code, tmp_path, without=("seqlab", "tensorflow", "keras"))
    expected = run.model.tag(sentences, scheme="iobes")
    assert [[tag for _, tag in row] for row in got] == expected
    assert any(tag != "O" for tags in expected for tag in tags)

    small = tmp_path / "int8"
    seqlab.export(os.path.join(run.output, "best.keras"), small, format="onnx",
                  quantize="dynamic-int8")
    assert "Inference failed" not in capsys.readouterr().err  # the quantiser's log kept quiet
    assert json.loads((small / "seqlab-export.json").read_text())["quantized"] == "dynamic-int8"
    assert (small / "model.onnx").stat().st_size < (out / "model.onnx").stat().st_size
    got = run_without_seqlab(loader(small, sentences, "## ONNX", "ner-onnx"), tmp_path,
                             without=("seqlab", "tensorflow", "keras"))
    assert [len(row) for row in got] == [len(tokens) for tokens in sentences]
    assert {tag for row in got for _, tag in row} <= set(run.model.tag_names)


def test_an_onnx_language_model_scores_as_seqlab_does(small_lm_run, tmp_path):
    from seqlab.lm import sentence_log_probs

    run = small_lm_run
    out = tmp_path / "exported"
    meta = seqlab.export(run.model, out, format="onnx")
    code = f"""
import json
import numpy as np
import onnxruntime
meta = json.load(open({str(out / "seqlab-export.json")!r}))
session = onnxruntime.InferenceSession({str(out / "model.onnx")!r})
index = {{t: i for i, t in enumerate(meta["vocabulary"]["tokens"])}}
for sentence in ["the cat is small", "small the is cat"]:
    ids = [meta["eos_id"]] + [index.get(w, 1) for w in sentence.split()] + [meta["eos_id"]]
    (log_probs,) = session.run(["log_probs"], {{"words": np.array([ids[:-1]], "int32"),
                                                "targets": np.array([ids[1:]], "int32")}})
    print([sentence, float(log_probs.sum())])
"""
    got = run_without_seqlab(code, tmp_path, without=("seqlab", "tensorflow", "keras"))
    expected = sentence_log_probs(run.model, ["the cat is small", "small the is cat"])
    assert meta["outputs"] == {"log_probs": {"dtype": "float32", "shape": [None, None]}}
    assert (meta["unit"], meta["direction"]) == ("word", "forward")  # how lines become ids
    assert [score for _, score in got] == pytest.approx([r["log_prob"] for r in expected],
                                                        abs=1e-4)


@pytest.mark.backend
def test_onnx_export_says_what_it_needs(trained, tmp_path, monkeypatch):
    """Under JAX the way out is named (TensorFlow loads the same .keras
    file); without tf2onnx the extra to install is."""
    import importlib.util

    import keras

    run, _ = trained
    if keras.backend.backend() == "jax":
        with pytest.raises(seqlab.ConfigError, match="ONNX export runs under TensorFlow "
                                                     r"\(tf2onnx\), not jax: run it with "
                                                     "KERAS_BACKEND=tensorflow"):
            seqlab.export(run.output, tmp_path / "x", format="onnx")
        return
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "tf2onnx" else find_spec(name, *a))
    with pytest.raises(seqlab.ConfigError, match=r"ONNX export needs tf2onnx: pip install "
                                                 r"'seqlab\[onnx\]'."):
        seqlab.export(run.output, tmp_path / "x", format="onnx")
    assert not (tmp_path / "x").exists()
