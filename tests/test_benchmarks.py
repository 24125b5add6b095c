"""The benchmark scripts' own logic (the runs themselves are not tests)."""

import os
import sys
from pathlib import Path

import numpy as np
import pytest

import seqlab

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import opinion_mpqa  # noqa: E402


@pytest.mark.parametrize("cell", ["relu", "lstm", "gru"])
@pytest.mark.parametrize("depth, units", [(3, 100), (1, 237)])
def test_parameter_formula_matches_the_model(cell, depth, units):
    model = seqlab.Tagger(vocab_size=50, num_tags=3, cell=cell, units=units, depth=depth,
                          embedding_dim=opinion_mpqa.EMBEDDING)
    model(np.ones((1, 4), "int32"))
    counted = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    embedding = 50 * opinion_mpqa.EMBEDDING
    assert opinion_mpqa.parameters(depth, units, cell) == counted - embedding


def test_deep_and_shallow_models_are_matched_within_one_percent():
    for cell in opinion_mpqa.GATES:
        units = opinion_mpqa.matching_width(3, 100, 1, cell)
        deep, shallow = (opinion_mpqa.parameters(3, 100, cell),
                         opinion_mpqa.parameters(1, units, cell))
        assert abs(deep - shallow) / deep < 0.01


def test_the_default_config_is_the_best_configuration_benchmarked():
    """Six lines (data paths, scheme, vectors) train what the benchmark's
    best row trains: seqlab's defaults are ner_conll2003.BEST_CONFIG."""
    import ner_conll2003
    from seqlab.config import TaggerConfig

    DEFAULTS = TaggerConfig.defaults()
    for section, values in ner_conll2003.BEST_CONFIG.items():
        assert DEFAULTS[section] == values, section
    glove = ner_conll2003.ROWS["glove"]("glove.6B.50d.txt")
    assert {k: v for k, v in glove["model"].items() if k != "pretrained"} == {
        k: v for k, v in DEFAULTS["model"].items() if k != "pretrained"}


def test_the_language_model_configs_are_valid_seqlab_configs(tmp_path):
    import lm_ptb
    from seqlab.config import load_config

    paths = {}
    for split in ("train", "valid", "test"):
        paths[split] = tmp_path / f"ptb.{split}.txt"
        paths[split].write_text("a b c\n")
    for name, settings in lm_ptb.CONFIGS.items():
        config = load_config(task="lm", data={
            "data": {"train": str(paths["train"]), "dev": str(paths["valid"]),
                     "test": str(paths["test"])},
            "model": settings["model"], "training": settings["training"]})
        assert config.training.epochs == settings["training"]["epochs"], name
    assert lm_ptb.CONFIGS["rnnlm"]["training"]["lr_schedule"] == "plateau"


def test_a_finished_language_model_run_is_recorded_and_then_skipped(tmp_path, monkeypatch,
                                                                    capsys):
    """lm_ptb.py appends each finished seed to its JSON lines (the config
    as plain JSON: a typed config object once broke the record after a
    19-minute run) and reads it back instead of training again."""
    import json

    import lm_ptb

    words = "the cat is small . a dog is big . the dog sat on the cat .".split()
    rng = np.random.default_rng(0)
    for split, lines in (("train", 60), ("valid", 10), ("test", 10)):
        text = "\n".join(" ".join(rng.choice(words, 8)) for _ in range(lines))
        (tmp_path / f"ptb.{split}.txt").write_text(text + "\n")
    runs = tmp_path / "runs.jsonl"
    monkeypatch.setattr(lm_ptb, "RUNS", str(runs))
    argv = ["--data", str(tmp_path), "--config", "rnnlm", "--output", str(tmp_path / "out"),
            "--peer-steps", "0", "--set", "model.units=8", "--set", "model.num_classes=3",
            "--set", "training.epochs=1", "--set", "training.batch_size=4",
            "--set", "training.num_steps=5"]
    lm_ptb.main(argv)
    [record] = [json.loads(line) for line in runs.read_text().splitlines()]
    assert record["config"]["model"]["cell"] == {"name": "elman", "activation": "sigmoid"}
    assert record["config"]["training"]["batch_size"] == 4
    # paths as the repository sees them, not this checkout's location
    assert not any(os.path.isabs(record["config"]["data"][split])
                   for split in ("train", "dev", "test"))
    assert not os.path.isabs(record["config"]["output"])
    assert record["epochs"] == 1 and record["test_ppl"] > 1
    capsys.readouterr()
    lm_ptb.main(argv)
    assert "rnnlm seed 1: recorded on" in capsys.readouterr().out
    assert len(runs.read_text().splitlines()) == 1


def test_the_perplexity_table_reads_the_recorded_runs():
    import class_softmax

    rows = [{"name": "softmax", "head": "softmax", "valid_ppl": 130.0, "test_ppl": 125.0,
             "best_epoch": 9, "epochs_run": 11, "train_s": 1800.0},
            {"name": "class_softmax_100", "valid_ppl": 133.0, "test_ppl": 128.75,
             "head": {"name": "class_softmax", "num_classes": 100},
             "best_epoch": 8, "epochs_run": 10, "train_s": 900.0}]
    table = class_softmax.ppl_table(rows).splitlines()
    assert table[2] == "| softmax | 130.00 | 125.00 | 1.000 | 9 (11) | 30 min | 164 s |"
    assert table[3] == "| class_softmax, C = 100 | 133.00 | 128.75 | 1.030 | 8 (10) | 15 min | 90 s |"


def test_lm_ptb_skips_the_seeds_on_record(tmp_path, monkeypatch, capsys):
    import json

    import lm_ptb

    for split in ("train", "valid", "test"):
        (tmp_path / f"ptb.{split}.txt").write_text("a b c\n")
    runs = tmp_path / "runs.jsonl"
    monkeypatch.setattr(lm_ptb, "RUNS", str(runs))
    overrides = ["training.time_budget=60.0"]
    with open(runs, "w") as handle:
        for seed, test_ppl in ((1, 110.0), (2, 116.0)):
            handle.write(json.dumps({
                "key": lm_ptb.run_key("small", seed, overrides), "date": "2026-11-27",
                "valid_ppl": test_ppl + 4, "test_ppl": test_ppl, "parameters": 7,
                "tokens_per_s": 1.0}) + "\n")
    monkeypatch.setattr(lm_ptb, "run_rnn", lambda *a, **k: pytest.fail("trained a recorded seed"))
    lm_ptb.main(["--data", str(tmp_path), "--config", "small", "--seeds", "2",
                 "--time-budget", "60", "--peer-steps", "0", "--output", str(tmp_path / "out")])
    out = capsys.readouterr().out
    assert "small seed 2: recorded on 2026-11-27" in out
    result = json.loads(out.strip().splitlines()[-1])
    assert result["test_ppl"] == 113.0 and result["seeds"] == 2
    assert result["met"] is True  # 113.0 < 114.5
    # another command (no budget) is another run: seed 1 would train
    assert lm_ptb.run_key("small", 1, []) != lm_ptb.run_key("small", 1, overrides)


def test_the_tradeoff_plot_draws_the_recorded_runs_only(tmp_path, monkeypatch, capsys):
    import argparse
    import json

    import class_softmax
    import seqlab.lm

    runs = tmp_path / "runs.jsonl"
    monkeypatch.setattr(class_softmax, "RUNS", str(runs))
    args = argparse.Namespace(epochs=12, decay_after=4, seed=1, patience=2, schedule="step",
                              dropout=0.0)
    training = class_softmax.perplexity_training(args)
    records = [("softmax", "softmax", 124.0, 2100.0),
               ("class_softmax_100", {"name": "class_softmax", "num_classes": 100}, 128.0, 600.0),
               ("class_softmax_400", {"name": "class_softmax", "num_classes": 400}, 133.0, 360.0),
               ("adaptive_softmax", "adaptive_softmax", 127.0, 900.0)]
    with open(runs, "w") as handle:
        for name, head, test_ppl, seconds in records:
            handle.write(json.dumps({
                "key": json.dumps([name, class_softmax.UNITS, training], sort_keys=True),
                "name": name, "head": head, "valid_ppl": test_ppl + 8, "test_ppl": test_ppl,
                "best_epoch": 3, "epochs_run": 5, "train_s": seconds,
                "date": "2026-11-27"}) + "\n")
    for split in ("train", "valid", "test"):
        (tmp_path / f"ptb.{split}.txt").write_text("a b c\n")
    monkeypatch.setattr(seqlab.lm, "train_language_model",
                        lambda *a, **k: pytest.fail("--part plot trained a model"))
    plot = tmp_path / "tradeoff.png"
    class_softmax.main(["--data", str(tmp_path), "--part", "plot", "--no-torch",
                        "--epochs", "12", "--classes", "100,400,1000", "--plot", str(plot)])
    captured = capsys.readouterr()
    assert "class_softmax_1000: not on record" in captured.out
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    result = json.loads(captured.out.strip().splitlines()[-1])
    assert [r["name"] for r in result["perplexity"]] == [
        "softmax", "class_softmax_100", "class_softmax_400", "adaptive_softmax"]
    assert result["ppl_ratio"]["class_softmax_400"] == pytest.approx(133.0 / 124.0)


def test_perplexity_runs_keep_their_keys_and_other_recipes_get_their_own():
    import argparse
    import json

    import class_softmax

    parser_defaults = dict(epochs=12, decay_after=4, seed=1, patience=2, output="runs/cs")
    step = argparse.Namespace(schedule="step", dropout=0.0, **parser_defaults)
    # the key of the runs recorded before --schedule and --dropout existed
    assert class_softmax.perplexity_key("class_softmax_100", step) == json.dumps(
        ["class_softmax_100", class_softmax.UNITS, {
            "epochs": 12, "batch_size": class_softmax.BATCH, "num_steps": class_softmax.STEPS,
            "optimizer": "adam", "learning_rate": 0.002, "lr_decay": 0.5, "decay_after": 4,
            "init_scale": 0.0, "seed": 1, "patience": 2,
            "clipper": {"name": "global_norm", "threshold": 1.0}}], sort_keys=True)
    assert class_softmax.run_folder("class_softmax_100", step) == "runs/cs/class_softmax_100"
    plateau = argparse.Namespace(schedule="plateau", dropout=0.5, **parser_defaults)
    assert class_softmax.perplexity_training(plateau)["lr_schedule"] == "plateau"
    assert (class_softmax.perplexity_key("class_softmax_100", plateau)
            != class_softmax.perplexity_key("class_softmax_100", step))
    assert (class_softmax.run_folder("class_softmax_100", plateau)
            == "runs/cs/class_softmax_100_plateau_dropout0.5")


def test_the_suite_trains_the_defaults_and_counts_the_recorded_conll2003_runs(tmp_path):
    """Each suite row is the default config (with GloVe where named); a
    candidate recipe changes every row; ner_conll2003.py's runs of the same
    config are the suite's CoNLL-2003 rows."""
    import json

    import ner_conll2003
    import suite

    from seqlab.config import TaggerConfig

    defaults = TaggerConfig.defaults()
    glove = str(tmp_path / "glove.6B.50d.txt")
    plain = suite.row_settings("conll2000-random", glove)
    assert plain == {s: defaults[s] for s in suite.SECTIONS}
    assert suite.row_settings("mpqa_dse-glove", glove)["model"]["pretrained"] == glove
    (tmp_path / "train.txt").write_text("EU B-ORG\n")
    files = {"train": str(tmp_path / "train.txt"), "dev": str(tmp_path / "train.txt")}
    changed = suite.row_settings("conll2000-random", glove, ["training.patience=12"], files)
    assert changed["training"] == {**defaults["training"], "patience": 12}
    record = {"row": "glove", "seed": 1, "date": "2026-11-27", "test_f1": 90.0,
              "config": ner_conll2003.BEST_CONFIG | {"model": {
                  **ner_conll2003.BEST_CONFIG["model"], "pretrained": "/elsewhere/glove.6B.50d.txt"}}}
    ner = tmp_path / "ner_runs.jsonl"
    ner.write_text(json.dumps(record) + "\n")
    original = suite.NER_RESULTS, suite.RESULTS
    suite.NER_RESULTS, suite.RESULTS = str(ner), str(tmp_path / "suite_runs.jsonl")
    try:
        runs = suite.recorded()
    finally:
        suite.NER_RESULTS, suite.RESULTS = original
    key = ("conll2003-glove", ner_conll2003._key(suite.row_settings("conll2003-glove", glove)), 1)
    assert runs[key]["test_f1"] == 90.0
    summary = suite.summary([{"test_f1": 94.0, "dev_f1": 95.0, "train_seconds": 10.0,
                              "epochs_run": 30, "best_epoch": 20,
                              "test_binary_overlap_f1": None}] * 2)
    text, score = suite.table({"conll2000-glove": summary})
    assert score == pytest.approx(94.0 - 94.46)
    assert "| `conll2000-glove` | **94.00 ± 0.00** (94.00, 94.00) |" in text


def _decode_only(tmp_path, small_tagger_run, capsys, seed, seeds):
    """ner_conll2003.py --decode-only over the small tagger saved as the
    ``random`` row's seed ``seed``; its JSON line."""
    import json
    import shutil

    import ner_conll2003

    run, sentences = small_tagger_run
    (tmp_path / "test.txt").write_text("".join(
        "".join(f"{token} O\n" for token in tokens) + "\n" for tokens in sentences))
    saved = tmp_path / "out" / f"random-seed{seed}"
    saved.mkdir(parents=True)
    shutil.copy(os.path.join(run.output, "best.keras"), saved / "best.keras")
    capsys.readouterr()
    ner_conll2003.main(["--data", str(tmp_path), "--rows", "random", *seeds,
                        "--decode-only", "--output", str(tmp_path / "out")])
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_ner_decoding_only_times_the_saved_models(tmp_path, small_tagger_run, capsys):
    """--decode-only reads the test split and times each row's saved
    best.keras (it once passed the data section as a dict where the typed
    config is expected, and failed before timing anything)."""
    result = _decode_only(tmp_path, small_tagger_run, capsys, 1, ["--seeds", "1"])
    assert result["sentences_per_s"]["random"]["1"] > 0


def _mpqa_row(seeds_f1):
    return {"runs": [{"seed": seed, "binary": {"f1": f1}, "proportional": {"f1": f1 - 5}}
                     for seed, f1 in seeds_f1]}


def test_mpqa_pairs_language_model_vectors_with_glove_seed_by_seed():
    """glove_lm is tested against glove for each model, deep against shallow
    for each vectors, runs paired by seed whatever order they were read in."""
    results = {("dse", "glove"): {"shallow": _mpqa_row([(1, 60.0), (2, 62.0), (3, 61.0)])},
               ("dse", "glove_lm"): {"shallow": _mpqa_row([(3, 62.0), (1, 61.5), (2, 62.5)])},
               ("ese", "glove"): {"deep": _mpqa_row([(1, 50.0), (2, 51.0)]),
                                  "shallow": _mpqa_row([(1, 49.0), (2, 52.0)])}}
    tests = opinion_mpqa.comparisons(results)
    assert set(tests) == {("dse", "shallow", "glove_lm - glove"),
                          ("ese", "glove", "deep - shallow")}
    lm = tests[("dse", "shallow", "glove_lm - glove")]["binary"]
    assert lm["mean_difference"] == pytest.approx((1.5 + 0.5 + 1.0) / 3)
    assert lm["t"] == pytest.approx(3.4641, abs=1e-3)  # mean 1.0, sd 0.5, n 3
    assert tests[("ese", "glove", "deep - shallow")]["binary"]["mean_difference"] == 0.0


def test_mpqa_trains_the_language_model_encoder_beside_glove(tmp_path, char_lms, capsys):
    """--embeddings glove,glove_lm: the same shallow model with GloVe alone
    and with the character models' states, reported and compared."""
    import json

    words = ["the", "plan", "was", "criticized", "by", "many", "said", "he", "good", "very"]
    rng = np.random.default_rng(0)
    folder = tmp_path / "mpqa" / "dse"
    folder.mkdir(parents=True)
    for split, count in (("train", 40), ("dev", 10), ("test", 10)):
        lines = []
        for index in range(count):
            tokens = list(rng.choice(words, size=6))
            tags = ["B", "I"] if index % 2 else ["O", "O"]
            tokens[0] = "the" if index % 2 else tokens[0]
            lines += [f"{t}\t{tag}-DSE" if tag != "O" else f"{t}\tO"
                      for t, tag in zip(tokens, tags + ["O"] * 4)] + [""]
        (folder / f"{split}.txt").write_text("\n".join(lines) + "\n")
    glove = tmp_path / "glove.txt"
    glove.write_text("".join(f"{w} " + " ".join(f"{v:.3f}" for v in rng.normal(size=50)) + "\n"
                             for w in words))
    forward, backward = char_lms
    capsys.readouterr()
    opinion_mpqa.main(["--data", str(tmp_path / "mpqa"), "--tasks", "dse", "--quick",
                       "--embeddings", "glove,glove_lm", "--models", "shallow",
                       "--glove", str(glove), "--lm-forward", forward, "--lm-backward", backward,
                       "--output", str(tmp_path / "out")])
    captured = capsys.readouterr()
    result = json.loads(captured.out.strip().splitlines()[-1])
    assert set(result["tasks"]) == {"dse_glove", "dse_glove_lm"}
    with_lm = result["tasks"]["dse_glove_lm"]["shallow"]
    alone = result["tasks"]["dse_glove"]["shallow"]
    # the first layer reads 50 + 7 + 5 values a token with the models
    assert with_lm["parameters"] - alone["parameters"] == 2 * with_lm["units"] * (7 + 5)
    # recorded relative to the repository, as the other benchmarks' paths
    assert with_lm["runs"][0]["language_models"] == {
        direction: opinion_mpqa.relative(path)
        for direction, path in (("forward", forward), ("backward", backward))}
    assert [t["difference"] for t in result["paired_tests"]] == ["glove_lm - glove"]
    assert "| DSE | shallow | binary F1 | glove_lm - glove |" in captured.err


def test_mpqa_refuses_missing_language_models_before_training(tmp_path, capsys):
    with pytest.raises(SystemExit):
        opinion_mpqa.main(["--embeddings", "glove_lm", "--glove", __file__,
                           "--lm-forward", str(tmp_path / "no.keras")])
    assert "no.keras: no such file. Train the character models" in capsys.readouterr().err


def test_ner_seed_list_runs_only_the_named_seeds(tmp_path, small_tagger_run, capsys):
    """--seed-list 2 times (or trains) seed 2 alone, so two processes can
    train two seeds at once; a list that is not seeds is refused."""
    import ner_conll2003

    result = _decode_only(tmp_path, small_tagger_run, capsys, 2, ["--seed-list", "2"])
    assert list(result["sentences_per_s"]["random"]) == ["2"]
    for wrong in ("0", "2,2", "two"):
        with pytest.raises(SystemExit):
            ner_conll2003.main(["--seed-list", wrong])
        assert "is not a comma-separated list of distinct seeds" in capsys.readouterr().err


def test_decode_passes_times_each_pass_and_can_lift_the_token_cap(tmp_path, small_tagger_run,
                                                                   capsys, monkeypatch):
    import json

    import decode_passes
    import seqlab.models.tagger as tagger_module

    # (the script sets the module's cap; put it back for the other tests)
    monkeypatch.setattr(tagger_module, "DECODE_ROW_TOKENS", tagger_module.DECODE_ROW_TOKENS)

    run, sentences = small_tagger_run
    test = tmp_path / "test.txt"
    test.write_text("\n\n".join("\n".join(f"{t} O" for t in s) for s in sentences) + "\n")
    decode_passes.main([os.path.join(run.output, "best.keras"), "--test", str(test),
                        "--passes", "2", "--row-tokens", "100000"])
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert len(result["sentences_per_s"]) == 2 and result["median"] > 0
    assert result["sentences"] == len(sentences) and result["row_tokens"] == 100000
