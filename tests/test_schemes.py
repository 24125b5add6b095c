"""Tag schemes: validation, span decoding and conversion."""

import numpy as np
import pytest

from seqlab.data.schemes import (IdConverter, SchemeError, check_scheme, convert, encode, spans,
                                 validate)
from seqlab.errors import ConfigError


@pytest.mark.parametrize("scheme, tags", [
    ("iob1", ["I-PER", "I-PER", "B-PER", "O", "I-LOC"]),
    ("iob2", ["B-PER", "I-PER", "B-PER", "O", "B-LOC"]),
    ("iobes", ["B-PER", "E-PER", "S-PER", "O", "S-LOC"]),
])
def test_the_same_entities_in_each_scheme(scheme, tags):
    validate(tags, scheme)
    assert spans(tags, scheme) == [("PER", 0, 2), ("PER", 2, 3), ("LOC", 4, 5)]


@pytest.mark.parametrize("scheme, tags, position, message", [
    ("iob2", ["O", "I-PER"], 1, "not begun with B-PER"),
    ("iob2", ["B-LOC", "I-PER"], 1, "not begun with B-PER"),
    ("iob1", ["O", "B-PER"], 1, "does not follow another PER"),
    ("iobes", ["B-PER", "O"], 1, "unfinished PER"),
    ("iobes", ["B-PER"], 0, "ends inside"),
    ("iobes", ["O", "E-LOC"], 1, "not begun"),
    ("iob2", ["O", "S-PER"], 1, "not in the IOB2 scheme"),
    ("iob2", ["PER"], 0, "not in the IOB2 scheme"),
    ("iob2", ["B-"], 0, "not in the IOB2 scheme"),
])
def test_invalid_sequences_name_the_position(scheme, tags, position, message):
    with pytest.raises(SchemeError, match=message) as info:
        validate(tags, scheme)
    assert info.value.position == position


def test_decoding_is_lenient_like_conlleval():
    assert spans(["O", "I-PER", "I-PER", "I-LOC", "E-LOC"], "iob2") == [
        ("PER", 1, 3), ("LOC", 3, 5)]
    assert spans(["B-PER", "X", "I-PER"], "iob2") == [("PER", 0, 1), ("PER", 2, 3)]


@pytest.mark.parametrize("source", ["iob1", "iob2", "iobes"])
@pytest.mark.parametrize("target", ["iob1", "iob2", "iobes"])
def test_conversion_keeps_the_entities(source, target):
    rng = np.random.default_rng(0)
    for _ in range(200):
        length, position, entity_spans = 12, 0, []
        while position < length:
            position += int(rng.integers(0, 3))
            size = int(rng.integers(1, 4))
            if position + size <= length and rng.random() < 0.7:
                entity_spans.append((str(rng.choice(["PER", "LOC"])), position, position + size))
            position += size
        tags = encode(entity_spans, length, source)
        converted = convert(tags, source, target)
        validate(converted, target)
        assert spans(converted, target) == entity_spans


def test_scheme_names():
    assert check_scheme("BIO") == "iob2" and check_scheme("IOB-2") == "iob2"
    with pytest.raises(ValueError, match="Unknown tag scheme 'bilou'"):
        check_scheme("bilou")


@pytest.mark.parametrize("target", ["iob1", "iob2"])
def test_id_converter_equals_convert_on_every_sequence(target):
    """Decoding converts IOBES tag ids batch by batch (`IdConverter`): every
    row equals `convert` of its tags, ill-formed rows (an E- after O, a
    kind change inside an entity, a name that is not a tag) included."""
    names = ["O", "B-LOC", "B-PER", "E-LOC", "E-PER", "I-LOC", "I-PER", "S-LOC", "S-PER",
             "junk"]
    converter = IdConverter(names, target)
    rng = np.random.default_rng(0)
    for _ in range(200):
        ids = rng.integers(0, len(names), size=(4, int(rng.integers(1, 12))))
        for row, converted in zip(ids, converter(ids)):
            assert list(converted) == convert([names[i] for i in row], "iobes", target)
    with pytest.raises(ConfigError, match="IOB1 or IOB2"):
        IdConverter(names, "iobes")
