"""The plugin hook specifications and the markers plugins use.

Each hook receives a ``register`` callback and is called with keyword
arguments only. A plugin implements any subset of them::

    import seqlab

    @seqlab.hookimpl
    def seqlab_register_cells(register):
        register("my_cell", my_cell_factory)

What each factory must accept and return is documented per hook below and in
``docs/plugin-hooks.md``.
"""

from pluggy import HookimplMarker, HookspecMarker

hookspec = HookspecMarker("seqlab")
hookimpl = HookimplMarker("seqlab")


@hookspec
def seqlab_register_cells(register):
    """Register recurrent cells: ``register(name, factory)``.

    ``factory(units, *, kernel_initializer=None, recurrent_initializer=None,
    **options, **rnn_kwargs)`` returns a ``keras.layers.RNN`` (or subclass)
    running over whole sequences. ``rnn_kwargs`` holds ``return_sequences``,
    ``return_state``, ``go_backwards`` and ``name``, to be passed on to the
    layer. An initializer of ``None`` means "the cell's own default".
    """


@hookspec
def seqlab_register_initializers(register):
    """Register weight initializers: ``register(name, factory)``.

    ``factory(**options)`` returns a ``keras.initializers.Initializer``.
    """


@hookspec
def seqlab_register_gradient_clippers(register):
    """Register gradient-clipping strategies: ``register(name, factory)``.

    ``factory(**options)`` returns a ``seqlab.GradientClipper``: a callable
    over the list of gradients, written with ``keras.ops``, run inside the
    compiled training step.
    """


@hookspec
def seqlab_register_output_heads(register):
    """Register output heads: ``register(name, factory)``.

    ``factory(num_outputs, **options)`` returns a ``seqlab.layers.OutputHead``:
    a layer mapping features to scores that also defines the per-token loss,
    normalised log-probabilities and decoding.
    """


@hookspec
def seqlab_register_token_encoders(register):
    """Register token encoders: ``register(name, factory)``.

    ``factory(vocabulary, **options)`` returns a
    ``seqlab.layers.TokenEncoder``: a layer mapping the ids of one input
    (``"words"``: ``(batch, time)``, or ``"chars"``: ``(batch, time,
    chars)``) to one vector per token. ``vocabulary`` is the
    ``seqlab.data.Vocabulary`` of that input. A tagger concatenates the
    vectors of all its encoders.
    """
