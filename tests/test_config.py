"""Training configs: files, overrides, validation."""

import pytest

import seqlab
from seqlab.config import load_config


def write(tmp_path, text):
    path = tmp_path / "run.toml"
    path.write_text(text)
    return path


BASE = '[data]\ntrain = "train.txt"\ndev = "dev.txt"\n'


def test_paths_are_relative_to_the_file(tmp_path):
    config = load_config(write(tmp_path, BASE))
    assert config["data"]["train"] == str(tmp_path / "train.txt")
    assert config["output"] == str(tmp_path / "runs" / "tagger")
    assert config["model"]["cell"] == "lstm"  # defaults filled in


def test_overrides(tmp_path):
    config = load_config(write(tmp_path, BASE), [
        "training.epochs=3", 'model.cell="gru"', "model.cell=gru",
        'training.clipper={ name = "value", threshold = 1.0 }', "training.clipper=none"])
    assert config["training"]["epochs"] == 3
    assert config["model"]["cell"] == "gru"
    assert config["training"]["clipper"] == "none"


@pytest.mark.parametrize("text, overrides, message", [
    (BASE + "[modle]\ncell = 'gru'\n", [], "unknown config key 'modle'. Did you mean 'model'"),
    (BASE + "[model]\ncel = 'gru'\n", [], "unknown config key 'model.cel'. Did you mean 'model.cell'"),
    (BASE, ["training.epoch=3"], "override 'training.epoch=3': unknown config key 'training.epoch'"),
    (BASE, ["epochs"], "An override is section.key=value"),
    ('[data]\ntrain = "t.txt"\n', [], "must give data.dev"),
    (BASE + "[data\n", [], "not valid TOML"),
    ('model = "lstm"\n' + BASE, [], "'model' must be a table"),
    (BASE + '[plugins]\nrequire = "seqlab-example-cell"\n', [],
     r"plugins.require = 'seqlab-example-cell': expected a list of plugin distribution names"),
])
def test_errors_name_the_key(tmp_path, text, overrides, message):
    with pytest.raises(seqlab.ConfigError, match=message):
        load_config(write(tmp_path, text), overrides)


def test_missing_config_file(tmp_path):
    with pytest.raises(seqlab.ConfigError, match="no such config file"):
        load_config(tmp_path / "none.toml")


def test_every_optimizer_name_the_schema_allows_is_one_keras_builds(tmp_path):
    import keras

    from seqlab.config import OPTIMIZERS

    for name in OPTIMIZERS + ("Adam", "RMSprop"):
        assert isinstance(keras.optimizers.get(name), keras.optimizers.Optimizer)
        load_config(write(tmp_path, BASE), [f"training.optimizer={name}"])
