"""The plugin hook specifications, their contracts, and the markers plugins use.

Each hook receives a ``register`` callback and is called with keyword
arguments only. A plugin implements any subset of them::

    import seqlab

    @seqlab.hookimpl
    def seqlab_register_cells(register):
        register("my_cell", my_cell_factory)

Each hook's `Contract` (below, one per hook) says what a registered factory
is called with and what it must return. It is the one source of that
contract: the registry checks every factory's result against it, and
``docs/plugin-hooks.md`` quotes it (a test keeps the two in agreement).
"""

import dataclasses

from pluggy import HookimplMarker, HookspecMarker

hookspec = HookspecMarker("seqlab")
hookimpl = HookimplMarker("seqlab")


@dataclasses.dataclass(frozen=True)
class Contract:
    """What one hook's factories receive and return.

    Attributes:
        kind: the component kind the hook registers (``"cells"``).
        hook: the hook's name.
        factory: the call the core makes, as text.
        returns: dotted name of the class every result must be an instance of.
    """

    kind: str
    hook: str
    factory: str
    returns: str

    @property
    def text(self):
        """The sentence the hook's docstring and its docs section both carry."""
        return f"`{self.factory}` returns a `{self.returns}`."


@dataclasses.dataclass(frozen=True)
class HeadContext:
    """What the model tells an output head's factory.

    Attributes:
        num_outputs: the number of labels or words to score.
        word_counts: training count of each output id when the model knows
            them (a language model does), else None. Class-factored heads
            bin words by these counts.
    """

    num_outputs: int
    word_counts: tuple = None


@dataclasses.dataclass(frozen=True)
class EncoderContext:
    """What a tagger tells a token encoder's factory.

    Attributes:
        words: the word `seqlab.data.Vocabulary` (ids of the ``"words"`` input).
        chars: the character `seqlab.data.Vocabulary`, or None when the
            tagger was built without one.
        vectors: pretrained `seqlab.Vectors` for the word vocabulary, or None:
            what a word encoder starts from when the tagger was given
            ``pretrained`` (a model loaded from a file has None; its saved
            weights hold the vectors).
        embedding_dim: the tagger's word-vector width (``Tagger(embedding_dim=)``,
            ``[model] embedding_dim``), for an encoder whose spec gives none;
            None: the encoder's own default.
        vectors_trainable: whether word vectors are updated in training
            (``[model] pretrained = {trainable = false}`` freezes them), for an
            encoder whose spec does not say.
        sentences: the training `seqlab.data.Sentence` list where the
            tagger is built for training (``Tagger(train_sentences=...)``),
            for an encoder that counts what it reads (``column_embedding``);
            None for a tagger rebuilt from its saved config.
    """

    words: object
    chars: object = None
    vectors: object = None
    embedding_dim: int = None
    vectors_trainable: bool = True
    sentences: object = None


@dataclasses.dataclass(frozen=True)
class CallbackContext:
    """What a run tells a callback's factory.

    Attributes:
        run_directory: the run's output directory. A callback that writes
            files puts them here; relative paths among its options are read
            relative to it.
        resumed_after: epochs the run had committed when this training
            started (0: a fresh run). A log that must not repeat or lose
            them appends from there.
    """

    run_directory: str
    resumed_after: int = 0


CONTRACTS = {}


def _contract(kind, factory, returns):
    def mark(spec):
        contract = Contract(kind, spec.__name__, factory, returns)
        CONTRACTS[kind] = contract
        spec.__doc__ = f"{spec.__doc__.rstrip()}\n\n    Contract: {contract.text}\n"
        return hookspec(spec)
    return mark


@_contract("cells", "factory(units, *, kernel_initializer=None, "
           "recurrent_initializer=None, **options, **rnn_kwargs)", "keras.layers.RNN")
def seqlab_register_cells(register):
    """Register recurrent cells: ``register(name, factory)``.

    The layer runs over whole sequences. ``rnn_kwargs`` holds
    ``return_sequences``, ``return_state``, ``go_backwards`` and ``name``,
    to be passed on to the layer. An initializer of ``None`` means "the
    cell's own default".
    """


@_contract("initializers", "factory(**options)", "keras.initializers.Initializer")
def seqlab_register_initializers(register):
    """Register weight initializers: ``register(name, factory)``."""


@_contract("gradient_clippers", "factory(**options)", "seqlab.GradientClipper")
def seqlab_register_gradient_clippers(register):
    """Register gradient-clipping strategies: ``register(name, factory)``.

    A clipper is a callable over the list of gradients, written with
    ``keras.ops``, run inside the compiled training step.
    """


@_contract("output_heads", "factory(context: HeadContext, **options)",
           "seqlab.layers.OutputHead")
def seqlab_register_output_heads(register):
    """Register output heads: ``register(name, factory)``.

    A head maps features to scores and defines the per-token loss,
    normalised log-probabilities and decoding. ``context`` is a
    `HeadContext` (``num_outputs``, ``word_counts``).
    """


@_contract("token_encoders", "factory(context: EncoderContext, **options)",
           "seqlab.layers.TokenEncoder")
def seqlab_register_token_encoders(register):
    """Register token encoders: ``register(name, factory)``.

    An encoder maps the ids of one input (``"words"``: ``(batch, time)``,
    or ``"chars"``: ``(batch, time, chars)``) to one vector per token.
    ``context`` is an `EncoderContext` (``words`` and ``chars``
    vocabularies). A tagger concatenates the vectors of all its encoders.
    """


@_contract("callbacks", "factory(context: CallbackContext, **options)",
           "keras.callbacks.Callback")
def seqlab_register_callbacks(register):
    """Register training callbacks: ``register(name, factory)``.

    A config names them in ``training.callbacks`` (``[{name = "tensorboard"},
    "csv_logger"]``). A run adds them after its own callbacks, so an epoch's
    logs hold the dev score, and in the chief process only. ``context`` is
    a `CallbackContext` (``run_directory``, ``resumed_after``).
    """


@_contract("readers", "factory(**options)", "seqlab.data.DataFormat")
def seqlab_register_readers(register):
    """Register data formats: ``register(name, factory)``.

    A format reads a file into `seqlab.data.Sentence` objects and, where it
    can, writes tagged sentences back (``seqlab tag --output-format``).
    ``seqlab train``, ``evaluate`` and ``tag`` take their format names from
    here.
    """


@_contract("tokenizers", "factory(**options)", "seqlab.data.Tokenizer")
def seqlab_register_tokenizers(register):
    """Register tokenizers for raw text: ``register(name, factory)``.

    A tokenizer gives each token of a text with its character offsets
    (`seqlab.data.Tokenizer.spans`). A config names the one its model uses
    in ``data.tokenizer``; ``seqlab tag`` and `seqlab.Tagger.annotate`
    split raw text with it, and ``spans_jsonl`` files are read with it.
    """


@hookspec
def seqlab_register_commands(cli):
    """Add commands to the ``seqlab`` command line.

    ``cli`` is the root `click.Group`: decorate functions with
    ``@cli.command()``, or add a group with ``@cli.group()``. A command's
    own errors are best raised as `seqlab.SeqlabError`, which the command
    line prints as one ``seqlab: error:`` line. Import what a command needs
    inside its body: every ``seqlab`` command line (``--help`` too) calls
    this hook.
    """
