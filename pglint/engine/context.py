"""The context rules read: the statement, its transaction, the session settings seen so
far, the schema model, the target PostgreSQL version, and ``report()``."""

from __future__ import annotations

import re
from collections.abc import Callable

from ..model.facts import SchemaFacts, is_utc_zone
from ..model.locks import Lock, LockEffect, statement_effects
from ..model.nodes import relation_name
from ..model.schema import Key, Origin, SchemaModel
from ..model.session import SessionState
from ..model.transactions import ASSUMED, ONE_QUERY, TransactionTracker, TxInfo
from ..source.lexer import IDENT_CONT_DOLLAR
from ..source.parsing import ParsedFile
from ..source.statement import Statement
from ..source.text import SourceText
from .diagnostics import Diagnostic, Edit, Fix
from .options import RunOptions  # noqa: F401  (re-exported)
from .registry import Rule

_TOKEN = re.compile(rf'"(?:[^"]|"")*"(?:\.(?:"(?:[^"]|"")*"|[\w$]+))*|{IDENT_CONT_DOLLAR}+(?:\.(?:"(?:[^"]|"")*"|{IDENT_CONT_DOLLAR}+))*|\S')

# statement types whose locks never exceed ROW EXCLUSIVE: not tracked as held locks
_LIGHT = frozenset({"InsertStmt", "UpdateStmt", "DeleteStmt", "MergeStmt", "SelectStmt",
                    "VariableSetStmt", "VariableShowStmt", "TransactionStmt"})


class FileContext(SchemaFacts):
    def __init__(self, opts: RunOptions, source: SourceText, parsed: ParsedFile, path: str,
                 file_index: int = 0, schema: SchemaModel | None = None, tx_mode: str | None = None) -> None:
        settings = opts.settings
        super().__init__(schema or SchemaModel(), settings.pg_version, settings.timezone_utc)
        self.opts = opts
        self.settings = settings
        self.source = source
        self.parsed = parsed
        self.sql = parsed.sql
        self.path = path
        self.file_index = file_index
        self.tx_mode = tx_mode  # how the tool runs the file: model.transactions ASSUMED, ONE_QUERY or None
        self.tool_tx = None  # the ToolTransaction behind it (for messages); tool_transactions.UNKNOWN: not known
        self.tx_doubt = False  # a statement ran where tx_unknown held (the report counts such files)
        self.tx = TransactionTracker(tx_mode)
        self.session = SessionState(self._initial_session())
        self.diagnostics: list[Diagnostic] = []
        # the parsed text differs from the file's (template placeholders, psql variables)
        self._rewritten: bool | None = None
        self.state: dict[str, dict] = {}  # per-rule scratch space, keyed by rule name
        self.held: list[tuple[LockEffect, Statement]] = []  # locks held in the open transaction
        self.section = 0
        self.section_tx: dict[int, str | None] = {0: tx_mode}
        # the model at the end of the history (None: the file is all there is), or a function
        # that builds it: it is built on first use (most units never need it)
        self._final: SchemaModel | Callable[[], SchemaModel] | None = None
        # every earlier migration or a baseline is known: unknown objects are suspicious
        self.complete_history = False
        self.before_rollback: SchemaModel | None = None  # model saved when a rollback part starts
        # statement being checked
        self.stmt: Statement | None = None
        self.txinfo: TxInfo | None = None
        self.rule: Rule | None = None
        self.ancestors: list = []
        self._effects: list[LockEffect] | None = None

    @property
    def final_schema(self) -> SchemaModel | None:
        if callable(self._final):
            self._final = self._final()
        return self._final

    @final_schema.setter
    def final_schema(self, value: SchemaModel | Callable[[], SchemaModel] | None) -> None:
        self._final = value

    def _initial_session(self) -> dict[str, str]:
        out = {}
        if self.settings.lock_timeout:
            out["lock_timeout"] = self.settings.lock_timeout
        if self.settings.statement_timeout:
            out["statement_timeout"] = self.settings.statement_timeout
        return out

    def timezone_is_utc(self) -> bool | None:
        """A SET timezone earlier in the file decides (RESET goes back to the server's, which
        the timezone-utc setting describes); otherwise the configured assumption."""
        tz = self.session.get("timezone")
        if tz is None:
            return super().timezone_is_utc()
        return is_utc_zone(tz)

    # -- facts for rules ---------------------------------------------------------
    def rule_state(self) -> dict:
        return self.state.setdefault(self.rule.name, {})

    def origin(self) -> Origin:
        s = self.stmt
        return Origin(self.file_index, s.index, self.txinfo.id if self.txinfo else 0, self.path, s.start)

    def line_of(self, offset: int) -> int:
        return self.source.position(offset)[0]

    def is_new(self, key: Key | None) -> bool:
        """Created earlier in this file (so empty and unused by the application)."""
        if key is None:
            return False
        t = self.schema.tables.get(key)
        return t is not None and t.origin is not None and t.origin.file == self.file_index

    def is_new_table(self, rv: dict | None) -> bool:
        return bool(rv) and self.is_new(self.schema.rv_key(rv))

    def is_new_index(self, schema: str | None, name: str) -> bool:
        i = self.schema.index(schema, name)
        return i is not None and i.origin is not None and i.origin.file == self.file_index

    def relation_may_exist(self, rv: dict) -> bool:
        """False only when the model knows every object (a whole history or a baseline)
        and this one is not among them, and no SQL the model cannot see ran before (dynamic
        SQL, a template action's SQL: SchemaModel.dynamic_ddl), which may have made it."""
        return (not self.complete_history or self.schema.dynamic_ddl is not None
                or self.schema.rv_key(rv) in self.schema.tables)

    def table_key(self, rv: dict | None) -> Key | None:
        return self.schema.rv_key(rv) if rv else None

    def relation_is_new(self, relation: tuple[str | None, str]) -> bool:
        return self.is_new(self.schema.key(*relation))

    def effects(self) -> list[LockEffect]:
        """Locks the current statement takes (cached)."""
        if self._effects is None:
            s = self.stmt
            self._effects = statement_effects(s.type, s.node, self) if s is not None else []
        return self._effects

    def on_existing(self, e: LockEffect) -> bool:
        """Whether a lock falls on a relation that existed before this file (so other
        sessions may be using it)."""
        if e.kind in ("table", "index", "view", "matview", "sequence") and self.relation_is_new(e.relation):
            return False
        if e.kind == "index":
            i = self.schema.index(*e.relation)
            if i is not None and i.origin is not None and i.origin.file == self.file_index:
                return False
        return True

    def strongest_on_existing(self, minimum: Lock = Lock.SHARE) -> LockEffect | None:
        """The strongest lock of at least ``minimum`` this statement takes on a relation
        that existed before this file."""
        best = None
        for e in self.effects():
            if e.late:  # a late lock is taken when nobody is left to wait
                continue
            if e.mode >= minimum and self.on_existing(e) and (best is None or e.mode > best.mode):
                best = e
        return best

    @property
    def in_transaction(self) -> bool:
        return bool(self.txinfo and self.txinfo.in_block)

    @property
    def tx_unknown(self) -> bool:
        """Whether pglint does not know if the current statement runs in a transaction: the
        file's migration tool is not known (and neither assume-in-transaction nor a
        directive says), and the statement is outside any BEGIN ... COMMIT of the file and
        any goose/dbmate section (whose annotations say). Rules whose finding depends on it
        stay quiet or word the finding as conditional; they never state a guessed mode."""
        tool = self.tool_tx
        return (tool is not None and tool.unknown and not self.in_transaction
                and not (self.section and self.parsed.markers))

    def concurrently_can_run(self) -> bool:
        """Whether this statement, made CONCURRENTLY, would run outside a transaction block
        as the file runs (so a fix may add CONCURRENTLY): outside any block; or the file's
        only statement where the tool then sends it alone (a query string of one statement,
        golang-migrate, Prisma, assume-in-transaction) or runs such a migration without a
        transaction (Flyway)."""
        s = self.stmt
        if s is None or s.origin != "top":
            return False
        if not self.in_transaction:
            return True
        tool, info = self.tool_tx, self.txinfo
        if tool is None or info.kind not in (ASSUMED, ONE_QUERY) or self.parsed.markers:
            return False
        if not (tool.lone_outside or tool.outside_if_refused):
            return False
        return sum(1 for x in self.parsed.statements if x.section == s.section) == 1

    # -- spans -----------------------------------------------------------------------
    def token_span(self, offset: int) -> tuple[int, int]:
        m = _TOKEN.match(self.sql, offset)
        if m is None or m.end() <= offset:
            return offset, min(offset + 1, len(self.sql))
        return offset, m.end()

    def node_span(self, node: dict | None) -> tuple[int, int] | None:
        loc = self.stmt.loc(node) if node else None
        if loc is None:
            return None
        return self.token_span(loc)

    def relation_span(self, rv: dict | None) -> tuple[int, int]:
        sp = self.node_span(rv)
        return sp if sp is not None else (self.stmt.start, self.stmt.end)

    def clause_spans(self) -> list[tuple[int, int]]:
        """Spans of the comma-separated subcommands of an ALTER TABLE statement."""
        s = self.stmt
        rv = s.node.get("relation")
        loc = s.loc(rv)
        if loc is None:
            return []
        _, pos = self.token_span(loc)
        text = self.sql
        # skip "*" after the name (ALTER TABLE t * ...)
        m = re.compile(r"\s*\*").match(text, pos)
        if m and m.end() <= s.end:
            pos = m.end()
        return split_top_level(text, pos, s.end)

    def cmd_span(self, i: int) -> tuple[int, int]:
        spans = self.clause_spans()
        if 0 <= i < len(spans):
            return spans[i]
        return self.stmt.start, self.stmt.end

    def keyword_span(self, start: int, end: int, word: str) -> tuple[int, int] | None:
        """Span of the first occurrence of keyword ``word`` in sql[start:end] (outside quotes)."""
        m = re.compile(r"(?i)(?<![\w$])" + re.escape(word) + r"(?![\w$])").search(self.sql, start, end)
        return (m.start(), m.end()) if m else None

    # -- reporting ------------------------------------------------------------------
    def _relation_name(self, relation) -> str | None:
        if relation is None:
            return None
        if isinstance(relation, LockEffect):
            if relation.relation[1] == "*":
                return None
            return _key_text(self.schema.key(*relation.relation))
        if isinstance(relation, dict):
            return _key_text(self.schema.rv_key(relation))
        if isinstance(relation, tuple):
            return _key_text(self.schema.key(*relation))
        return str(relation)

    def report(self, message: str, *, at=None, help: str | None = None, fix: Fix | None = None,
               severity: str | None = None, rule: Rule | None = None, relation=None,
               statement: int | None = None, explanation: str | None = None) -> Diagnostic | None:
        """Record a diagnostic of the current rule.

        ``at``: None (the statement), a (start, end) span, an offset (the token there) or a
        node with a location. ``relation``: the table it is about (a RangeVar, a
        (schema, name) pair or a LockEffect), which live mode uses to weigh the finding.
        """
        rule = rule or self.rule
        s = self.stmt
        if at is None:
            start, end = (s.start, s.end) if s is not None else (0, 0)
        elif isinstance(at, tuple):
            start, end = at
        elif isinstance(at, int):
            start, end = self.token_span(at)
        elif isinstance(at, dict):
            sp = self.node_span(at)
            start, end = sp if sp is not None else (s.start, s.end)
        else:  # pragma: no cover - programming error
            raise TypeError(at)
        sev = self.settings.severity.get(rule.name) or severity or rule.severity
        if self._rewritten is None:  # decided once per file (comparing texts per finding was quadratic)
            self._rewritten = self.sql is not self.source.text and self.sql != self.source.text
        if self._rewritten:
            message, help, fix = self._as_written(message, help, fix)
            if explanation:
                explanation = self._as_written(explanation, None, None)[0]
        d = Diagnostic(rule.name, rule.code, sev, message, help, self.path, start, end,
                       fix=fix, statement=statement if statement is not None else (s.index if s is not None else None),
                       relation=self._relation_name(relation), explanation=explanation)
        self.diagnostics.append(d)
        return d

    def _as_written(self, message: str, help: str | None, fix: Fix | None):
        """Names in a finding as the author wrote them: the parsed text holds same-length
        stand-ins for template placeholders and psql variables, which rules read back from
        the parse tree; they never reach the user."""
        from ..rules._common import shown

        message = shown(self, message)
        if help:
            help = shown(self, help)
        if fix is not None:
            fix = Fix(shown(self, fix.title),
                      tuple(Edit(e.start, e.end, shown(self, e.text)) for e in fix.edits), fix.applicability)
        return message, help, fix


def _key_text(key) -> str:
    return f"{key[0]}.{key[1]}"


def split_top_level(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Spans between commas at parenthesis depth 0 in text[start:end], blanks trimmed."""
    spans = []
    depth = 0
    seg = start
    i = start
    pat = re.compile(r"""'(?:[^']|'')*'|"(?:[^"]|"")*"|\$([A-Za-z_]\w*)?\$|--[^\n]*|/\*.*?\*/|[(),]""", re.S)
    while i < end:
        m = pat.search(text, i, end)
        if m is None:
            break
        tok = m.group()
        if tok.startswith("$"):
            close = text.find(tok, m.end(), end)
            i = end if close < 0 else close + len(tok)
            continue
        if tok == "(":
            depth += 1
        elif tok == ")":
            depth = max(0, depth - 1)
        elif tok == "," and depth == 0:
            spans.append(_trim(text, seg, m.start()))
            seg = m.end()
        i = m.end()
    spans.append(_trim(text, seg, end))
    return [sp for sp in spans if sp[0] < sp[1]]


def _trim(text: str, s: int, e: int) -> tuple[int, int]:
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    return s, e


def rel_display(rv: dict | None) -> str:
    schema, name = relation_name(rv)
    return f"{schema}.{name}" if schema else name
