"""pglint: lint PostgreSQL SQL and migrations with PostgreSQL's own parser (pglast)."""

__version__ = "0.1.0"


def lint_text(text: str, path: str = "<string>", settings=None):
    """Lint SQL given as a string; returns a FileResult with ``.diagnostics``."""
    from .engine.runner import lint_text as _lint_text

    return _lint_text(text, path, settings)


def lint_paths(paths, settings=None):
    """Lint files and directories; returns a RunResult."""
    from .config.settings import Settings
    from .engine.runner import run_paths

    return run_paths(list(paths), settings or Settings())
