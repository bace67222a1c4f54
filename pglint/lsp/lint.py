"""Linting an editor's document with the CLI's engine.

A document that is a file on disk is linted as ``pglint check FILE`` would lint it, with
its unsaved text in place of what is on disk: configuration found from the file's own
directory (the nearest pglint.toml or pyproject.toml with [tool.pglint]), the other files
of its migration folder replayed before it (they give the history: a table created in an
earlier migration exists), suppression comments, per-file-ignores and exclude. The texts of
the other documents open in the editor replace their files too, so the history is what the
editor shows. A document with no file yet (untitled, or a path that does not exist) is
linted on its own.

Nothing here imports pygls; the server calls :func:`lint_document` off the event loop.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from ..engine.diagnostics import Diagnostic


@dataclass
class Linted:
    """The result of linting one version of a document."""

    text: str
    version: int | None
    path: str | None  # the file it stands for (None: untitled)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    problem: str | None = None  # a configuration or internal error, reported instead
    patterns: tuple | None = None  # the settings' placeholder patterns, for parsing it again


def lint_document(text: str, version: int | None, path: str | None, overlay: dict[str, str] | None = None,
                  root: str | None = None) -> Linted:
    """Lint ``text`` as the file ``path`` (None: an untitled document, configured from
    ``root``, the workspace folder). Never raises: a problem with the configuration or
    inside pglint becomes ``Linted.problem``."""
    from ..config.settings import ConfigError, load_settings
    from ..engine.registry import UnknownRule

    out = Linted(text, version, path)
    try:
        start = os.path.dirname(path) if path else (root or os.getcwd())
        settings, _extras = load_settings(start=start)
        settings = settings.with_overrides(jobs=1, cache=False)
        if settings.placeholders:
            from ..source.lexer import compile_placeholders

            out.patterns = compile_placeholders(tuple(settings.placeholders))
        if (path or "").endswith(".py") and not settings.python:
            return out  # Python documents are linted when the python option is on
        if path is not None and os.path.isfile(path):
            out.diagnostics = _lint_file(path, text, settings, overlay or {})
        else:
            out.diagnostics = _lint_alone(text, path or "untitled.sql", settings)
    except (ConfigError, UnknownRule) as exc:
        out.problem = f"pglint configuration error: {exc}"
    except RecursionError:
        out.problem = "pglint could not analyse this file: input nested too deeply"
    except Exception as exc:  # noqa: BLE001 - an editor must get a message, never a dead server
        if os.environ.get("PGLINT_DEBUG"):
            import traceback

            traceback.print_exc()
        out.problem = f"pglint internal error: {type(exc).__name__}: {exc} (please report it)"
    return out


def _lint_file(path: str, text: str, settings, overlay: dict[str, str]) -> list[Diagnostic]:
    from ..engine.runner import run_paths

    real = os.path.realpath(path)
    texts = {os.path.realpath(p): t for p, t in overlay.items()}
    texts[real] = text
    result = run_paths([path], settings, jobs=1, use_cache=False, statement_text=True, overlay=texts)
    return [d for fr in result.files if fr.path == path for d in fr.diagnostics]


def _lint_alone(text: str, name: str, settings) -> list[Diagnostic]:
    from ..engine.checker import lint_source
    from ..engine.runner import make_dispatch, make_options
    from ..source.text import SourceText

    opts = make_options(settings)
    opts.statement_text = True  # statement_start: where an ignore comment goes
    if name.endswith(".py"):
        from ..python.lint import lint_python

        return lint_python(SourceText(name, text), opts, make_dispatch(opts), name).diagnostics
    return lint_source(SourceText(name, text), opts, make_dispatch(opts), name).diagnostics


def warm_up() -> None:
    """Import the rules and the parser once, so the first document is not slow."""
    lint_document("SELECT 1;\n", None, None, root=os.getcwd())
