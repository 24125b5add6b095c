"""Built-in token encoders: word_embedding, char_cnn, char_lstm, lm_embeddings,
column_embedding."""

import seqlab


@seqlab.hookimpl
def seqlab_register_token_encoders(register):
    register("word_embedding", "seqlab_builtins.encoders.word_embedding:word_embedding")
    register("char_cnn", "seqlab_builtins.encoders.char_cnn:char_cnn")
    register("char_lstm", "seqlab_builtins.encoders.char_lstm:char_lstm")
    register("lm_embeddings", "seqlab_builtins.encoders.lm_embeddings:lm_embeddings")
    register("column_embedding", "seqlab_builtins.encoders.column_embedding:column_embedding")
