"""Training configurations: TOML files read into typed configs.

A config fully describes a run::

    output = "runs/ner"            # checkpoints, predictions, reports

    [data]
    train = "train.txt"            # paths relative to this file
    dev = "dev.txt"
    test = "test.txt"              # optional
    format = "conll"               # a registered format: `seqlab plugins --kind readers`
    scheme = "iob1"                # scheme of the files

    [model]                        # seqlab.Tagger arguments
    cell = "lstm"
    units = 100

    [training]
    epochs = 30
    clipper = { name = "global_norm", threshold = 5.0 }

Every key, its default and what it allows is declared once, in
`seqlab.config.schema` (`TaggerConfig`, `LanguageModelConfig`), with the
types of `seqlab.config.types`;
``seqlab config show FILE`` prints a file with every default filled in and
``seqlab config schema`` the JSON Schema that editors validate TOML with.

Example:
    >>> config = seqlab.load_config("ner.toml", overrides=["training.epochs=5"])
    >>> config.training.epochs
    5
"""

from seqlab.config.loading import (as_config, check_config, load_config, to_toml,
                                   updated)
from seqlab.config.schema import (MAX_BATCH_SIZE, MAX_DEPTH, MAX_SEED, MAX_WIDTH, MERGE_MODES,
                                  PRETRAINED_OPTIONS, TAGGER_METRICS, TASKS,
                                  LanguageModelConfig, RunConfig, TaggerConfig, TaggerData,
                                  format_spec, pretrained_spec)
from seqlab.config.types import OPTIMIZERS

__all__ = ["MAX_BATCH_SIZE", "MAX_DEPTH", "MAX_SEED", "MAX_WIDTH", "MERGE_MODES", "OPTIMIZERS",
           "PRETRAINED_OPTIONS", "TAGGER_METRICS", "TASKS", "LanguageModelConfig", "RunConfig",
           "TaggerConfig", "TaggerData", "as_config", "check_config", "format_spec",
           "load_config", "pretrained_spec", "to_toml", "updated"]
