"""Learning-rate schedules over epochs, as Keras callbacks.

A resumed run gets the same learning rate at each epoch as an
uninterrupted one: each schedule is a function of the epoch alone.
"""

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
