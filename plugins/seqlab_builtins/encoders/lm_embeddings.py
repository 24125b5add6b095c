"""The ``lm_embeddings`` encoder: contextual string embeddings (Akbik et al.
2018) from seqlab's own character language models.

A sentence is read as one character stream, its tokens joined by single
spaces, as the language models read a line of their training text. A
token's vector is the forward model's last-layer state after the character
that follows the token (the space, or the line's end) and the backward
model's state after the character that precedes it, read right to left:
what the forward model knows of the text up to the token, and the backward
model of the text from it.
"""

import keras
from keras import ops

import seqlab
from seqlab.data import EOS, Stream, Vocabulary, pad
from seqlab.io import check_may_read
from seqlab.layers import StackedRNN, TokenEncoder

#: What rebuilds a language model's embedding and recurrent layers.
ARCHITECTURE_KEYS = ("vocabulary", "cell", "units", "depth", "embedding_dim",
                     "kernel_initializer", "recurrent_initializer")
DIRECTIONS = ("forward", "backward")


@keras.saving.register_keras_serializable(package="seqlab")
class LMEmbeddings(TokenEncoder):
    """The states of a forward and/or a backward character language model at
    each token's boundaries, concatenated (forward first).

    Args:
        forward_model, backward_model: what rebuilds each language model's
            embedding and recurrent layers (the `ARCHITECTURE_KEYS` of its
            config), or None for a direction not used. The weights are the
            tagger's own (copied from the language model when it was built).
        fine_tune: train the language models' weights with the tagger;
            false (the default) keeps them as trained.
        lm_loss: in training, add this weight times each model's mean
            next-character loss (nats) over the batch's sentences to the
            tagger's loss (co-training, Liu et al. 2018); 0: none.
    """

    input_name = "text"
    init_only_options = ("forward", "backward", "units", "depth", "embedding_dim", "cell",
                         "directions")

    def __init__(self, forward_model=None, backward_model=None, fine_tune=False, lm_loss=0.0,
                 **kwargs):
        super().__init__(**kwargs)
        self.fine_tune, self.lm_loss = bool(fine_tune), float(lm_loss)
        self.architectures = {"forward": forward_model, "backward": backward_model}
        self.directions = [d for d in DIRECTIONS if self.architectures[d] is not None]
        self.vocabularies, self.eos_ids = {}, {}
        for direction in self.directions:
            architecture = self.architectures[direction]
            vocabulary = Vocabulary.from_config(architecture["vocabulary"])
            self.vocabularies[direction] = vocabulary
            self.eos_ids[direction] = vocabulary.index.get(EOS, 1)
            # Plain attributes (forward_embedding, ...): the names the
            # saved weights are filed under.
            setattr(self, f"{direction}_embedding", keras.layers.Embedding(
                len(vocabulary), architecture["embedding_dim"],
                trainable=self.fine_tune, name=f"{direction}_embedding"))
            decoder = StackedRNN(
                architecture["cell"], architecture["units"], architecture["depth"], 0.0,
                architecture["kernel_initializer"], architecture["recurrent_initializer"],
                name=f"{direction}_decoder")
            decoder.trainable = self.fine_tune  # the setter reaches its recurrent layers
            setattr(self, f"{direction}_decoder", decoder)
            if self.lm_loss:  # the next character, from each state (co-training)
                head = keras.layers.Dense(len(vocabulary), name=f"{direction}_next")
                # Built now: only training calls it, and a loaded model (built
                # by a prediction) must still load its weights and optimizer slots.
                head.build((None, None, architecture["units"]))
                setattr(self, f"{direction}_next", head)

    def embedding(self, direction):
        return getattr(self, f"{direction}_embedding")

    def decoder(self, direction):
        return getattr(self, f"{direction}_decoder")

    @property
    def input_keys(self):
        return tuple(key for d in self.directions for key in (f"lm_{d}", f"lm_{d}_at"))

    @property
    def adds_losses(self):
        return bool(self.lm_loss)

    @property
    def dim(self):
        return sum(self.architectures[d]["units"] for d in self.directions)

    def encode(self, sentences):
        """Each sentence's character stream per direction (``<eos>``, the
        text, ``<eos>``; reversed for the backward model) and, per token,
        the stream position whose state is its vector."""
        inputs = {key: ([] if key.endswith("_at") else Stream()) for key in self.input_keys}
        for tokens in sentences:
            text = " ".join(tokens)
            ends, starts, position = [], [], 0
            for token in tokens:
                starts.append(position)
                position += len(token)
                ends.append(position)
                position += 1
            n = len(text)
            for direction in self.directions:
                index, eos = self.vocabularies[direction].index, self.eos_ids[direction]
                chars = text if direction == "forward" else text[::-1]
                inputs[f"lm_{direction}"].append([eos] + [index.get(c, 1) for c in chars]
                                                 + [eos])
                # Stream position 1 + i holds character i of (reversed)
                # text. Forward: the character after the token, text[end]
                # (or the final <eos>, 1 + n). Backward: the one before it,
                # text[start - 1], which reversed is at n - start (or the
                # final <eos> when start is 0).
                inputs[f"lm_{direction}_at"].append(
                    [1 + e for e in ends] if direction == "forward"
                    else [1 + n - s for s in starts])
        return inputs

    def call(self, inputs, training=None):
        vectors = []
        for direction in self.directions:
            stream = inputs[f"lm_{direction}"]
            states = self.decoder(direction)(self.embedding(direction)(stream), training=False)
            if not self.fine_tune:
                states = ops.stop_gradient(states)
            if self.lm_loss and training:
                self.add_loss(self.lm_loss * self._next_char_loss(direction, states, stream))
            at = ops.cast(inputs[f"lm_{direction}_at"], "int32")
            picked = ops.take_along_axis(states, at[..., None], axis=1)
            # Padding tokens point at position 0 (the first <eos>): zeroed.
            vectors.append(ops.where(ops.greater(at, 0)[..., None], picked, 0.0))
        return vectors[0] if len(vectors) == 1 else ops.concatenate(vectors, axis=-1)

    def _next_char_loss(self, direction, states, stream):
        """The mean negative log-likelihood of each real next character."""
        targets = stream[:, 1:]
        logits = getattr(self, f"{direction}_next")(states[:, :-1])
        losses = ops.sparse_categorical_crossentropy(targets, logits, from_logits=True)
        weights = ops.cast(ops.not_equal(targets, 0), losses.dtype)
        return ops.sum(losses * weights) / ops.maximum(ops.sum(weights), 1.0)

    def compute_output_shape(self, input_shape):
        return (None, None, self.dim)

    def values_per_token(self):
        """For the memory check: a token is about 8 stream positions (CoNLL
        English averages under 7 characters and a space), each computing
        the language models' layer widths."""
        widths = sum(int(w.shape[-1]) for d in self.directions
                     for w in self.embedding(d).weights + self.decoder(d).weights
                     if len(w.shape) >= 2)
        return 8 * widths

    def saved_options(self):
        # fine_tune too: new models train by default, saved ones do not.
        return {**{f"{d}_model": self.architectures[d] for d in self.directions},
                "fine_tune": self.fine_tune}

    def get_config(self):
        return {**super().get_config(), "forward_model": self.architectures["forward"],
                "backward_model": self.architectures["backward"],
                "fine_tune": self.fine_tune, "lm_loss": self.lm_loss}


def lm_embeddings(context, forward=None, backward=None, fine_tune=None, lm_loss=0.0,
                  units=None, depth=1, embedding_dim=32, cell="lstm",
                  directions=("forward", "backward"), forward_model=None, backward_model=None):
    """Contextual string embeddings (Akbik et al. 2018) from character
    language models: each token gets the forward model's state after it
    and the backward model's state before it, ``units`` wide each.

    Args:
        forward: the ``.keras`` file of a forward character model trained
            with ``seqlab lm train`` (``data.unit = "char"``).
        backward: the ``.keras`` file of a backward character model
            (``model.direction = "backward"``).
        fine_tune: train the models' weights with the tagger. Default: false
            for models from files (they stay as trained, and their states
            get no gradient), true for new ones.
        lm_loss: co-training (Liu et al. 2018): in training, add this
            weight times each model's mean next-character loss over the
            training sentences to the tagger's loss. Needs the models to
            train (fine_tune).
        units, depth, embedding_dim, cell, directions: instead of files, new
            models of this shape over the tagger's characters, trained with
            the tagger (give ``lm_loss`` for them to learn as language
            models too; without files this needs no text besides the
            training data).
        forward_model, backward_model: set by a saved tagger (the models'
            architecture; the weights are the tagger's), not by hand.

    Models from files have their weights copied into the tagger: its file
    is all that tagging needs, and the ``.keras`` files are read once, when
    the tagger is built.
    """
    given = {"forward": (forward, forward_model), "backward": (backward, backward_model)}
    from_files = any(path is not None or saved is not None for path, saved in given.values())
    if units is None and not from_files:
        raise seqlab.ConfigError(
            "lm_embeddings needs character language models: forward = \"fw.keras\" "
            "and/or backward = \"bw.keras\" (trained with seqlab lm train, data.unit = "
            "\"char\"), or units = N for new ones trained with the tagger (with lm_loss).")
    architectures, weights = {}, {}
    if units is not None:
        if from_files:
            raise seqlab.ConfigError(
                "lm_embeddings takes language models from files (forward, backward) or "
                "the shape of new ones (units, ...), not both.")
        architectures = _new_architectures(context, units, depth, embedding_dim, cell,
                                           directions)
        if fine_tune is False:
            raise seqlab.ConfigError(
                "lm_embeddings with new models (units) must train them: leave fine_tune "
                "out or set it true.")
        fine_tune = True
    for direction, (path, saved) in given.items():
        if path is not None and saved is not None:
            raise seqlab.ConfigError(f"lm_embeddings takes {direction} or "
                                     f"{direction}_model, not both.")
        if path is not None:
            architectures[direction], weights[direction] = _read_model(path, direction)
        elif saved is not None:
            architectures[direction] = _check_architecture(saved, direction)
    if not isinstance(lm_loss, (int, float)) or isinstance(lm_loss, bool) or lm_loss < 0:
        raise seqlab.ConfigError(f"lm_embeddings lm_loss must be a number >= 0. Received: "
                                 f"lm_loss={lm_loss!r}")
    if lm_loss and fine_tune is False:
        raise seqlab.ConfigError(
            "lm_embeddings lm_loss trains the language models: set fine_tune = true "
            "(or lm_loss = 0).")
    layer = LMEmbeddings(architectures.get("forward"), architectures.get("backward"),
                         bool(fine_tune) or bool(lm_loss), lm_loss)
    if weights:
        # Built by a first call (its recurrent layers build as they run).
        layer({key: pad(values) for key, values in layer.encode([["."]]).items()})
        for direction, (embedding, decoder) in weights.items():
            layer.embedding(direction).set_weights(embedding)
            layer.decoder(direction).set_weights(decoder)
    return layer


def _new_architectures(context, units, depth, embedding_dim, cell, directions):
    if context.chars is None:
        raise seqlab.ConfigError(
            "lm_embeddings with new models (units) reads the tagger's characters, but "
            "the tagger has no character vocabulary. Taggers built by "
            "seqlab.train_tagger have one; otherwise pass char_vocabulary=.")
    directions = [directions] if isinstance(directions, str) else list(directions)
    if not directions or any(d not in DIRECTIONS for d in directions) \
            or len(set(directions)) != len(directions):
        raise seqlab.ConfigError(f"lm_embeddings directions must be some of "
                                 f"{', '.join(DIRECTIONS)}. Received: {directions!r}")
    for name, value in (("units", units), ("depth", depth), ("embedding_dim", embedding_dim)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise seqlab.ConfigError(f"lm_embeddings {name} must be a positive integer. "
                                     f"Received: {name}={value!r}")
    characters = context.chars.tokens[2:]
    characters += [c for c in (" ", EOS) if c not in characters]
    architecture = {"vocabulary": Vocabulary(characters).get_config(), "cell": cell,
                    "units": units, "depth": depth, "embedding_dim": embedding_dim,
                    "kernel_initializer": None, "recurrent_initializer": None}
    return {direction: architecture for direction in directions}


def _read_model(path, direction):
    check_may_read(path, direction)
    model = seqlab.load_model(path, compile=False, expect=seqlab.LanguageModel)
    if model.unit != "char" or model.direction != direction:
        raise seqlab.ConfigError(
            f"lm_embeddings {direction} = {str(path)!r} is a {model.unit}-level "
            f"{model.direction} language model; it needs a character-level {direction} "
            f"one (seqlab lm train with data.unit = \"char\""
            + (", model.direction = \"backward\"" if direction == "backward" else "")
            + ").")
    if model.vocabulary is None:
        raise seqlab.ConfigError(f"lm_embeddings {direction} = {str(path)!r} has no "
                                 f"vocabulary; train it with seqlab lm train.")
    config = model.get_config()
    architecture = {key: config[key] for key in ARCHITECTURE_KEYS}
    return architecture, (model.embedding.get_weights(), model.decoder.get_weights())


def _check_architecture(architecture, direction):
    if not isinstance(architecture, dict) or set(architecture) != set(ARCHITECTURE_KEYS):
        raise seqlab.ConfigError(
            f"lm_embeddings {direction}_model must be a dict with the keys "
            f"{', '.join(ARCHITECTURE_KEYS)} (a saved tagger writes it). Received: "
            f"{architecture!r:.80}")
    return architecture
