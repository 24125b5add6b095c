"""Tag schemes (IOB1, IOB2, IOBES): validation, span decoding, conversion.

- IOB1 (CoNLL-2003): every entity token is ``I-X``; ``B-X`` only starts an
  entity that directly follows another of type X.
- IOB2 (BIO): every entity starts with ``B-X``, continues with ``I-X``.
- IOBES: ``S-X`` for one-token entities, else ``B-X I-X* E-X``.

Conversion goes through spans, so it is exact for well-formed input;
`validate` says where input is not well-formed instead of guessing.
"""

from seqlab.errors import ConfigError, SeqlabError

SCHEMES = ("iob1", "iob2", "iobes")
PREFIXES = {"iob1": "BI", "iob2": "BI", "iobes": "BIES"}


class SchemeError(SeqlabError, ValueError):
    """A tag sequence is not valid in a scheme.

    Attributes:
        position: index of the offending tag in the sequence.
    """

    def __init__(self, message, position):
        super().__init__(message)
        self.position = position


def check_scheme(scheme):
    """The canonical (lower-case) name of a scheme, or a `ConfigError`."""
    name = str(scheme).lower().replace("-", "")
    name = {"bio": "iob2"}.get(name, name)
    if name not in SCHEMES:
        raise ConfigError(
            f"Unknown tag scheme {scheme!r}. Schemes: IOB1, IOB2 (BIO), IOBES.")
    return name


def split_tag(tag):
    """``"B-PER"`` -> ``("B", "PER")``; ``"O"`` -> ``("O", "")``."""
    if tag == "O":
        return "O", ""
    prefix, sep, kind = tag.partition("-")
    if not sep or len(prefix) != 1 or not kind:
        return None, None
    return prefix, kind


def validate(tags, scheme):
    """Raise `SchemeError` at the first tag that is invalid in ``scheme``."""
    scheme = check_scheme(scheme)
    allowed = PREFIXES[scheme]
    previous = ("O", "")
    for i, tag in enumerate(tags):
        prefix, kind = split_tag(tag)
        if prefix is None or (prefix != "O" and prefix not in allowed):
            raise SchemeError(
                f"tag {tag!r} is not in the {scheme.upper()} scheme (expected O "
                f"or {'/'.join(p + '-TYPE' for p in allowed)})", i)
        problem = _transition_problem(scheme, previous, (prefix, kind))
        if problem:
            raise SchemeError(f"tag {tag!r} {problem}", i)
        previous = (prefix, kind)
    if scheme == "iobes" and previous[0] in "BI" and previous[0] != "O":
        raise SchemeError(f"the sequence ends inside a {previous[1]} entity "
                          f"(IOBES entities end with E- or S-)", len(tags) - 1)


def _transition_problem(scheme, previous, current):
    (p_prefix, p_kind), (prefix, kind) = previous, current
    inside_same = p_prefix != "O" and p_kind == kind
    if scheme == "iob1":
        if prefix == "B" and not inside_same:
            return f"starts a {kind} entity that does not follow another {kind} entity (IOB1 uses I- for that)"
    elif scheme == "iob2":
        if prefix == "I" and not inside_same:
            return f"continues a {kind} entity that was not begun with B-{kind}"
    else:
        open_entity = p_prefix in ("B", "I")
        if prefix in ("I", "E") and not (open_entity and p_kind == kind):
            return f"continues a {kind} entity that was not begun with B-{kind}"
        if prefix in ("B", "S", "O") and open_entity:
            return f"follows an unfinished {p_kind} entity (end it with E-{p_kind})"
    return None


def spans(tags, scheme):
    """Entities of a tag sequence as ``(type, start, end)``, end exclusive.

    Decoding is lenient, as conlleval's is: an ``I-X`` that does not continue
    an X entity starts a new one, and unknown tags count as ``O``. Use
    `validate` to reject such input instead.
    """
    check_scheme(scheme)
    found = []
    start = kind = None
    for i, tag in enumerate(tags + ["O"]):
        prefix, tag_kind = split_tag(tag)
        continues = prefix in ("I", "E") and start is not None and tag_kind == kind
        if start is not None and not continues:
            found.append((kind, start, i))
            start = kind = None
        if prefix in ("B", "I", "E", "S") and not continues:
            start, kind = i, tag_kind
        if prefix in ("E", "S"):
            found.append((kind, start, i + 1))
            start = kind = None
    return found


def encode(entity_spans, length, scheme):
    """Tags of ``length`` tokens with the given ``(type, start, end)`` spans."""
    scheme = check_scheme(scheme)
    tags = ["O"] * length
    previous_end, previous_kind = None, None
    for kind, start, end in sorted(entity_spans, key=lambda s: s[1]):
        if scheme == "iob2":
            tags[start:end] = [f"B-{kind}"] + [f"I-{kind}"] * (end - start - 1)
        elif scheme == "iobes":
            tags[start:end] = ([f"S-{kind}"] if end - start == 1 else
                               [f"B-{kind}"] + [f"I-{kind}"] * (end - start - 2) + [f"E-{kind}"])
        else:
            adjacent = previous_end == start and previous_kind == kind
            tags[start:end] = [f"{'B' if adjacent else 'I'}-{kind}"] + [f"I-{kind}"] * (end - start - 1)
        previous_end, previous_kind = end, kind
    return tags


def convert(tags, source, target):
    """Re-encode a tag sequence from one scheme to another (through spans)."""
    return encode(spans(tags, source), len(tags), target)


class IdConverter:
    """`convert` from IOBES to IOB1 or IOB2 for whole matrices of tag ids at
    once (a decoded batch, rows of sentences), with `convert`'s lenient
    reading: each row's tags equal ``convert(row, "iobes", target)``.

    Args:
        tag_names: the IOBES tag of each id (an id whose name is not a tag
            reads as ``O``, as `spans` reads it).
        target: ``"iob1"`` or ``"iob2"``.

    Example:
        >>> converter = IdConverter(["O", "B-PER", "E-PER"], "iob2")
        >>> converter(np.array([[1, 2, 0]]))
        array([['B-PER', 'I-PER', 'O']], dtype=object)
    """

    def __init__(self, tag_names, target):
        import numpy as np

        self.target = check_scheme(target)
        if self.target not in ("iob1", "iob2"):
            raise ConfigError(f"IdConverter converts to IOB1 or IOB2, not {target!r}.")
        kinds, prefixes, kind_ids = [], [], []
        for name in tag_names:
            prefix, kind = split_tag(name)
            if prefix not in ("B", "I", "E", "S"):
                prefix, kind = "O", ""
            if kind and kind not in kinds:
                kinds.append(kind)
            prefixes.append(prefix)
            kind_ids.append(kinds.index(kind) if kind else -1)
        self.prefix = np.array(["OBIES".index(p) for p in prefixes], dtype=np.int8)
        self.kind = np.array(kind_ids, dtype=np.int32)
        # Output id 0 is O; 1 + 2k is B-kind, 2 + 2k I-kind.
        self.names = np.array(["O"] + [f"{p}-{k}" for k in kinds for p in "BI"], dtype=object)

    def __call__(self, ids):
        """The target scheme's tag names of an integer matrix of tag ids."""
        import numpy as np

        prefix, kind = self.prefix[ids], self.kind[ids]
        before_prefix = np.zeros_like(prefix)
        before_prefix[:, 1:] = prefix[:, :-1]
        before_kind = np.full_like(kind, -1)
        before_kind[:, 1:] = kind[:, :-1]
        same_kind = kind == before_kind
        # spans(): an I or E tag continues the entity a B or I tag opened
        # before it, if of its kind; every other entity tag starts one.
        continues = (prefix >= 2) & (prefix <= 3) & (before_prefix >= 1) & (before_prefix <= 2) \
            & same_kind
        entity = prefix > 0
        first = entity & ~continues
        if self.target == "iob1":  # B- only where an entity of its kind ends just before
            first &= (before_prefix > 0) & same_kind
        out = np.where(entity, np.where(first, 1 + 2 * kind, 2 + 2 * kind), 0)
        return self.names[out]
