"""The sequence tagger: token encoders, a deep bidirectional RNN, an output head."""

import os

import keras
import numpy as np
from keras import ops

from seqlab import registry
from seqlab.backend_logs import quiet
from seqlab.data.batching import SequenceBatches
from seqlab.data.readers import Sentence
from seqlab.data.annotations import Annotation, Entity
from seqlab.data.schemes import IdConverter, check_scheme, convert, spans
from seqlab.data.tokenizers import token_spans, tokenizer_for
from seqlab.data.vocabulary import Vocabulary
from seqlab.embeddings import Vectors
from seqlab.errors import ConfigError, UnsafeModelError
from seqlab.hookspecs import EncoderContext, HeadContext
from seqlab.validation import check_positive_int, check_printable_names
from seqlab.layers.stacked import StackedBidirectional
from seqlab.layers.word_dropout import WordDropout
from seqlab.models.base import SequenceModel, cached_helper, component_config

MAX_WORD_CHARS = 20
#: Decoding under TensorFlow: positions per batch, per row of ``batch_size``
#: (`Tagger.tag`; benchmarks/README.md section 9).
DECODE_ROW_TOKENS = 24


@keras.saving.register_keras_serializable(package="seqlab")
class Tagger(SequenceModel):
    """A stacked bidirectional RNN tagger (Irsoy & Cardie 2014).

    Inputs are ``(batch, time)`` word ids with 0 as padding or, when an
    encoder reads characters, ``{"words": (batch, time), "chars": (batch,
    time, chars)}``; targets are tag ids ``(batch, time)``. ``predict``
    returns the head's scores; `predict_tags` tag ids; `tag` tag names for
    texts or tokenised sentences; `annotate` entities with character offsets
    and confidences.

    Args:
        vocab_size: number of word ids, padding included (default: the
            vocabulary's size).
        num_tags: number of tags (default: the number of ``tag_names``).
        cell: cell spec (``"lstm"``, ``"gru"``, ``"elman"``, ...).
        units: width of each direction of each layer.
        depth: number of bidirectional layers.
        embedding_dim: width of word encoders (``word_embedding``) that do not
            give their own ``dim``. Default: the ``pretrained`` vectors' width,
            or 100 without vectors.
        merge_mode: ``"concat"``, ``"sum"``, ``"mul"`` or ``"ave"``.
        dropout: dropout on the token vectors, between layers and before the head.
        head: output-head spec (``"softmax"``, ``"crf"``, ...).
        kernel_initializer, recurrent_initializer: initializer specs for the
            recurrent layers, or None for each cell's defaults.
        vocabulary: a `seqlab.data.Vocabulary` (or its config); with it and
            ``tag_names`` the model tags raw tokens (`tag`) and carries both
            in its saved file.
        tag_names: the tag of each tag id.
        scheme: the tag scheme of ``tag_names`` (``"iob2"``, ``"iobes"``, ...).
        word_dropout: in training, the probability of replacing a word by
            ``<unk>`` (id 1), so unknown words are tagged from context.
        encoders: token-encoder specs whose vectors are concatenated, e.g.
            ``["word_embedding", {"name": "char_cnn", "filters": 50}]``.
            Default: one ``word_embedding`` of ``embedding_dim``.
        char_vocabulary: the character `Vocabulary` (or its config), needed
            by encoders that read characters.
        vectors_trainable: whether word encoders update their vectors in
            training, unless their spec says (false: frozen pretrained vectors).
        tokenizer: the tokenizer spec that splits raw text for `tag` and
            `annotate` (``"treebank"``, ``"whitespace"``, a plugin's): the
            one the training data was split with.
        output_scheme: the scheme `tag` and `annotate` give tags in unless
            told otherwise: the training data's (the model learns in
            ``scheme``).
        pretrained: `seqlab.Vectors`, or the path of a vectors file, that
            word encoders start from (see `seqlab.embeddings`); words without a
            vector start random. Not part of the saved config: the saved
            weights hold the vectors.
        train_sentences: the training `seqlab.data.Sentence` list, for
            encoders that count what they read (``column_embedding``). Not
            part of the saved config either.

    Example:
        >>> tagger = seqlab.Tagger(vocab_size=20000, num_tags=9, cell="lstm",
        ...                        depth=3, units=100, head="softmax")
        >>> tagger.compile(optimizer="adam", clipper="global_norm")
        >>> tagger.fit(word_ids, tag_ids, epochs=5)
        >>> tagger.predict_tags(word_ids)
    """

    def __init__(self, vocab_size=None, num_tags=None, cell="lstm", units=100,
                 depth=1, embedding_dim=None, merge_mode="concat", dropout=0.0,
                 head="softmax", kernel_initializer=None,
                 recurrent_initializer=None, vocabulary=None, tag_names=None,
                 scheme="iob2", word_dropout=0.0, encoders=None,
                 char_vocabulary=None, pretrained=None, vectors_trainable=True,
                 tokenizer="treebank", output_scheme="iob2", train_sentences=None, **kwargs):
        vocabulary = _vocabulary(vocabulary)
        vocab_size = _size("vocab_size", vocab_size, vocabulary, "vocabulary")
        num_tags = _size("num_tags", num_tags, tag_names, "tag_names")
        if tag_names is not None:
            check_printable_names("tag_names", tag_names)
        words = vocabulary or Vocabulary.sized(vocab_size)
        if isinstance(pretrained, (str, os.PathLike)):
            pretrained = Vectors.read(pretrained, keep=words.tokens)
        if embedding_dim is None:
            embedding_dim = pretrained.dim if pretrained is not None else 100
        check_positive_int("embedding_dim", embedding_dim)
        super().__init__(**kwargs)
        self.vocab_size, self.num_tags = vocab_size, num_tags
        self.embedding_dim, self.dropout = embedding_dim, dropout
        self.vocabulary = vocabulary
        self.char_vocabulary = _vocabulary(char_vocabulary)
        self.tag_names = None if tag_names is None else list(tag_names)
        self.scheme = check_scheme(scheme)
        self.output_scheme = check_scheme(output_scheme)
        self.tokenizer_spec = component_config(tokenizer, "tokenizers")
        self.head_spec = component_config(head, "output_heads")
        if encoders is None:
            encoders = ["word_embedding"]
        self.encoder_specs = [component_config(e, "token_encoders") for e in encoders]
        if not self.encoder_specs:
            raise ConfigError("`encoders` must name at least one token encoder.")
        self.vectors_trainable = bool(vectors_trainable)
        context = EncoderContext(words, self.char_vocabulary, pretrained, embedding_dim,
                                 self.vectors_trainable, train_sentences)
        self.token_encoders = [registry.create("token_encoders", spec, context)
                               for spec in self.encoder_specs]
        _check_input_keys(self.token_encoders)
        self.word_dropout = WordDropout(word_dropout, name="word_dropout")
        self.input_dropout = keras.layers.Dropout(dropout, name="input_dropout")
        self.encoder = StackedBidirectional(
            cell, units, depth, merge_mode, dropout,
            component_config(kernel_initializer, "initializers"),
            component_config(recurrent_initializer, "initializers"),
            name="encoder")
        self.output_dropout = keras.layers.Dropout(dropout, name="output_dropout")
        self.head = registry.create("output_heads", head, HeadContext(num_tags))

    @property
    def reads_chars(self):
        return any(e.input_name == "chars" for e in self.token_encoders)

    @property
    def encoder_names(self):
        """Each token encoder's registered name, as a config gives it
        (``"lm_embeddings"``; the layers' own names are numbered)."""
        return [registry.parse_spec(spec, "token_encoders")[0] for spec in self.encoder_specs]

    @property
    def column_readers(self):
        """The registered names of the encoders that read other fields of
        each token's line (`TokenEncoder.reads_columns`)."""
        return [name for name, e in zip(self.encoder_names, self.token_encoders)
                if e.reads_columns]

    @property
    def text_encoders(self):
        """The encoders that make their own inputs from the tokens (``"text"``)."""
        return [e for e in self.token_encoders if e.input_name == "text"]

    def call(self, inputs, training=None):
        words = _words(inputs)
        mask = self.padding_mask(inputs)
        dropped = self.word_dropout(words, training=training)
        # training is passed on by hand: under JAX, Keras's training step
        # runs this call directly, outside the call context that would.
        vectors = [e(dropped if e.input_name == "words" else
                     {k: inputs[k] for k in e.input_keys} if e.input_name == "text"
                     else inputs[e.input_name], training=training)
                   if e.input_name != "chars" or "char_index" not in inputs
                   else _per_token(e, inputs, training)
                   for e in self.token_encoders]
        x = vectors[0] if len(vectors) == 1 else ops.concatenate(vectors, axis=-1)
        x = self.input_dropout(x, training=training)
        x = self.encoder(x, mask=mask, training=training)
        x = self.output_dropout(x, training=training)
        return self.head(x, training=training)

    def padding_mask(self, inputs):
        return super().padding_mask(_words(inputs))

    def encode_inputs(self, sentences):
        """Model inputs (unpadded) for tokenised sentences (token lists, rows
        of fields, or `seqlab.data.Sentence` objects, as `tag` takes them but
        texts): word id lists, or a dict with ``"words"``, ``"chars"`` when
        an encoder reads characters, and the inputs of ``"text"`` encoders
        (`TokenEncoder.encode`)."""
        _check_inputs(sentences, texts=False)
        tokens, rows = _tokens_and_rows(sentences)
        return self._encoded(tokens, rows=rows)[0]

    def _encoded(self, sentences, char_table=False, rows=None):
        """`encode_inputs`, and None; or with ``char_table``, ``"char_types"``
        instead of ``"chars"`` (each token's row, padded like the words)
        and the table of those rows: ``(distinct tokens + 1, MAX_WORD_CHARS)``
        character ids, row 0 (padding) empty. Decoding builds each batch's
        characters from it, never position by position. ``rows``: each
        sentence's tokens' fields, or None (for each sentence, or all),
        for encoders that `reads_columns`."""
        if self.vocabulary is None or self.tag_names is None:
            raise ConfigError(
                "This tagger has no vocabulary or tag names, so it can only "
                "tag ids (predict_tags). Train it with seqlab.train_tagger or "
                "pass vocabulary= and tag_names= when building it.")
        words = [self.vocabulary.ids(tokens) or [1] for tokens in sentences]
        text_encoders = self.text_encoders
        if not self.reads_chars and not text_encoders:
            return words, None
        inputs = {"words": words}
        # An empty sentence is read as the one unknown word it is given.
        texts = [tokens or ["<unk>"] for tokens in sentences] if text_encoders else ()
        for encoder in text_encoders:
            if encoder.reads_columns:
                if rows is None or any(r is None for r in rows):
                    raise ConfigError(_needs_columns(self.column_readers[0]))
                # (An empty sentence's stand-in token has no fields.)
                inputs.update(encoder.encode(texts, [r or [None] for r in rows]))
            else:
                inputs.update(encoder.encode(texts))
        if not self.reads_chars:
            return inputs, None
        # Each distinct token's characters are looked up once: most tokens
        # of a text repeat, and the lookup was a quarter of decoding time.
        known, found = {}, [[]]  # found[0]: padding, no characters

        def kind(token):
            index = known.get(token)
            if index is None:
                index = known[token] = len(found)
                found.append(self.char_vocabulary.ids(token[:MAX_WORD_CHARS]) or [1])
            return index

        # (An empty sentence: one token without characters, read as [1].)
        kinds = [[kind(t) for t in tokens] or [kind("")] for tokens in sentences]
        if not char_table:
            inputs["chars"] = [[found[k] for k in row] for row in kinds]
            return inputs, None
        table = np.zeros((len(found), MAX_WORD_CHARS), dtype="int32")
        for k in range(1, len(found)):
            table[k, :len(found[k])] = found[k]
        inputs["char_types"] = kinds
        return inputs, table

    @property
    def tokenizer(self):
        """The `seqlab.data.Tokenizer` that splits raw text for this model."""
        return cached_helper(self, "_seqlab_tokenizer",
                             lambda model: tokenizer_for(model.tokenizer_spec))

    @quiet
    def tag(self, inputs, batch_size=128, scheme=None):
        """Tag texts or tokenised sentences with tag names.

        Args:
            inputs: a list whose items are texts (strings, split into tokens
                by the model's `tokenizer`), token lists (``["Maria",
                "Garcia"]``), rows of fields, token first (``[("He", "PRP"),
                ("reckons", "VBZ")]``, for encoders that read other columns,
                as ``column_embedding`` does) or `seqlab.data.Sentence`
                objects (their rows where a CoNLL file gave them). Unknown
                words map to ``<unk>``.
            batch_size: sentences per batch (batches are bucketed by length).
            scheme: the scheme of the tags returned (``"iob1"``, ``"iob2"``,
                ``"iobes"``); default `output_scheme`, the training data's.

        Returns:
            One list of tags per input, one tag per token.

        Raises:
            ConfigError: the model was built without a vocabulary and tag
                names, ``inputs`` is not a list of texts and token lists
                (a single string, say: pass ``[text]``), or the model reads
                other columns and an item has none.

        Example:
            >>> tagger.tag(["Maria Garcia flew to Tokyo.", ["Peter", "Blackburn"]])
            [['B-PER', 'I-PER', 'O', 'O', 'B-LOC', 'O'], ['B-PER', 'I-PER']]
        """
        scheme = check_scheme(scheme or self.output_scheme)
        _check_inputs(inputs)
        # Texts split by the tokenizer; token lists as they are (no offsets:
        # a tuple per token, and Python's collector ran more often for them).
        tokens, rows = _tokens_and_rows(
            [[item[a:b] for a, b in token_spans(self.tokenizer, item)]
             if isinstance(item, str) else item for item in inputs])
        # IOBES (the default) to the data's IOB1 or IOB2: converted batch by
        # batch in numpy, as `convert` would sentence by sentence.
        converter = (IdConverter(self.tag_names, scheme)
                     if self.scheme == "iobes" and scheme in ("iob1", "iob2") else None)
        return [tags if scheme == self.scheme or converter else
                convert(tags, self.scheme, scheme)
                for tags in self._decoded(tokens, batch_size, _Decoder, rows, converter)]

    @quiet
    def annotate(self, inputs, batch_size=128, scheme=None):
        """Entities in texts or tokenised sentences, with character offsets
        and confidences.

        Args:
            inputs, batch_size, scheme: as for `tag`.

        Returns:
            One `seqlab.data.Annotation` per input: ``text``, ``tokens``,
            ``offsets``, ``tags`` (in ``scheme``) and ``entities``, each an
            `seqlab.data.Entity` (``label``, ``start``, ``end``, ``text``,
            ``confidence``, token span). ``to_dict()`` gives the
            ``spans_jsonl`` shape.

        Example:
            >>> for entity in tagger.annotate(["Maria Garcia flew to Tokyo."])[0].entities:
            ...     print(entity.label, entity.start, entity.end, entity.text, entity.confidence)
        """
        scheme = check_scheme(scheme or self.output_scheme)
        prepared, rows = self._prepared(inputs)
        decoded = self._decoded([item[2] for item in prepared], batch_size, _Annotator, rows)
        results = []
        for (text, offsets, tokens), (tags, first, step, last) in zip(prepared, decoded):
            entities = []
            for label, start, end in spans(tags, self.scheme):
                log_p = first[start] + step[start + 1:end].sum() + last[end - 1]
                begin, finish = offsets[start][0], offsets[end - 1][1]
                entities.append(Entity(label, begin, finish, text[begin:finish],
                                       float(min(1.0, np.exp(log_p))), start, end))
            results.append(Annotation(
                text, tokens, offsets,
                tags if scheme == self.scheme else convert(tags, self.scheme, scheme),
                scheme, entities))
        return results

    def _prepared(self, inputs):
        """``(text, offsets, tokens)`` of each input (texts tokenised), and
        the inputs' rows of fields as `_tokens_and_rows` gives them."""
        _check_inputs(inputs)
        tokenised, rows = _tokens_and_rows([[] if isinstance(i, str) else i for i in inputs])
        prepared = []
        for item, tokens in zip(inputs, tokenised):
            if isinstance(item, str):
                offsets = token_spans(self.tokenizer, item)
                prepared.append((item, offsets, [item[a:b] for a, b in offsets]))
            else:
                offsets, start = [], 0
                for token in tokens:  # (plain Python: numpy per sentence cost 7% of tag)
                    offsets.append((start, start + len(token)))
                    start += len(token) + 1
                prepared.append((" ".join(tokens), offsets, tokens))
        return prepared, rows

    def _decoded(self, sentences, batch_size, helper, rows=None, converter=None):
        """Each sentence's tag names (in the model's scheme, or the names an
        `IdConverter` gives the best tag ids), cut to the sentence's length;
        for a helper with more outputs, a tuple of the names and its other
        outputs (``rows``: as for `_encoded`)."""
        # Under TensorFlow batches keep their own shapes: Keras traces the
        # predict step with reduce_retracing, so after the first shapes one
        # trace with unknown sizes serves them all, and every padded
        # position is work of the recurrent loops (CoNLL-2003's test split
        # in a few padded widths ran 59% more positions than it has tokens).
        # (Widths are even there: a width of 1 under that trace would have
        # the CRF's scans over the steps after the first stack an empty
        # list of unknown shape, which TensorFlow refuses.)
        # Under JAX every new shape is compiled: widths on a short ladder
        # and rows filled up to a power of two keep that to a few shapes
        # (without filling the last, widest batch to a whole batch_size).
        # Under TensorFlow a batch also holds at most batch_size x
        # DECODE_ROW_TOKENS positions: long sentences come in fewer rows, so
        # the longest sentence of a split no longer pads a whole batch.
        exact = keras.backend.backend() == "tensorflow"
        inputs, table = self._encoded(sentences, char_table=True, rows=rows)
        batches = SequenceBatches(inputs, batch_size=batch_size,
                                  few_widths=not exact, multiple=2 if exact else 8,
                                  max_tokens=batch_size * DECODE_ROW_TOKENS if exact else None)
        # Character encoders of one token's characters run once per
        # distinct token of a batch (a third of its positions on CoNLL-2003's
        # test split: the character CNN took 139 ms of a 0.85 s pass, 53
        # ms so). Only where shapes cost nothing: JAX would compile every
        # new count of distinct tokens.
        distinct = exact and all(
            e.per_token for e in self.token_encoders if e.input_name == "chars")
        names = np.asarray(self.tag_names, dtype=object)
        results = [None] * len(sentences)
        for index, rows in enumerate(batches.batches):
            (x,) = batches[index]
            if table is not None:
                types = x.pop("char_types")
                # (A tagger's first call gives it the inputs' shapes that
                # loading it builds from: the usual ones.)
                if distinct and self.built:
                    kinds, where = np.unique(types, return_inverse=True)
                    x["chars"] = table[kinds]
                    x["char_index"] = where.reshape(types.shape).astype("int32")
                else:
                    x["chars"] = table[types]
            filled = len(rows) if exact else min(batch_size,
                                                 1 << (len(rows) - 1).bit_length())
            outputs = self._decode(_fill_rows(x, filled), helper)
            outputs = [ops.convert_to_numpy(o) for o in (
                outputs if isinstance(outputs, (list, tuple)) else [outputs])]
            # tag names, looked up in one numpy call
            best = converter(outputs[0]) if converter else names[outputs[0]]
            for row, i in enumerate(rows):
                n = len(sentences[i])
                # (No tuple where there is nothing to pair: a pass's objects
                # live until it ends, and Python's collector counts them.)
                results[i] = (best[row, :n].tolist() if len(outputs) == 1 else
                              (best[row, :n].tolist(), *(o[row, :n] for o in outputs[1:])))
        return results

    def predict_tags(self, token_ids, batch_size=64):
        """Tag ids for padded word ids, 0 at padded positions (numpy)."""
        token_ids = ops.convert_to_numpy(token_ids)
        if not len(token_ids):
            raise ConfigError("predict_tags received no sequences.")
        return np.concatenate([ops.convert_to_numpy(self._decode(token_ids[i:i + batch_size]))
                               for i in range(0, len(token_ids), batch_size)])

    def _decode(self, inputs, helper=None):
        """One compiled predict step of ``helper`` (`_Decoder`: the best tags)."""
        return self._helper(helper or _Decoder).predict_on_batch(inputs)

    def _helper(self, helper):
        """This tagger's ``helper`` model (`_Decoder`, `_Annotator`), built once."""
        return cached_helper(self, f"_seqlab_{helper.__name__}", helper)

    def get_config(self):
        encoder = self.encoder
        saved_encoders = [_saved_spec(spec, layer)
                          for spec, layer in zip(self.encoder_specs, self.token_encoders)]
        return {
            **super().get_config(),
            "vocab_size": self.vocab_size, "num_tags": self.num_tags,
            "cell": encoder.cell, "units": encoder.units, "depth": encoder.depth,
            "embedding_dim": self.embedding_dim,
            "merge_mode": encoder.merge_mode, "dropout": self.dropout,
            "head": self.head_spec,
            "kernel_initializer": encoder.kernel_initializer,
            "recurrent_initializer": encoder.recurrent_initializer,
            "vocabulary": None if self.vocabulary is None else self.vocabulary.get_config(),
            "tag_names": self.tag_names, "scheme": self.scheme,
            "output_scheme": self.output_scheme, "tokenizer": self.tokenizer_spec,
            "word_dropout": self.word_dropout.rate,
            "encoders": saved_encoders, "vectors_trainable": self.vectors_trainable,
            "char_vocabulary": (None if self.char_vocabulary is None
                                else self.char_vocabulary.get_config()),
        }


    @classmethod
    def from_config(cls, config):
        tagger = cls(**config)
        # get_config leaves init-only options out: a saved config that has
        # one was written by hand (see seqlab.io.check_may_read).
        for spec, layer in zip(tagger.encoder_specs, tagger.token_encoders):
            given = set(registry.parse_spec(spec, "token_encoders")[1])
            refused = sorted(given & set(layer.init_only_options))
            if refused:
                raise UnsafeModelError(
                    f"Refused to load a Tagger whose saved config sets "
                    f"{', '.join(refused)} of encoder {layer.name!r}: options "
                    f"that only initialise weights are never saved by seqlab.")
        return tagger


class _Decoder(keras.Model):
    """Scores and decodes in one compiled predict step (Viterbi included).

    Kept on the tagger untracked (`cached_helper`), so the tagger neither
    saves it nor outlives it; it shares the tagger's weights.
    """

    def __init__(self, tagger):
        super().__init__(name=f"{tagger.name}_decoder")
        self.tagger = tagger

    def call(self, inputs):
        scores = self.tagger(inputs, training=False)
        return self.tagger.head.decode(scores, mask=self.tagger.padding_mask(inputs))


class _Annotator(_Decoder):
    """The best tags and the pieces of their log-probability
    (`OutputHead.path_scores`), in one compiled predict step."""

    def call(self, inputs):
        scores = self.tagger(inputs, training=False)
        mask = self.tagger.padding_mask(inputs)
        best = self.tagger.head.decode(scores, mask=mask)
        return (best, *self.tagger.head.path_scores(scores, best, mask=mask))


def _fill_rows(x, rows):
    """Pad a batch with rows of one unknown word up to ``rows`` rows."""
    if isinstance(x, dict):
        return {k: _fill_rows(v, rows) for k, v in x.items()}
    missing = rows - x.shape[0]
    if missing <= 0:
        return x
    filler = np.zeros((missing,) + x.shape[1:], x.dtype)
    filler[(slice(None), 0) + (0,) * (x.ndim - 2)] = 1
    return np.concatenate([x, filler])


def _per_token(encoder, inputs, training):
    """A ``per_token`` character encoder's vectors for a batch whose
    ``"chars"`` are its distinct tokens' ``(distinct, chars)`` and
    ``"char_index"`` each position's row among them ``(batch, time)``:
    computed once per distinct token, then put at each position."""
    vectors = encoder(inputs["chars"][None], training=training)[0]
    return ops.take(vectors, inputs["char_index"], axis=0)


def _words(inputs):
    return inputs["words"] if isinstance(inputs, dict) else inputs


def _check_inputs(inputs, texts=True):
    example = ('["Maria Garcia flew to Tokyo.", ["Peter", "Blackburn"]]' if texts
               else '[["Peter", "Blackburn"]]')
    kinds = "texts or token lists" if texts else "token lists"
    if isinstance(inputs, str) or not isinstance(inputs, (list, tuple)):
        raise ConfigError(
            f"Expected a list of {kinds}, e.g. {example}. Received: "
            f"{type(inputs).__name__} {str(inputs)[:40]!r}"
            + (" (one text: pass [text])." if isinstance(inputs, str) and texts else "."))
    for i, item in enumerate(inputs):
        if isinstance(item, Sentence) or (texts and isinstance(item, str)):
            continue
        if isinstance(item, (list, tuple)) and (
                all(isinstance(t, str) for t in item)
                or all(isinstance(r, (list, tuple)) and r and all(isinstance(f, str) for f in r)
                       for r in item)):
            continue
        raise ConfigError(
            f"Item {i} must be {'a text (a string) or ' if texts else ''}a list of tokens "
            f"(strings), e.g. {example}, or of rows of fields, token first "
            f"([(\"He\", \"PRP\"), ...]). Received: {type(item).__name__} {item!r:.40}.")


def _tokens_and_rows(items):
    """Each tokenised item's tokens, and each one's rows of fields (None
    for an item without; None for all when no item has any): items are
    token lists, rows of fields (token first) or `Sentence` objects."""
    tokens, rows = [], []
    for item in items:
        if isinstance(item, Sentence):
            tokens.append(item.tokens)
            rows.append(item.columns)
        elif item and not isinstance(item[0], str):  # rows of fields
            tokens.append([row[0] for row in item])
            rows.append([tuple(row) for row in item])
        else:  # (a list is read, not copied: fewer objects for the collector)
            tokens.append(item if isinstance(item, list) else list(item))
            rows.append(None)
    return tokens, (rows if any(r is not None for r in rows) else None)


def _needs_columns(name):
    return (f"Token encoder {name!r} reads other fields of each token's line "
            f"(a column of the training data, such as the part of speech), which texts "
            f"and token lists do not have: tag a CoNLL file with those columns "
            f"(seqlab tag --input-format conll), or give each sentence as rows of "
            f"fields, token first, e.g. [(\"He\", \"PRP\"), (\"reckons\", \"VBZ\")].")


def _vocabulary(vocabulary):
    return Vocabulary.from_config(vocabulary) if isinstance(vocabulary, dict) else vocabulary


def _saved_spec(spec, layer):
    """An encoder's spec as a model saves it: without its init-only options,
    with what the layer says rebuilds it (`TokenEncoder.saved_options`)."""
    name, options = registry.parse_spec(spec, "token_encoders")
    kept = {k: v for k, v in options.items() if k not in layer.init_only_options}
    return registry.normalise_spec({"name": name, **kept, **layer.saved_options()})


def _check_input_keys(encoders):
    """Refuse two text encoders that make the same input (two
    ``lm_embeddings``, say), or one that names the tagger's own inputs."""
    seen = {}
    for encoder in encoders:
        for key in encoder.input_keys:
            if key in ("words", "chars"):
                raise ConfigError(f"Token encoder {encoder.name!r} makes an input named "
                                  f"{key!r}, which is the tagger's own; rename it.")
            if key in seen:
                raise ConfigError(
                    f"Token encoders {seen[key]!r} and {encoder.name!r} both make the input "
                    f"{key!r}; a tagger takes one encoder of that kind.")
            seen[key] = encoder.name


def _size(name, size, items, items_name):
    """A size given directly or by a list of items (both must agree)."""
    if items is not None:
        if size is not None and size != len(items):
            raise ConfigError(f"`{name}`={size} but `{items_name}` has "
                              f"{len(items)} entries.")
        size = len(items)
    check_positive_int(name, size)
    return size
