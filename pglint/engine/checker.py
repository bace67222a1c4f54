"""Lint one file: parse, build the context statement by statement, dispatch to the rules,
apply suppressions, compute positions."""

from __future__ import annotations

import re

from ..config.settings import compat_tools
from ..model.nodes import field_types
from ..model.schema import Origin, SchemaModel
from ..model.session import set_config_calls
from ..model.transactions import ASSUMED, REFUSABLE_TYPES, refused_in_block
from ..source import tool_transactions as tool_tx
from ..source.parsing import ParsedFile, parse_file
from ..source.statement import DO, Statement
from ..source.text import SourceText
from ..source.tool_transactions import ToolTransaction
from .context import _LIGHT, FileContext, RunOptions
from .diagnostics import MESSAGE_WIDTH, Diagnostic
from .prefilter import FileFacts
from .registry import Rule, ignored_for
from .results import FileResult  # noqa: F401  (re-exported)
from .suppression import Directive, Target, attach, is_suppressed, parse_directives


class Dispatch:
    """Handlers of the enabled rules, indexed by the node type they want. The rules come
    from the index (registry.py): a rule's module is imported the first time a file needs
    it (for_file: the rules that see every statement or the file's end) or a statement of
    a type it handles is met, so a run imports only the rules its files concern."""

    def __init__(self, rules: list[Rule]) -> None:
        self.rules = rules
        self.stmt: dict[str, list[tuple[Rule, object]]] = {}  # resolved on first use
        self._stmt_rules: dict[str, list[Rule]] = {}
        self.node: dict[str, list[tuple[Rule, object]]] = {}
        self.end: list[tuple[Rule, object]] = []
        self.any: list[tuple[Rule, object]] = []  # called with every statement
        self.node_keys: tuple[str, ...] = ()
        self._ready = False
        for r in rules:
            for t in self._declared(r)[0]:
                if t != "*":
                    self._stmt_rules.setdefault(t, []).append(r)
        self.conditional = [r for r in rules if r.needs]  # rules a file may not concern
        self._variants: dict[frozenset, Dispatch] = {}

    @staticmethod
    def _declared(r: Rule) -> tuple:
        return r.declared if not r.loaded else r.handled()

    def ready(self) -> "Dispatch":
        """Load the rules that see every statement, every node of a type, or the end."""
        if not self._ready:
            for r in self.rules:
                stmt_types, node_types, has_end = self._declared(r)
                if "*" in stmt_types:
                    self.any.append((r, r.load().statement_handlers["*"]))
                for t in node_types:
                    self.node.setdefault(t, []).append((r, r.load().node_handlers[t]))
                if has_end:
                    self.end.extend((r, fn) for fn in r.load().end_handlers)
            # JSON keys whose presence makes a statement worth decoding for node handlers
            self.node_keys = tuple('"' + t + '"' for t in self.node)
            self._ready = True
        return self

    def statement(self, t: str) -> list[tuple[Rule, object]]:
        """The handlers of statements of type ``t`` (their rules loaded now if need be)."""
        hs = self.stmt.get(t)
        if hs is None:
            hs = self.stmt[t] = [(r, r.load().statement_handlers[t]) for r in self._stmt_rules.get(t, ())]
        return hs

    def for_file(self, parsed: ParsedFile) -> "Dispatch":
        """The dispatch without the rules whose needs the file does not meet, ready."""
        if not self.conditional:
            return self.ready()
        facts = FileFacts(parsed)
        skip = frozenset(r.name for r in self.conditional if not facts.meets(r.needs))
        if not skip:
            return self.ready()
        d = self._variants.get(skip)
        if d is None:
            d = self._variants[skip] = Dispatch([r for r in self.rules if r.name not in skip])
            d.conditional = []
        return d.ready()


def file_transaction(settings, parsed: ParsedFile, tool: ToolTransaction | None,
                     no_tx_directive: bool) -> ToolTransaction | None:
    """How the file reaches PostgreSQL: a `-- pglint: no-transaction` directive first, then
    the assume-in-transaction setting when it is given, then the way the file's migration
    tool runs it (source/tool_transactions.py); UNKNOWN when nothing says."""
    if no_tx_directive:
        return tool_tx.DIRECTIVE_OFF
    setting = settings.assume_in_transaction
    if setting is not None:
        return tool_tx.SETTING if setting else tool_tx.SETTING_OFF
    if tool is not None and tool.outside_if_refused and _refused_statement(parsed, settings.pg_version):
        return tool_tx.FLYWAY_OUTSIDE
    return tool if tool is not None else tool_tx.UNKNOWN


def _refused_statement(parsed: ParsedFile, pg_version) -> str | None:
    for s in parsed.statements:
        if s.type in REFUSABLE_TYPES:
            what = refused_in_block(s.type, s.node, pg_version)
            if what is not None:
                return what
    return None


def _section_transactions(parsed: ParsedFile, default: str | None) -> dict[int, str | None]:
    """How each goose/dbmate section runs (their defaults: in a transaction); ``default``
    for the file outside any section."""
    out: dict[int, str | None] = {0: default}
    markers = parsed.markers
    if not markers:
        return out
    goose_no_tx = any(m.tool == "goose" and m.name == "no transaction" for m in markers)
    n = 0
    for m in markers:
        if m.name not in ("up", "down"):
            continue
        n += 1
        if m.tool == "goose":
            wrapped = not goose_no_tx
        else:
            wrapped = "transaction:false" not in m.arg.replace(" ", "").lower()
        out[n] = ASSUMED if wrapped else None
    return out


def parse_source(source: SourceText, opts: RunOptions) -> ParsedFile:
    return parse_file(source, _placeholder_patterns(opts))


_CREATE_WORDS = re.compile(
    r"(?is)\s*create\s+(?:or\s+replace\s+)?(?:(?:global|local)\s+)?(?:temp|temporary|unlogged)?\s*"
    r"(table|view|materialized\s+view)\s+(?:if\s+not\s+exists\s+)?"
    r'((?:"[^"]+"|[a-z_][\w$]*)(?:\.(?:"[^"]+"|[a-z_][\w$]*))?)')


def _broken_creations(parsed: ParsedFile, schema: SchemaModel) -> None:
    """A CREATE TABLE that PostgreSQL cannot parse (say, another dialect) still names a
    table later statements use: record it, with unknown columns, so that the syntax error
    is reported once rather than echoed by every later statement about that table."""
    from ..model.schema import Table

    for p in parsed.errors:
        if p.embedded_in is not None or p.rollback:
            continue
        m = _CREATE_WORDS.match(parsed.sql, p.start, p.end)
        if not m:
            continue
        parts = [x.strip('"') if x.startswith('"') else x.lower() for x in re.findall(r'"[^"]+"|[^.]+', m.group(2))]
        key = schema.key(parts[0] if len(parts) > 1 else None, parts[-1])
        if key not in schema.tables:
            kind = "r" if m.group(1).lower() == "table" else "v"
            schema.tables[key] = Table(key, kind=kind, origin=None, complete=False)


def replay(source: SourceText, opts: RunOptions, schema: SchemaModel, file_index: int,
           parsed: ParsedFile | None = None, observe=None) -> None:
    """Apply a file's statements to ``schema`` without running any rule (a migration that
    only provides context: it ran in production before the files being linted).
    ``observe(ctx, statement)``, if given, is called for each statement before the model
    takes it in (trace mode reads the static lock prediction there)."""
    if parsed is None:
        parsed = parse_source(source, opts)
    ctx = FileContext(opts, source, parsed, source.path, file_index, schema, None)
    ctx.section_tx = _section_transactions(parsed, None)
    if parsed.errors:
        _broken_creations(parsed, ctx.schema)
    for i, s in enumerate(parsed.all_statements()):
        s.index = i
        if s.parent is None and s.section != ctx.section:
            _new_session(ctx, s.section)
        _begin(ctx, s)
        if observe is not None:
            observe(ctx, s)
        _end(ctx, s)
        s.compact()
    if parsed.template_notes:  # after the last statement too
        _unseen_sql(ctx, len(parsed.sql) + 1)
    if ctx.before_rollback is not None:
        ctx.schema.restore(ctx.before_rollback)


def lint_source(source: SourceText, opts: RunOptions, dispatch: Dispatch, path: str | None = None,
                file_index: int = 0, schema: SchemaModel | None = None, rollback: bool = False,
                parsed: ParsedFile | None = None, final_schema=None,
                complete_history: bool = False, tool: ToolTransaction | None = None) -> FileResult:
    """Lint one file. ``schema``: the model before the file (earlier migrations, baseline);
    ``final_schema``: the model at the end of the whole history (for checks such as
    unindexed-foreign-key that care about what exists in the end), or a function that builds
    it, called when a rule first asks; ``complete_history``:
    every earlier migration (or a baseline) is known, so an unknown object is suspicious;
    ``tool``: how the file's migration tool runs it (from its layout)."""
    path = path or source.path
    if parsed is None:
        parsed = parse_source(source, opts)
    tools = compat_tools(opts.settings)
    squawk_map = _squawk_map() if "squawk" in tools else None
    directives = parse_directives(parsed.sql, parsed.all_comments(), squawk_map, atlas="atlas" in tools)
    no_tx = any(d.kind == "no-transaction" for d in directives)
    how = file_transaction(opts.settings, parsed, tool, no_tx)
    mode = how.mode if how is not None else None
    ctx = FileContext(opts, source, parsed, path, file_index, schema, mode)
    ctx.tool_tx = how
    ctx.section_tx = parsed.section_tx or _section_transactions(parsed, mode)
    ctx.final_schema = final_schema
    ctx.complete_history = complete_history
    if parsed.errors:
        _broken_creations(parsed, ctx.schema)

    dispatch = dispatch.for_file(parsed)
    statements = list(parsed.all_statements())
    for i, s in enumerate(statements):
        s.index = i
        if rollback:
            s.rollback = True
    node_handlers = dispatch.node
    node_keys = dispatch.node_keys
    stmt_handlers = dispatch.stmt
    stmt_handlers_of = dispatch.statement
    any_handlers = dispatch.any
    body_owner: Statement | None = None
    for s in statements:
        if s.parent is None:
            if body_owner is not None:  # done with a function or DO and its statements
                body_owner.plpgsql = None
                body_owner = None
            if s.section != ctx.section:
                _end_session(ctx, dispatch)
                _new_session(ctx, s.section)
        if s.plpgsql is not None and s.parent is None:
            body_owner = s
        _begin(ctx, s)
        origin = s.origin
        hs = stmt_handlers.get(s.type)
        if hs is None:
            hs = stmt_handlers_of(s.type)
        if hs:
            for rule, fn in hs:
                if origin in rule.scope:
                    ctx.rule = rule
                    fn(ctx, s.node)
        for rule, fn in any_handlers:
            if origin in rule.scope:
                ctx.rule = rule
                fn(ctx, s)
        if node_handlers:
            js = s.json_text
            if js is None or any(k in js for k in node_keys):
                _walk(ctx, s, node_handlers)
        _end(ctx, s)
        s.compact()
    _end_session(ctx, dispatch)
    if parsed.template_notes:  # after the last statement too
        _unseen_sql(ctx, len(parsed.sql) + 1)
    if ctx.before_rollback is not None:
        ctx.schema.restore(ctx.before_rollback)

    # syntax errors
    syntax = opts.rules.get("syntax-error")
    body = opts.rules.get("function-body-error")
    targets = [Target(s.index, s.start, s.end, 0, s.parent.index if s.parent else None) for s in statements]
    next_index = len(statements)
    rollback_targets = {s.index for s in statements if s.rollback} if not rollback else set()
    for p in parsed.errors:
        is_body = p.embedded_in is not None
        rule = body if is_body else syntax
        if rule is None or rule.name not in opts.enabled:
            continue
        if is_body and _is_limitation(p.message):
            continue
        idx = p.embedded_in.index if is_body else next_index
        if not is_body:
            targets.append(Target(idx, p.start, p.end, 0, None))
            next_index += 1
            if p.rollback and not rollback:
                rollback_targets.add(idx)
        end = ctx.token_span(p.offset)[1] if p.offset < len(parsed.sql) else p.offset
        ctx.stmt = None
        ctx.rule = rule
        d = ctx.report(_syntax_message(p.message), at=(p.offset, max(end, p.offset)),
                       help=_syntax_help(p.message, is_body))
        d.statement = idx

    result = FileResult(path, len(statements))
    result.tx_unknown = ctx.tx_doubt
    result.notes = [f"{p.message} (line {source.position(p.offset)[0]})" for p in parsed.errors
                    if p.embedded_in is not None and _is_limitation(p.message)]
    result.notes += [f"{text} (line {source.position(offset)[0]})" for offset, text in parsed.template_notes]
    diags = ctx.diagnostics
    # per-file ignores from the config
    names = ignored_for(opts.settings, path)
    if names:
        diags = [d for d in diags if d.rule not in names]
    if directives:
        diags = _apply_suppressions(ctx, diags, directives, targets, statements)
    if rollback or rollback_targets:
        diags = _rollback_policy(opts, diags, rollback, rollback_targets)
    for d in diags:
        _position(source, d)
    if opts.statement_text:
        _attach_statements(source, diags, targets)
    diags.sort(key=Diagnostic.sort_key)
    result.diagnostics = diags
    return result


# rule categories kept in a rollback by rollbacks = "locks-only" (meta: syntax errors and
# suppressions)
_LOCKS_ONLY = frozenset({"locking", "meta"})


def _rollback_policy(opts: RunOptions, diags: list[Diagnostic], whole: bool, targets: set[int]) -> list[Diagnostic]:
    """Findings of a rollback (a down / undo / revert file, or a down section), which runs
    only when a deploy is rolled back: marked as such; the compatibility findings (what
    would break the running application: drop-*, rename-* ...) made informational
    (rollbacks = "lint", the default), or only the locking ones kept ("locks-only"; a
    rollback on a busy table locks it too), or none ("skip")."""
    policy = opts.settings.rollbacks
    rules = opts.rules
    out = []
    for d in diags:
        if not whole and d.statement not in targets:
            out.append(d)
            continue
        if policy == "skip":
            continue
        rule = rules.get(d.rule)
        category = rule.category if rule is not None else "meta"
        if policy == "locks-only" and category not in _LOCKS_ONLY:
            continue
        if category == "compatibility":
            d.severity = "info"
        d.rollback = True
        out.append(d)
    return out


# PL/pgSQL compile errors that do not depend on the database catalog. libpg_query
# compiles bodies without a catalog (no table row types, no user types, only pg_catalog
# and public), so any other error may come from that stub rather than from the code:
# those bodies are reported as "not analysed" notes, never as errors.
_BODY_ERRORS = (
    "syntax error", "missing expression", "unterminated", "RETURN cannot have a parameter",
    "RETURN NEXT cannot have a parameter", "cannot be used outside a loop", "end label",
    "block label", "there is no label", "parameters specified for RAISE",
    "of cursor", "arguments for cursor", "must have a default value", "is declared CONSTANT",
    "event trigger functions cannot have declared arguments", "cursor FOR loop must use a bound cursor",
    "mismatched parentheses", "too many INTO variables", "INTO specified more than once",
)


def _is_limitation(message: str) -> bool:
    """Whether a function-body error may come from libpg_query's catalog stub."""
    return not any(s in message for s in _BODY_ERRORS)




def _syntax_message(msg: str) -> str:
    """PostgreSQL's message as one line that fits: the text it quotes (the token near the
    error, which may be a whole template directive) is shortened with an ellipsis; the
    code frame shows it in full."""
    msg = " ".join(msg.split())
    if not msg:
        return "Syntax error"
    msg = msg[0].upper() + msg[1:]
    over = len(msg) - MESSAGE_WIDTH
    if over > 0:
        q_end = msg.rfind('"')
        q_start = msg.rfind('"', 0, q_end) if q_end > 0 else -1
        inner = q_end - q_start - 1
        if q_start >= 0 and inner > over + 1 + 8:
            msg = msg[:q_start + 1] + msg[q_start + 1:q_end - over - 1] + "…" + msg[q_end:]
        else:
            msg = msg[:MESSAGE_WIDTH - 1] + "…"
    return msg


def _syntax_help(msg: str, body: bool) -> str:
    if body:
        return ("PostgreSQL compiles the body when the function is created (check_function_bodies "
                "is on by default), so this statement fails; fix the body.")
    return "PostgreSQL rejects this statement; fix it. The other statements of the file were checked."


_PATTERNS_CACHE: dict = {}


def _placeholder_patterns(opts: RunOptions):
    extra = tuple(opts.settings.placeholders)
    if not extra:
        return None
    pats = _PATTERNS_CACHE.get(extra)
    if pats is None:
        from ..source.lexer import compile_placeholders

        pats = _PATTERNS_CACHE[extra] = compile_placeholders(extra)
    return pats


def _squawk_map():
    from .squawk_compat import SQUAWK_TO_PGLINT

    return SQUAWK_TO_PGLINT


def _new_session(ctx: FileContext, section: int) -> None:
    ctx.section = section
    ctx.tx.reset(ctx.section_tx.get(section, ctx.tx_mode))
    ctx.session = type(ctx.session)(ctx._initial_session())
    ctx.held = []


def _end_session(ctx: FileContext, dispatch: Dispatch) -> None:
    ctx.stmt = None
    for rule, fn in dispatch.end:
        ctx.rule = rule
        fn(ctx)


def _begin(ctx: FileContext, s: Statement) -> None:
    ctx.stmt = s
    ctx._effects = None
    if s.parent is None:
        ctx.txinfo = ctx.tx.info()
        if not ctx.tx_doubt and s.type != "TransactionStmt" and ctx.tx_unknown:
            ctx.tx_doubt = True
        if ctx.session.local and not ctx.in_transaction:
            # SET LOCAL of a DO block run outside a transaction block: its implicit
            # transaction ended with it
            ctx.session.local = {}
        if ctx.parsed.template_notes:
            _unseen_sql(ctx, s.start)
    # embedded statements share their parent's transaction


def _unseen_sql(ctx: FileContext, upto: int) -> None:
    """The model learns that SQL pglint cannot see ran before offset ``upto``: what a Go
    template action writes when the migration runs (source/templates.py). Objects it makes
    are not in the model, which missing-object then says (SchemaModel.dynamic_ddl)."""
    notes = ctx.parsed.template_notes
    done = k = ctx.state.get("_unseen_sql", 0)
    while k < len(notes) and notes[k][0] < upto:
        k += 1
    if k > done:
        ctx.state["_unseen_sql"] = k
        s = ctx.stmt  # None after the last statement
        ctx.schema.dynamic_ddl = Origin(ctx.file_index, s.index if s is not None else len(ctx.parsed.statements),
                                        ctx.txinfo.id if ctx.txinfo else 0, ctx.path, notes[k - 1][0])


def _end(ctx: FileContext, s: Statement) -> None:
    if not s.executes_now:
        return
    if s.rollback and ctx.before_rollback is None:
        # a down section or file: its effects are visible to the rest of it, then undone
        ctx.before_rollback = ctx.schema.copy()
    typ = s.type
    if typ == "TransactionStmt":
        _transaction(ctx, s)
        return
    # a DO block always runs in a transaction (its own when outside a block): SET LOCAL and
    # set_config(..., true) in its body last until that transaction ends
    in_tx = ctx.in_transaction or s.origin == DO
    if typ == "VariableSetStmt":
        ctx.session.apply_set(s.node, in_tx)
        ctx.schema.apply(typ, s.node, ctx.origin())
        return
    if typ == "SelectStmt":
        js = s.json_text
        if js is None or "set_config" in js:
            for fc in set_config_calls(s.node):
                ctx.session.apply_set_config(fc, in_tx)
        # SELECT ... INTO makes a table; a call of a function whose body runs dynamic SQL may
        # make objects the model cannot see (the model notes it)
        if js is None or "intoClause" in js or (ctx.schema.dynamic_functions and '"FuncCall"' in js):
            ctx.schema.apply(typ, s.node, ctx.origin())
        return
    if typ in _LIGHT:
        return
    if ctx.in_transaction:
        # locks held until COMMIT, on relations other sessions may be using (judged now,
        # before the statement changes the model: a DROP removes what it drops)
        for e in ctx.effects():
            if ctx.on_existing(e):
                ctx.held.append((e, s))
    ctx.schema.apply(typ, s.node, ctx.origin())


def _transaction(ctx: FileContext, s: Statement) -> None:
    node = s.node
    kind = node.get("kind", "")
    was_in = ctx.tx.in_block
    ctx.tx.apply(node, s.start)
    if kind in ("TRANS_STMT_BEGIN", "TRANS_STMT_START") and not was_in:
        ctx.session.begin()
    elif kind in ("TRANS_STMT_COMMIT", "TRANS_STMT_ROLLBACK", "TRANS_STMT_PREPARE"):
        ctx.session.end(committed=kind != "TRANS_STMT_ROLLBACK")
        ctx.held = []


def _walk(ctx: FileContext, s: Statement, handlers) -> None:
    """One depth-first walk of the statement's tree, calling the handlers that want each
    node type; ``ctx.ancestors`` holds the (type, fields) chain above the node."""
    ft = field_types()
    origin = s.origin
    path: list = []
    ctx.ancestors = path
    stack: list = [(s.type, s.node, 0)]
    pop = stack.pop
    push = stack.append
    while stack:
        t, f, depth = pop()
        del path[depth:]
        hs = handlers.get(t)
        if hs:
            for rule, fn in hs:
                if origin in rule.scope:
                    ctx.rule = rule
                    fn(ctx, f)
        path.append((t, f))
        d1 = depth + 1
        items = list(f.items())
        for k, v in reversed(items):
            tv = type(v)
            if tv is dict:
                st = ft.get((t, k))
                if st is not None:
                    push((st, v, d1))
                elif len(v) == 1:
                    for kk, vv in v.items():
                        if type(vv) is dict and kk[:1].isupper():
                            push((kk, vv, d1))
            elif tv is list:
                for item in reversed(v):
                    if type(item) is dict and len(item) == 1:
                        for kk, vv in item.items():
                            if type(vv) is dict:
                                push((kk, vv, d1))
    ctx.ancestors = []


def _apply_suppressions(ctx: FileContext, diags: list[Diagnostic], directives: list[Directive],
                        targets: list[Target], statements: list[Statement]) -> list[Diagnostic]:
    src = ctx.source
    for t in targets:
        t.first_line = src.position(t.start)[0]
    attach(directives, targets, lambda off: src.position(off)[0])
    parents = {t.index: t.parent for t in targets}
    kept = [d for d in diags if d.rule == "unreadable-file" or not is_suppressed(d, directives, parents)]
    unused_rule = ctx.opts.rules.get("unused-suppression")
    if unused_rule is None or unused_rule.name not in ctx.opts.enabled:
        return kept
    extra = []
    ctx.stmt = None
    for d in directives:
        if d.kind == "no-transaction":
            continue
        for tok in d.unknown:
            if tok == "":
                msg = "Suppression names no rule: list the rules to silence, as in ignore[rule-a, rule-b]"
            elif d.squawk:
                msg = f"squawk-ignore names '{tok}', which is not a squawk rule pglint knows"
            elif d.atlas:
                msg = f"atlas:nolint names '{tok}', which is not an Atlas check or analyzer pglint knows"
            else:
                msg = f"Suppression names unknown rule '{tok}'"
            extra.append(ctx.report(msg, at=(d.start, d.end), rule=unused_rule,
                                    help="Use a rule name or code listed by `pglint rules`."))
        if d.atlas:
            # written for Atlas, whose checks are not pglint's: a comment with nothing for
            # pglint to silence still serves Atlas
            continue
        if d.blanket:
            if not d.used:
                extra.append(ctx.report("Unused suppression: squawk-ignore-file silenced nothing in this file",
                                        at=(d.start, d.end), rule=unused_rule,
                                        help="Remove the comment."))
            continue
        for name, tok in d.rules.items():
            if name in d.used or name not in ctx.opts.enabled:
                continue
            if name in ctx.opts.rules and not ctx.opts.rules[name].engine:
                continue  # live/trace rules: whether they fire depends on the database, not the file
            if d.squawk and any(n in d.used for n, t in d.rules.items() if t == tok):
                continue  # a squawk rule maps to several pglint rules: one use is enough
            where = "in this file" if d.kind == "ignore-file" else "on the statement it applies to"
            extra.append(ctx.report(f"Unused suppression: no {name} diagnostic {where}",
                                    at=(d.start, d.end), rule=unused_rule,
                                    help="Remove the rule from the comment (or the whole comment)."))
    # file-level suppressions also apply to unused-suppression reports
    extra = [d for d in extra if not any(x.kind == "ignore-file" and d.rule in x.rules for x in directives)]
    return kept + extra


def _position(source: SourceText, d: Diagnostic) -> None:
    d.line, d.column = source.position(d.start)
    d.end_line, d.end_column = source.position(max(d.end, d.start))
    first, last = d.line, min(d.end_line, d.line + 7)
    d.source_lines = tuple(source.line_text(n) for n in range(first, last + 1))
    if d.fix is not None:
        d.edit_positions = tuple((source.position(e.start), source.position(max(e.end, e.start)))
                                 for e in d.fix.edits)


def _attach_statements(source: SourceText, diags: list[Diagnostic], targets: list[Target]) -> None:
    """The text and start of each diagnostic's statement (or syntax-error chunk), for the
    reporters that show or fingerprint it; only when the output format asks for it."""
    spans = {t.index: (t.start, t.end) for t in targets}
    text = source.text
    for d in diags:
        sp = spans.get(d.statement) if d.statement is not None else None
        if sp is None:
            continue
        d.statement_start = sp[0]
        d.statement_position = source.position(sp[0])
        d.statement_text = text[sp[0]:sp[1]]
