"""`ResetStates`: a language model's carried states zeroed at each pass."""

import keras


class ResetStates(keras.callbacks.Callback):
    """Zero a language model's carried states at the start of every pass
    over the data (each training epoch and each evaluation)."""

    def on_epoch_begin(self, epoch, logs=None):
        self.model.reset_states()

    def on_test_begin(self, logs=None):
        self.model.reset_states()

    def on_predict_begin(self, logs=None):
        self.model.reset_states()
