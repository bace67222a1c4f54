from ..engine.registry import Rule
from ..model.nodes import strings
from ..model.schema import object_names
from ._common import fitted, alter_table_cmds, column_def_of, is_schema_dump, qname, report
from ._fixes import SAFE, Fix, first, insert_after, iter_tokens

RULE = Rule(
    "PG310", "non-idempotent-ddl",
    summary="CREATE/DROP without IF [NOT] EXISTS outside a transaction, and CREATE INDEX CONCURRENTLY without a name",
    category="design", fix="sometimes",
)

# CREATE statements with an IF NOT EXISTS form: type -> what they create
_IF_NOT_EXISTS = {
    "CreateStmt": "TABLE", "CreateSeqStmt": "SEQUENCE", "CreateSchemaStmt": "SCHEMA",
    "CreateExtensionStmt": "EXTENSION", "CreateStatsStmt": "STATISTICS", "CreateForeignServerStmt": "SERVER",
    "CreateUserMappingStmt": "USER MAPPING", "CreateForeignTableStmt": "FOREIGN TABLE",
}
# CREATE statements with an OR REPLACE form
_OR_REPLACE = {"ViewStmt": "VIEW", "CreateFunctionStmt": "FUNCTION", "RuleStmt": "RULE", "CreateTrigStmt": "TRIGGER"}
# statements that do no work a later failure could leave half done
_NO_WORK = ("VariableSetStmt", "VariableShowStmt", "TransactionStmt")


def _later_commits(ctx) -> bool:
    """Whether statements after this one run in a later transaction, i.e. a failure there
    leaves this statement's effect committed: then the file cannot simply be rerun. A
    schema dump is restored into an empty database, not rerun: never."""
    if is_schema_dump(ctx):
        return False
    stmt = ctx.stmt
    plan = _section_plan(ctx, stmt.section)
    pos = plan["pos"].get(stmt.index)
    if pos is None:
        return False
    last_work = plan["last_work"]
    if not ctx.in_transaction:
        return last_work > pos
    end = plan["next_end"][pos]
    if end is None:
        return False  # the transaction lasts to the end of the file (or section)
    pos_end, committed = end
    return committed and last_work > pos_end


def _section_plan(ctx, section: int) -> dict:
    """Per section, computed once: position of each top-level statement, the next
    COMMIT/ROLLBACK after each position, and the position of the last statement doing work."""
    plans = ctx.rule_state().setdefault("plans", {})
    plan = plans.get(section)
    if plan is not None:
        return plan
    by_section = ctx.rule_state().get("by_section")
    if by_section is None:  # one pass for every section (a file of goose sections has many)
        by_section = ctx.rule_state()["by_section"] = {}
        for s in ctx.parsed.statements:
            by_section.setdefault(s.section, []).append(s)
    tops = by_section.get(section, [])
    pos = {s.index: i for i, s in enumerate(tops)}
    last_work = -1
    next_end: list = [None] * len(tops)
    following = None
    for i in range(len(tops) - 1, -1, -1):
        s = tops[i]
        next_end[i] = following
        if s.type == "TransactionStmt":
            kind = s.node.get("kind", "")
            if kind in ("TRANS_STMT_COMMIT", "TRANS_STMT_PREPARE"):
                following = (i, True)
            elif kind == "TRANS_STMT_ROLLBACK":
                following = (i, False)
        elif last_work < 0 and s.type not in _NO_WORK and not _only_settings(s):
            last_work = i
    plan = plans[section] = {"pos": pos, "next_end": next_end, "last_work": last_work}
    return plan


def _only_settings(s) -> bool:
    if s.type != "SelectStmt":
        return False
    js = s.json_text
    if js is not None and "set_config" not in js:
        return False
    targets = s.node.get("targetList") or ()
    return bool(targets) and all(
        strings(((t.get("ResTarget") or {}).get("val") or {}).get("FuncCall", {}).get("funcname"))[-1:] == ["set_config"]
        for t in targets)


def _dropped_before(ctx, kind: str, name: str) -> bool:
    """An earlier statement of this section dropped the same object with IF EXISTS: the
    drop-then-create pair can run again."""
    dropped = ctx.rule_state().get("dropped", {}).get(ctx.stmt.section, set())
    return (kind, name) in dropped


@RULE.on("DropStmt")
def remember_drop(ctx, node):
    if node.get("missing_ok"):
        kind = node.get("removeType", "")
        per = ctx.rule_state().setdefault("dropped", {}).setdefault(ctx.stmt.section, set())
        for obj in node.get("objects") or ():
            names = object_names(obj)
            if names:
                per.add((kind, names[-1]))
        return
    if ctx.stmt.origin != "top" or not _later_commits(ctx):
        return
    rt = node.get("removeType", "OBJECT_TABLE")
    kind = _DROP_WORDS.get(rt) or rt[7:].replace("_", " ")
    if node.get("concurrent"):
        kind += " CONCURRENTLY"
    _report(ctx, f"DROP {kind}", f"DROP {kind} IF EXISTS", "does not exist", concurrently=bool(node.get("concurrent")),
            edit=_after_words(ctx, kind.split(), " IF EXISTS"))


_DROP_WORDS = {
    "OBJECT_MATVIEW": "MATERIALIZED VIEW", "OBJECT_FDW": "FOREIGN DATA WRAPPER", "OBJECT_FOREIGN_SERVER": "SERVER",
    "OBJECT_TSCONFIGURATION": "TEXT SEARCH CONFIGURATION", "OBJECT_TSDICTIONARY": "TEXT SEARCH DICTIONARY",
    "OBJECT_TSPARSER": "TEXT SEARCH PARSER", "OBJECT_TSTEMPLATE": "TEXT SEARCH TEMPLATE",
    "OBJECT_OPCLASS": "OPERATOR CLASS", "OBJECT_OPFAMILY": "OPERATOR FAMILY", "OBJECT_STATISTIC_EXT": "STATISTICS",
}


@RULE.on("DropRoleStmt", "DropdbStmt")
def drop_other(ctx, node):
    if node.get("missing_ok") or ctx.stmt.origin != "top" or not _later_commits(ctx):
        return
    what = "DROP DATABASE" if ctx.stmt.type == "DropdbStmt" else "DROP ROLE"
    _report(ctx, what, f"{what} IF EXISTS", "does not exist", edit=_after_words(ctx, what.split()[1:], " IF EXISTS"))


@RULE.on(*_IF_NOT_EXISTS, "CreateTableAsStmt")
def create(ctx, node):
    typ = ctx.stmt.type
    if typ == "CreateForeignTableStmt":
        node = node.get("base") or {}
    if typ == "CreateStmt" and (node.get("relation") or {}).get("relpersistence") == "t":
        return  # a temporary table goes away with the session: a rerun creates it again
    if node.get("if_not_exists") or ctx.stmt.origin != "top":
        return
    if typ == "CreateTableAsStmt":
        if node.get("is_select_into"):
            return
        what = "MATERIALIZED VIEW" if node.get("objtype") == "OBJECT_MATVIEW" else "TABLE"
        rv = (node.get("into") or {}).get("rel")
        if _dropped_before(ctx, "OBJECT_" + ("MATVIEW" if what != "TABLE" else "TABLE"), (rv or {}).get("relname")):
            return
    else:
        what = _IF_NOT_EXISTS[typ]
        name = _created_name(typ, node)
        if name and _dropped_before(ctx, "OBJECT_" + what.replace(" ", "_"), name):
            return
    if not _later_commits(ctx):
        return
    # CREATE SCHEMA ... CREATE TABLE ... (schema elements) has no IF NOT EXISTS form
    elements = (typ == "CreateSchemaStmt" and node.get("schemaElts")) or (
        typ == "CreateStatsStmt" and not node.get("defnames"))  # IF NOT EXISTS needs a name
    _report(ctx, f"CREATE {what}", f"CREATE {what} IF NOT EXISTS", "already exists",
            edit=None if elements else _after_words(ctx, what.split(), " IF NOT EXISTS"))


def _created_name(typ, node):
    if typ == "CreateStmt":
        return (node.get("relation") or {}).get("relname")
    if typ == "CreateSeqStmt":
        return (node.get("sequence") or {}).get("relname")
    if typ == "CreateSchemaStmt":
        return node.get("schemaname")
    if typ == "CreateExtensionStmt":
        return node.get("extname")
    return None


@RULE.on(*_OR_REPLACE)
def create_or_replace(ctx, node):
    typ = ctx.stmt.type
    if node.get("replace") or ctx.stmt.origin != "top":
        return
    what = _OR_REPLACE[typ]
    if typ == "ViewStmt":
        name = (node.get("view") or {}).get("relname")
        kind = "OBJECT_VIEW"
    elif typ == "CreateFunctionStmt":
        names = strings(node.get("funcname"))
        name = names[-1] if names else None
        kind = "OBJECT_PROCEDURE" if node.get("is_procedure") else "OBJECT_FUNCTION"
        if node.get("is_procedure"):
            what = "PROCEDURE"
    elif typ == "CreateTrigStmt":
        name, kind = node.get("trigname"), "OBJECT_TRIGGER"
    else:
        name, kind = node.get("rulename"), "OBJECT_RULE"
    if name and (_dropped_before(ctx, kind, name) or kind == "OBJECT_FUNCTION"
                 and _dropped_before(ctx, "OBJECT_ROUTINE", name)):
        return
    if not _later_commits(ctx):
        return
    if typ == "CreateTrigStmt" and ctx.pg_version < (14,):
        _report(ctx, "CREATE TRIGGER", None, "already exists",
                fix_text=f"precede it with DROP TRIGGER IF EXISTS {name} ON {qname(node.get('relation'))}; "
                         "(CREATE OR REPLACE TRIGGER needs PostgreSQL 14)")
        return
    create = first(ctx, "CREATE")
    if typ == "CreateTrigStmt" and node.get("isconstraint"):
        create = None  # CREATE CONSTRAINT TRIGGER has no OR REPLACE form
    _report(ctx, f"CREATE {what}", f"CREATE OR REPLACE {what}", "already exists",
            edit=insert_after(create, " OR REPLACE") if create is not None else None)


@RULE.on("IndexStmt")
def create_index(ctx, node):
    if ctx.stmt.origin != "top":
        return
    rv = node.get("relation")
    if node.get("concurrent") and not node.get("idxname"):
        cols = [(p.get("IndexElem") or {}).get("name") or "expr" for p in node.get("indexParams") or ()]
        name = f"{(rv or {}).get('relname', 't')}_{'_'.join(cols)}_idx"
        report(ctx,
            f"CREATE INDEX CONCURRENTLY on {qname(rv)} without a name: a retry builds a second index",
            explanation=(
            "If the build fails (a deadlock, a duplicate for a unique index, a cancel or timeout), PostgreSQL leaves "
            "an INVALID index behind that every write still has to update, and running the migration again does not "
            "fail but builds a second index under a new generated name (..._idx1), so invalid copies pile up "
            "unnoticed."),
            relation=rv,
            help=(f"Name it and clear a leftover first: DROP INDEX CONCURRENTLY IF EXISTS {name}; "
                  f"CREATE INDEX CONCURRENTLY {name} ON {qname(rv)} (...);"),
        )
        return
    if node.get("if_not_exists") or not node.get("idxname"):
        return
    if _dropped_before(ctx, "OBJECT_INDEX", node["idxname"]) or not _later_commits(ctx):
        return
    if node.get("concurrent"):
        _report(ctx, "CREATE INDEX CONCURRENTLY", None, "already exists",
                fix_text=(f"precede it with DROP INDEX CONCURRENTLY IF EXISTS {node['idxname']}; (a failed build "
                          "leaves an invalid index of that name, which IF NOT EXISTS would silently keep)"),
                concurrently=True)
        return
    _report(ctx, "CREATE INDEX", "CREATE INDEX IF NOT EXISTS", "already exists",
            edit=_after_words(ctx, ["INDEX"], " IF NOT EXISTS"))


@RULE.on("AlterTableStmt")
def alter_table(ctx, node):
    if ctx.stmt.origin != "top" or node.get("objtype", "OBJECT_TABLE") not in ("OBJECT_TABLE", "OBJECT_FOREIGN_TABLE"):
        return  # ALTER TYPE ... ADD ATTRIBUTE and friends have no IF [NOT] EXISTS forms
    parts = []
    at = None
    edits = []
    for i, cmd in enumerate(alter_table_cmds(node)):
        sub = cmd.get("subtype")
        if cmd.get("missing_ok"):
            continue
        span = ctx.cmd_span(i)
        if sub == "AT_AddColumn":
            parts.append(("ADD COLUMN", "ADD COLUMN IF NOT EXISTS", (column_def_of(cmd) or {}).get("colname", "")))
            edits.append(_after_words(ctx, ["ADD", "COLUMN"], " IF NOT EXISTS", span, optional_last=True))
        elif sub == "AT_DropColumn":
            parts.append(("DROP COLUMN", "DROP COLUMN IF EXISTS", cmd.get("name", "")))
            edits.append(_after_words(ctx, ["DROP", "COLUMN"], " IF EXISTS", span, optional_last=True))
        elif sub == "AT_DropConstraint":
            parts.append(("DROP CONSTRAINT", "DROP CONSTRAINT IF EXISTS", cmd.get("name", "")))
            edits.append(_after_words(ctx, ["DROP", "CONSTRAINT"], " IF EXISTS", span))
        else:
            continue
        if at is None:
            at = i
    if not parts or not _later_commits(ctx):
        return
    what = f"{parts[0][0]} {parts[0][2]}" + (f" (and {len(parts) - 1} more)" if len(parts) > 1 else "")
    fixed = ", ".join(f"{p[1]} {p[2]}" for p in parts)
    err = "already exists" if parts[0][0].startswith("ADD") else "does not exist"
    _report(ctx, f"ALTER TABLE {qname(node.get('relation'))} {what}", f"ALTER TABLE ... {fixed}", err,
            at=ctx.cmd_span(at), edit=tuple(edits) if all(edits) else None)


def _after_words(ctx, words, text, span=None, optional_last=False):
    """An insertion after the keyword sequence ``words`` (e.g. DROP MATERIALIZED VIEW) at
    the start of the statement or of ``span``; None when the words are not found."""
    start, end = span if span is not None else (ctx.stmt.start, ctx.stmt.end)
    toks = iter_tokens(ctx, start, end)
    names = [w.upper() for w in words]
    i = 0
    last = None
    for t in toks:
        if i == len(names):
            break
        if t.name in (names[i], names[i] + "_P"):
            last = t
            i += 1
        elif i > 0 or t.name not in ("CREATE", "DROP", "ADD_P", "ADD") and last is None:
            if optional_last and i == len(names) - 1:
                break
            return None
    if last is None or (i < len(names) and not (optional_last and i == len(names) - 1)):
        return None
    return insert_after(last, text)


def _report(ctx, what: str, fixed: str | None, error: str, at=None, fix_text: str | None = None,
            concurrently: bool = False, edit=None) -> None:
    how = fix_text or f"write {fixed}"
    if concurrently:  # cannot run in a transaction block: the other way out is to come last
        alternative = "or give it a migration of its own, with nothing after it"
    else:
        alternative = ("or run the whole file in one transaction (BEGIN; ... COMMIT;, or let the migration tool "
                       "wrap it and tell pglint with assume-in-transaction)")
    if ctx.in_transaction:
        when = "It is committed with its transaction before later statements of this file run"
    elif ctx.tx_unknown:  # never state a mode pglint guessed
        when = ("It commits before later statements of this file run if the migration tool runs the file without a "
                "transaction (pglint does not know how it runs this file; set assume-in-transaction to say)")
    else:
        when = "It runs outside a transaction, and later statements of this file run after it has committed"
    report(ctx,
        fitted(f"{what} {'may fail' if ctx.tx_unknown and not ctx.in_transaction else 'fails'} with '... {error}' "
               "when the file is run again", f"{what} cannot be run twice"),
        at=at,
        help=f"Make it safe to rerun: {how}; {alternative}.",
        explanation=(f"{when}: if one of them fails, the file cannot simply be run again, because this statement "
                     "then fails as the object it creates already exists (or the one it drops no longer does)."),
        fix=_fix(fixed, edit),
    )


def _fix(fixed, edit):
    if edit is None or fixed is None:
        return None
    edits = edit if isinstance(edit, tuple) else (edit,)
    return Fix(f"Write {fixed}", edits, SAFE)
