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
    assert config.data.train == str(tmp_path / "train.txt")
    assert config.output == str(tmp_path / "runs" / "tagger")
    assert config.model.cell == "lstm"  # defaults filled in


def test_files_an_encoder_names_are_relative_to_the_file_too(tmp_path):
    config = load_config(write(tmp_path, BASE + """[model]
encoders = ["char_cnn", { name = "word_embedding", pretrained = "glove.txt" },
  { name = "lm_embeddings", forward = "lm/fw.keras", backward = "/abs/bw.keras" }]
"""))
    char_cnn, words, lm = config.model.encoders
    assert char_cnn == "char_cnn" and words["pretrained"] == str(tmp_path / "glove.txt")
    assert lm["forward"] == str(tmp_path / "lm" / "fw.keras")
    assert lm["backward"] == "/abs/bw.keras"


def test_overrides(tmp_path):
    config = load_config(write(tmp_path, BASE), [
        "training.epochs=3", 'model.cell="gru"', "model.cell=gru",
        'training.clipper={ name = "value", threshold = 1.0 }', "training.clipper=none"])
    assert config.training.epochs == 3
    assert config.model.cell == "gru"
    assert config.training.clipper == "none"


@pytest.mark.parametrize("text, overrides, message", [
    (BASE + "[modle]\ncell = 'gru'\n", [], "unknown config key 'modle'. Did you mean 'model'"),
    (BASE + "[model]\ncel = 'gru'\n", [], "unknown config key 'model.cel'. Did you mean 'model.cell'"),
    (BASE, ["training.epoch=3"], "override 'training.epoch=3': unknown config key 'training.epoch'"),
    (BASE, ["epochs"], "An override is section.key=value"),
    ('[data]\ntrain = "t.txt"\n', [], "must give data.dev"),
    (BASE + "[data\n", [], "not valid TOML"),
    ('model = "lstm"\n' + BASE, [], "'model' must be a table"),
    (BASE + '[plugins]\nrequire = "seqlab-example-cell"\n', [],
     r"plugins.require = 'seqlab-example-cell': expected a list of plugin package names"),
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


def test_a_config_is_typed_and_read_as_attributes(tmp_path):
    config = load_config(write(tmp_path, BASE), ["training.epochs=3"])
    assert isinstance(config, seqlab.TaggerConfig)
    assert config.training.epochs == 3 and config.model.encoders == ["word_embedding", "char_cnn"]
    lm = load_config(write(tmp_path, BASE), task="lm")
    assert isinstance(lm, seqlab.LanguageModelConfig) and lm.training.optimizer == "sgd"
    with pytest.raises(seqlab.ConfigError, match="training.epochs = 0: expected an integer >= 1"):
        config.training.epochs = 0  # assignments are checked like the file's values
    assert config.training.epochs == 3


def test_aliases_are_normalised_once(tmp_path):
    config = load_config(write(tmp_path, BASE), ['data.scheme="BIO"', 'model.scheme="IOB-ES"'])
    assert (config.data.scheme, config.model.scheme) == ("iob2", "iobes")


def test_updated_sets_typed_values_and_names_every_wrong_one(tmp_path):
    from seqlab.config import updated

    config = load_config(write(tmp_path, BASE))
    changed = updated(config, {"training.epochs": 4, "output": "elsewhere"})
    assert (changed.training.epochs, changed.output) == (4, "elsewhere")
    assert config.training.epochs == 50  # a copy
    with pytest.raises(seqlab.ConfigError) as info:
        updated(config, {"training.epochs": 0, "distribution.addresses": ["nohost"]})
    assert "training.epochs = 0" in str(info.value)
    assert "distribution.addresses = ['nohost']" in str(info.value)


def test_to_toml_reads_back_to_the_same_config(tmp_path):
    from seqlab.config import to_toml

    config = load_config(write(tmp_path, BASE), [
        'training.clipper={ name = "value", threshold = 1.0 }', 'model.pretrained="v.txt"'])
    again = load_config(write(tmp_path, to_toml(config)))
    assert again == config
    assert "# embedding_dim = (not set)" in to_toml(config)


def test_hand_built_dicts_get_the_defaults_and_the_same_checks(tmp_path):
    from seqlab.config import as_config

    config = as_config({"data": {"train": "t.txt", "dev": "d.txt"}})
    assert config.model.head == "crf" and config.output == "runs/tagger"
    with pytest.raises(seqlab.ConfigError, match="data.train = \\(none\\): expected a file path"):
        as_config({"data": {"dev": "d.txt"}})
    with pytest.raises(seqlab.ConfigError, match="model.bogus = 1: unknown key"):
        as_config({"data": {"train": "t", "dev": "d"}, "model": {"bogus": 1}})
    with pytest.raises(seqlab.ConfigError, match="cannot configure a lm run"):
        as_config(config, task="lm")


def test_the_json_schema_describes_every_key():
    schema = seqlab.TaggerConfig.model_json_schema()
    training = schema["$defs"]["TaggerTraining"]["properties"]
    assert training["batch_size"]["minimum"] == 1 and training["batch_size"]["maximum"] == 65536
    assert training["metric"]["enum"] == ["f1", "binary_overlap", "proportional_overlap",
                                          "token_accuracy"]
    assert "selects the model" in training["metric"]["description"]
    assert schema["$defs"]["TaggerModel"]["additionalProperties"] is False
    for section in ("TaggerData", "TaggerModel", "TaggerTraining", "TaggerVocabulary"):
        for key, field in schema["$defs"][section]["properties"].items():
            assert field.get("description"), f"{section}.{key} has no description"


def test_merge_modes_and_metrics_are_declared_once():
    from seqlab.config import MERGE_MODES, TAGGER_METRICS
    from seqlab.layers import stacked
    from seqlab.tagging import METRICS

    assert stacked.MERGE_MODES is MERGE_MODES
    assert tuple(METRICS) == TAGGER_METRICS
