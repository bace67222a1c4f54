"""The language server (``pglint server``): diagnostics, fixes and rule help in editors.

``conversions`` (offsets <-> LSP positions), ``lint`` (a document through the CLI's engine)
and ``actions`` (code actions, hover text) do not import pygls; ``server`` does, and is
imported only when ``pglint server`` runs (``pip install 'pglint[lsp]'``).
"""
