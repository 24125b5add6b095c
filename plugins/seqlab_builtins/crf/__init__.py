"""Built-in linear-chain CRF output head (Lafferty et al. 2001), as used by
Huang et al. (2015) and Lample et al. (2016) on top of a BiLSTM.

p(y | x) is proportional to exp(sum_t emission_t(y_t) + transition(y_{t-1}, y_t)),
with start and end scores. Training minimises -log p(y | x) with the
forward algorithm; decoding is Viterbi; `log_probs` gives the exact
per-position marginals (forward-backward). Padding (right-padded batches)
is skipped by carrying the recursions unchanged through masked steps.

Everything is ``keras.ops`` (``ops.scan`` over time), so it runs compiled
under TensorFlow and JAX, and its weights are ordinary Keras weights: the
layer saves and loads with the model like any other.
"""

import seqlab


@seqlab.hookimpl
def seqlab_register_output_heads(register):
    register("crf", "seqlab_builtins.crf.crf:crf")
