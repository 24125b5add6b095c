"""Data-parallel training on several devices and machines, through the
backend's own engine: `keras.distribution.DataParallel` under JAX,
``tf.distribute`` (``MirroredStrategy``, ``MultiWorkerMirroredStrategy``)
under TensorFlow.

This is the one module of seqlab that speaks to a backend's distribution API
directly; the rest asks it three things: `setup` (once per process, before a
model is built), `all_reduce_sum` (inside the compiled step: the gradient the
clipper sees, and the token count the loss divides by, are global), and the
`Distribution` it returns (``scope``, ``is_chief``, ``barrier``,
``shard_batch``).

Semantics, the same on both backends:

- ``training.batch_size`` is the **global** batch: each step reads that many
  sentences (or streams), split evenly across the replicas. It must be a
  multiple of the number of replicas.
- The loss is the mean over the global batch's tokens, and gradient
  clipping sees the all-reduced gradient, so a step on N replicas equals the
  one-device step on the same global batch, up to float rounding.
- Process 0 (the chief) writes the run directory; the other processes do
  the same work and write to a scratch directory they delete. Every process
  reads the chief's run directory when resuming, so it must be on a file
  system all machines share.

Example:
    >>> distribution = seqlab.distribution.setup({"devices": 2})
    >>> with distribution.scope():
    ...     model = seqlab.Tagger(...)
"""

import contextlib
import json
import os

import keras

from seqlab.config.schema import DistributionSection
from seqlab.errors import ConfigError

class Distribution:
    """How this process trains: its replicas and its place among processes.

    Attributes:
        replicas: devices that train in step, over all processes.
        processes: processes taking part (1: one machine, one process).
        process_id: this process's index; 0 is the chief.
    """

    replicas = 1
    processes = 1
    process_id = 0
    #: Whether a variable of the global batch's shape (a language model's
    #: carried state) works: true on one device and under JAX's single
    #: program, false under tf.distribute (each replica sees its share).
    splits_carried_state = True
    #: Whether losses a layer adds in its call (``add_loss``) reach every
    #: replica's gradient: false under tf.distribute, where Keras keeps one
    #: list of them that the replicas' threads clear for each other.
    keeps_layer_losses = True

    @property
    def is_chief(self):
        """Whether this process writes the run directory."""
        return self.process_id == 0

    def scope(self):
        """A context in which models and optimizers are built."""
        return contextlib.nullcontext()

    def fitting(self, model):
        """A context in which ``model.fit`` runs."""
        return contextlib.nullcontext()

    def barrier(self, name):
        """Wait until every process has reached the barrier ``name``."""

    def shard_batch(self, batch):
        """This process's share of a global batch (arrays or dicts of
        arrays, batch first): what the backend expects ``fit`` to read."""
        return batch

    def check_batch_size(self, batch_size, key="training.batch_size"):
        """Raise a `ConfigError` unless the global batch splits evenly."""
        if batch_size % self.replicas:
            raise ConfigError(
                f"{key} = {batch_size} is the global batch, split across "
                f"{self.replicas} replicas; it must be a multiple of {self.replicas} "
                f"(e.g. {self.replicas * max(1, round(batch_size / self.replicas))}).")

    def describe(self):
        if self.replicas == 1 and self.processes == 1:
            return "one device"
        return (f"{self.replicas} replicas over {self.processes} "
                f"process{'es' if self.processes > 1 else ''} (this is process "
                f"{self.process_id}{', the chief' if self.is_chief else ''})")


class _JaxDataParallel(Distribution):
    def __init__(self, devices, processes, process_id):
        self.replicas, self.processes, self.process_id = len(devices), processes, process_id
        self.devices = devices
        distribution = keras.distribution.DataParallel(devices=devices)
        # seqlab's batches are already this process's share (`shard_batch`).
        distribution.auto_shard_dataset = False
        keras.distribution.set_distribution(distribution)

    def barrier(self, name):
        if self.processes > 1:
            from jax.experimental import multihost_utils

            multihost_utils.sync_global_devices(name)

    def shard_batch(self, batch):
        if self.processes == 1:
            return batch
        return keras.tree.map_structure(self._share, batch)

    def _share(self, array):
        rows = len(array) // self.processes
        return array[self.process_id * rows:(self.process_id + 1) * rows]


class _TensorFlowStrategy(Distribution):
    splits_carried_state = False
    keeps_layer_losses = False

    def __init__(self, strategy, process_id, processes):
        self.strategy = strategy
        self.replicas = strategy.num_replicas_in_sync
        self.processes, self.process_id = processes, process_id

    def scope(self):
        return self.strategy.scope()

    @contextlib.contextmanager
    def fitting(self, model):
        if self.processes == 1:
            yield
            return
        model.logs_need_batch_axis = True  # see `SequenceModel.compute_metrics`
        # Keras 3.15 builds a model created in a strategy's scope from a
        # first batch averaged over the replicas, which fails for integer
        # ids under MultiWorkerMirroredStrategy; the model is built
        # already. Without the captured strategy, Keras takes the one in
        # scope, so fit still runs on every worker's replicas.
        captured = model._distribute_strategy
        model._distribute_strategy = None
        try:
            with self.strategy.scope():
                yield
        finally:
            model._distribute_strategy = captured
            model.logs_need_batch_axis = False

    def barrier(self, name):
        if self.processes > 1:
            import tensorflow as tf

            # A collective every worker must join: an all-reduce of one number.
            self.strategy.reduce(tf.distribute.ReduceOp.SUM,
                                 self.strategy.run(lambda: tf.constant(1.0)), axis=None)


def setup(section):
    """Set this process up to train as a ``[distribution]`` section says.

    Call it once per process, before any model is built (and, for several
    processes, before the backend has run anything). ``devices`` is the
    number of devices per process (0: all of them), ``addresses`` one
    ``host:port`` per process (empty: one process), ``process_id`` this
    process's index in ``addresses``.

    Returns:
        The `Distribution`, which the run hands to its task (there is no
        module-level current one).

    Raises:
        ConfigError: fewer devices than asked for, or a bad address list.
    """
    if not isinstance(section, DistributionSection):
        section = DistributionSection.checked(section or {}, "distribution.")
    devices, addresses = section.devices, list(section.addresses)
    process_id = section.process_id
    if addresses and not 0 <= process_id < len(addresses):
        raise ConfigError(f"distribution.process_id = {process_id} must index "
                          f"distribution.addresses ({len(addresses)} processes).")
    if devices == 1 and len(addresses) <= 1:
        if keras.backend.backend() == "jax" and keras.distribution.distribution() is not None:
            keras.distribution.set_distribution(None)  # a run before this one set it
        return Distribution()
    if keras.backend.backend() == "jax":
        return _setup_jax(devices, addresses, process_id)
    if keras.backend.backend() == "tensorflow":
        return _setup_tensorflow(devices, addresses, process_id)
    raise ConfigError(f"Training on several devices needs the JAX or TensorFlow "
                      f"backend, not {keras.backend.backend()!r}.")


def _setup_jax(devices, addresses, process_id):
    import jax

    processes = max(len(addresses), 1)
    if processes > 1:
        if not jax.distributed.is_initialized():
            keras.distribution.initialize(job_addresses=addresses[0],
                                          num_processes=processes, process_id=process_id)
    chosen = []
    for process in range(processes):
        local = [d for d in jax.devices() if d.process_index == process]
        if devices > len(local):
            raise ConfigError(_too_few(devices, len(local), local[0].platform if local else "?"))
        chosen += local[:devices or len(local)]
    return _JaxDataParallel(chosen, processes, process_id)


def _setup_tensorflow(devices, addresses, process_id):
    import tensorflow as tf

    if len(addresses) > 1:
        config = {"cluster": {"worker": addresses},
                  "task": {"type": "worker", "index": process_id}}
        os.environ["TF_CONFIG"] = json.dumps(config)
        strategy = tf.distribute.MultiWorkerMirroredStrategy()
        if devices > 1:
            local = strategy.extended.worker_devices
            if len(local) < devices:
                raise ConfigError(_too_few(devices, len(local), "GPU"))
        return _TensorFlowStrategy(strategy, process_id, len(addresses))
    kind = "GPU" if tf.config.list_logical_devices("GPU") else "CPU"
    local = tf.config.list_logical_devices(kind)
    if devices > len(local):
        raise ConfigError(_too_few(devices, len(local), kind))
    names = [d.name for d in local[:devices or len(local)]]
    return _TensorFlowStrategy(tf.distribute.MirroredStrategy(names), 0, 1)


def _too_few(wanted, found, kind):
    hint = ("" if kind.lower() != "cpu" else
            " To try several replicas on a CPU, split it into virtual devices: under "
            "JAX set XLA_FLAGS=--xla_force_host_platform_device_count=N; under "
            "TensorFlow call tf.config.set_logical_device_configuration before "
            "anything runs.")
    return (f"distribution.devices = {wanted}, but this process sees {found} "
            f"{kind} device{'s' if found != 1 else ''}.{hint}")


def all_reduce_sum(values):
    """Inside a compiled training step: ``values`` (a tensor or a list, ``None``
    entries kept) summed over the replicas that run the step in parallel.

    Under JAX the step is one program over the global batch, so values are
    global already and come back unchanged; under ``tf.distribute`` each
    replica holds its share and this sums them; on one device it is the
    identity.
    """
    if keras.backend.backend() != "tensorflow":
        return values
    import tensorflow as tf

    context = tf.distribute.get_replica_context()
    if context is None or context.num_replicas_in_sync == 1:
        return values
    single = not isinstance(values, (list, tuple))
    items = [values] if single else list(values)
    present = [i for i, v in enumerate(items) if v is not None]
    if present:
        reduced = context.all_reduce(tf.distribute.ReduceOp.SUM,
                                     [items[i] for i in present])
        for i, value in zip(present, reduced):
            items[i] = value
    return items[0] if single else items


def replicas_in_step():
    """How many replicas compute the current step separately (and whose
    per-replica sums `all_reduce_sum` adds): the ``tf.distribute`` replica
    count, or 1 (one device, or JAX's single program)."""
    if keras.backend.backend() != "tensorflow":
        return 1
    import tensorflow as tf

    context = tf.distribute.get_replica_context()
    return 1 if context is None else context.num_replicas_in_sync

