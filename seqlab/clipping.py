"""Gradient clipping inside the compiled training step.

Keras trainers hand the gradients to ``optimizer.apply`` (TensorFlow, inside
``tf.function``) or ``optimizer.stateless_apply`` (JAX, inside ``jit``).
`GradientClippingOptimizer` wraps any Keras optimizer there: it measures the
global gradient norm, lets a registered `GradientClipper` rewrite the
gradients, records whether clipping fired, and passes the result on. No
backend-specific code is needed, and the statistics are optimizer variables
that callbacks can read after each step.

Every optimizer variable is an array that each compiled step takes in and
gives back (under JAX, one more argument of every call, about a microsecond
each on a CPU), so the statistics are kept in two small vectors, not six
scalars, and the wrapper has no step counter or learning rate of its own
(the inner optimizer's serve).
"""

import keras
import numpy as np
from keras import ops

from seqlab import registry
from seqlab.distribution import all_reduce_sum
from seqlab.errors import ConfigError


#: What ``GradientClippingOptimizer.statistics`` holds, in order (float32).
STATISTICS = ("gradient_norm", "clipped_norm", "gradient_norm_sum", "gradient_norm_max")
#: What ``GradientClippingOptimizer.counters`` holds, in order (int32).
COUNTERS = ("clipped_steps", "nonfinite_step")
# How a checkpoint saved before 2026-12-07 held them: the base class's step
# counter and learning rate, then these six scalars, then the clipper's and
# the inner optimizer's variables (now: the two vectors, then the same).
_OLD_ORDER = ("gradient_norm", "clipped_norm", "clipped_steps", "gradient_norm_sum",
              "gradient_norm_max", "nonfinite_step")
_OLD_EXTRA = (2 + len(_OLD_ORDER)) - 2  # the old layout's own arrays less the new one's


def global_norm(grads):
    """The L2 norm of all gradients taken together (``None`` entries skipped)."""
    squares = [ops.sum(ops.square(ops.cast(g, "float32")))
               for g in grads if g is not None]
    if not squares:
        return ops.zeros((), "float32")
    return ops.sqrt(ops.sum(ops.stack(squares)))


class GradientClipper:
    """Base class of gradient-clipping strategies.

    A clipper is called inside the compiled training step with the list of
    gradients (entries may be ``None``) and their global norm, and returns
    the list to apply. Write it with ``keras.ops`` only. A clipper that keeps
    state (a running average, say) creates it in `build` and updates it with
    ``variable.assign``; that works under ``tf.function`` and JAX alike.
    """

    def build(self, add_variable):
        """Create state. ``add_variable(name, shape=(), dtype="float32",
        initializer="zeros")`` returns a Keras variable owned by the optimizer."""

    def __call__(self, grads, norm):
        raise NotImplementedError

    def clipped_norm(self, clipped, norm):
        """The global norm of what `__call__` returned (``clipped``), given
        the norm before (``norm``). The default measures it; a clipper that
        knows it without a pass over every gradient (global-norm clipping:
        ``min(norm, threshold)``) overrides this, which saves that pass on
        every step."""
        return global_norm(clipped)


@keras.saving.register_keras_serializable(package="seqlab")
class GradientClippingOptimizer(keras.optimizers.Optimizer):
    """Wraps an optimizer so a registered clipper runs on every step.

    Args:
        inner_optimizer: a Keras optimizer, or its name (``"adam"``).
        clipper: a gradient-clipper spec: ``"global_norm"``,
            ``{"name": "value", "threshold": 1.0}``, ...

    Every attribute below is read from two variables updated inside the
    compiled step (``statistics``: float32, ``counters``: int32), so reading
    them costs nothing between steps; `seqlab.callbacks.TrainingMonitor`
    reads the counters once per epoch. Each is a scalar tensor:
    ``float(optimizer.gradient_norm)``, ``int(optimizer.clipped_steps)``.

    Attributes:
        gradient_norm: global gradient norm of the last step, before clipping.
        clipped_norm: global norm of the gradients actually applied.
        clipped_steps: how many steps so far changed the gradients.
        gradient_norm_sum: the sum of the (finite) gradient norms of all steps.
        gradient_norm_max: the largest finite gradient norm since it was last
            set to 0 (the monitor does so at each epoch's start).
        nonfinite_step: the optimizer step (1-based) whose gradients first
            held a NaN or an infinity; 0 while none has.

    Example:
        >>> optimizer = GradientClippingOptimizer("sgd", "global_norm")
        >>> model.compile(optimizer=optimizer)
    """

    def __init__(self, inner_optimizer, clipper="global_norm", name=None):
        inner = keras.optimizers.get(inner_optimizer)
        if isinstance(inner, GradientClippingOptimizer):
            raise ConfigError("The inner optimizer is already a "
                              "GradientClippingOptimizer; wrap the plain one.")
        fixed = [a for a in ("clipnorm", "clipvalue", "global_clipnorm")
                 if getattr(inner, a, None)]
        if fixed:
            raise ConfigError(
                f"The inner optimizer already clips ({', '.join(fixed)}); "
                f"choose clipping with the `clipper` argument instead, e.g. "
                f"clipper={{'name': 'global_norm', 'threshold': 5.0}}.")
        super().__init__(learning_rate=0.0, name=name or "gradient_clipping")
        if hasattr(inner, "_all_reduce_sum_gradients"):
            # Keras's TensorFlow optimizer sums the replicas' gradients just
            # before updating; `apply` has summed them already (the clipper
            # must see the global gradient), so the inner one passes them on.
            inner._all_reduce_sum_gradients = _already_reduced
        self.inner_optimizer = inner
        self.clipper_spec = registry.normalise_spec(clipper, "gradient_clippers")
        self.clipper = registry.create("gradient_clippers", clipper)

    def build(self, var_list):
        if self.built:
            return
        add = self._add_state
        self.statistics = add("statistics", shape=(len(STATISTICS),))
        self.counters = add("counters", shape=(len(COUNTERS),), dtype="int32")
        self.clipper.build(add)
        self.inner_optimizer.build(var_list)
        super().build(var_list)

    gradient_norm = property(lambda self: self._read("gradient_norm"))
    clipped_norm = property(lambda self: self._read("clipped_norm"))
    gradient_norm_sum = property(lambda self: self._read("gradient_norm_sum"))
    gradient_norm_max = property(lambda self: self._read("gradient_norm_max"))
    clipped_steps = property(lambda self: self._read("clipped_steps"))
    nonfinite_step = property(lambda self: self._read("nonfinite_step"))

    def _read(self, name):
        if name in STATISTICS:
            return self.statistics.value[STATISTICS.index(name)]
        return self.counters.value[COUNTERS.index(name)]

    def reset_gradient_norm_max(self):
        """Forget the largest gradient norm seen (`TrainingMonitor` does so
        at each epoch's start)."""
        values = np.array(ops.convert_to_numpy(self.statistics.value))
        values[STATISTICS.index("gradient_norm_max")] = 0.0
        self.statistics.assign(values)

    def _add_state(self, name, shape=(), dtype="float32", initializer="zeros"):
        # Every replica computes the same values from the all-reduced gradient.
        return self.add_variable(shape=shape, dtype=dtype, name=name,
                                 initializer=initializer,
                                 aggregation="only_first_replica")

    @property
    def variables(self):
        # The base class's step counter and learning rate are never read
        # (`iterations` and `learning_rate` are the inner optimizer's):
        # leaving them out spares every step two arrays.
        unused = (self._iterations, self._learning_rate)
        own = [v for v in self._variables if not any(v is u for u in unused)]
        return own + self.inner_optimizer.variables

    def load_own_variables(self, store):
        """Load the saved state, also as seqlab before 2026-12-07 saved it
        (the base class's step counter and learning rate, then the six
        statistics as scalars), so older checkpoints resume exactly."""
        variables = self.variables
        if self.built and len(store.keys()) == len(variables) + _OLD_EXTRA:
            old = [np.asarray(store[str(i)]) for i in range(len(store.keys()))]
            named = dict(zip(_OLD_ORDER, old[2:2 + len(_OLD_ORDER)]))
            values = [np.asarray([named[n] for n in STATISTICS], "float32"),
                      np.asarray([named[n] for n in COUNTERS], "int32"),
                      *old[2 + len(_OLD_ORDER):]]
            for variable, value in zip(variables, values):
                variable.assign(value)
            return
        # Keras's own: checks the count (a warning, nothing loaded) and
        # assigns `self.variables` in order.
        super().load_own_variables(store)

    def apply(self, grads, trainable_variables=None):
        if not self.built:
            self.build(trainable_variables or [])
        variables = trainable_variables or self._trainable_variables
        grads = [_dense(g, v) for g, v in zip(grads, variables)]
        # On several replicas (tf.distribute), the global gradient: the
        # norm, the clipping and the clipper's state are the one-device ones.
        grads = all_reduce_sum(grads)
        norm = global_norm(grads)
        clipped = list(self.clipper(grads, norm))
        clipped_norm = ops.cast(self.clipper.clipped_norm(clipped, norm), "float32")
        self._count(norm, clipped_norm)
        self.inner_optimizer.apply(clipped, trainable_variables)

    def _count(self, norm, clipped_norm):
        """Statistics and the first non-finite step, kept on the device."""
        finite = ops.isfinite(norm)
        finite_norm = ops.where(finite, norm, 0.0)
        before = self.statistics.value
        # in the order of STATISTICS
        self.statistics.assign(ops.stack([
            norm, clipped_norm, before[2] + finite_norm,
            ops.maximum(before[3], finite_norm)]))
        fired = ops.less(clipped_norm, norm * (1.0 - 1e-6))
        counts = self.counters.value
        step = ops.cast(self.iterations, "int32") + 1
        first = ops.logical_and(ops.logical_not(finite), ops.equal(counts[1], 0))
        # in the order of COUNTERS
        self.counters.assign(ops.stack([
            counts[0] + ops.cast(fired, "int32"), ops.where(first, step, counts[1])]))

    @property
    def learning_rate(self):
        return self.inner_optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, learning_rate):
        self.inner_optimizer.learning_rate = learning_rate

    @property
    def iterations(self):
        return self.inner_optimizer.iterations

    def finalize_variable_values(self, var_list):
        self.inner_optimizer.finalize_variable_values(var_list)

    def get_config(self):
        return {
            "name": self.name,
            "inner_optimizer": keras.optimizers.serialize(self.inner_optimizer),
            "clipper": self.clipper_spec,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        inner = keras.optimizers.deserialize(
            config.pop("inner_optimizer"), custom_objects=custom_objects)
        return cls(inner, **config)


def _dense(gradient, variable):
    """TensorFlow gives gathered weights (embeddings, a class softmax's word
    rows) IndexedSlices gradients whose repeated rows are not yet summed:
    the norm of their values is not the norm of the gradient. Sum them into
    the dense gradient in one pass, so norms and clipping are exact."""
    if gradient is None or not hasattr(gradient, "indices"):
        return gradient
    return ops.segment_sum(gradient.values, gradient.indices,
                           num_segments=int(variable.shape[0]))


def _already_reduced(grads_and_vars):
    return list(grads_and_vars)
