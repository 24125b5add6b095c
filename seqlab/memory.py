"""Will a training batch fit in this machine's memory? An estimate made
before training starts, so a batch that cannot fit is refused in one line
instead of being killed by the kernel part-way through an epoch.

A training step holds, for every padded token of its batch, the values each
layer computes (kept for the backward pass) and their gradients. Their
number per token is read off the built model's weights: a weight of shape
``(..., n)`` gives ``n`` values each time it is applied (a word embedding
``(V, d)``: ``d``; an LSTM direction's kernels ``(i, 4u)`` and ``(u, 4u)``:
``8u``; a softmax over ``V`` words: ``V``), once per token, or once per
character for an encoder that reads characters. A layer that holds more
than its weights say may count itself with a ``values_per_token()`` method
(the CRF: its forward algorithm keeps K x K scores per token for the
backward pass). `BYTES_PER_VALUE` turns that count into bytes; it was
measured on the default tagger (benchmarks/README.md, section 8).

The memory compared against is what the operating system reports as
available when the step is about to run (model and data already loaded), so
only the step's own memory is estimated. On an accelerator the activations
live in device memory, which is not checked here.
"""

import keras

from seqlab.errors import ConfigError

#: Bytes per value a step holds: a 4-byte float and its gradient. The
#: measured slope of peak resident memory on the default tagger (word
#: embedding, character CNN, BiLSTM 1x200, CRF: 5,223 values per token on
#: CoNLL-2003), TensorFlow on a CPU: 36-37 KB per padded token from batches
#: of 32 to 1,000 and 2,500 (benchmarks/batch_memory.py), about 7 bytes per
#: value; 8 errs on the safe side.
BYTES_PER_VALUE = 8

#: The share of the available memory a step may plan to use: the estimate
#: is within about 15% of what was measured, and the rest of the process
#: grows a little while it trains.
USABLE_SHARE = 0.9


def available_bytes():
    """Memory the operating system can give this process now, in bytes
    (Linux's ``MemAvailable``), or None where it does not say."""
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def on_accelerator():
    """Whether Keras trains on a GPU or TPU (whose memory is its own)."""
    return any(not str(d).lower().startswith("cpu") for d in keras.distribution.list_devices())


def values_per_token(layers, char_layers=(), chars_per_token=0):
    """Values a training step computes per padded token: for every weight
    of two or more dimensions, its last dimension (or the layer's own
    ``values_per_token()``), counted once per token for ``layers`` and
    ``chars_per_token`` times for ``char_layers``."""
    def widths(layer):
        own = getattr(layer, "values_per_token", None)
        if callable(own):
            return int(own())
        return sum(int(w.shape[-1]) for w in layer.weights if len(w.shape) >= 2)

    return (sum(widths(layer) for layer in layers)
            + chars_per_token * sum(widths(layer) for layer in char_layers))


def check_batch(rows, width, values, key="training.batch_size",
                unit="sentences padded to"):
    """Refuse a training batch of ``rows`` rows of ``width`` tokens, at
    ``values`` values per token, that would not fit in the memory available
    now (see the module's docstring); does nothing on an accelerator or
    where the available memory is unknown.

    Raises:
        ConfigError: naming the estimate, the memory available, and the
            largest ``key`` that fits.
    """
    available = available_bytes()
    if available is None or on_accelerator():
        return
    needed = rows * width * values * BYTES_PER_VALUE
    usable = USABLE_SHARE * available
    if needed <= usable:
        return
    fits = int(usable // (width * values * BYTES_PER_VALUE))
    advice = (f"Set {key} to at most {fits:,}" if fits else
              f"Even one row of {width:,} tokens does not fit: use a smaller model or "
              f"shorter sentences")
    raise ConfigError(
        f"{key} = {rows:,} would not fit in memory: a batch of {rows:,} {unit} "
        f"{width:,} tokens needs about {_gb(needed)} for one training step "
        f"(an estimate: {values:,} values per token, {BYTES_PER_VALUE} bytes each), and "
        f"{_gb(available)} is available. {advice}.")


def _gb(size):
    if size < 2**30:
        return f"{size / 2**20:,.0f} MB"
    return f"{size / 2**30:,.1f} GB"
