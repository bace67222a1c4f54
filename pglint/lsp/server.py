"""``pglint server``: the language server (pygls over stdio).

- Documents are kept here (full text and version per URI); incremental changes are applied
  with :mod:`pglint.lsp.conversions`, which breaks lines where LSP does.
- Linting runs in one worker thread, off the event loop: the engine is the CLI's
  (:func:`pglint.lsp.lint.lint_document`). didOpen and didSave lint at once, didChange after
  a quiet time (``DEBOUNCE``); a result is published only if the document still has the
  version that was linted, so an older result never replaces a newer one.
- Diagnostics carry the rule name as ``code``, the rule's page as ``codeDescription``, and
  ranges in the position encoding agreed at initialize (UTF-16 unless the client prefers
  UTF-8 or UTF-32).
- Code actions (:mod:`pglint.lsp.actions`): the rule's fix, ignore for this statement,
  ignore in this file, fix all safe problems. They are computed from a lint of the
  document's current version (linted first if need be), their edits carry that version
  when the client takes versioned edits (so it rejects them for any other), and a request
  during which the document changed is answered ContentModified, never with stale edits.
  Hover over a finding: the rule's page.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from lsprotocol import types as T
from pygls.exceptions import JsonRpcContentModified
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from .. import __version__
from .actions import FIX_ALL, code_actions, hover_markdown
from .conversions import UTF16, LineIndex
from .lint import Linted, lint_document, warm_up

DEBOUNCE = 0.3  # seconds of quiet after a change before linting
SQL_LANGUAGES = {"sql", "pgsql", "postgres", "postgresql", "plpgsql", "psql"}
SEVERITY = {"error": T.DiagnosticSeverity.Error, "warning": T.DiagnosticSeverity.Warning,
            "info": T.DiagnosticSeverity.Information}

log = logging.getLogger("pglint.lsp")


@dataclass
class Document:
    uri: str
    version: int | None
    text: str
    language_id: str
    path: str | None  # file system path for file: URIs


class PglintServer(LanguageServer):
    def __init__(self, debounce: float = DEBOUNCE) -> None:
        super().__init__("pglint", __version__, text_document_sync_kind=T.TextDocumentSyncKind.Incremental)
        self.docs: dict[str, Document] = {}
        self.results: dict[str, Linted] = {}
        self.pending: dict[str, asyncio.Task] = {}
        self.debounce = debounce
        self.linter = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pglint-lint")
        self.shutdown_requested = False

    # -- helpers --------------------------------------------------------------------------

    @property
    def encoding(self) -> str:
        try:
            enc = self.workspace.position_encoding
        except Exception:  # noqa: BLE001 - before initialize
            return UTF16
        return str(getattr(enc, "value", enc) or UTF16)

    def root(self) -> str | None:
        try:
            folders = list(self.workspace.folders.values())
            if folders:
                return to_fs_path(folders[0].uri)
            return self.workspace.root_path
        except Exception:  # noqa: BLE001
            return None

    def capability(self, *names) -> object:
        cur = self.client_capabilities
        for n in names:
            cur = getattr(cur, n, None)
            if cur is None:
                return None
        return cur

    @staticmethod
    def wanted(doc: Document) -> bool:
        # Python documents too: lint_document lints them when the python option is on
        return (doc.language_id.lower() in SQL_LANGUAGES or doc.language_id.lower() == "python"
                or (doc.path or doc.uri).lower().endswith((".sql", ".py")))

    def overlay(self, uri: str) -> dict[str, str]:
        """The unsaved texts of the other open SQL files: the history is what the editor shows."""
        return {d.path: d.text for u, d in self.docs.items() if u != uri and d.path and self.wanted(d)}

    def related(self, doc: Document) -> list[str]:
        """Other open documents of the same migration folder (their history includes ``doc``)."""
        if doc.path is None:
            return []
        d1 = os.path.dirname(doc.path)
        d2 = os.path.dirname(d1)
        out = []
        for u, d in self.docs.items():
            if u == doc.uri or d.path is None or not self.wanted(d):
                continue
            p1 = os.path.dirname(d.path)
            if p1 == d1 or os.path.dirname(p1) == d2 or p1 == d2 or os.path.dirname(p1) == d1:
                out.append(u)
        return out

    # -- linting ----------------------------------------------------------------------------

    def schedule(self, uri: str, delay: float) -> None:
        old = self.pending.pop(uri, None)
        if old is not None:
            old.cancel()
        self.pending[uri] = asyncio.get_running_loop().create_task(self._lint_later(uri, delay))

    async def _lint_later(self, uri: str, delay: float) -> None:
        me = asyncio.current_task()
        try:
            if delay > 0:
                await asyncio.sleep(delay)
            await self.lint(uri)
        except asyncio.CancelledError:
            pass
        finally:
            if self.pending.get(uri) is me:
                del self.pending[uri]

    async def lint(self, uri: str) -> Linted | None:
        """Lint the document's current version; publish and keep the result unless the
        document changed (or closed) meanwhile."""
        doc = self.docs.get(uri)
        if doc is None or not self.wanted(doc):
            return None
        version, text = doc.version, doc.text
        loop = asyncio.get_running_loop()
        linted = await loop.run_in_executor(self.linter, lint_document, text, version, doc.path,
                                            self.overlay(uri), self.root())
        cur = self.docs.get(uri)
        if cur is None or cur.version != version or cur.text != text:
            return None  # stale: a newer version is being linted
        self.results[uri] = linted
        self.publish(uri, linted)
        return linted

    def still_current(self, uri: str, linted: Linted) -> bool:
        """Whether the document is still the version (and text) ``linted`` was computed for."""
        doc = self.docs.get(uri)
        return doc is not None and doc.version == linted.version and doc.text == linted.text

    async def current(self, uri: str) -> Linted | None:
        """The result for the document as it is now (linting it if need be)."""
        for _ in range(5):
            doc = self.docs.get(uri)
            if doc is None or not self.wanted(doc):
                return None
            res = self.results.get(uri)
            if res is not None and self.still_current(uri, res):
                return res
            task = self.pending.pop(uri, None)
            if task is not None:
                task.cancel()
            res = await self.lint(uri)
            if res is not None:
                return res
        return None

    def publish(self, uri: str, linted: Linted) -> None:
        self.text_document_publish_diagnostics(T.PublishDiagnosticsParams(
            uri=uri, version=linted.version, diagnostics=self.lsp_diagnostics(linted)))

    def lsp_diagnostics(self, linted: Linted, only=None) -> list[T.Diagnostic]:
        from ..engine.registry import all_rules

        rules = all_rules()
        idx = LineIndex(linted.text, self.encoding)
        out = []
        if linted.problem and only is None:
            first = linted.text.split("\n", 1)[0].rstrip("\r")
            out.append(T.Diagnostic(range=T.Range(T.Position(0, 0), T.Position(*idx.position(len(first)))),
                                    message=linted.problem, severity=T.DiagnosticSeverity.Error, source="pglint"))
        for d in linted.diagnostics if only is None else only:
            (sl, sc), (el, ec) = idx.range(d.start, d.end)
            rule = rules.get(d.rule)
            msg = d.message if not d.help else f"{d.message}\n{d.help}"
            out.append(T.Diagnostic(
                range=T.Range(T.Position(sl, sc), T.Position(el, ec)),
                message=msg,
                severity=SEVERITY.get(d.severity, T.DiagnosticSeverity.Warning),
                code=d.rule,
                code_description=T.CodeDescription(href=rule.url) if rule is not None else None,
                source="pglint",
                tags=[T.DiagnosticTag.Unnecessary] if d.rule == "unused-suppression" else None,
                data={"rule": d.rule, "code": d.code},
            ))
        return out

    def clear(self, uri: str, version=None) -> None:
        self.text_document_publish_diagnostics(T.PublishDiagnosticsParams(uri=uri, version=version, diagnostics=[]))


def _document(item) -> Document:
    path = None
    if item.uri.startswith("file:"):
        try:
            path = to_fs_path(item.uri)
        except Exception:  # noqa: BLE001 - a malformed URI is an untitled document
            path = None
    return Document(item.uri, item.version, item.text, item.language_id or "", path)


def _apply_change(doc: Document, change, encoding: str) -> None:
    rng = getattr(change, "range", None)
    if rng is None:
        doc.text = change.text
        return
    idx = LineIndex(doc.text, encoding)
    start = idx.offset(rng.start.line, rng.start.character)
    end = max(start, idx.offset(rng.end.line, rng.end.character))
    doc.text = doc.text[:start] + change.text + doc.text[end:]


def create_server(debounce: float = DEBOUNCE) -> PglintServer:
    ls = PglintServer(debounce)

    @ls.feature(T.INITIALIZED)
    def initialized(ls: PglintServer, params):
        ls.linter.submit(warm_up)  # import the rules and the parser before the first document

    @ls.feature(T.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: PglintServer, params: T.DidOpenTextDocumentParams):
        doc = _document(params.text_document)
        ls.docs[doc.uri] = doc
        ls.results.pop(doc.uri, None)
        if ls.wanted(doc):
            ls.schedule(doc.uri, 0)

    @ls.feature(T.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: PglintServer, params: T.DidChangeTextDocumentParams):
        doc = ls.docs.get(params.text_document.uri)
        if doc is None:
            return
        for change in params.content_changes:
            _apply_change(doc, change, ls.encoding)
        doc.version = params.text_document.version
        if ls.wanted(doc):
            ls.schedule(doc.uri, ls.debounce)
            for u in ls.related(doc):
                ls.schedule(u, ls.debounce)

    @ls.feature(T.TEXT_DOCUMENT_DID_SAVE, T.SaveOptions(include_text=False))
    def did_save(ls: PglintServer, params: T.DidSaveTextDocumentParams):
        doc = ls.docs.get(params.text_document.uri)
        if doc is None or not ls.wanted(doc):
            return
        if params.text is not None:
            doc.text = params.text
        ls.schedule(doc.uri, 0)
        for u in ls.related(doc):
            ls.schedule(u, 0)

    @ls.feature(T.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: PglintServer, params: T.DidCloseTextDocumentParams):
        uri = params.text_document.uri
        task = ls.pending.pop(uri, None)
        if task is not None:
            task.cancel()
        doc = ls.docs.pop(uri, None)
        ls.results.pop(uri, None)
        if doc is not None and ls.wanted(doc):
            ls.clear(uri)

    @ls.feature(T.TEXT_DOCUMENT_CODE_ACTION,
                T.CodeActionOptions(code_action_kinds=[T.CodeActionKind.QuickFix, FIX_ALL]))
    async def code_action(ls: PglintServer, params: T.CodeActionParams):
        uri = params.text_document.uri
        linted = await ls.current(uri)
        if linted is None:
            return []
        idx = LineIndex(linted.text, ls.encoding)
        r = params.range
        start = idx.offset(r.start.line, r.start.character)
        end = max(start, idx.offset(r.end.line, r.end.character))
        only = list(params.context.only or []) if params.context and params.context.only else None

        def wanted(kind: str) -> bool:
            if only is None:
                return True
            return any(kind == str(getattr(k, "value", k)) or kind.startswith(str(getattr(k, "value", k)) + ".")
                       for k in only)

        loop = asyncio.get_running_loop()
        actions = await loop.run_in_executor(ls.linter, code_actions, linted, start, end, wanted)
        if not ls.still_current(uri, linted):
            # edited while the actions were computed: their edits are for a text the editor no
            # longer holds (a client without versioned edits would apply them to the new one)
            raise JsonRpcContentModified(f"{uri} changed while its code actions were computed")
        disabled_ok = bool(ls.capability("text_document", "code_action", "disabled_support"))
        versioned = bool(ls.capability("workspace", "workspace_edit", "document_changes"))
        out = []
        for a in actions:
            if a.disabled and not disabled_ok:
                continue
            action = T.CodeAction(title=a.title, kind=a.kind, diagnostics=ls.lsp_diagnostics(linted, a.diagnostics),
                                  is_preferred=a.preferred or None)
            if a.disabled:
                action.disabled = T.CodeActionDisabled(reason=a.disabled)
            else:
                edits = [T.TextEdit(range=T.Range(T.Position(*idx.position(s)), T.Position(*idx.position(e))),
                                    new_text=t) for s, e, t in a.edits]
                if versioned:
                    action.edit = T.WorkspaceEdit(document_changes=[T.TextDocumentEdit(
                        text_document=T.OptionalVersionedTextDocumentIdentifier(uri=uri, version=linted.version),
                        edits=edits)])
                else:
                    action.edit = T.WorkspaceEdit(changes={uri: edits})
            out.append(action)
        return out

    @ls.feature(T.TEXT_DOCUMENT_HOVER)
    async def hover(ls: PglintServer, params: T.HoverParams):
        linted = await ls.current(params.text_document.uri)
        if linted is None:
            return None
        idx = LineIndex(linted.text, ls.encoding)
        at = idx.offset(params.position.line, params.position.character)
        diags = [d for d in linted.diagnostics if d.start <= at <= max(d.end, d.start)]
        if not diags:
            return None
        md = hover_markdown(diags)
        first = diags[0]
        (sl, sc), (el, ec) = idx.range(first.start, first.end)
        return T.Hover(contents=T.MarkupContent(kind=T.MarkupKind.Markdown, value=md),
                       range=T.Range(T.Position(sl, sc), T.Position(el, ec)))

    @ls.feature(T.SHUTDOWN)
    def shutdown(ls: PglintServer, params=None):
        ls.shutdown_requested = True
        for task in list(ls.pending.values()):
            task.cancel()
        ls.pending.clear()
        ls.linter.shutdown(wait=False, cancel_futures=True)

    return ls


class _Formatter(logging.Formatter):
    """One line per message on stderr (pygls puts tracebacks inside some messages: they are
    cut off); the whole record with PGLINT_DEBUG=1."""

    def format(self, record) -> str:
        if os.environ.get("PGLINT_DEBUG"):
            return super().format(record)
        line = record.getMessage().split("\n", 1)[0]
        exc = record.exc_info[1] if record.exc_info else None
        if exc is not None:
            text = str(exc).split("\n", 1)[0]
            line += f" ({type(exc).__name__}{': ' + text if text else ''})"
        return f"pglint server: {record.levelname.lower()}: {line}"


def _not_content_modified(record: logging.LogRecord) -> bool:
    """pygls logs every error answer as an exception; ContentModified is routine (the
    document was edited during a request), not an error of the server."""
    exc = record.exc_info[1] if record.exc_info else None
    return not isinstance(exc, JsonRpcContentModified)


def serve() -> int:
    """Run the server on stdin/stdout until the client says exit (or goes away)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Formatter("pglint server: %(levelname)s: %(message)s"))  # the format: PGLINT_DEBUG
    handler.addFilter(_not_content_modified)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if os.environ.get("PGLINT_DEBUG") else logging.WARNING)
    # stdout carries the protocol: anything else printed goes to stderr
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr
    ls = create_server()
    ls.start_io(stdin, stdout)
    return 0 if ls.shutdown_requested else 1
