"""seqlab's built-in plugins.

Each module here is a plugin written exactly as a third-party one would be:
it imports only the public ``seqlab`` API and registers its components
through the hooks. seqlab's core names these modules in
``seqlab.plugins.DEFAULT_PLUGINS`` and never imports them otherwise.
"""
