"""What the character encoders share: the vocabulary check and flattening
words into one batch of character sequences."""

from keras import ops

import seqlab


def character_vocabulary(context, name):
    if context.chars is None:
        raise seqlab.ConfigError(
            f"Token encoder {name!r} reads characters, but the tagger has no "
            f"character vocabulary. Taggers built by seqlab.train_tagger have "
            f"one; otherwise pass char_vocabulary=.")
    return context.chars


def flatten_tokens(char_ids):
    """(batch, time, chars) -> (batch * time, chars), and a function undoing it."""
    shape = ops.shape(char_ids)
    flat = ops.reshape(char_ids, (-1, shape[2]))
    # The feature width must stay static, or layers after it cannot build.
    return flat, lambda x: ops.reshape(x, (shape[0], shape[1], x.shape[-1]))
