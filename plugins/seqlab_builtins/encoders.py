"""Built-in token encoders: word_embedding, char_cnn, char_lstm."""

import importlib

import seqlab


def __getattr__(name):
    # The implementation (and Keras) is imported on first use, so listing
    # components (`seqlab plugins`) imports neither.
    return getattr(importlib.import_module("seqlab_builtins._encoders"), name)


@seqlab.hookimpl
def seqlab_register_token_encoders(register):
    register("word_embedding", "seqlab_builtins._encoders:word_embedding")
    register("char_cnn", "seqlab_builtins._encoders:char_cnn")
    register("char_lstm", "seqlab_builtins._encoders:char_lstm")
