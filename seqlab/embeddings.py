"""Pretrained word vectors: reading GloVe, word2vec and fastText files,
keeping only the words a model needs, and measuring coverage.

Formats, told apart by the file:

- text, one ``word v1 ... vd`` line per word: GloVe (no header), word2vec
  text and fastText ``.vec`` (a first line ``count dim``);
- word2vec binary (a name ending ``.bin``): a ``count dim`` line, then per
  word its bytes, a space and ``dim`` little-endian float32 values;
- either, gzip-compressed (a name ending ``.gz``).

Example:
    >>> vectors = seqlab.Vectors.read("glove.6B.50d.txt", keep={"Paris", "the"})
    >>> vectors.dim, vectors.lookup("Paris")[:3]   # found lower-cased
    (50, array([...], dtype=float32))
"""

import gzip
import os

import numpy as np

from seqlab.errors import DataError
from seqlab.io import check_may_read

#: How often the progress line is redrawn, in bytes read.
_PROGRESS_EVERY = 8 << 20


class Vectors:
    """Word vectors read from a file, restricted to the words asked for.

    Attributes:
        path: the file they came from.
        dim: the vectors' width.
        rows: ``{word: float32 array}`` for the words kept.
        file_words: how many words the file holds.
    """

    def __init__(self, rows, dim, path=None, file_words=None):
        self.rows, self.dim, self.path = rows, dim, path
        self.file_words = len(rows) if file_words is None else file_words

    @classmethod
    def read(cls, path, keep=None, progress=False):
        """Read a vectors file (see the module's formats).

        Args:
            path: the file.
            keep: the words to keep, or None for all. Each word is also kept
                in lower case, which `lookup` falls back to, so cased tokens
                find lower-cased vectors (GloVe's).
            progress: draw a progress line on stderr while reading.

        Raises:
            DataError: no such file, an empty file, or a line whose width
                differs from the first line's (named by file and line).
            UnsafeModelError: the path came from a model file being loaded.
        """
        path = os.fspath(path)
        check_may_read(path, "pretrained")
        if not os.path.isfile(path):
            raise DataError(f"{path}: no such vectors file. GloVe's 6B vectors: "
                            f"python ../shared/data/glove/make_glove.py OUT.txt, "
                            f"or https://nlp.stanford.edu/projects/glove/.")
        wanted = None if keep is None else set(keep) | {w.lower() for w in keep}
        opener = gzip.open if path.endswith(".gz") else open
        binary = path.removesuffix(".gz").endswith(".bin")
        with opener(path, "rb") as handle, _Progress(path, progress) as shown:
            reader = _read_binary if binary else _read_text
            rows, dim, total = reader(handle, path, wanted, shown)
        if dim is None:
            raise DataError(f"{path}: no vectors in the file.")
        return cls(rows, dim, path, total)

    def lookup(self, word):
        """The vector of ``word``, else of ``word.lower()``, else None."""
        row = self.rows.get(word)
        return self.rows.get(word.lower()) if row is None else row

    def __contains__(self, word):
        return self.lookup(word) is not None

    def __len__(self):
        return len(self.rows)

    def matrix(self, tokens, seed=None, scale=None):
        """One row per token: its vector, or a random one (uniform in
        +-``scale``, default the vectors' own standard deviation times
        sqrt(3), so new rows look like found ones) where it has none.
        Row 0 (padding) is zero.

        Returns:
            ``(matrix, found)``: a float32 ``(len(tokens), dim)`` array and
            a boolean array, true where the token had a vector.
        """
        rng = np.random.default_rng(seed)
        if scale is None:
            sample = np.stack(list(self.rows.values())[:10000]) if self.rows else np.zeros(1)
            scale = float(np.std(sample) * np.sqrt(3)) or 0.05
        rows = [self.lookup(t) for t in tokens]
        found = np.array([r is not None for r in rows], dtype=bool)
        matrix = rng.uniform(-scale, scale, (len(tokens), self.dim)).astype("float32")
        for i in np.flatnonzero(found):
            matrix[i] = rows[i]
        if len(tokens):
            matrix[0], found[0] = 0.0, False
        return matrix, found

    def coverage(self, tokens):
        """The share of ``tokens`` (occurrences) and of their distinct forms
        (types) that have a vector: ``{"tokens": ..., "types": ...}``."""
        tokens = list(tokens)
        types = set(tokens)
        found_types = {t for t in types if t in self}
        found_tokens = sum(t in found_types for t in tokens)
        return {"tokens": found_tokens / max(len(tokens), 1),
                "types": len(found_types) / max(len(types), 1)}


def _read_text(handle, path, wanted, shown):
    rows, dim, total = {}, None, 0
    for number, line in enumerate(handle, 1):
        shown.advance(len(line))
        line = line.rstrip(b"\r\n").rstrip(b" ")
        if not line:
            continue
        if number == 1:
            fields = line.split(b" ")
            if len(fields) == 2 and fields[0].isdigit() and fields[1].isdigit():
                dim = int(fields[1])  # word2vec / fastText header
                continue
        word, _, rest = line.partition(b" ")
        if dim is None:
            dim = rest.count(b" ") + 1
        total += 1
        text = word.decode("utf-8", "replace")
        if wanted is not None and text not in wanted:
            continue
        values = rest.split(b" ")
        if len(values) != dim:
            raise DataError(
                f"{path}:{number}: {len(values)} numbers after {text!r}, but the "
                f"file's vectors have {dim}. Is the file truncated or a different "
                f"format (word2vec binary files end in .bin)?")
        try:
            rows[text] = np.asarray(values, dtype=np.float32)
        except ValueError:
            raise DataError(f"{path}:{number}: the values after {text!r} are not "
                            f"all numbers.") from None
    return rows, dim, total


def _read_binary(handle, path, wanted, shown):
    header = handle.readline()
    shown.advance(len(header))
    try:
        count, dim = (int(v) for v in header.split())
    except ValueError:
        raise DataError(f"{path}:1: a word2vec binary file starts with a "
                        f"'count dim' line. Received: {header[:60]!r}") from None
    rows, width = {}, 4 * dim
    for index in range(count):
        word = bytearray()
        while True:
            byte = handle.read(1)
            if not byte:
                raise DataError(f"{path}: the file ends after {index} of its "
                                f"{count} vectors (truncated?).")
            if byte == b" ":
                break
            if byte != b"\n" or word:  # a newline may end the previous vector
                word += byte
        data = handle.read(width)
        if len(data) != width:
            raise DataError(f"{path}: the file ends inside vector {index + 1} of "
                            f"{count} (truncated?).")
        shown.advance(len(word) + 1 + width)
        text = word.decode("utf-8", "replace")
        if wanted is None or text in wanted:
            rows[text] = np.frombuffer(data, dtype="<f4").astype(np.float32)
    return rows, (dim if count else None), count


class _Progress:
    """A progress bar on stderr (rich's): bytes read of the file's size."""

    def __init__(self, path, enabled):
        self.enabled = enabled
        self.name = os.path.basename(path)
        self.size = os.path.getsize(path)
        self.done = self.shown = 0
        self.bar = self.task = None

    def __enter__(self):
        if self.enabled:
            from rich.console import Console
            from rich.progress import (BarColumn, DownloadColumn, Progress, TextColumn,
                                       TimeRemainingColumn, TransferSpeedColumn)

            self.bar = Progress(TextColumn("Reading {task.description}"), BarColumn(),
                                DownloadColumn(), TransferSpeedColumn(), TimeRemainingColumn(),
                                console=Console(stderr=True))
            self.bar.start()
            self.task = self.bar.add_task(self.name, total=self.size)
        return self

    def advance(self, count):
        self.done += count
        # Updates are batched: rich takes a lock on each, and a vectors file
        # has hundreds of thousands of lines.
        if self.bar is not None and self.done - self.shown >= _PROGRESS_EVERY:
            self._update()

    def _update(self):
        # Compressed files: the bytes read exceed the size on disk.
        self.bar.update(self.task, completed=self.done, total=max(self.size, self.done))
        self.shown = self.done

    def __exit__(self, *exc):
        if self.bar is not None:
            self._update()
            self.bar.stop()
