"""The language server (``pglint server``), driven over stdio by a real LSP client (pygls's
LanguageClient) in a subprocess: initialize, didOpen, publishDiagnostics, code actions,
didChange, hover, shutdown and exit. Positions are checked against UTF-16 columns computed
here from the text, independently of pglint's conversions."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from lsprotocol import types as T
from pygls.lsp.client import LanguageClient

from conftest import ROOT, pglint_path
from pglint.docs import rule_url  # the rule page shipped in the package (a file:// URI)

TIMEOUT = 60  # seconds to wait for a diagnostic (the machine may be busy)


# -- a client session -----------------------------------------------------------------------


class Session:
    """A pglint server subprocess and a pygls client talking to it over its stdin/stdout."""

    def __init__(self, cwd: Path, encodings=None, disabled_support=False, document_changes=False):
        self.cwd = cwd
        self.encodings = encodings
        self.disabled_support = disabled_support
        self.document_changes = document_changes
        self.published: dict[str, list[T.PublishDiagnosticsParams]] = {}
        self.messages: list[str] = []
        self.changed = asyncio.Condition()
        self.client = LanguageClient("pglint-tests", "1")
        self.versions: dict[str, int] = {}
        self.texts: dict[str, str] = {}
        self.result = None

        @self.client.feature(T.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        async def on_diagnostics(ls, params: T.PublishDiagnosticsParams):
            async with self.changed:
                self.published.setdefault(params.uri, []).append(params)
                self.changed.notify_all()

        @self.client.feature(T.WINDOW_SHOW_MESSAGE)
        def on_show(ls, params):
            self.messages.append(params.message)

        @self.client.feature(T.WINDOW_LOG_MESSAGE)
        def on_log(ls, params):
            self.messages.append(params.message)

    async def start(self):
        await self.client.start_io(pglint_path(), "server", cwd=str(self.cwd))
        caps = T.ClientCapabilities(
            general=T.GeneralClientCapabilities(position_encodings=self.encodings) if self.encodings else None,
            text_document=T.TextDocumentClientCapabilities(
                code_action=T.CodeActionClientCapabilities(disabled_support=self.disabled_support)),
            workspace=T.WorkspaceClientCapabilities(
                workspace_edit=T.WorkspaceEditClientCapabilities(document_changes=self.document_changes)),
        )
        self.result = await asyncio.wait_for(self.client.initialize_async(T.InitializeParams(
            capabilities=caps, process_id=os.getpid(), root_uri=self.cwd.as_uri())), TIMEOUT)
        self.client.initialized(T.InitializedParams())
        return self

    async def stop(self) -> tuple[int, str]:
        """shutdown, exit; the server's exit code and its stderr."""
        if not self.client.stopped:
            await asyncio.wait_for(self.client.shutdown_async(None), TIMEOUT)
            self.client.exit(None)
        proc = self.client._server
        await asyncio.wait_for(proc.wait(), TIMEOUT)
        err = (await proc.stderr.read()).decode()
        await self.client.stop()
        return proc.returncode, err

    # documents
    def open(self, path, text: str | None = None, language: str = "sql", uri: str | None = None) -> str:
        uri = uri or Path(path).as_uri()
        if text is None:
            text = Path(path).read_text(encoding="utf-8")
        self.versions[uri] = 1
        self.texts[uri] = text
        self.client.text_document_did_open(T.DidOpenTextDocumentParams(T.TextDocumentItem(uri, language, 1, text)))
        return uri

    def change(self, uri: str, edits) -> int:
        """Apply LSP TextEdits here and send them as one incremental didChange."""
        self.versions[uri] += 1
        changes = []
        # the client sends each edit against the text as changed by the previous ones: go backwards
        for e in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
            self.texts[uri] = apply_edit(self.texts[uri], e)
            changes.append(T.TextDocumentContentChangePartial(range=e.range, text=e.new_text))
        self.client.text_document_did_change(T.DidChangeTextDocumentParams(
            T.VersionedTextDocumentIdentifier(uri=uri, version=self.versions[uri]), changes))
        return self.versions[uri]

    def replace(self, uri: str, text: str) -> int:
        """A whole-document didChange."""
        self.versions[uri] += 1
        self.texts[uri] = text
        self.client.text_document_did_change(T.DidChangeTextDocumentParams(
            T.VersionedTextDocumentIdentifier(uri=uri, version=self.versions[uri]),
            [T.TextDocumentContentChangeWholeDocument(text=text)]))
        return self.versions[uri]

    async def diagnostics(self, uri: str, version: int | None = None) -> list[T.Diagnostic]:
        """The diagnostics published for ``version`` of the document (its latest by default)."""
        version = self.versions[uri] if version is None else version

        def found():
            for p in self.published.get(uri, ()):
                if p.version == version:
                    return p
            return None

        async def wait():
            async with self.changed:
                await self.changed.wait_for(lambda: found() is not None)

        await asyncio.wait_for(wait(), TIMEOUT)
        return list(found().diagnostics)

    async def publication(self, uri: str, n: int) -> T.PublishDiagnosticsParams:
        """The n-th (1-based) publishDiagnostics for the document, waiting for it."""

        async def wait():
            async with self.changed:
                await self.changed.wait_for(lambda: len(self.published.get(uri, ())) >= n)

        await asyncio.wait_for(wait(), TIMEOUT)
        return self.published[uri][n - 1]

    async def actions(self, uri: str, rng: T.Range, only=None) -> list[T.CodeAction]:
        res = await asyncio.wait_for(self.client.text_document_code_action_async(T.CodeActionParams(
            T.TextDocumentIdentifier(uri), rng, T.CodeActionContext(diagnostics=[], only=only))), TIMEOUT)
        return list(res or [])

    async def hover(self, uri: str, pos: T.Position):
        return await asyncio.wait_for(self.client.text_document_hover_async(
            T.HoverParams(T.TextDocumentIdentifier(uri), pos)), TIMEOUT)


def run(coro_fn, cwd: Path, **kw):
    """Run ``coro_fn(session)`` against a fresh server; shut it down cleanly afterwards and
    check it exited 0 without a traceback."""

    async def main():
        s = await Session(cwd, **kw).start()
        try:
            await coro_fn(s)
        finally:
            code, err = await s.stop()
        assert code == 0, err
        assert "Traceback" not in err, err
        assert not [m for m in s.messages if "rror" in m], s.messages
        return s

    return asyncio.run(main())


# -- positions, computed here from the text ----------------------------------------------------

_BREAK = re.compile(r"\r\n|\r|\n")


def _lines(text: str) -> list[int]:
    return [0] + [m.end() for m in _BREAK.finditer(text)]


def utf16_position(text: str, offset: int) -> T.Position:
    starts = _lines(text)
    line = max(i for i, s in enumerate(starts) if s <= offset)
    return T.Position(line, len(text[starts[line]:offset].encode("utf-16-le")) // 2)


def utf16_offset(text: str, pos: T.Position) -> int:
    start = _lines(text)[pos.line]
    n = 0
    i = start
    while n < pos.character:
        n += len(text[i].encode("utf-16-le")) // 2
        i += 1
    return i


def apply_edit(text: str, e: T.TextEdit) -> str:
    return text[:utf16_offset(text, e.range.start)] + e.new_text + text[utf16_offset(text, e.range.end):]


def span(text: str, fragment: str) -> T.Range:
    i = text.index(fragment)
    return T.Range(utf16_position(text, i), utf16_position(text, i + len(fragment)))


def by_rule(diags, rule: str) -> list[T.Diagnostic]:
    return [d for d in diags if d.code == rule]


def edits_of(action: T.CodeAction, uri: str) -> list[T.TextEdit]:
    if action.edit.document_changes:
        (dc,) = action.edit.document_changes
        assert dc.text_document.uri == uri
        return list(dc.edits)
    return list(action.edit.changes[uri])


# -- fixtures ------------------------------------------------------------------------------------

LINE2 = "SELECT 'naïve 😀 façade'; CREATE INDEX i ON t (a);"  # an astral character before the finding


@pytest.fixture
def mig(tmp_path) -> Path:
    """A folder of numbered migrations (run statement by statement): 001 creates t, 002 (the
    one edited) indexes it after non-ASCII text."""
    d = tmp_path / "db" / "migrations"
    d.mkdir(parents=True)
    (d / "001_create.sql").write_text("CREATE TABLE t (a int, b varchar(50));\n", encoding="utf-8")
    (d / "002_index.sql").write_text(f"-- índice für t ✓\n{LINE2}\n", encoding="utf-8")
    return d


# -- tests ---------------------------------------------------------------------------------------


def test_initialize_announces_capabilities_and_shutdown_exits_cleanly(tmp_path):
    async def body(s: Session):
        caps = s.result.capabilities
        assert caps.position_encoding == T.PositionEncodingKind.Utf16
        sync = caps.text_document_sync
        assert sync.open_close and sync.change == T.TextDocumentSyncKind.Incremental and sync.save is not None
        assert set(caps.code_action_provider.code_action_kinds) == {"quickfix", "source.fixAll.pglint"}
        assert caps.hover_provider
        assert s.result.server_info.name == "pglint"

    run(body, tmp_path)  # run() checks exit code 0 and an empty traceback-free stderr


def test_exit_without_shutdown_is_exit_code_1(tmp_path):
    async def main():
        s = await Session(tmp_path).start()
        s.client.exit(None)
        proc = s.client._server
        await asyncio.wait_for(proc.wait(), TIMEOUT)
        err = (await proc.stderr.read()).decode()
        await s.client.stop()
        return proc.returncode, err

    code, err = asyncio.run(main())
    assert code == 1 and "Traceback" not in err


def test_diagnostics_with_utf16_ranges_rule_link_and_help(mig):
    v2 = mig / "002_index.sql"
    text = v2.read_text(encoding="utf-8")

    async def body(s: Session):
        uri = s.open(v2)
        diags = await s.diagnostics(uri, 1)
        (d,) = by_rule(diags, "index-not-concurrent")
        stmt = "CREATE INDEX i ON t (a)"
        want = span(text, stmt)
        assert d.range == want
        # the astral character makes UTF-16 columns differ from code points
        assert want.start == T.Position(1, LINE2.index("CREATE") + 1)
        assert d.severity == T.DiagnosticSeverity.Warning
        assert d.source == "pglint"
        assert d.code_description.href == rule_url("index-not-concurrent")
        assert "SHARE lock" in d.message and "CONCURRENTLY" in d.message  # message, then help
        assert by_rule(diags, "lock-timeout-missing")

    run(body, mig.parent.parent)


def test_same_findings_as_the_cli_with_the_migration_history(tmp_path):
    """The other files of the folder are the history: a table created in V1 exists (its
    column's type is known, so widening a varchar is no rewrite), and a table no migration
    creates is a missing object. Linted alone, the same file reads differently."""
    d = tmp_path / "migrations"
    d.mkdir()
    (d / "V1__create.sql").write_text("CREATE TABLE t (a varchar(50), b int);\n")
    v2 = d / "V2__change.sql"
    v2.write_text("ALTER TABLE t ALTER COLUMN a TYPE varchar(100);\nCREATE INDEX j ON nope (a);\n")
    alone = tmp_path / "alone"
    alone.mkdir()
    (alone / "V2__change.sql").write_text(v2.read_text())
    cli = json.loads(subprocess.run([pglint_path(), "--no-cache", "--format", "json", str(v2)], capture_output=True,
                                    text=True, cwd=tmp_path).stdout)["diagnostics"]
    cli_rules = sorted((x["rule"], x["line"] - 1, x["column"] - 1) for x in cli)
    assert "missing-object" in {r for r, *_ in cli_rules} and "column-type-rewrite" not in {r for r, *_ in cli_rules}

    async def body(s: Session):
        uri = s.open(v2)
        got = sorted((x.code, x.range.start.line, x.range.start.character) for x in await s.diagnostics(uri))
        assert got == cli_rules
        uri2 = s.open(alone / "V2__change.sql")
        rules2 = {x.code for x in await s.diagnostics(uri2)}
        assert "column-type-rewrite" in rules2 and "missing-object" not in rules2

    run(body, tmp_path)


def test_unsaved_history_and_save(tmp_path):
    """The history is what the editor shows: an unsaved change to an earlier migration that is
    open changes the findings of a later one, and saving lints again."""
    d = tmp_path / "migrations"
    d.mkdir()
    v1 = d / "V1__create.sql"
    v1.write_text("CREATE TABLE t (a varchar(50));\n")
    v2 = d / "V2__widen.sql"
    v2.write_text("SET lock_timeout = '2s';\nALTER TABLE t ALTER COLUMN a TYPE varchar(100);\n")

    async def body(s: Session):
        u2 = s.open(v2)
        assert await s.diagnostics(u2, 1) == []  # varchar(50) -> varchar(100) rewrites nothing
        u1 = s.open(v1)
        await s.diagnostics(u1, 1)
        n = len(s.published[u2])
        s.replace(u1, "CREATE TABLE t (a int);\n")  # not saved
        p = await s.publication(u2, n + 1)  # V2 is linted again, with V1 as the editor has it
        assert [x.code for x in p.diagnostics] == ["column-type-rewrite"]
        assert v1.read_text() == "CREATE TABLE t (a varchar(50));\n"
        # saved: the file on disk now says the same; saving V2 lints it again
        v1.write_text(s.texts[u1])
        s.client.text_document_did_save(T.DidSaveTextDocumentParams(T.TextDocumentIdentifier(u1)))
        n = len(s.published[u2])
        s.client.text_document_did_save(T.DidSaveTextDocumentParams(T.TextDocumentIdentifier(u2)))
        p = await s.publication(u2, n + 1)
        assert [x.code for x in p.diagnostics] == ["column-type-rewrite"]

    run(body, tmp_path)


def test_readme_editor_snippets_start_pglint_server():
    import tomllib

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Language server (editors)"):readme.index("## Live mode")]
    (vscode,) = re.findall(r"```json\n(.*?)```", section, re.S)
    cfg = json.loads(vscode)
    assert [cfg["glspc.server.command"], *cfg["glspc.server.commandArguments"]] == ["pglint", "server"]
    (helix,) = re.findall(r"```toml\n(.*?)```", section, re.S)
    hx = tomllib.loads(helix)
    assert hx["language-server"]["pglint"] == {"command": "pglint", "args": ["server"]}
    assert hx["language"][0]["language-servers"] == ["pglint"]
    lua = re.findall(r"```lua\n(.*?)```", section, re.S)
    assert len(lua) == 2 and all("cmd = { 'pglint', 'server' }" in block for block in lua)
    assert "pip install 'pglint[lsp]'" in section


def test_fix_action_applied_then_didchange_clears_the_diagnostic(mig):
    v2 = mig / "002_index.sql"

    async def body(s: Session):
        uri = s.open(v2)
        (d,) = by_rule(await s.diagnostics(uri, 1), "index-not-concurrent")
        actions = await s.actions(uri, d.range)
        fixes = [a for a in actions if a.title.startswith("Add CONCURRENTLY")]
        assert len(fixes) == 1
        fix = fixes[0]
        assert fix.kind == T.CodeActionKind.QuickFix and fix.is_preferred
        assert [x.code for x in fix.diagnostics] == ["index-not-concurrent"]
        v = s.change(uri, edits_of(fix, uri))
        assert s.texts[uri].splitlines()[1] == LINE2.replace("CREATE INDEX", "CREATE INDEX CONCURRENTLY")
        # CONCURRENTLY takes a lock that blocks no writes: lock-timeout-missing goes too
        assert await s.diagnostics(uri, v) == []
        # the document on disk is untouched: the server lints what the editor holds
        assert "CONCURRENTLY" not in v2.read_text(encoding="utf-8")

    run(body, mig.parent.parent)


def test_versioned_workspace_edit_when_the_client_supports_it(mig):
    v2 = mig / "002_index.sql"

    async def body(s: Session):
        uri = s.open(v2)
        (d,) = by_rule(await s.diagnostics(uri, 1), "index-not-concurrent")
        (fix,) = [a for a in await s.actions(uri, d.range) if a.title.startswith("Add CONCURRENTLY")]
        (dc,) = fix.edit.document_changes
        assert dc.text_document.version == 1 and fix.edit.changes is None

    run(body, mig.parent.parent, document_changes=True)


def test_ignore_statement_action(mig):
    v2 = mig / "002_index.sql"

    async def body(s: Session):
        uri = s.open(v2)
        (d,) = by_rule(await s.diagnostics(uri, 1), "index-not-concurrent")
        actions = await s.actions(uri, d.range)
        (ign,) = [a for a in actions if a.title == "Ignore index-not-concurrent for this statement"]
        v = s.change(uri, edits_of(ign, uri))
        # the statement shares its line with a SELECT: the comment goes on a line of its own
        # right before it (a comment above the line would apply to the SELECT)
        assert s.texts[uri] == ("-- índice für t ✓\nSELECT 'naïve 😀 façade';\n"
                                "-- pglint: ignore[index-not-concurrent] TODO: give the reason\n"
                                "CREATE INDEX i ON t (a);\n")
        after = await s.diagnostics(uri, v)
        assert not by_rule(after, "index-not-concurrent")
        assert not by_rule(after, "unused-suppression")
        # the same action for the other rule extends the comment just written
        (d2,) = by_rule(after, "lock-timeout-missing")
        (ign2,) = [a for a in await s.actions(uri, d2.range)
                   if a.title == "Ignore lock-timeout-missing for this statement"]
        v = s.change(uri, edits_of(ign2, uri))
        assert "-- pglint: ignore[index-not-concurrent, lock-timeout-missing] TODO: give the reason\n" in s.texts[uri]
        assert await s.diagnostics(uri, v) == []

    run(body, mig.parent.parent)


def test_ignore_statement_goes_where_add_ignore_puts_it(tmp_path):
    """Statements on lines of their own: the comment goes above each, with its indentation,
    inside a $$ body next to the statement, above the DO for a '...'-quoted body: exactly
    what `pglint --add-ignore` writes."""
    text = ("SELECT 1;\n    DELETE FROM t;\nDO 'BEGIN DELETE FROM t; END';\n"
            "DO $$\nBEGIN\n  DELETE FROM t;\nEND\n$$;\n")
    f = tmp_path / "x.sql"
    f.write_text(text)
    cli = tmp_path / "cli.sql"
    cli.write_text(text)
    subprocess.run([pglint_path(), "--no-cache", "--add-ignore", str(cli)], capture_output=True, cwd=tmp_path)
    expected = cli.read_text()
    assert expected.count("-- pglint: ignore[delete-without-where] TODO: give the reason") == 3

    async def body(s: Session):
        uri = s.open(f)
        v = 1
        for _ in range(3):
            d = by_rule(await s.diagnostics(uri, v), "delete-without-where")[0]
            (ign,) = [a for a in await s.actions(uri, d.range)
                      if a.title == "Ignore delete-without-where for this statement"]
            (e,) = edits_of(ign, uri)
            assert e.range.start == e.range.end and e.range.start.character == 0  # a line inserted
            v = s.change(uri, [e])
        assert await s.diagnostics(uri, v) == []
        assert s.texts[uri] == expected

    run(body, tmp_path)


def test_ignore_file_action_inserts_then_extends_the_comment(mig):
    v2 = mig / "002_index.sql"

    async def body(s: Session):
        uri = s.open(v2)
        diags = await s.diagnostics(uri, 1)
        (d,) = by_rule(diags, "lock-timeout-missing")
        (ign,) = [a for a in await s.actions(uri, d.range) if a.title == "Ignore lock-timeout-missing in this file"]
        v = s.change(uri, edits_of(ign, uri))
        assert s.texts[uri].startswith("-- pglint: ignore-file[lock-timeout-missing] TODO: give the reason\n"
                                       "-- índice für t ✓\n")
        after = await s.diagnostics(uri, v)
        assert not by_rule(after, "lock-timeout-missing")
        (d,) = by_rule(after, "index-not-concurrent")
        assert d.range.start.line == 2  # moved down one line
        (ign,) = [a for a in await s.actions(uri, d.range) if a.title == "Ignore index-not-concurrent in this file"]
        v = s.change(uri, edits_of(ign, uri))
        assert s.texts[uri].startswith(
            "-- pglint: ignore-file[lock-timeout-missing, index-not-concurrent] TODO: give the reason\n")
        assert await s.diagnostics(uri, v) == []

    run(body, mig.parent.parent)


def test_unused_suppression_gets_no_ignore_action(tmp_path):
    f = tmp_path / "x.sql"
    f.write_text("-- pglint: ignore[table-rewrite] nothing to silence\nSELECT 1;\n")

    async def body(s: Session):
        uri = s.open(f)
        (d,) = by_rule(await s.diagnostics(uri, 1), "unused-suppression")
        assert list(d.tags) == [T.DiagnosticTag.Unnecessary]
        titles = [a.title for a in await s.actions(uri, d.range)]
        assert not [t for t in titles if t.startswith("Ignore")], titles

    run(body, tmp_path)


def test_unsafe_fix_is_labelled_and_display_only_fix_is_not_an_edit(tmp_path):
    f = tmp_path / "x.sql"
    f.write_text("CREATE TABLE IF NOT EXISTS x (id bigint PRIMARY KEY, n char(3));\n"
                 "BEGIN;\nCREATE INDEX i ON t (a);\nCOMMIT;\n")

    async def check(s: Session, disabled: bool):
        uri = s.open(f)
        diags = await s.diagnostics(uri, 1)
        (ch,) = by_rule(diags, "char-column")
        (fix,) = [a for a in await s.actions(uri, ch.range) if a.title.startswith("Use text")]
        assert "unsafe" in fix.title and not fix.is_preferred and fix.edit is not None
        (ix,) = by_rule(diags, "index-not-concurrent")
        concurrently = [a for a in await s.actions(uri, ix.range) if "CONCURRENTLY" in a.title]
        if disabled:
            (a,) = concurrently
            assert a.edit is None and a.disabled is not None
        else:
            assert concurrently == []

    async def without(s):
        await check(s, False)

    async def with_disabled(s):
        await check(s, True)

    run(without, tmp_path)
    run(with_disabled, tmp_path, disabled_support=True)


def test_fix_all_source_action(mig):
    v2 = mig / "002_index.sql"

    async def body(s: Session):
        uri = s.open(v2)
        await s.diagnostics(uri, 1)
        whole = T.Range(T.Position(0, 0), T.Position(3, 0))
        (a,) = await s.actions(uri, whole, only=["source.fixAll"])
        assert a.kind == "source.fixAll.pglint"
        v = s.change(uri, edits_of(a, uri))
        assert "SET lock_timeout = '2s';" in s.texts[uri] and "CONCURRENTLY" in s.texts[uri]
        assert await s.diagnostics(uri, v) == []
        assert await s.actions(uri, whole, only=["source.fixAll"]) == []  # nothing left to fix

    run(body, mig.parent.parent)


def test_hover_shows_the_rule_page(mig):
    v2 = mig / "002_index.sql"
    page_title = (ROOT / "rules" / "index-not-concurrent.md").read_text(encoding="utf-8").splitlines()[0]

    async def body(s: Session):
        uri = s.open(v2)
        (d,) = by_rule(await s.diagnostics(uri, 1), "index-not-concurrent")
        inside = T.Position(d.range.start.line, d.range.start.character + 3)
        h = await s.hover(uri, inside)
        assert h.contents.kind == T.MarkupKind.Markdown
        assert page_title in h.contents.value and "## What it flags" in h.contents.value
        assert rule_url("index-not-concurrent") in h.contents.value
        assert h.range == d.range
        assert await s.hover(uri, T.Position(0, 2)) is None  # the comment line: no finding

    run(body, mig.parent.parent)


def test_config_is_found_from_the_files_directory(mig, tmp_path):
    """The server runs elsewhere; a pglint.toml next to the migrations turns a rule off, and
    one in another folder with an unknown key is an error diagnostic, not a crash."""
    (mig / "pglint.toml").write_text('ignore = ["lock-timeout-missing"]\n')
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "pglint.toml").write_text("ignroe = []\n")
    (bad / "x.sql").write_text("SELECT 1;\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    async def body(s: Session):
        uri = s.open(mig / "002_index.sql")
        rules = {d.code for d in await s.diagnostics(uri, 1)}
        assert "index-not-concurrent" in rules and "lock-timeout-missing" not in rules
        uri2 = s.open(bad / "x.sql")
        (d,) = await s.diagnostics(uri2, 1)
        assert d.severity == T.DiagnosticSeverity.Error
        assert "configuration error" in d.message and "unknown key 'ignroe'" in d.message
        # the config is read again on each lint: fix it and the error goes away
        (bad / "pglint.toml").write_text("ignore = []\n")
        v = s.replace(uri2, "SELECT 1;\n")
        assert await s.diagnostics(uri2, v) == []

    run(body, elsewhere)


def test_syntax_error_is_a_diagnostic_and_the_server_goes_on(tmp_path):
    f = tmp_path / "broken.sql"
    text = "CREATE TABLE t (a int);\nCREATE TABLE u (a int,, b int);\nSELECT 1;\n"
    f.write_text(text)

    async def body(s: Session):
        uri = s.open(f)
        (d,) = by_rule(await s.diagnostics(uri, 1), "syntax-error")
        assert d.severity == T.DiagnosticSeverity.Error
        assert d.range.start == utf16_position(text, text.index(",,") + 1)
        v = s.replace(uri, text.replace(",,", ","))
        assert not by_rule(await s.diagnostics(uri, v), "syntax-error")
        # binary junk and unbalanced quoting do not kill it either
        v = s.replace(uri, "\x00\x01 SELECT $$ 'unterminated")
        await s.diagnostics(uri, v)

    run(body, tmp_path)


def test_debounced_changes_publish_in_version_order(mig):
    """Changes in quick succession: results are published for the latest version, and an
    older result never follows a newer one."""
    v2 = mig / "002_index.sql"

    async def body(s: Session):
        uri = s.open(v2)
        await s.diagnostics(uri, 1)
        base = s.texts[uri]
        for i in range(5):
            s.replace(uri, base + f"CREATE INDEX k{i} ON t (b);\n" * (i + 1))
        last = s.versions[uri]
        diags = await s.diagnostics(uri, last)
        assert len(by_rule(diags, "index-not-concurrent")) == 1 + 5
        seen = [p.version for p in s.published[uri]]
        assert seen == sorted(seen), seen
        # each result published matches the text of its version
        for p in s.published[uri]:
            if p.version > 1:
                assert len(by_rule(p.diagnostics, "index-not-concurrent")) == 1 + (p.version - 1)

    run(body, mig.parent.parent)


def test_untitled_document_and_utf8_encoding(tmp_path):
    """A document with no file is linted on its own; a client that prefers UTF-8 gets byte
    columns. A form feed or U+2028 is not a line break in LSP."""
    text = "SELECT 'é\u2028😀\x0c'; DELETE FROM t;\n"

    async def body(s: Session):
        assert s.result.capabilities.position_encoding == T.PositionEncodingKind.Utf8
        uri = s.open(None, text, uri="untitled:Untitled-1")
        (d,) = by_rule(await s.diagnostics(uri, 1), "delete-without-where")
        at = text.index("t;")  # the finding is on the table's name
        assert d.range == T.Range(T.Position(0, len(text[:at].encode("utf-8"))),
                                  T.Position(0, len(text[:at + 1].encode("utf-8"))))

    run(body, tmp_path, encodings=[T.PositionEncodingKind.Utf8, T.PositionEncodingKind.Utf16])


def test_closing_a_document_clears_its_diagnostics(mig):
    async def body(s: Session):
        uri = s.open(mig / "002_index.sql")
        assert await s.diagnostics(uri, 1)
        s.client.text_document_did_close(T.DidCloseTextDocumentParams(T.TextDocumentIdentifier(uri)))

        async def cleared():
            async with s.changed:
                await s.changed.wait_for(lambda: len(s.published[uri][-1].diagnostics) == 0)

        await asyncio.wait_for(cleared(), TIMEOUT)

    run(body, mig.parent.parent)


def test_non_sql_documents_are_left_alone(tmp_path):
    f = tmp_path / "notes.md"
    f.write_text("DELETE FROM t;\n")

    async def body(s: Session):
        uri = s.open(f, language="markdown")
        sql = s.open(tmp_path / "y.sql", "DELETE FROM t;\n")
        await s.diagnostics(sql, 1)  # the SQL file was linted; by then the markdown would have been too
        assert uri not in s.published

    run(body, tmp_path)


class RawServer:
    """pglint server spoken to in raw JSON-RPC (Content-Length framing), for messages a
    well-behaved client library would refuse to send."""

    def __init__(self, cwd: Path):
        import queue
        import threading

        self.proc = subprocess.Popen([pglint_path(), "server"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, cwd=cwd)
        self.frames: queue.Queue = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        out = self.proc.stdout
        while True:
            head = b""
            while not head.endswith(b"\r\n\r\n"):
                c = out.read(1)
                if not c:
                    self.frames.put(None)
                    return
                head += c
            n = int(re.search(rb"Content-Length: (\d+)", head).group(1))
            self.frames.put(json.loads(out.read(n)))

    def send(self, m):
        body = m if isinstance(m, bytes) else json.dumps({"jsonrpc": "2.0", **m}).encode()
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def until(self, pred) -> list[dict]:
        """Frames up to and including the first one ``pred`` accepts."""
        seen = []
        while True:
            f = self.frames.get(timeout=TIMEOUT)
            assert f is not None, "the server closed its output"
            seen.append(f)
            if pred(f):
                return seen


def test_junk_from_the_client_gets_errors_not_a_dead_server(tmp_path):
    """Broken and out-of-range messages: the server answers what it can, keeps linting, and
    exits 0 after shutdown/exit with no traceback on stderr."""
    good = (tmp_path / "z.sql").as_uri()
    srv = RawServer(tmp_path)
    for m in [
        {"id": 1, "method": "initialize", "params": {"capabilities": {}, "processId": None}},
        {"method": "initialized", "params": {}},
        b"{not json",
        {"id": 2, "method": "no/such", "params": {}},
        {"method": "textDocument/didChange", "params": {"textDocument": {"uri": "file:///nope.sql", "version": 2},
                                                        "contentChanges": [{"text": "x"}]}},
        {"id": 3, "method": "textDocument/codeAction", "params": {
            "textDocument": {"uri": "file:///nope.sql"}, "context": {"diagnostics": []},
            "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}}}},
        {"method": "textDocument/didOpen", "params": {"textDocument": {
            "uri": good, "languageId": "sql", "version": 1, "text": "SELECT 1;\n"}}},
        {"method": "textDocument/didChange", "params": {"textDocument": {"uri": good, "version": 2}, "contentChanges": [
            {"range": {"start": {"line": 99, "character": 99}, "end": {"line": 0, "character": 500}},
             "text": "\u2028"}]}},
        {"method": "textDocument/didChange", "params": {"textDocument": {"uri": good, "version": 3}, "contentChanges": [
            {"range": {"start": {"line": 0, "character": -1}, "end": {"line": 0, "character": 0}}, "text": "x"}]}},
        {"method": "textDocument/didChange", "params": {"textDocument": {"uri": good, "version": 4}, "contentChanges": [
            {"text": "DELETE FROM t;\n"}]}},
        {"id": 5, "method": "textDocument/codeAction", "params": {
            "textDocument": {"uri": good}, "context": {"diagnostics": [], "only": ["refactor"]},
            "range": {"start": {"line": 5, "character": 0}, "end": {"line": 0, "character": 0}}}},
        {"method": "textDocument/didOpen", "params": {"textDocument": {
            "uri": "weird:%%%", "languageId": "sql", "version": 1, "text": "\x00\x00 SELECT $$"}}},
        {"id": 6, "method": "textDocument/hover", "params": {
            "textDocument": {"uri": good}, "position": {"line": 100000, "character": 100000}}},
    ]:
        srv.send(m)
    replies = {}

    def answered(f) -> bool:
        if "id" in f:
            replies[f["id"]] = f
        return {5, 6} <= set(replies)

    frames = srv.until(answered)
    srv.send({"id": 9, "method": "shutdown"})
    frames += srv.until(lambda f: f.get("id") == 9)
    srv.send({"method": "exit"})
    assert srv.proc.wait(timeout=TIMEOUT) == 0
    err = srv.proc.stderr.read().decode()
    assert "Traceback" not in err, err
    assert replies[2]["error"]["code"] == -32601
    assert replies[3]["result"] == [] and replies[5]["result"] == [] and replies[6]["result"] is None, replies
    # the document was linted at its last version (the code action request waited for it)
    pubs = [f["params"] for f in frames if f.get("method") == "textDocument/publishDiagnostics"
            and f["params"]["uri"] == good]
    assert pubs[-1]["version"] == 4 and [d["code"] for d in pubs[-1]["diagnostics"]] == ["delete-without-where"]


def test_fix_all_edit_carries_the_version_it_was_computed_for(mig):
    """Fix all on a later version of the document: its edit names that version (a client
    rejects it for any other) and applies cleanly to that version's text."""
    v2 = mig / "002_index.sql"

    async def body(s: Session):
        uri = s.open(v2)
        await s.diagnostics(uri, 1)
        end = T.Position(2, 0)
        v = s.change(uri, [T.TextEdit(range=T.Range(end, end), new_text="CREATE INDEX j ON t (b);\n")])
        assert len(by_rule(await s.diagnostics(uri, v), "index-not-concurrent")) == 2
        (a,) = await s.actions(uri, T.Range(T.Position(0, 0), T.Position(3, 0)), only=["source.fixAll"])
        (dc,) = a.edit.document_changes
        assert dc.text_document.uri == uri and dc.text_document.version == v == 2
        v = s.change(uri, list(dc.edits))
        # the fix adds CONCURRENTLY only (no IF NOT EXISTS: concurrent-index-if-not-exists), so
        # non-idempotent-ddl may still ask for a DROP INDEX CONCURRENTLY IF EXISTS before each
        assert s.texts[uri].count("CONCURRENTLY") == 2
        assert {d.data["rule"] for d in await s.diagnostics(uri, v)} <= {"non-idempotent-ddl"}

    run(body, mig.parent.parent, document_changes=True)


def _frames_of(frames, uri: str) -> list[dict]:
    return [f["params"] for f in frames if f.get("method") == "textDocument/publishDiagnostics"
            and f["params"]["uri"] == uri]


@pytest.mark.parametrize("document_changes", [False, True])
def test_code_actions_of_a_version_edited_meanwhile_are_refused(tmp_path, document_changes):
    """The document is edited while its code actions are being computed: the answer is
    ContentModified (-32801), never edits of the old version (a client without versioned
    edits would apply them to the new text). Made deterministic with real messages: the
    server computes on one lint thread, which a big untitled document opened just before
    keeps busy; the reply to a hover sent after the code action request proves the request
    has started (it took the lint of version 1 and waits for the thread), the reply to a
    second hover that the edit has been applied."""
    a = tmp_path / "a.sql"
    a.write_text("CREATE INDEX i ON t (a);\n", encoding="utf-8")
    uri = a.as_uri()
    busy = "untitled:busy.sql"  # no file: no relation to a.sql's folder
    whole = {"start": {"line": 0, "character": 0}, "end": {"line": 2, "character": 0}}
    srv = RawServer(tmp_path)

    def hover(i):
        return {"id": i, "method": "textDocument/hover", "params": {
            "textDocument": {"uri": "file:///not/open.sql"}, "position": {"line": 0, "character": 0}}}

    def code_action(i):
        return {"id": i, "method": "textDocument/codeAction", "params": {
            "textDocument": {"uri": uri}, "range": whole, "context": {"diagnostics": []}}}

    srv.send({"id": 1, "method": "initialize", "params": {"processId": None, "rootUri": tmp_path.as_uri(),
              "capabilities": {"workspace": {"workspaceEdit": {"documentChanges": document_changes}}}}})
    srv.until(lambda f: f.get("id") == 1)
    srv.send({"method": "initialized", "params": {}})
    srv.send({"method": "textDocument/didOpen", "params": {"textDocument": {
        "uri": uri, "languageId": "sql", "version": 1, "text": a.read_text(encoding="utf-8")}}})
    srv.until(lambda f: any(p["version"] == 1 for p in _frames_of([f], uri)))
    big = "".join(f"CREATE INDEX i{k} ON t (a);\n" for k in range(5000))  # over a second of work: a wide window
    srv.send({"method": "textDocument/didOpen", "params": {"textDocument": {
        "uri": busy, "languageId": "sql", "version": 1, "text": big}}})
    srv.send(code_action(2))
    srv.send(hover(3))
    frames = srv.until(lambda f: f.get("id") == 3)
    srv.send({"method": "textDocument/didChange", "params": {"textDocument": {"uri": uri, "version": 2},
              "contentChanges": [{"text": "SELECT 1;\nCREATE INDEX i ON t (a);\n"}]}})
    srv.send(hover(4))
    frames += srv.until(lambda f: f.get("id") == 4)
    assert not [f for f in frames if f.get("id") == 2], "answered before the edit: the busy document linted too fast"
    frames += srv.until(lambda f: f.get("id") == 2)
    reply = frames[-1]
    assert "result" not in reply and reply["error"]["code"] == -32801, reply
    # asked again, the server lints version 2 and offers its fixes, for version 2
    srv.send(code_action(5))
    reply = srv.until(lambda f: f.get("id") == 5)[-1]
    (fix_all,) = [x for x in reply["result"] if x["kind"] == "source.fixAll.pglint"]
    if document_changes:
        (dc,) = fix_all["edit"]["documentChanges"]
        assert dc["textDocument"] == {"uri": uri, "version": 2}
    else:
        assert fix_all["edit"]["changes"][uri][0]["range"]["start"]["line"] == 1  # the text of version 2
    srv.send({"id": 9, "method": "shutdown"})
    srv.until(lambda f: f.get("id") == 9)
    srv.send({"method": "exit"})
    assert srv.proc.wait(timeout=TIMEOUT) == 0
    err = srv.proc.stderr.read().decode()
    assert "Traceback" not in err and "error" not in err, err  # a routine ContentModified is not logged


def test_missing_pygls_is_a_clear_message_not_a_traceback(tmp_path):
    code = ("import sys; sys.modules['pygls'] = None; sys.modules['pygls.lsp.server'] = None\n"
            "from pglint.cli import main\nsys.exit(main(['server']))\n")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert p.returncode == 2
    assert "pip install 'pglint[lsp]'" in p.stderr
    assert "Traceback" not in p.stderr and p.stdout == ""


def test_cli_does_not_import_pygls_for_other_commands():
    code = "import sys\nfrom pglint.cli import main\nmain(['rules', '--format', 'json'])\n" \
           "assert 'pygls' not in sys.modules and 'lsprotocol' not in sys.modules, 'imported'\n"
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr


# -- conversions (pure functions) ---------------------------------------------------------------


def test_line_index_round_trips_against_utf16():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from pglint.lsp.conversions import UTF8, UTF16, UTF32, LineIndex

    alphabet = st.sampled_from(list("ab \t;\n\r") + ["\r\n", "é", "😀", "\u2028", "\x0c", "中"])

    @settings(max_examples=300, deadline=None)
    @given(st.lists(alphabet, max_size=40).map("".join), st.data())
    def check(text, data):
        offset = data.draw(st.integers(0, len(text)))
        if 0 < offset < len(text) and text[offset - 1] == "\r" and text[offset] == "\n":
            offset -= 1  # inside a line break: not a position
        idx = LineIndex(text, UTF16)
        pos = idx.position(offset)
        assert T.Position(*pos) == utf16_position(text, offset)
        assert idx.offset(*pos) == offset
        for enc in (UTF8, UTF32):
            i2 = LineIndex(text, enc)
            assert i2.offset(*i2.position(offset)) == offset

    check()
