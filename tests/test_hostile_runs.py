"""The run directory as a trust boundary, tried as a hostile user would:
what its files say is checked before it is acted on, a write into a
published model cannot reach a checkpoint, nothing is deleted that seqlab
cannot account for, and a resume on changed data is refused. The cases of
the tests that load a model run under TensorFlow and JAX (``-m backend``).
"""

import json
import os
import shutil

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import seqlab
from seqlab import runs
from seqlab.cli import main
from seqlab.config import load_config
from seqlab.demo import write_ner_corpus
from seqlab.reporting import summary
from seqlab.saving import load_model
from seqlab.tagging import train_tagger

EXAMPLES = int(os.environ.get("SEQLAB_FUZZ_EXAMPLES", "150"))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return write_ner_corpus(tmp_path_factory.mktemp("corpus"), seed=11,
                            train=40, dev=8, test=8)


def tagger_config(corpus, output, epochs=1, data=None):
    return load_config(data={
        "output": str(output),
        "data": {**corpus, "format": "two_column", "scheme": "iob2", **(data or {})},
        "model": {"units": 4, "embedding_dim": 4, "depth": 1, "head": "softmax",
                  "encoders": ["word_embedding"]},
        "training": {"epochs": epochs, "batch_size": 8, "patience": 0,
                     "learning_rate": 0.05},
    })


@pytest.fixture(scope="module")
def finished(corpus, tmp_path_factory):
    """A finished one-epoch run, copied afresh for each test (`run_copy`)."""
    output = tmp_path_factory.mktemp("finished") / "run"
    train_tagger(tagger_config(corpus, output), verbose=0)
    return output


@pytest.fixture
def run_copy(finished, tmp_path):
    copy = tmp_path / "run"
    shutil.copytree(finished, copy, symlinks=True)
    return copy


@pytest.fixture
def fresh_run(corpus, tmp_path):
    """A one-epoch run as training left it (a copy would not show how its
    files share storage: copying breaks hard links)."""
    output = tmp_path / "fresh"
    train_tagger(tagger_config(corpus, output), verbose=0)
    return output


def files_of(directory):
    """Every file below ``directory`` with its bytes."""
    found = {}
    for root, _, names in os.walk(directory):
        for name in names:
            path = os.path.join(root, name)
            if name != "run.lock":
                with open(path, "rb") as handle:
                    found[os.path.relpath(path, directory)] = handle.read()
    return found


def write_state(directory, **changes):
    path = directory / "state.json"
    state = json.loads(path.read_text())
    state.update(changes)
    path.write_text(json.dumps(state))


def train_command(corpus, directory, tmp_path, epochs=2, *extra):
    """``seqlab train`` of the run's config, resuming ``directory``."""
    config = tmp_path / "run.toml"
    config.write_text(
        f'output = "{directory}"\n[data]\ntrain = "{corpus["train"]}"\n'
        f'dev = "{corpus["dev"]}"\ntest = "{corpus["test"]}"\nformat = "two_column"\n'
        'scheme = "iob2"\n[model]\nunits = 4\nembedding_dim = 4\ndepth = 1\n'
        'head = "softmax"\nencoders = ["word_embedding"]\n'
        f'[training]\nepochs = {epochs}\nbatch_size = 8\npatience = 0\nlearning_rate = 0.05\n')
    return ["train", str(config), "--quiet", *extra]


def one_error_line(capsys):
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("seqlab: error: "), err
    assert "Traceback" not in err
    return err


@pytest.mark.parametrize("name", ["/etc/passwd", "../outside.keras", "checkpoints/../../x.keras",
                                  "state.json", "checkpoints/epoch-0001.keras/",
                                  "checkpoints/epoch-0001.keras\n"])
def test_a_manifest_naming_a_file_outside_checkpoints_is_refused(
        corpus, run_copy, tmp_path, name, capsys):
    outside = tmp_path / "outside.keras"
    outside.write_bytes(b"secret")
    os.chmod(outside, 0o600)
    before = files_of(run_copy)
    write_state(run_copy, last=name)
    assert main(train_command(corpus, run_copy, tmp_path)) == 2
    err = one_error_line(capsys)
    assert f"names {name!r} as its last checkpoint" in err and "--restart" in err
    # nothing published from outside, nothing deleted
    after = files_of(run_copy)
    assert after.keys() == before.keys()
    assert after["last.keras"] == before["last.keras"]
    assert outside.read_bytes() == b"secret" and os.stat(outside).st_nlink == 1


def test_published_models_are_copies_so_writing_into_them_spares_the_checkpoint(fresh_run):
    run_copy = fresh_run
    state = runs.RunDirectory(run_copy).read_state()
    checkpoint = run_copy / state["last"]
    for published in (run_copy / "last.keras", run_copy / "best.keras"):
        assert os.stat(published).st_ino != os.stat(checkpoint).st_ino
        assert published.read_bytes() == checkpoint.read_bytes()
    saved = checkpoint.read_bytes()
    with open(run_copy / "last.keras", "r+b") as handle:  # : > last.keras
        handle.truncate(0)
    assert checkpoint.read_bytes() == saved


@pytest.mark.backend
def test_a_truncated_or_foreign_published_model_does_not_change_the_resume(
        corpus, fresh_run, tmp_path):
    run_copy = fresh_run
    with open(run_copy / "last.keras", "r+b") as handle:  # : > last.keras, in place
        handle.truncate(0)
    other = tmp_path / "other"
    train_tagger(load_config(data={**tagger_config(corpus, other).model_dump(), "model": {
        **tagger_config(corpus, other).model.model_dump(), "units": 6}}), verbose=0)
    with open(other / "best.keras", "rb") as source, open(run_copy / "best.keras", "r+b") as out:
        out.truncate(0)  # cp other.keras best.keras: writes into the file in place
        out.write(source.read())
    reference = tmp_path / "reference"
    whole = train_tagger(tagger_config(corpus, reference, epochs=2), verbose=0)
    resumed = train_tagger(tagger_config(corpus, run_copy, epochs=2), verbose=0)
    assert resumed.history == whole.history
    # the run's own model, not the 6-unit one
    assert load_model(run_copy / "best.keras").get_config()["units"] == 4
    ours, theirs = (load_model(d / "last.keras").get_weights() for d in (run_copy, reference))
    assert all(np.array_equal(a, b) for a, b in zip(ours, theirs)) and len(ours) == len(theirs)


@pytest.mark.parametrize("damage", ["truncate", "replace", "link"])
def test_a_checkpoint_changed_by_hand_is_named_not_resumed(
        corpus, run_copy, tmp_path, damage, capsys):
    state = runs.RunDirectory(run_copy).read_state()
    checkpoint = run_copy / state["last"]
    if damage == "truncate":
        checkpoint.write_bytes(b"")
    elif damage == "replace":
        data = bytearray(checkpoint.read_bytes())
        data[len(data) // 2] ^= 0xFF
        checkpoint.write_bytes(bytes(data))
    else:
        target = tmp_path / "elsewhere.keras"
        shutil.copyfile(checkpoint, target)
        checkpoint.unlink()
        checkpoint.symlink_to(target)
    assert main(train_command(corpus, run_copy, tmp_path)) == 2
    err = one_error_line(capsys)
    assert f"names {state['last']} as the last checkpoint" in err and "--restart" in err
    assert ("symbolic link" if damage == "link" else "does not hold the bytes") in err


def test_a_linked_checkpoints_folder_is_refused_and_what_it_points_to_kept(
        corpus, run_copy, tmp_path, capsys):
    elsewhere = tmp_path / "elsewhere"
    shutil.move(run_copy / "checkpoints", elsewhere)
    (elsewhere / "precious.txt").write_text("mine")
    (elsewhere / "epoch-0009.keras").write_text("mine too")
    (run_copy / "checkpoints").symlink_to(elsewhere)
    assert main(train_command(corpus, run_copy, tmp_path)) == 2
    assert "is a symbolic link" in one_error_line(capsys)
    assert main(train_command(corpus, run_copy, tmp_path, 2, "--restart")) == 0
    # --restart removed the link, not what it points to
    assert (elsewhere / "precious.txt").read_text() == "mine"
    assert (elsewhere / "epoch-0009.keras").read_text() == "mine too"
    assert not (run_copy / "checkpoints").is_symlink()


def test_a_finished_run_without_its_manifest_is_refused_and_nothing_deleted(
        corpus, run_copy, tmp_path, capsys):
    (run_copy / "state.json").unlink()
    before = files_of(run_copy)
    assert main(train_command(corpus, run_copy, tmp_path)) == 2
    err = one_error_line(capsys)
    assert "but no state.json" in err and "deletes nothing" in err and "--restart" in err
    assert files_of(run_copy) == before


def test_a_run_without_its_config_is_named_as_such(corpus, run_copy, tmp_path, capsys):
    (run_copy / "config.json").unlink()
    assert main(train_command(corpus, run_copy, tmp_path)) == 2
    err = one_error_line(capsys)
    assert "config.json is missing" in err and "different config" not in err


def test_a_refused_resume_names_the_keys_that_differ(corpus, run_copy):
    config = tagger_config(corpus, run_copy, epochs=2)
    config.model.units = 5
    config.training.learning_rate = 0.01
    with pytest.raises(seqlab.ConfigError,
                       match=r"different config \(model.units, training.learning_rate differ\)"):
        train_tagger(config, verbose=0)


@pytest.mark.backend
def test_a_resume_on_changed_data_is_refused_unless_allowed(corpus, tmp_path, capsys):
    data = tmp_path / "data"
    shutil.copytree(os.path.dirname(corpus["train"]), data)
    mine = {k: str(data / os.path.basename(v)) for k, v in corpus.items()}
    train_tagger(tagger_config(mine, tmp_path / "run"), verbose=0)
    train = data / os.path.basename(corpus["train"])
    lines = train.read_text().splitlines()
    first = next(i for i, line in enumerate(lines) if line.endswith(" O"))
    lines[first] = lines[first].rsplit(" ", 1)[0] + " B-PER"
    train.write_text("\n".join(lines) + "\n")
    with pytest.raises(seqlab.DataError, match=rf"{train} \(data.train\) changed since the "
                                               r"run's last epoch .*--allow-changed-data"):
        train_tagger(tagger_config(mine, tmp_path / "run", epochs=2), verbose=0)
    run = train_tagger(tagger_config(mine, tmp_path / "run", epochs=2), verbose=0,
                       allow_changed_data=True)
    assert len(run.history) == 2
    # the new fingerprint is recorded: the next resume takes the new file
    train_tagger(tagger_config(mine, tmp_path / "run", epochs=3), verbose=0)
    # a tag the resumed model was not built with: one line naming file and line
    lines[first] = lines[first].rsplit(" ", 1)[0] + " B-FOO"
    train.write_text("\n".join(lines) + "\n")
    with pytest.raises(seqlab.DataError, match=rf"{train}:{first + 1}: tag 'B-FOO' is not one "
                                               r"the resumed model was built with"):
        train_tagger(tagger_config(mine, tmp_path / "run", epochs=4), verbose=0,
                     allow_changed_data=True)


@pytest.mark.parametrize("name, content", [
    ("state.json", "{}"), ("state.json", "[]"), ("state.json", "null"), ("state.json", "{"),
    ("state.json", '{"epoch": 1, "best_epoch": 1, "wait": 0, "history": [], '
                   '"last": 3, "best": "checkpoints/epoch-0001.keras"}'),
    ("state.json", '{"epoch": 1, "best_epoch": 1, "wait": 0, "history": [], "anneals": -1, '
                   '"last": "checkpoints/epoch-0001.keras", "best": "checkpoints/epoch-0001.keras"}'),
    ("state.json", '{"epoch": 1, "best_epoch": 1, "wait": 0, "history": [], "restore": "yes", '
                   '"last": "checkpoints/epoch-0001.keras", "best": "checkpoints/epoch-0001.keras"}'),
    ("state.json", b"\xff\xfe not utf-8"),
    ("report.json", "[]"), ("report.json", "{"), ("report.json", '{"epoch": "one"}'),
    ("config.json", "[]"),
])
def test_malformed_run_files_are_one_line_in_train_and_report(
        corpus, run_copy, tmp_path, name, content, capsys):
    path = run_copy / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    before = files_of(run_copy)
    assert main(train_command(corpus, run_copy, tmp_path)) == 2
    assert name in one_error_line(capsys)
    if name != "config.json":  # seqlab report reads no config
        assert main(["report", str(run_copy), "--no-plot"]) == 2
        assert name in one_error_line(capsys)
    assert files_of(run_copy) == before


def test_a_report_with_scores_seqlab_never_writes_is_one_line(run_copy, capsys):
    report = json.loads((run_copy / "report.json").read_text())
    report["test"]["per_type"] = {"PER": {"precision": "high"}}
    (run_copy / "report.json").write_text(json.dumps(report))
    assert main(["report", str(run_copy), "--no-plot"]) == 2
    assert "report.json lacks scores seqlab writes" in one_error_line(capsys)


# Any bytes in the run's three JSON files: a clear SeqlabError or a valid
# reading, never another exception, and nothing outside the directory touched.
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 5) | st.floats(allow_nan=True)
    | st.sampled_from(["../x.keras", "/etc/passwd", "checkpoints/epoch-0001.keras",
                       "last.keras", "epoch-0001.keras", ""]),
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.sampled_from(["epoch", "best_epoch", "wait", "history", "last",
                                       "best", "best_score", "anneals", "restore",
                                       "checksums", "data", "dev", "test", "training",
                                       "f1", "per_type", "report"]),
                      inner, max_size=6),
    max_leaves=12)
contents = st.one_of(json_values.map(json.dumps), st.binary(max_size=40).map(
    lambda b: b.decode("latin-1")))


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(state=contents, report=contents, config=contents)
def test_any_run_file_content_is_a_clear_error_or_read_and_nothing_outside_is_touched(
        finished, corpus, tmp_path_factory, state, report, config):
    base = tmp_path_factory.mktemp("fuzz")
    outside = base / "outside.keras"
    outside.write_bytes(b"keep")
    copy = base / "run"
    shutil.copytree(finished, copy)
    for name, text in (("state.json", state), ("report.json", report), ("config.json", config)):
        (copy / name).write_text(text, encoding="utf-8", errors="surrogateescape")
    directory = runs.RunDirectory(copy)
    try:
        if directory.recover():
            directory.check_same_run(tagger_config(corpus, copy))
    except seqlab.SeqlabError:
        pass
    try:
        summary(copy, plot=False)
    except seqlab.SeqlabError:
        pass
    assert outside.read_bytes() == b"keep" and os.stat(outside).st_nlink == 1
    assert sorted(os.listdir(base)) == ["outside.keras", "run"]
