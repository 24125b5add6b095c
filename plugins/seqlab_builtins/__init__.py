"""seqlab's built-in plugins.

Each package here is a plugin written exactly as a third-party one would
be: it imports only the public ``seqlab`` API, and its ``__init__``
registers its components through the hooks by name
(``"seqlab_builtins.heads.softmax:softmax"``), so a component's module, and
Keras, are imported only when a model first uses it. The modules hold one
component each, or one family (``elman``, ``relu`` and ``irnn``). seqlab's
core names the packages in ``seqlab.plugins.DEFAULT_PLUGINS`` and never
imports them otherwise.
"""
