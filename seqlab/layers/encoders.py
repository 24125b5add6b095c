"""The base class of token encoders."""

import keras

from seqlab.errors import ConfigError

INPUTS = ("words", "chars", "text")


class TokenEncoder(keras.layers.Layer):
    """Maps the ids of one input to a vector per token: ``(batch, time, dim)``.

    Attributes:
        input_name: ``"words"`` (ids ``(batch, time)``), ``"chars"``
            (ids ``(batch, time, chars)``) or ``"text"``: the input this
            encoder reads. Checked when a subclass is defined. A ``"text"``
            encoder makes its own inputs from the tokens (`encode`) and is
            called with a dict of them (keys `input_keys`).
        init_only_options: options used only to initialise weights (a path
            to pretrained vectors, say). A model leaves them out of its
            saved config: the saved weights already hold what they gave.
        from_vectors: whether this encoder started from pretrained vectors
            (a tagger given vectors that no encoder reads refuses them).
        per_token: for a ``"chars"`` encoder, whether a token's vector
            depends on that token's characters alone (a character CNN or
            LSTM; not on its neighbours nor on the batch). Decoding then
            runs it once per distinct token of a batch (called with
            ``(1, distinct tokens, chars)``) and copies the vectors to
            their positions. Default False: every position is encoded.
        reads_columns: for a ``"text"`` encoder, whether `encode` reads
            the other fields of each token's line (a POS column): it is
            then called with ``rows`` too, and the tagger refuses texts and
            token lists, which have none.
    """

    input_name = "words"
    init_only_options = ()
    from_vectors = False
    per_token = False
    reads_columns = False

    @property
    def adds_losses(self):
        """Whether this encoder adds a loss in training (``add_loss``); a
        run refuses to train it where such losses cannot be trusted."""
        return False

    @property
    def input_keys(self):
        """The keys of the model inputs `encode` makes (``"text"`` encoders)."""
        return ()

    def encode(self, sentences):
        """A ``"text"`` encoder's inputs for tokenised sentences: a dict from
        each of `input_keys` to one id sequence per sentence, either one id
        per token (padded like the words) or a `seqlab.data.Stream`
        (padded to its own length). Runs in Python, once per sentence.
        An encoder that `reads_columns` takes ``encode(sentences, rows)``:
        each sentence's tokens' fields (tuples of strings)."""
        raise NotImplementedError(f"{type(self).__name__} reads {self.input_name!r}; "
                                  f"only 'text' encoders encode.")

    def saved_options(self):
        """Options to save in the model's config besides the spec's own (less
        `init_only_options`): what rebuilds this encoder's layers without
        the files its init-only options named. Default: none."""
        return {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.input_name not in INPUTS:
            raise ConfigError(
                f"{cls.__name__}.input_name must be one of {', '.join(INPUTS)}. "
                f"Received: input_name={cls.input_name!r}")
