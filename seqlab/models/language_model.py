"""The recurrent language model (Mikolov's RNNLM and its LSTM/GRU successors)."""

import keras
from keras import ops

from seqlab import registry
from seqlab.errors import ConfigError
from seqlab.hookspecs import HeadContext
from seqlab.validation import check_positive_int, check_printable_names
from seqlab.layers.stacked import StackedRNN
from seqlab.models.base import SequenceModel, component_config
from seqlab.models.tagger import _size, _vocabulary


@keras.saving.register_keras_serializable(package="seqlab")
class LanguageModel(SequenceModel):
    """A recurrent language model scored by perplexity.

    Inputs are ``(batch, time)`` word ids (0 is padding); targets are the
    next word at each position. The loss is the mean negative
    log-likelihood per real token, so ``exp(loss)`` is the perplexity.

    Args:
        vocab_size: number of word ids, padding included (or give
            ``vocabulary``).
        cell: cell spec: ``{"name": "elman", "activation": "sigmoid"}`` is
            Mikolov's RNNLM; ``"lstm"`` and ``"gru"`` its successors.
        units: hidden width of each layer.
        depth: number of recurrent layers.
        embedding_dim: width of the word embeddings (default: ``units``).
        dropout: dropout on the non-recurrent connections (embeddings,
            between layers, before the output), as in Zaremba et al. 2014.
        head: ``"softmax"``, ``"class_softmax"``, ``"adaptive_softmax"`` (or
            another registered head, or a spec with options such as
            ``{"name": "adaptive_softmax", "cutoffs": [2000, 10000]}``).
        num_classes: number of word classes, for class-factored heads.
        word_counts: unigram count of each word id, for class-factored heads
            (classes are frequency bins). Without it, ids are taken to be
            sorted by decreasing frequency.
        tie_embeddings: share the input embedding matrix with the output
            layer (Press & Wolf 2017; Inan et al. 2017). Needs a head that
            can tie (``softmax``) and ``embedding_dim == units``.
        stream_batch_size: number of parallel text streams whose hidden
            state is carried from one training window to the next
            (truncated BPTT, see `seqlab.lm`). None: every batch starts from
            zero states.
        vocabulary: a `seqlab.data.Vocabulary` (or its config), so the
            model can read and write words.
        kernel_initializer, recurrent_initializer: initializer specs, or None.
        unit: ``"word"`` or ``"char"``: what the vocabulary's tokens are, so
            text is split as the model was trained (a character model reads
            every character, spaces and case kept; ``<eos>`` is the line
            break).
        direction: ``"forward"``, or ``"backward"`` for a model trained on
            each line reversed (it predicts a line's tokens right to left).

    Example:
        >>> lm = seqlab.LanguageModel(vocab_size=10000, cell="elman", units=200,
        ...                           head="class_softmax", num_classes=100)
    """

    def __init__(self, vocab_size=None, cell="lstm", units=200, depth=1,
                 embedding_dim=None, dropout=0.0, head="softmax",
                 num_classes=None, word_counts=None, kernel_initializer=None,
                 recurrent_initializer=None, tie_embeddings=False,
                 stream_batch_size=None, vocabulary=None, unit="word",
                 direction="forward", **kwargs):
        from seqlab.data.corpus import DIRECTIONS, UNITS

        if unit not in UNITS:
            raise ConfigError(f"`unit` must be one of {', '.join(UNITS)}. Received: "
                              f"unit={unit!r}")
        if direction not in DIRECTIONS:
            raise ConfigError(f"`direction` must be one of {', '.join(DIRECTIONS)}. "
                              f"Received: direction={direction!r}")
        vocabulary = _vocabulary(vocabulary)
        vocab_size = _size("vocab_size", vocab_size, vocabulary, "vocabulary")
        if vocabulary is not None:  # sampled words are printed a line at a time
            if unit == "word":
                check_printable_names("vocabulary", vocabulary.tokens)
            else:
                check_characters(vocabulary.tokens)
        embedding_dim = units if embedding_dim is None else embedding_dim
        check_positive_int("embedding_dim", embedding_dim)
        if stream_batch_size is not None:
            check_positive_int("stream_batch_size", stream_batch_size)
        if tie_embeddings and embedding_dim != units:
            raise ConfigError(
                f"Tied embeddings need embedding_dim == units (the output "
                f"layer reads the last layer's {units} units). Received: "
                f"embedding_dim={embedding_dim}, units={units}.")
        super().__init__(**kwargs)
        self.vocab_size = vocab_size
        self.vocabulary = vocabulary
        self.embedding_dim = embedding_dim
        self.dropout = dropout
        self.num_classes = num_classes
        self.word_counts = None if word_counts is None else [int(c) for c in word_counts]
        self.tie_embeddings = bool(tie_embeddings)
        self.stream_batch_size = stream_batch_size
        self.unit, self.direction = unit, direction
        self.head_spec = component_config(head, "output_heads")
        self.embedding = keras.layers.Embedding(vocab_size, embedding_dim,
                                                name="embedding")
        self.input_dropout = keras.layers.Dropout(dropout, name="input_dropout")
        self.decoder = StackedRNN(
            cell, units, depth, dropout,
            component_config(kernel_initializer, "initializers"),
            component_config(recurrent_initializer, "initializers"),
            name="decoder")
        self.output_dropout = keras.layers.Dropout(dropout, name="output_dropout")
        head_options = {} if num_classes is None else {"num_classes": num_classes}
        counts = None if self.word_counts is None else tuple(self.word_counts)
        self.head = registry.create("output_heads", head,
                                    HeadContext(vocab_size, counts), **head_options)
        if self.tie_embeddings:
            self.head.tie(self.embedding)
        self.stream_states = None
        if stream_batch_size is not None:
            self.stream_states = [
                [self.add_weight(shape=(stream_batch_size, size), initializer="zeros",
                                 trainable=False, name=f"state_{i}_{j}")
                 for j, size in enumerate(sizes)]
                for i, sizes in enumerate(self.decoder.state_sizes())]

    def call(self, inputs, training=None, initial_state=None, return_state=False,
             carry_state=None):
        """Scores for the next word at every position.

        Args:
            inputs: ``(batch, time)`` word ids, right-padded with 0.
            initial_state: per-layer state lists (see `StackedRNN`), or None.
            return_state: also return the final states.
            carry_state: start from the carried stream states and store the
                final ones there. Default: in training (``fit``), when the
                model was built with ``stream_batch_size`` and no
                ``initial_state`` is given; elsewhere (``predict``,
                ``evaluate``, scoring) every batch starts from zero states,
                so any batch size works. `seqlab.lm.perplexity` carries the
                state itself.
        """
        if carry_state is None:
            carry_state = (bool(training) and self.stream_states is not None
                           and initial_state is None)
        if carry_state:
            if self.stream_states is None:
                raise ConfigError("carry_state=True needs a model built with "
                                  "stream_batch_size.")
            initial_state = [[v.value for v in layer] for layer in self.stream_states]
        x = self.input_dropout(self.embedding(inputs), training=training)
        # No mask for the recurrence: seqlab pads on the right only, and a
        # forward recurrence never carries what follows a position back to
        # it, so every real position's output is exactly the masked one.
        # Unmasked, Keras can take its fused kernels (cuDNN): a plain Keras
        # LSTM 2x650 LM trained 1.33x faster unmasked than masked on an H200
        # (benchmarks/README.md, section 5). The loss masks padding; states
        # after right padding are never carried on.
        x, states = self.decoder(x, training=training, initial_state=initial_state,
                                 return_state=True)
        if carry_state:
            for variables, values in zip(self.stream_states, states):
                for variable, value in zip(variables, values):
                    variable.assign(ops.stop_gradient(ops.cast(value, variable.dtype)))
        x = self.output_dropout(x, training=training)
        scores = self.head(x, training=training)
        return (scores, states) if return_state else scores

    def reset_states(self):
        """Zero the carried stream states (the start of a pass over a text)."""
        for layer in self.stream_states or []:
            for variable in layer:
                variable.assign(ops.zeros_like(variable.value))

    def log_probs(self, token_ids):
        """Normalised log-probabilities of every next word at every position,
        each sentence read from zero states."""
        return self.head.log_probs(self(token_ids, training=False, carry_state=False),
                                   self.padding_mask(token_ids))

    def token_log_probs(self, token_ids, targets, initial_state=None,
                        return_state=False):
        """log p(target_t | history) at every position, ``(batch, time)``,
        from ``initial_state`` (default: zero states)."""
        scores, states = self(token_ids, training=False, initial_state=initial_state,
                              return_state=True, carry_state=False)
        log_probs = -self.head.token_loss(targets, scores, self.padding_mask(token_ids))
        return (log_probs, states) if return_state else log_probs

    def get_config(self):
        decoder = self.decoder
        return {
            **super().get_config(),
            "vocab_size": self.vocab_size, "cell": decoder.cell,
            "units": decoder.units, "depth": decoder.depth,
            "embedding_dim": self.embedding_dim, "dropout": self.dropout,
            "head": self.head_spec, "num_classes": self.num_classes,
            "word_counts": self.word_counts,
            "kernel_initializer": decoder.kernel_initializer,
            "recurrent_initializer": decoder.recurrent_initializer,
            "tie_embeddings": self.tie_embeddings,
            "stream_batch_size": self.stream_batch_size,
            "vocabulary": None if self.vocabulary is None else self.vocabulary.get_config(),
            "unit": self.unit, "direction": self.direction,
        }


def check_characters(tokens):
    """Raise a `ConfigError` unless every entry of a character vocabulary is
    one printable character (a space included) or a ``<...>`` marker: model
    files are input too, and sampled characters are printed."""
    for position, token in enumerate(tokens):
        if not (isinstance(token, str) and ((len(token) == 1 and token.isprintable())
                                            or (token.startswith("<") and token.endswith(">")
                                                and token[1:-1].isalnum()))):
            raise ConfigError(f"`vocabulary` entry {position} ({token!r:.60}) of a character "
                              f"model is not one printable character or a <marker>.")
