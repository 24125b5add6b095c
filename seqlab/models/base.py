"""What the tagger and the language model share: compile and the loss."""

import keras
from keras import ops

from seqlab import registry
from seqlab.distribution import all_reduce_sum, replicas_in_step
from seqlab.errors import ConfigError
from seqlab.clipping import GradientClippingOptimizer

PAD_ID = 0


class LossTracker(keras.metrics.Mean):
    """The mean training loss (Keras's ``loss`` metric) that also remembers,
    on the device, the first step of the epoch whose loss was not finite.

    Keras resets its metrics at each epoch's start, so `steps` counts the
    epoch's steps and `first_nonfinite` is 1-based within the epoch (0:
    none); both live in one int32 variable (``counters``: one array less
    for every compiled step to carry). `seqlab.callbacks.TrainingMonitor`
    reads it at the epoch's end. Under ``tf.distribute`` every replica
    counts the same steps and learns of a non-finite loss on any replica, so
    the first replica's copy is read.
    """

    def __init__(self, name="loss", **kwargs):
        super().__init__(name=name, **kwargs)
        self.counters = self.add_variable(shape=(2,), initializer="zeros", dtype="int32",
                                          name="counters", aggregation="only_first_replica")

    @property
    def steps(self):
        return self.counters.value[0]

    @property
    def first_nonfinite(self):
        return self.counters.value[1]

    def update_state(self, values, sample_weight=None):
        super().update_state(values, sample_weight=sample_weight)
        counters = self.counters.value
        step = counters[0] + 1
        bad = all_reduce_sum(ops.cast(ops.logical_not(ops.all(ops.isfinite(values))),
                                      "float32"))
        first = ops.logical_and(ops.greater(bad, 0.0), ops.equal(counters[1], 0))
        self.counters.assign(ops.stack([step, ops.where(first, step, counters[1])]))

    def reset_state(self):
        super().reset_state()
        self.counters.assign(ops.zeros((2,), "int32"))


class SequenceModel(keras.Model):
    """A model over padded id sequences (id 0 is padding) with an output head.

    The head defines the loss (`seqlab.layers.OutputHead.token_loss`); padded
    positions are masked out of it.

    Attributes:
        logs_need_batch_axis: whether a training step's logs must have a
            batch axis; the distribution sets it while it fits the model
            (several TensorFlow workers, see `seqlab.distribution`).
    """

    logs_need_batch_axis = False

    def compile(self, optimizer="adam", clipper="global_norm", loss=None,
                **kwargs):
        """Configure training. Gradient clipping runs in the compiled step.

        Args:
            optimizer: a Keras optimizer or its name.
            clipper: a gradient-clipper spec (``"none"``, ``"global_norm"``,
                ``{"name": "value", "threshold": 1.0}``, ...).
            loss: must be None: the output head defines the loss.
            **kwargs: passed to ``keras.Model.compile`` (``metrics``,
                ``jit_compile``, ``steps_per_execution``, ...).
        """
        if loss is not None:
            raise ConfigError(
                "seqlab models take their loss from the output head; choose "
                f"the head instead of `loss`. Received: loss={loss!r}")
        if not isinstance(optimizer, GradientClippingOptimizer):
            optimizer = GradientClippingOptimizer(optimizer, clipper)
        super().compile(optimizer=optimizer, **kwargs)
        # Keras's own tracker, plus the first non-finite step; set past
        # Keras's attribute tracking, as compile sets its own.
        object.__setattr__(self, "_loss_tracker", LossTracker(name="loss"))

    def first_nonfinite_loss_step(self):
        """The step of the current epoch (1-based) whose training loss was
        first NaN or infinite, or 0. Meaningful between epochs."""
        return int(ops.convert_to_numpy(self._loss_tracker.first_nonfinite))

    def compile_from_config(self, config):
        # keras.Model skips compile on load when compile is overridden; ours
        # accepts everything get_compile_config() records, so restore it.
        self.compile(**keras.saving.deserialize_keras_object(config))
        if self.built:
            self.optimizer.build(self.trainable_variables)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None,
                     training=True):
        """The mean token loss over the global batch, plus the layers' losses.

        Under ``tf.distribute`` each replica divides its tokens' loss by the
        token count of the whole global batch (and its share of the layers'
        losses), so the replicas' gradients sum to the one-device gradient;
        under JAX the step sees the global batch anyway.
        """
        token_losses = self.head.token_loss(y, y_pred, self.padding_mask(x))
        weights = self._token_weights(x, sample_weight, token_losses.dtype)
        count = all_reduce_sum(ops.sum(weights))
        loss = ops.sum(token_losses * weights) / ops.maximum(count, 1.0)
        for extra in self.losses:
            loss = loss + ops.cast(ops.sum(extra), loss.dtype) / replicas_in_step()
        return loss

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        # Compiled metrics see real tokens only, like the loss.
        logs = super().compute_metrics(
            x, y, y_pred, self._token_weights(x, sample_weight, "float32"))
        if self.logs_need_batch_axis:
            # Keras 3.15 averages a multi-worker step's logs over axis 0,
            # which scalars lack; every replica holds the same results.
            logs = {k: ops.reshape(v, (1,)) for k, v in logs.items()}
        return logs

    def _token_weights(self, x, sample_weight, dtype):
        """Per-token weights: 0 at padding, times any sample weights."""
        weights = ops.cast(self.padding_mask(x), dtype)
        if sample_weight is not None:
            sample_weight = ops.cast(sample_weight, dtype)
            if len(sample_weight.shape) == 1:
                sample_weight = ops.expand_dims(sample_weight, -1)
            weights = weights * sample_weight
        return weights

    def padding_mask(self, token_ids):
        """True at real tokens, False at padding."""
        return ops.not_equal(token_ids, PAD_ID)

    def log_probs(self, token_ids):
        """Normalised log-probabilities of every output at every position."""
        return self.head.log_probs(self(token_ids, training=False),
                                   self.padding_mask(token_ids))


def cached_helper(model, name, factory):
    """A helper model built once per model (a compiled scorer or decoder
    sharing its weights), kept on the model without Keras tracking it, so it
    is neither saved with the model nor kept alive after it."""
    helper = model.__dict__.get(name)
    if helper is None:
        helper = factory(model)
        object.__setattr__(model, name, helper)  # bypass Keras's tracking
    return helper


def component_config(spec, kind):
    """A spec in the form stored in a model config."""
    return None if spec is None else registry.normalise_spec(spec, kind)
