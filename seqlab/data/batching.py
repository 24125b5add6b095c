"""Length-bucketed, padded batches for Keras ``fit``/``predict``."""

import math

import keras
import numpy as np

from seqlab.errors import ConfigError


def _ladder(n):
    """The smallest of 1, 2, 3, 4, 6, 8, 12, 16, ... that is >= ``n``."""
    power = 1 << max(n - 1, 0).bit_length()  # the next power of two
    return power * 3 // 4 if power >= 4 and n <= power * 3 // 4 else power


def pad(sequences, length=None, multiple=1):
    """Right-pad id sequences with 0 into an int32 array.

    ``length`` defaults to the longest sequence, rounded up to ``multiple``
    (few distinct shapes mean few retraces of compiled steps).
    """
    longest = max((len(s) for s in sequences), default=1)
    length = length or multiple * math.ceil(max(longest, 1) / multiple)
    out = np.zeros((len(sequences), length), dtype="int32")
    for i, seq in enumerate(sequences):
        out[i, :len(seq)] = seq[:length]
    return out


def pad_chars(sequences, length, width):
    """Character ids ``[sentence][token][char]`` -> int32 ``(batch, length, width)``."""
    out = np.zeros((len(sequences), length, width), dtype="int32")
    for i, tokens in enumerate(sequences):
        for j, chars in enumerate(tokens[:length]):
            out[i, j, :len(chars[:width])] = chars[:width]
    return out


class Stream(list):
    """Per-sentence id sequences of their own length (a sentence's text as
    one character stream, say), not one per token: in an inputs dict,
    `SequenceBatches` pads them to the longest in the batch instead of to
    the batch's width in tokens."""


def bucketed_batches(lengths, batch_size, rng=None, max_tokens=None):
    """Index batches of sentences of similar length.

    Sentences are sorted by length (ties broken at random when ``rng`` is
    given) and cut into batches; with ``rng`` the batch order is shuffled
    too, so an epoch sees every sentence once in a random order of batches
    with little padding. With ``max_tokens``, a batch also ends before its
    rows times its longest sentence would pass that many (a batch of one
    sentence excepted): long sentences come in fewer rows, so one long
    sentence no longer pads a whole batch of shorter ones.
    """
    lengths = np.asarray(lengths)
    tie_break = rng.random(len(lengths)) if rng is not None else np.arange(len(lengths))
    order = np.lexsort((tie_break, lengths))
    if max_tokens is None:
        batches = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
    else:
        # Cut from the longest end: the long sentences get batches of
        # their own size, the remainder is a batch of the shortest.
        batches, rows = [], []
        for i in order[::-1]:
            if rows and (len(rows) == batch_size
                         or (len(rows) + 1) * lengths[rows[0]] > max_tokens):
                batches.append(np.asarray(rows[::-1]))
                rows = []
            rows.append(i)
        if rows:
            batches.append(np.asarray(rows[::-1]))
        batches.reverse()
    if rng is not None:
        rng.shuffle(batches)
    return batches


class SequenceBatches(keras.utils.PyDataset):
    """Padded ``(inputs, targets)`` batches, bucketed by length.

    Args:
        inputs: id sequences (lists of ints), or a dict with ``"words"``
            (id sequences), optionally ``"chars"`` (per token, a list of
            char ids; padded to ``char_width``) and further keys that a
            token encoder reads (`seqlab.layers.TokenEncoder.encode`): id
            sequences with one entry per token, padded like the words, or
            a `Stream`, padded to its own longest sequence in the batch.
            Gives dict batches.
        targets: id sequences aligned with ``inputs``, or None (prediction).
        batch_size: sentences per batch.
        shuffle: reshuffle the buckets every epoch (training).
        seed: seed of the shuffling; each epoch's order depends on
            ``(seed, epoch)`` only, so a resumed run sees the same batches.
        multiple: pad lengths up to a multiple of this.
        few_widths: pad lengths up to the next of ``multiple`` times 1,
            2, 3, 4, 6, 8, 12, 16, ... (powers of two and their halfway
            points) instead: a handful of shapes, so a compiled prediction
            step is traced a handful of times, with at most a third of
            each row padding.
        epoch: the epoch the first pass counts as (when resuming).
        char_width: characters kept per token (fixed, so batch shapes only
            vary in time).
        repeat: one endless stream of epochs (for training): batch ``i`` is
            batch ``i % steps_per_epoch`` of epoch ``epoch + i //
            steps_per_epoch``, whenever and however often it is read, so
            prefetching and distributed input pipelines cannot mix epochs
            up. Give ``fit`` ``steps_per_epoch=batches.steps_per_epoch``.
        steps_per_execution: with ``repeat``, an epoch is the largest
            multiple of this many batches (the compiled step runs that many
            batches per call; the epoch's last few shuffled batches are
            left out, as with ``drop_remainder``).
        full_rows: pad every batch to ``batch_size`` rows with empty
            sentences (they weigh nothing in the loss), so a batch always
            splits evenly across replicas.
        share: a function from a padded batch to the part this process
            reads (`seqlab.distribution.Distribution.shard_batch`), or None.
        max_tokens: at most this many rows times longest sentence per
            batch (`bucketed_batches`), or None: ``batch_size`` rows each.
    """

    def __init__(self, inputs, targets=None, batch_size=32, shuffle=False,
                 seed=0, multiple=8, epoch=0, char_width=20, few_widths=False,
                 repeat=False, steps_per_execution=1, full_rows=False, share=None,
                 max_tokens=None):
        super().__init__()
        if batch_size < 1:
            raise ConfigError(f"`batch_size` must be positive. Received: batch_size={batch_size}")
        self.chars = inputs.get("chars") if isinstance(inputs, dict) else None
        self.inputs = inputs["words"] if isinstance(inputs, dict) else inputs
        self.is_dict = isinstance(inputs, dict)
        self.extra = {} if not self.is_dict else {
            key: value for key, value in inputs.items() if key not in ("words", "chars")}
        if targets is not None and len(targets) != len(self.inputs):
            raise ConfigError("inputs and targets differ in length.")
        self.targets, self.char_width = targets, char_width
        self.batch_size, self.multiple = batch_size, multiple
        self.few_widths = few_widths
        self.shuffle, self.seed, self.epoch = shuffle, seed, epoch
        self.repeat, self.full_rows, self.share = repeat, full_rows, share
        self.max_tokens = max_tokens
        self._next_epoch = epoch
        self._bucketed = None
        self._bucket()
        self.steps_per_epoch = len(self.batches)
        if repeat:
            self.steps_per_epoch -= self.steps_per_epoch % steps_per_execution
            if not self.steps_per_epoch:
                raise ConfigError(
                    f"training.steps_per_execution = {steps_per_execution} is more "
                    f"than the {len(self.batches)} batches of an epoch; lower it.")

    def __len__(self):
        return len(self.batches)

    @property
    def num_batches(self):
        return None if self.repeat else len(self.batches)

    def __getitem__(self, index):
        if self.repeat:
            epoch, index = divmod(index, self.steps_per_epoch)
            batches, widths, stream_widths = self._epoch_batches(self.epoch + epoch)
        else:
            batches, widths, stream_widths = self.batches, self.widths, self.stream_widths
        rows = batches[index]
        x = pad([self.inputs[i] for i in rows], length=widths[index])
        if self.is_dict:
            words, x = x, {"words": x}
            if self.chars is not None:
                x["chars"] = pad_chars([self.chars[i] for i in rows], words.shape[1],
                                       self.char_width)
            for key, values in self.extra.items():
                length = (stream_widths[key][index] if isinstance(values, Stream)
                          else words.shape[1])
                x[key] = pad([values[i] for i in rows], length=length)
        y = None if self.targets is None else pad([self.targets[i] for i in rows],
                                                   length=widths[index])
        batch = (x,) if y is None else (x, y)
        if self.full_rows:
            batch = keras.tree.map_structure(self._fill, batch)
        if self.share is not None:
            batch = self.share(batch)
        return batch

    def _fill(self, array):
        if len(array) == self.batch_size:
            return array
        filled = np.zeros((self.batch_size, *array.shape[1:]), array.dtype)
        filled[:len(array)] = array
        return filled

    def _epoch_batches(self, epoch):
        """The batches and widths of one epoch (``repeat``), kept for the
        epoch last asked for."""
        bucketed = self._bucketed
        if bucketed is None or bucketed[0] != epoch:
            bucketed = (epoch, *self._order(epoch))
            self._bucketed = bucketed
        return bucketed[1:]

    def _bucket(self):
        self.batches, self.widths, self.stream_widths = self._order(self.epoch)

    def _order(self, epoch):
        rng = np.random.default_rng([self.seed, epoch]) if self.shuffle else None
        batches = bucketed_batches([len(s) for s in self.inputs], self.batch_size, rng,
                                   self.max_tokens)
        # Keras's TensorFlow adapter infers the dataset's signature from
        # batches 0 and 1: if they pad to the same length, the time axis
        # is fixed and every other length fails. Put a differing one second.
        widths = [self._width(self.inputs, b) for b in batches]
        other = next((i for i, w in enumerate(widths) if w != widths[0]), None)
        if other is not None and widths[1] == widths[0]:
            batches[1], batches[other] = batches[other], batches[1]
            widths[1], widths[other] = widths[other], widths[1]
        stream_widths = {}
        for key, values in self.extra.items():
            if isinstance(values, Stream):
                stream_widths[key] = [self._width(values, b) for b in batches]
                # The same for a stream's own axis: batch 1 pads a little
                # further rather than share batch 0's length (harmless:
                # padding is never read).
                if len(batches) > 1 and stream_widths[key][1] == stream_widths[key][0]:
                    stream_widths[key][1] += self.multiple
        return batches, widths, stream_widths

    def _width(self, sequences, rows):
        longest = max(max(len(sequences[i]) for i in rows), 1)
        if self.few_widths:
            return self.multiple * _ladder(math.ceil(longest / self.multiple))
        return self.multiple * math.ceil(longest / self.multiple)

    def set_epoch(self, epoch):
        """Make the next pass over the data epoch ``epoch`` (0-based). An
        endless stream (``repeat``) knows its epochs and ignores this."""
        self._next_epoch = epoch

    def on_epoch_begin(self):
        # Keras calls this once per pass (and ``on_epoch_end`` more often
        # than that, so the epoch is not counted there).
        if self.repeat:
            return
        if self._next_epoch != self.epoch:
            self.epoch = self._next_epoch
            if self.shuffle:
                self._bucket()
        self._next_epoch = self.epoch + 1
