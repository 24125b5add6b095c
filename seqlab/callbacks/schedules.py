"""Learning-rate schedules over epochs, as Keras callbacks.

A resumed run gets the same learning rate at each epoch as an
uninterrupted one: each schedule is a function of the epoch alone, or (the
plateau schedule) of the run's committed dev history, which resuming
restores.
"""

import math

import keras


def inverse_time_decay(learning_rate, decay):
    """lr(epoch) = learning_rate / (1 + decay * epoch) (Lample et al. 2016)."""
    return keras.callbacks.LearningRateScheduler(
        lambda epoch: learning_rate / (1.0 + decay * epoch))


def step_decay(learning_rate, decay, decay_after):
    """lr(epoch) = learning_rate * decay ** max(0, epoch + 1 - decay_after):
    constant for ``decay_after`` epochs, then multiplied by ``decay`` after
    each epoch (Zaremba et al. 2014)."""
    return keras.callbacks.LearningRateScheduler(
        lambda epoch: learning_rate * decay ** max(0, epoch + 1 - decay_after))


def plateau_halving(learning_rate, decay, min_improvement, dev_perplexities):
    """Mikolov's schedule (the RNNLM toolkit's ``-min-improvement``).

    The learning rate stays constant while every epoch improves the dev
    log-likelihood by at least a factor ``min_improvement`` (1.003: 0.3%)
    over the epoch before; from the first epoch that does not, it is
    multiplied by ``decay`` (0.5: halved) after every epoch; training stops
    after the next epoch that does not improve enough.

    Args:
        dev_perplexities: dev perplexity after each finished epoch.

    Returns:
        ``(learning rate of the next epoch, epoch after which to stop or 0)``.
    """
    rate, decaying = learning_rate, False
    for epoch in range(1, len(dev_perplexities) + 1):
        if epoch > 1:
            before, after = dev_perplexities[epoch - 2], dev_perplexities[epoch - 1]
            # log-likelihood is -N log(ppl): improvement by the factor means
            # log(after) * min_improvement <= log(before).
            enough = (math.log(after) * min_improvement <= math.log(before)
                      if before > 1 else after < before)
            if not enough:
                if decaying:
                    return rate, epoch
                decaying = True
        if decaying:
            rate *= decay
    return rate, 0


class PlateauHalving(keras.callbacks.Callback):
    """Set each epoch's learning rate by `plateau_halving` from the run's
    committed history (``history()``: one dict per finished epoch, with
    ``dev_ppl``), so a resumed run follows the same schedule."""

    def __init__(self, learning_rate, decay, min_improvement, history):
        super().__init__()
        self.learning_rate, self.decay = learning_rate, decay
        self.min_improvement, self.history = min_improvement, history

    def on_epoch_begin(self, epoch, logs=None):
        perplexities = [row["dev_ppl"] for row in self.history()[:epoch]]
        rate, _ = plateau_halving(self.learning_rate, self.decay, self.min_improvement,
                                  perplexities)
        self.model.optimizer.learning_rate = rate

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = float(keras.ops.convert_to_numpy(
                self.model.optimizer.learning_rate))
