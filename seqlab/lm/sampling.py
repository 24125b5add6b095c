"""Sampling text from a language model."""

import numpy as np

from seqlab.data.corpus import split_units
from seqlab.lm.scoring import eos_token_id, model_vocabulary
from seqlab.validation import check_positive_int, check_positive_number, check_seed


def generate(model, num_words=50, temperature=1.0, prompt=None, seed=None,
             stop_at_eos=False):
    """Sample words from a language model.

    Args:
        num_words: how many words to sample.
        temperature: > 0; below 1 sharpens the distribution, above 1 flattens it.
        prompt: words to start from (a string or token list), or None to
            start after an ``<eos>``.
        seed: for reproducible samples.
        stop_at_eos: stop after the first sampled ``<eos>``.

    Returns:
        The sampled words, or characters for a character model (``<eos>``
        marks sentence ends). A backward model samples what comes before
        the prompt, right to left; the result is in reading order.
    """
    check_positive_number("temperature", temperature)
    check_positive_int("num_words", num_words)
    check_seed("seed", seed)
    vocabulary = model_vocabulary(model)
    eos = eos_token_id(model)
    rng = np.random.default_rng(seed)
    unit, backward = model.unit, model.direction == "backward"
    prompt = split_units(prompt, unit) if isinstance(prompt, str) else list(prompt or [])
    x = np.asarray([[eos] + vocabulary.ids(prompt[::-1] if backward else prompt)], "int32")
    states = model.decoder.zero_states(1)
    words = []
    for _ in range(num_words):
        # Read the prompt once, then one sampled word at a time.
        scores, states = model(x, training=False, initial_state=states,
                               return_state=True, carry_state=False)
        log_probs = np.asarray(model.head.log_probs(scores), "float64")[0, -1]
        logits = log_probs / temperature
        logits[:2] = -np.inf  # never padding or <unk>
        p = np.exp(logits - logits.max())
        word = int(rng.choice(len(p), p=p / p.sum()))
        words.append(vocabulary.tokens[word])
        if stop_at_eos and word == eos:
            break
        x = np.asarray([[word]], "int32")
    return words[::-1] if backward else words
