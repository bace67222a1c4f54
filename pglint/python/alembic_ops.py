"""The SQL an Alembic revision sends: ``op.execute`` text as written, and the DDL each
``op.*`` call emits, rendered as Alembic and SQLAlchemy's PostgreSQL dialect render it.

Alembic runs ``upgrade()`` in a transaction (its env.py's ``context.begin_transaction()``,
one for all revisions or one per revision with ``transaction_per_migration``); inside
``with op.get_context().autocommit_block():`` it commits, runs the block in autocommit
mode and opens a new transaction after it. ``downgrade()`` is the rollback.

Only literal arguments are read. A call whose arguments pglint cannot read, or that emits
no single well-defined statement (``batch_alter_table``, ``bulk_insert``, types it does not
know in an ALTER), is left out and counted.
"""

from __future__ import annotations

import ast

from .ddl import (AUTOCOMMIT, IN_TRANSACTION, UNKNOWN_TYPE, Piece, Translation, dotted, ident, kwargs, last_name,
                  qualified, sql_string, string_node, text_of)
from .ddl import literal as _literal


def literal(node: ast.AST):
    """A literal; a name marked ``op.f("ix_name")`` (or ``conv(...)``: the naming convention
    left alone) is that name."""
    if isinstance(node, ast.Call) and dotted(node.func).rsplit(".", 1)[-1] in ("f", "conv") and len(node.args) == 1:
        node = node.args[0]
    return _literal(node)

_SIMPLE_TYPES = {
    "Integer": "integer", "INTEGER": "integer", "INT": "integer",
    "BigInteger": "bigint", "BIGINT": "bigint",
    "SmallInteger": "smallint", "SMALLINT": "smallint",
    "Text": "text", "TEXT": "text", "UnicodeText": "text",
    "Boolean": "boolean", "BOOLEAN": "boolean",
    "Date": "date", "DATE": "date",
    "Interval": "interval", "INTERVAL": "interval",
    "LargeBinary": "bytea", "BYTEA": "bytea",
    "JSON": "json", "JSONB": "jsonb",
    "UUID": "uuid", "Uuid": "uuid",
    "Float": "float", "FLOAT": "float", "REAL": "real", "Double": "double precision",
    "DOUBLE_PRECISION": "double precision",
    "INET": "inet", "CIDR": "cidr", "MACADDR": "macaddr", "TSVECTOR": "tsvector",
    "HSTORE": "hstore", "MONEY": "money", "OID": "oid", "CITEXT": "citext",
}


def column_type(node: ast.AST) -> str | None:
    """SQL of a SQLAlchemy type (``sa.String(50)``, ``sa.Integer``, ``postgresql.ARRAY(sa.Text)``);
    None when pglint does not know it."""
    call = node if isinstance(node, ast.Call) else None
    name = dotted(node.func if call else node).rsplit(".", 1)[-1]
    args = call.args if call else []
    kw = kwargs(call) if call else {}
    try:
        vals = [literal(a) for a in args]
    except ValueError:
        return None
    if name in _SIMPLE_TYPES:
        return _SIMPLE_TYPES[name]
    if name in ("String", "Unicode", "VARCHAR", "NVARCHAR"):
        n = vals[0] if vals else _lit(kw.get("length"))
        return f"varchar({n})" if isinstance(n, int) else "varchar"
    if name in ("CHAR", "NCHAR"):
        n = vals[0] if vals else _lit(kw.get("length"))
        return f"char({n})" if isinstance(n, int) else "char"
    if name in ("DateTime", "TIMESTAMP"):
        tz = _lit(kw.get("timezone")) if "timezone" in kw else (vals[0] if vals else False)
        return "timestamp with time zone" if tz is True else "timestamp without time zone"
    if name in ("Time", "TIME"):
        tz = _lit(kw.get("timezone")) if "timezone" in kw else (vals[0] if vals else False)
        return "time with time zone" if tz is True else "time without time zone"
    if name in ("Numeric", "NUMERIC", "DECIMAL"):
        p = vals[0] if vals else _lit(kw.get("precision"))
        s = vals[1] if len(vals) > 1 else _lit(kw.get("scale"))
        if isinstance(p, int) and isinstance(s, int):
            return f"numeric({p}, {s})"
        return f"numeric({p})" if isinstance(p, int) else "numeric"
    if name == "ARRAY" and args:
        inner = column_type(args[0])
        return f"{inner}[]" if inner else None
    return None


def _lit(node):
    if node is None:
        return None
    try:
        return literal(node)
    except ValueError:
        return None


def _default_sql(node: ast.AST) -> str | None:
    """A server_default: a string is a quoted literal, ``sa.text(...)`` is SQL as is,
    ``sa.func.now()`` a call."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return sql_string(node.value)
    t = text_of(node)
    if t is not None:
        return t
    if isinstance(node, ast.Call) and dotted(node.func).split(".")[-2:-1] == ["func"] and not node.args:
        return dotted(node.func).rsplit(".", 1)[-1] + "()"
    return None


class _Unreadable(Exception):
    pass


class _Column:
    def __init__(self, call: ast.Call, table_create: bool) -> None:
        if not (isinstance(call, ast.Call) and last_name(call) == "Column" and call.args):
            raise _Unreadable
        try:
            self.name = literal(call.args[0])
        except ValueError:
            raise _Unreadable from None
        if not isinstance(self.name, str):
            raise _Unreadable
        kw = kwargs(call)
        self.type = None
        self.fks: list[tuple[str, str, dict]] = []
        self.identity: str | None = None
        self.unknown: str | None = None  # a type pglint does not know, as written
        for a in call.args[1:]:
            if isinstance(a, ast.Call) and last_name(a) == "Identity":
                always = _lit(kwargs(a).get("always"))
                self.identity = "ALWAYS" if always is True else "BY DEFAULT"
            elif isinstance(a, ast.Call) and last_name(a) == "ForeignKey" and a.args:
                target = _lit(a.args[0])
                if isinstance(target, str) and "." in target:
                    t, c = target.rsplit(".", 1)
                    self.fks.append((t, c, kwargs(a)))
                else:
                    raise _Unreadable
            elif self.type is None:
                self.type = column_type(a)
                if self.type is None:
                    self.type = UNKNOWN_TYPE
                    self.unknown = dotted(a.func if isinstance(a, ast.Call) else a) or "?"
        if self.type is None and "type_" in kw:
            self.type = column_type(kw["type_"])
            if self.type is None:
                self.type = UNKNOWN_TYPE
                self.unknown = dotted(kw["type_"].func if isinstance(kw["type_"], ast.Call) else kw["type_"]) or "?"
        if self.type is None:
            raise _Unreadable
        self.pk = _lit(kw.get("primary_key")) is True
        nullable = _lit(kw.get("nullable")) if "nullable" in kw else None
        self.not_null = nullable is False or (nullable is None and self.pk)
        self.default = _default_sql(kw["server_default"]) if "server_default" in kw else None
        if "server_default" in kw and self.default is None and not (
                isinstance(kw["server_default"], ast.Constant) and kw["server_default"].value is None):
            raise _Unreadable
        self.unique = _lit(kw.get("unique")) is True
        self.auto = _lit(kw.get("autoincrement")) if "autoincrement" in kw else "auto"

    def make_serial(self) -> None:
        """SQLAlchemy renders the one integer primary-key column of a CREATE TABLE (no
        default, no identity, no foreign key, autoincrement not off) as SERIAL / BIGSERIAL."""
        if self.auto in ("auto", True) and self.type in ("integer", "bigint", "smallint") \
                and self.default is None and self.identity is None and not self.fks:
            self.type = {"integer": "serial", "bigint": "bigserial", "smallint": "smallserial"}[self.type]

    def sql(self, with_pk: bool) -> str:
        out = f"{ident(self.name)} {self.type}"
        if self.default is not None:
            out += f" DEFAULT {self.default}"
        if self.identity is not None:
            out += f" GENERATED {self.identity} AS IDENTITY"
        if self.not_null:
            out += " NOT NULL"
        if with_pk and self.pk:
            out += " PRIMARY KEY"
        if self.unique:
            out += " UNIQUE"
        return out


def _fk_clause(t: str, c: str, kw: dict) -> str:
    out = f"REFERENCES {_table_ref(t)} ({ident(c)})"
    for key, word in (("ondelete", "ON DELETE"), ("onupdate", "ON UPDATE")):
        v = _lit(kw.get(key))
        if isinstance(v, str):
            out += f" {word} {v.upper()}"
    if _lit(kw.get("deferrable")) is True:
        out += " DEFERRABLE"
    v = _lit(kw.get("initially"))
    if isinstance(v, str):
        out += f" INITIALLY {v.upper()}"
    if _lit(kw.get("postgresql_not_valid")) is True:
        out += " NOT VALID"
    return out


def _table_ref(name: str) -> str:
    if "." in name:
        s, t = name.split(".", 1)
        return qualified(t, s)
    return ident(name)


def _columns(node: ast.AST) -> list[str]:
    v = literal(node)
    if isinstance(v, str):
        return [v]
    if isinstance(v, (list, tuple)) and all(isinstance(x, str) for x in v):
        return list(v)
    raise ValueError


def _index_elements(node: ast.AST) -> str:
    """create_index columns: names, or ``sa.text("lower(email)")`` expressions."""
    elts = node.elts if isinstance(node, (ast.List, ast.Tuple)) else [node]
    out = []
    for e in elts:
        t = text_of(e)
        if t is None:
            raise ValueError
        if isinstance(e, ast.Constant):
            out.append(ident(t))
        else:
            out.append(t)  # SQLAlchemy renders a text() element as written
    return ", ".join(out)


class _Builder:
    def __init__(self, tr: Translation) -> None:
        self.tr = tr
        self.rollback = False
        self.run = IN_TRANSACTION
        self.block = 0

    def unknown_type(self, table: str, col: "_Column") -> None:
        if col.unknown:
            self.tr.notes.append(f"{table}.{col.name}: type {col.unknown} is not one pglint knows (linted as a type "
                                 "no rule judges)")

    def emit(self, sql: str, call: ast.Call, what: str, generated: bool = True, literal_node=None) -> None:
        self.tr.pieces.append(Piece(sql, call, what, generated, self.run, self.rollback, literal_node, self.block))

    # -- walking -------------------------------------------------------------------

    def body(self, stmts: list[ast.stmt]) -> None:
        for st in stmts:
            if isinstance(st, (ast.With, ast.AsyncWith)) and any(_is_autocommit(i.context_expr) for i in st.items):
                before = self.run
                self.run = AUTOCOMMIT
                self.block += 1
                self.body(st.body)
                self.run = before
                self.block += 1
                continue
            if isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                continue
            nested = [getattr(st, f) for f in ("body", "orelse", "finalbody") if isinstance(getattr(st, f, None), list)]
            if nested and not isinstance(st, (ast.Expr, ast.Assign)):
                # if / for / with / try: the calls of the header, then the blocks in order
                heads = [getattr(st, f, None) for f in ("test", "iter")]
                heads += [i.context_expr for i in getattr(st, "items", None) or []]
                for node in heads:
                    if node is not None:
                        for c in _calls(node):
                            self.call(c)
                for b in nested:
                    self.body(b)
                for h in getattr(st, "handlers", []) or []:
                    self.body(h.body)
                continue
            for c in _calls(st):
                self.call(c)

    def call(self, c: ast.Call) -> None:
        d = dotted(c.func)
        parts = d.split(".")
        if len(parts) == 2 and parts[0] == "op":
            name = parts[1]
            fn = getattr(self, "op_" + name, None)
            if fn is None:
                if name not in _NO_SQL:
                    self.tr.skip("op." + name)
                return
            try:
                fn(c, kwargs(c))
            except (ValueError, _Unreadable, IndexError, KeyError, TypeError, AttributeError):
                self.tr.skip("op." + name)
            return
        # op.get_bind().execute(...) / bind.execute(...) with SQL text
        if isinstance(c.func, ast.Attribute) and c.func.attr in ("execute", "exec_driver_sql") and c.args:
            base = c.func.value
            if (isinstance(base, ast.Call) and dotted(base.func) in ("op.get_bind",)) or \
                    (isinstance(base, ast.Name) and base.id in self.binds):
                self._user_sql(c, c.args[0], f"{dotted(c.func) or 'op.get_bind().execute'}")

    binds: set[str] = set()

    def _user_sql(self, c: ast.Call, arg: ast.AST, what: str) -> None:
        # SQL that is not one literal (a constant, an f-string, text(...).bindparams(...)):
        # the reader resolves it (history.build), or it is counted
        t = text_of(arg)
        self.emit(t, c, what, generated=False, literal_node=string_node(arg) or arg)

    # -- operations ------------------------------------------------------------------

    def op_execute(self, c, kw):
        arg = c.args[0] if c.args else kw.get("sqltext")
        if arg is None:
            raise ValueError
        self._user_sql(c, arg, "op.execute")

    def op_create_table(self, c, kw):
        name = literal(c.args[0])
        schema = _lit(kw.get("schema"))
        cols, cons = [], []
        pks = []
        table_pk: list = []
        for a in c.args[1:]:
            if not isinstance(a, ast.Call):
                raise ValueError
            kind = last_name(a)
            if kind == "Column":
                col = _Column(a, table_create=True)
                self.unknown_type(name, col)
                cols.append(col)
                if col.pk:
                    pks.append(col.name)
            elif kind == "PrimaryKeyConstraint":
                cons.append(self._constraint_sql("PRIMARY KEY", a))
                table_pk.extend(literal(x) for x in a.args)
            elif kind == "UniqueConstraint":
                cons.append(self._constraint_sql("UNIQUE", a))
            elif kind == "ForeignKeyConstraint":
                local = _columns(a.args[0])
                remote = _columns(a.args[1])
                t = remote[0].rsplit(".", 1)[0]
                k = kwargs(a)
                nm = _lit(k.get("name"))
                prefix = f"CONSTRAINT {ident(nm)} " if isinstance(nm, str) else ""
                cons.append(prefix + f"FOREIGN KEY ({', '.join(ident(x) for x in local)}) "
                            + _fk_clause(t, remote[0].rsplit(".", 1)[1], k).replace(
                                f"({ident(remote[0].rsplit('.', 1)[1])})",
                                "(" + ", ".join(ident(r.rsplit(".", 1)[1]) for r in remote) + ")"))
            elif kind == "CheckConstraint":
                t = text_of(a.args[0]) if a.args else None
                if t is None:
                    raise ValueError
                cons.append(f"CHECK ({t})")
            else:
                raise ValueError
        with_pk = len(pks) == 1
        pk_names = pks + [n for n in table_pk if n not in pks]
        if len(pk_names) == 1:
            for col in cols:
                if col.name == pk_names[0]:
                    col.make_serial()
        items = [col.sql(with_pk) for col in cols]
        if len(pks) > 1:
            items.append(f"PRIMARY KEY ({', '.join(ident(p) for p in pks)})")
        for col in cols:
            for t, cc, k in col.fks:
                items.append(f"FOREIGN KEY ({ident(col.name)}) " + _fk_clause(t, cc, k))
        items.extend(cons)
        ine = " IF NOT EXISTS" if _lit(kw.get("if_not_exists")) is True else ""
        self.emit(f"CREATE TABLE{ine} {qualified(name, schema)} ({', '.join(items)})", c, "op.create_table")

    def _constraint_sql(self, word: str, a: ast.Call) -> str:
        cols = [literal(x) for x in a.args]
        if not all(isinstance(x, str) for x in cols):
            raise ValueError
        nm = _lit(kwargs(a).get("name"))
        prefix = f"CONSTRAINT {ident(nm)} " if isinstance(nm, str) else ""
        return f"{prefix}{word} ({', '.join(ident(x) for x in cols)})"

    def op_drop_table(self, c, kw):
        name = literal(c.args[0] if c.args else kw["table_name"])
        ie = " IF EXISTS" if _lit(kw.get("if_exists")) is True else ""
        self.emit(f"DROP TABLE{ie} {qualified(name, _lit(kw.get('schema')))}", c, "op.drop_table")

    def op_add_column(self, c, kw):
        table = literal(c.args[0] if c.args else kw["table_name"])
        col = _Column(c.args[1] if len(c.args) > 1 else kw["column"], table_create=False)
        self.unknown_type(table, col)
        t = qualified(table, _lit(kw.get("schema")))
        ine = " IF NOT EXISTS" if _lit(kw.get("if_not_exists")) is True else ""
        self.emit(f"ALTER TABLE {t} ADD COLUMN{ine} {col.sql(True)}", c, "op.add_column")
        # Alembic emits a ForeignKey of the column as its own ADD CONSTRAINT
        for ft, fc, k in col.fks:
            self.emit(f"ALTER TABLE {t} ADD FOREIGN KEY ({ident(col.name)}) " + _fk_clause(ft, fc, k),
                      c, "op.add_column")

    def op_drop_column(self, c, kw):
        table = literal(c.args[0] if c.args else kw["table_name"])
        col = literal(c.args[1] if len(c.args) > 1 else kw["column_name"])
        self.emit(f"ALTER TABLE {qualified(table, _lit(kw.get('schema')))} DROP COLUMN {ident(col)}",
                  c, "op.drop_column")

    def op_alter_column(self, c, kw):
        table = literal(c.args[0] if c.args else kw["table_name"])
        col = literal(c.args[1] if len(c.args) > 1 else kw["column_name"])
        t = f"ALTER TABLE {qualified(table, _lit(kw.get('schema')))}"
        emitted = False
        # the PostgreSQL dialect emits one ALTER TABLE per change, in this order
        if "type_" in kw and not _is_none(kw["type_"]):
            typ = column_type(kw["type_"])
            if typ is None:
                self.tr.skip("op.alter_column type_ (a type pglint does not know)")
            else:
                using = text_of(kw["postgresql_using"]) if "postgresql_using" in kw else None
                self.emit(f"{t} ALTER COLUMN {ident(col)} TYPE {typ}" + (f" USING {using}" if using else ""),
                          c, "op.alter_column")
                emitted = True
        if "nullable" in kw and not _is_none(kw["nullable"]):
            v = literal(kw["nullable"])
            self.emit(f"{t} ALTER COLUMN {ident(col)} {'DROP' if v else 'SET'} NOT NULL", c, "op.alter_column")
            emitted = True
        if "server_default" in kw and not (isinstance(kw["server_default"], ast.Constant)
                                           and kw["server_default"].value is False):
            if _is_none(kw["server_default"]):
                self.emit(f"{t} ALTER COLUMN {ident(col)} DROP DEFAULT", c, "op.alter_column")
            else:
                d = _default_sql(kw["server_default"])
                if d is None:
                    raise ValueError
                self.emit(f"{t} ALTER COLUMN {ident(col)} SET DEFAULT {d}", c, "op.alter_column")
            emitted = True
        if "new_column_name" in kw and not _is_none(kw["new_column_name"]):
            self.emit(f"{t} RENAME COLUMN {ident(col)} TO {ident(literal(kw['new_column_name']))}", c,
                      "op.alter_column")
            emitted = True
        if not emitted and not any(k in kw for k in ("type_",)):
            self.tr.skip("op.alter_column (no change pglint can read)")

    def op_create_index(self, c, kw):
        name = literal(c.args[0] if c.args else kw["index_name"])
        table = literal(c.args[1] if len(c.args) > 1 else kw["table_name"])
        elements = _index_elements(c.args[2] if len(c.args) > 2 else kw["columns"])
        unique = " UNIQUE" if _lit(kw.get("unique")) is True else ""
        conc = " CONCURRENTLY" if _lit(kw.get("postgresql_concurrently")) is True else ""
        ine = " IF NOT EXISTS" if _lit(kw.get("if_not_exists")) is True else ""
        using = _lit(kw.get("postgresql_using"))
        sql = (f"CREATE{unique} INDEX{conc}{ine} {ident(name)} ON {qualified(table, _lit(kw.get('schema')))}"
               + (f" USING {using}" if isinstance(using, str) else "") + f" ({elements})")
        inc = kw.get("postgresql_include")
        if inc is not None:
            sql += f" INCLUDE ({', '.join(ident(x) for x in _columns(inc))})"
        if "postgresql_where" in kw:
            w = text_of(kw["postgresql_where"])
            if w is None:
                raise ValueError
            sql += f" WHERE {w}"
        self.emit(sql, c, "op.create_index")

    def op_drop_index(self, c, kw):
        name = literal(c.args[0] if c.args else kw["index_name"])
        conc = " CONCURRENTLY" if _lit(kw.get("postgresql_concurrently")) is True else ""
        ie = " IF EXISTS" if _lit(kw.get("if_exists")) is True else ""
        self.emit(f"DROP INDEX{conc}{ie} {qualified(name, _lit(kw.get('schema')))}", c, "op.drop_index")

    def op_create_foreign_key(self, c, kw):
        names = ["constraint_name", "source_table", "referent_table", "local_cols", "remote_cols"]
        vals = {}
        for i, n in enumerate(names):
            node = c.args[i] if len(c.args) > i else kw[n]
            vals[n] = node
        name = literal(vals["constraint_name"])
        src = literal(vals["source_table"])
        ref = literal(vals["referent_table"])
        local = _columns(vals["local_cols"])
        remote = _columns(vals["remote_cols"])
        head = f"ALTER TABLE {qualified(src, _lit(kw.get('source_schema')))} ADD "
        head += f"CONSTRAINT {ident(name)} " if isinstance(name, str) else ""
        clause = _fk_clause(ref, remote[0], kw)
        clause = clause.replace(f"({ident(remote[0])})", "(" + ", ".join(ident(r) for r in remote) + ")", 1)
        ref_schema = _lit(kw.get("referent_schema"))
        if isinstance(ref_schema, str):
            clause = clause.replace(f"REFERENCES {_table_ref(ref)}", f"REFERENCES {qualified(ref, ref_schema)}", 1)
        self.emit(head + f"FOREIGN KEY ({', '.join(ident(x) for x in local)}) " + clause, c, "op.create_foreign_key")

    def op_create_unique_constraint(self, c, kw):
        name = literal(c.args[0] if c.args else kw["constraint_name"])
        table = literal(c.args[1] if len(c.args) > 1 else kw["table_name"])
        cols = _columns(c.args[2] if len(c.args) > 2 else kw["columns"])
        head = f"CONSTRAINT {ident(name)} " if isinstance(name, str) else ""
        self.emit(f"ALTER TABLE {qualified(table, _lit(kw.get('schema')))} ADD {head}UNIQUE "
                  f"({', '.join(ident(x) for x in cols)})", c, "op.create_unique_constraint")

    def op_create_primary_key(self, c, kw):
        name = literal(c.args[0] if c.args else kw["constraint_name"])
        table = literal(c.args[1] if len(c.args) > 1 else kw["table_name"])
        cols = _columns(c.args[2] if len(c.args) > 2 else kw["columns"])
        head = f"CONSTRAINT {ident(name)} " if isinstance(name, str) else ""
        self.emit(f"ALTER TABLE {qualified(table, _lit(kw.get('schema')))} ADD {head}PRIMARY KEY "
                  f"({', '.join(ident(x) for x in cols)})", c, "op.create_primary_key")

    def op_create_check_constraint(self, c, kw):
        name = literal(c.args[0] if c.args else kw["constraint_name"])
        table = literal(c.args[1] if len(c.args) > 1 else kw["table_name"])
        cond = text_of(c.args[2] if len(c.args) > 2 else kw["condition"])
        if cond is None:
            raise ValueError
        head = f"CONSTRAINT {ident(name)} " if isinstance(name, str) else ""
        nv = " NOT VALID" if _lit(kw.get("postgresql_not_valid")) is True else ""
        self.emit(f"ALTER TABLE {qualified(table, _lit(kw.get('schema')))} ADD {head}CHECK ({cond}){nv}",
                  c, "op.create_check_constraint")

    def op_drop_constraint(self, c, kw):
        name = literal(c.args[0] if c.args else kw["constraint_name"])
        table = literal(c.args[1] if len(c.args) > 1 else kw["table_name"])
        self.emit(f"ALTER TABLE {qualified(table, _lit(kw.get('schema')))} DROP CONSTRAINT {ident(name)}",
                  c, "op.drop_constraint")

    def op_rename_table(self, c, kw):
        old = literal(c.args[0] if c.args else kw["old_table_name"])
        new = literal(c.args[1] if len(c.args) > 1 else kw["new_table_name"])
        self.emit(f"ALTER TABLE {qualified(old, _lit(kw.get('schema')))} RENAME TO {ident(new)}", c, "op.rename_table")


_NO_SQL = {"get_bind", "get_context", "f", "inline_literal", "invoke", "implementation_for", "register_operation"}


def _is_none(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _is_autocommit(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "autocommit_block"


def _calls(node: ast.AST) -> list[ast.Call]:
    """The calls in ``node``, outermost first, in source order (nested calls, such as the
    ``sa.Column(...)`` arguments, are read by the operation that takes them)."""
    out: list[ast.Call] = []

    def visit(n):
        if isinstance(n, ast.Call):
            out.append(n)
            if isinstance(n.func, ast.Attribute):
                visit(n.func.value)  # op.get_bind().execute(...)
            return
        for ch in ast.iter_child_nodes(n):
            visit(ch)

    visit(node)
    return out


def translate(tree: ast.Module) -> Translation:
    """The pieces of SQL ``upgrade()`` (then ``downgrade()``, as a rollback) sends."""
    tr = Translation()
    fns = {st.name: st for st in tree.body if isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef))}
    for name, rollback in (("upgrade", False), ("downgrade", True)):
        fn = fns.get(name)
        if fn is None:
            continue
        b = _Builder(tr)
        b.rollback = rollback
        b.binds = _bind_names(fn)
        b.block = 1000 if rollback else 0
        b.body(fn.body)
    return tr


def _bind_names(fn: ast.AST) -> set[str]:
    """Names assigned ``op.get_bind()`` in the function (``conn = op.get_bind()``)."""
    out = set()
    for n in ast.walk(fn):
        if isinstance(n, ast.Assign) and isinstance(n.value, ast.Call) and dotted(n.value.func) == "op.get_bind":
            out.update(t.id for t in n.targets if isinstance(t, ast.Name))
    return out
