"""What `seqlab.Tagger.annotate` returns: each text's tokens, tags and
entities, with character offsets and confidences."""

import dataclasses


@dataclasses.dataclass
class Entity:
    """One entity (a span of tokens with a label) found in a text.

    Attributes:
        label: the entity type (``"PER"``).
        start, end: character offsets in the text (end exclusive).
        text: ``text[start:end]``.
        confidence: the model's probability that exactly this span carries
            exactly these tags (a CRF's: from its forward and backward
            scores, whatever the tags around it; a softmax's: the product of
            its tokens' probabilities), in [0, 1].
        token_start, token_end: the span in tokens (end exclusive).
    """

    label: str
    start: int
    end: int
    text: str
    confidence: float
    token_start: int
    token_end: int

    def to_dict(self):
        """The ``spans_jsonl`` shape: ``start``, ``end``, ``label``,
        ``confidence`` (and ``text``)."""
        return {"start": self.start, "end": self.end, "label": self.label,
                "text": self.text, "confidence": round(self.confidence, 6)}


@dataclasses.dataclass
class Annotation:
    """A tagged text.

    Attributes:
        text: the text as given (for token lists: the tokens joined by
            single spaces).
        tokens: the tokens the model tagged.
        offsets: ``(start, end)`` of each token in ``text``.
        tags: one tag per token, in ``scheme``.
        scheme: the tags' scheme.
        entities: the `Entity` spans, in order.
    """

    text: str
    tokens: list
    offsets: list
    tags: list
    scheme: str
    entities: list

    def to_dict(self):
        """JSON-ready: ``text``, ``tokens``, ``offsets`` (``[start, end]``
        of each token in ``text``), ``tags`` and ``spans``."""
        return {"text": self.text, "tokens": self.tokens,
                "offsets": [[int(a), int(b)] for a, b in self.offsets], "tags": self.tags,
                "spans": [entity.to_dict() for entity in self.entities]}
