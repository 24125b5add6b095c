"""Name lookups, specs and their errors."""

import pytest

import seqlab
from seqlab import registry


def test_unknown_name_lists_the_available_ones():
    with pytest.raises(seqlab.UnknownComponentError) as info:
        registry.get("cells", "lstn")
    message = str(info.value)
    assert "Unknown cell 'lstn'" in message
    assert "elman, gru, irnn, lstm" in message
    assert info.value.kind == "cells" and info.value.name == "lstn"
    assert "lstm" in info.value.available


def test_unknown_kind():
    with pytest.raises(seqlab.ConfigError, match="Unknown component kind 'cell'.*cells"):
        seqlab.available("cell")


@pytest.mark.parametrize("spec, expected", [
    ("lstm", ("lstm", {})),
    ({"name": "elman", "activation": "sigmoid"}, ("elman", {"activation": "sigmoid"})),
])
def test_parse_spec(spec, expected):
    assert registry.parse_spec(spec) == expected


@pytest.mark.parametrize("spec", [None, "", 3, {"activation": "relu"}, ["lstm"]])
def test_bad_spec(spec):
    with pytest.raises(seqlab.ConfigError, match="by its name or by a dict"):
        registry.parse_spec(spec, "cells")


def test_normalise_spec_is_json_friendly():
    assert registry.normalise_spec({"name": "lstm"}) == "lstm"
    assert registry.normalise_spec({"name": "value", "threshold": 1.0}) == {
        "name": "value", "threshold": 1.0}


def test_create_rejects_unknown_options_before_calling_the_factory():
    with pytest.raises(seqlab.ConfigError) as info:
        registry.create("gradient_clippers", {"name": "global_norm", "treshold": 1.0})
    message = str(info.value)
    assert "'global_norm'" in message and "seqlab_builtins.clipping" in message
    assert "treshold" in message and "It accepts: threshold" in message


def test_components_carry_provenance():
    rows = registry.components("output_heads")
    assert [(c.kind, c.name, c.plugin, c.package) for c in rows] == [
        ("output_heads", "adaptive_softmax", "seqlab_builtins.heads", None),
        ("output_heads", "class_softmax", "seqlab_builtins.heads", None),
        ("output_heads", "crf", "seqlab_builtins.crf", None),
        ("output_heads", "softmax", "seqlab_builtins.heads", None),
    ]
