"""The SQL a Django migration sends: ``RunSQL`` text as written, and the DDL of the schema
operations, rendered as Django's PostgreSQL schema editor renders it.

Django runs a migration in a transaction unless its class says ``atomic = False``. A
model's table is ``<app>_<model>`` (lower case) unless ``options={"db_table": ...}``; a
foreign key is a ``<name>_id`` column of the referenced primary key's type with a
``DEFERRABLE INITIALLY DEFERRED`` constraint and an index. What an ``AlterField``
changes is found by comparing with the field as the earlier migrations of the history left
it (a ``DjangoState`` carried from file to file).

Operations that emit no SQL pglint can read with confidence (RunPython, AlterUniqueTogether,
CheckConstraint conditions, fields whose arguments are not literals ...) are left out and
counted.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from .ddl import (AUTOCOMMIT, IN_TRANSACTION, UNKNOWN_TYPE, Piece, Translation, ident, kwargs, last_name, literal,
                  sql_string, string_node, text_of)

_TYPES = {
    "AutoField": "integer", "BigAutoField": "bigint", "SmallAutoField": "smallint",
    "IntegerField": "integer", "BigIntegerField": "bigint", "SmallIntegerField": "smallint",
    "PositiveIntegerField": "integer", "PositiveBigIntegerField": "bigint", "PositiveSmallIntegerField": "smallint",
    "BooleanField": "boolean", "NullBooleanField": "boolean",
    "TextField": "text", "DateField": "date", "DateTimeField": "timestamp with time zone",
    "TimeField": "time", "DurationField": "interval", "FloatField": "double precision",
    "UUIDField": "uuid", "JSONField": "jsonb", "BinaryField": "bytea",
    "GenericIPAddressField": "inet", "IPAddressField": "inet",
}
_VARCHAR_DEFAULT = {"CharField": None, "EmailField": 254, "SlugField": 50, "URLField": 200, "FilePathField": 100,
                    "FileField": 100, "ImageField": 100}
_AUTO = {"AutoField", "BigAutoField", "SmallAutoField"}
_RELATIONS = {"ForeignKey", "OneToOneField"}
_NO_SQL = {"AlterModelOptions", "AlterModelManagers"}


@dataclass
class FieldState:
    column: str
    type: str
    null: bool
    pk: bool = False


@dataclass
class ModelState:
    table: str
    fields: dict[str, FieldState] = field(default_factory=dict)

    def pk_type(self) -> str:
        for f in self.fields.values():
            if f.pk:
                return f.type
        return "bigint"


@dataclass
class DjangoState:
    """The models the migrations of the history created so far, by ``app.model`` (lower case)."""

    models: dict[str, ModelState] = field(default_factory=dict)


class _Skip(Exception):
    """An operation pglint does not turn into SQL; the argument says why."""


def _lit(node, default=None):
    if node is None:
        return default
    try:
        return literal(node)
    except ValueError:
        raise _Skip from None


class _Field:
    def __init__(self, name: str, call: ast.AST, app: str, state: DjangoState) -> None:
        if not isinstance(call, ast.Call):
            raise _Skip
        kind = last_name(call)
        kw = kwargs(call)
        self.name = name
        self.kind = kind
        self.pk = _lit(kw.get("primary_key"), False) is True or kind in _AUTO
        self.null = _lit(kw.get("null"), False) is True
        self.unique = _lit(kw.get("unique"), False) is True and not self.pk
        self.db_index = _lit(kw.get("db_index"), False) is True
        self.default: str | None = None
        self.has_default = "default" in kw
        if self.has_default:
            try:
                v = literal(kw["default"])
            except ValueError:
                raise _Skip("a default that is not a literal") from None  # Django evaluates it, pglint cannot
            self.default = _sql_value(v)
        self.target: ModelState | None = None
        self.target_table: str | None = None
        self.unnamed_target = False
        self.unknown: str | None = None  # a field class pglint does not know
        self.db_constraint = _lit(kw.get("db_constraint"), True) is not False
        self.db_default: str | None = None  # Django 5: a DEFAULT the column keeps
        if "db_default" in kw:
            try:
                self.db_default = _sql_value(literal(kw["db_default"]))
            except ValueError:
                raise _Skip("a db_default that is not a literal") from None
        column = _lit(kw.get("db_column"))
        if kind in _RELATIONS:
            to = kw.get("to") or (call.args[0] if call.args else None)
            try:
                to_v = literal(to) if to is not None else None
            except ValueError:
                to_v = None
            if isinstance(to_v, str):
                key = to_v.lower() if "." in to_v else f"{app}.{to_v.lower()}"
                self.target = state.models.get(key)
                self.target_table = self.target.table if self.target else key.replace(".", "_")
                # a model of another app: its table has Django's default name, the type of
                # its key is not known here
                self.type = self.target.pk_type() if self.target else UNKNOWN_TYPE
            else:
                # to=settings.AUTH_USER_MODEL and the like: the column and its index are
                # certain; the referenced table and its key type are not (no constraint built)
                self.type = UNKNOWN_TYPE
                self.unnamed_target = True
            self.column = column or f"{name}_id"
            self.db_index = _lit(kw.get("db_index"), True) is not False and kind != "OneToOneField"
            self.unique = kind == "OneToOneField" or self.unique
        elif kind in _TYPES:
            self.type = _TYPES[kind]
            self.column = column or name
        elif kind in _VARCHAR_DEFAULT:
            n = _lit(kw.get("max_length"), _VARCHAR_DEFAULT[kind])
            self.type = f"varchar({n})" if isinstance(n, int) else "varchar"
            self.column = column or name
        elif kind == "DecimalField":
            p, s = _lit(kw.get("max_digits")), _lit(kw.get("decimal_places"))
            self.type = f"numeric({p}, {s})" if isinstance(p, int) and isinstance(s, int) else "numeric"
            self.column = column or name
        elif kind == "ManyToManyField":
            raise _Skip("a many-to-many field: its join table is not linted")
        else:
            self.type = UNKNOWN_TYPE
            self.column = column or name
            self.unknown = kind or "?"

    def definition(self, with_default: bool) -> str:
        out = f"{ident(self.column)} {self.type}"
        if self.kind in _AUTO:
            out += " NOT NULL PRIMARY KEY GENERATED BY DEFAULT AS IDENTITY"
            return out
        if self.db_default is not None:
            out += f" DEFAULT {self.db_default}"
        elif with_default and self.default is not None:
            out += f" DEFAULT {self.default}"
        out += " NULL" if self.null else " NOT NULL"
        if self.pk:
            out += " PRIMARY KEY"
        elif self.unique:
            out += " UNIQUE"
        if self.target_table is not None and self.db_constraint:
            ref_col = "id"
            if self.target is not None:
                ref_col = next((f.column for f in self.target.fields.values() if f.pk), "id")
            out += f" REFERENCES {ident(self.target_table)} ({ident(ref_col)}) DEFERRABLE INITIALLY DEFERRED"
        return out

    def state(self) -> FieldState:
        return FieldState(self.column, self.type, self.null, self.pk)


def _sql_value(v) -> str:
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return sql_string(v)
    raise _Skip


def _op_kind(call: ast.AST) -> str:
    return last_name(call) if isinstance(call, ast.Call) else ""


class _Builder:
    def __init__(self, tr: Translation, app: str, state: DjangoState, atomic: bool) -> None:
        self.tr = tr
        self.app = app
        self.state = state
        self.run = IN_TRANSACTION if atomic else AUTOCOMMIT
        self.silent = 0

    def emit(self, sql: str, call, what: str, generated: bool = True, rollback: bool = False, lit=None) -> None:
        if self.silent:
            return  # a state operation: it changes Django's state, not the database
        self.tr.pieces.append(Piece(sql, call, what, generated, self.run, rollback, lit))

    def _note(self, f: "_Field") -> None:
        if f.unknown:
            self.tr.notes.append(f"{f.name}: field {f.unknown} is not one pglint knows (its column is linted as a "
                                 "type no rule judges)")
        if f.unnamed_target:
            self.tr.notes.append(f"{f.name}: a foreign key to a model not named by a literal (e.g. "
                                 "settings.AUTH_USER_MODEL): its column's type and constraint are not known to "
                                 "pglint and not linted")

    def model(self, name_node) -> ModelState:
        name = _lit(name_node)
        if not isinstance(name, str):
            raise _Skip
        m = self.state.models.get(f"{self.app}.{name.lower()}")
        if m is None:
            raise _Skip("a model this history does not create")
        return m

    def operation(self, call: ast.AST) -> None:
        kind = _op_kind(call)
        if kind in _NO_SQL:
            return
        fn = getattr(self, "op_" + kind, None)
        if fn is None:
            self.tr.skip(f"migrations.{kind}" if kind else "an operation that is not a call")
            return
        what = f"migrations.{kind}" if kind not in ("AddIndexConcurrently", "RemoveIndexConcurrently") else kind
        try:
            fn(call, kwargs(call), what)
        except _Skip as exc:
            self.tr.skip(f"{what} ({exc.args[0]})" if exc.args else what)
        except (ValueError, IndexError, KeyError, TypeError, AttributeError):
            self.tr.skip(what)

    @staticmethod
    def _arg(call, kw, i, name):
        if name in kw:
            return kw[name]
        return call.args[i]

    def op_CreateModel(self, call, kw, what):
        name = _lit(self._arg(call, kw, 0, "name"))
        fields = self._arg(call, kw, 1, "fields")
        options = _lit(kw.get("options"), {}) if "options" in kw else {}
        if not isinstance(name, str) or not isinstance(fields, (ast.List, ast.Tuple)):
            raise _Skip
        table = options.get("db_table") if isinstance(options, dict) else None
        table = table or f"{self.app}_{name.lower()}"
        model = ModelState(table)
        parsed = []
        for el in fields.elts:
            if not isinstance(el, ast.Tuple) or len(el.elts) != 2:
                raise _Skip
            fname = _lit(el.elts[0])
            if isinstance(el.elts[1], ast.Call) and last_name(el.elts[1]) == "ManyToManyField":
                self.tr.notes.append(f"{name}.{fname}: a many-to-many field; its join table is not linted")
                continue
            f = _Field(fname, el.elts[1], self.app, self.state)
            parsed.append(f)
        cols = [f.definition(with_default=False) for f in parsed]
        self.emit(f"CREATE TABLE {ident(table)} ({', '.join(cols)})", call, what)
        for f in parsed:
            model.fields[f.name] = f.state()
            self._note(f)
            if f.db_index and not f.unique and not f.pk:
                self.emit(f"CREATE INDEX {ident(_index_name(table, f.column))} ON {ident(table)} ({ident(f.column)})",
                          call, what)
        self.state.models[f"{self.app}.{name.lower()}"] = model

    def op_DeleteModel(self, call, kw, what):
        m = self.model(self._arg(call, kw, 0, "name"))
        self.emit(f"DROP TABLE {ident(m.table)} CASCADE", call, what)
        self.state.models.pop(f"{self.app}.{_lit(self._arg(call, kw, 0, 'name')).lower()}", None)

    def op_RenameModel(self, call, kw, what):
        old = _lit(self._arg(call, kw, 0, "old_name"))
        new = _lit(self._arg(call, kw, 1, "new_name"))
        m = self.model(self._arg(call, kw, 0, "old_name"))
        new_table = f"{self.app}_{new.lower()}" if m.table == f"{self.app}_{old.lower()}" else m.table
        if new_table != m.table:
            self.emit(f"ALTER TABLE {ident(m.table)} RENAME TO {ident(new_table)}", call, what)
        m.table = new_table
        self.state.models[f"{self.app}.{new.lower()}"] = self.state.models.pop(f"{self.app}.{old.lower()}")

    def op_AddField(self, call, kw, what):
        m = self.model(self._arg(call, kw, 0, "model_name"))
        name = _lit(self._arg(call, kw, 1, "name"))
        f = _Field(name, self._arg(call, kw, 2, "field"), self.app, self.state)
        t = ident(m.table)
        # Django adds the column with the default (so existing rows get it), then drops it
        self.emit(f"ALTER TABLE {t} ADD COLUMN {f.definition(with_default=True)}", call, what)
        if f.default is not None and f.default != "NULL" and f.db_default is None:
            self.emit(f"ALTER TABLE {t} ALTER COLUMN {ident(f.column)} DROP DEFAULT", call, what)
        self._note(f)
        if f.db_index and not f.unique:
            self.emit(f"CREATE INDEX {ident(_index_name(m.table, f.column))} ON {t} ({ident(f.column)})", call, what)
        m.fields[name] = f.state()

    def op_RemoveField(self, call, kw, what):
        m = self.model(self._arg(call, kw, 0, "model_name"))
        name = _lit(self._arg(call, kw, 1, "name"))
        old = m.fields.get(name)
        if old is None:
            raise _Skip
        self.emit(f"ALTER TABLE {ident(m.table)} DROP COLUMN {ident(old.column)} CASCADE", call, what)
        del m.fields[name]

    def op_RenameField(self, call, kw, what):
        m = self.model(self._arg(call, kw, 0, "model_name"))
        old = _lit(self._arg(call, kw, 1, "old_name"))
        new = _lit(self._arg(call, kw, 2, "new_name"))
        f = m.fields.get(old)
        if f is None:
            raise _Skip
        new_col = new if f.column == old else f.column
        if new_col != f.column:
            self.emit(f"ALTER TABLE {ident(m.table)} RENAME COLUMN {ident(f.column)} TO {ident(new_col)}", call, what)
        f.column = new_col
        m.fields[new] = m.fields.pop(old)

    def op_AlterField(self, call, kw, what):
        m = self.model(self._arg(call, kw, 0, "model_name"))
        name = _lit(self._arg(call, kw, 1, "name"))
        old = m.fields.get(name)
        if old is None:
            raise _Skip
        f = _Field(name, self._arg(call, kw, 2, "field"), self.app, self.state)
        if f.type == UNKNOWN_TYPE or old.type == UNKNOWN_TYPE:
            raise _Skip
        t = ident(m.table)
        if f.type != old.type:
            self.emit(f"ALTER TABLE {t} ALTER COLUMN {ident(old.column)} TYPE {f.type} "
                      f"USING {ident(old.column)}::{f.type}", call, what)
        if f.null != old.null:
            self.emit(f"ALTER TABLE {t} ALTER COLUMN {ident(old.column)} {'DROP' if f.null else 'SET'} NOT NULL",
                      call, what)
        m.fields[name] = f.state()

    def _index(self, call, kw, what, concurrently: bool):
        m = self.model(self._arg(call, kw, 0, "model_name"))
        idx = self._arg(call, kw, 1, "index")
        if not isinstance(idx, ast.Call):
            raise _Skip
        ik = kwargs(idx)
        fields = _lit(ik.get("fields"))
        name = _lit(ik.get("name"))
        if not isinstance(fields, (list, tuple)) or not fields or not isinstance(name, str) or "condition" in ik \
                or "expressions" in ik or idx.args:
            raise _Skip
        cols = []
        for fn in fields:
            desc = fn.startswith("-")
            fname = fn.lstrip("-")
            col = m.fields[fname].column if fname in m.fields else fname
            cols.append(ident(col) + (" DESC" if desc else ""))
        conc = " CONCURRENTLY" if concurrently else ""
        self.emit(f"CREATE INDEX{conc} {ident(name)} ON {ident(m.table)} ({', '.join(cols)})", call, what)

    def op_AddIndex(self, call, kw, what):
        self._index(call, kw, what, False)

    def op_AddIndexConcurrently(self, call, kw, what):
        self._index(call, kw, what, True)

    def op_RemoveIndex(self, call, kw, what):
        self.model(self._arg(call, kw, 0, "model_name"))
        name = _lit(self._arg(call, kw, 1, "name"))
        self.emit(f"DROP INDEX {ident(name)}", call, what)

    def op_RemoveIndexConcurrently(self, call, kw, what):
        self.model(self._arg(call, kw, 0, "model_name"))
        name = _lit(self._arg(call, kw, 1, "name"))
        self.emit(f"DROP INDEX CONCURRENTLY {ident(name)}", call, what)

    def op_AddConstraint(self, call, kw, what):
        m = self.model(self._arg(call, kw, 0, "model_name"))
        con = self._arg(call, kw, 1, "constraint")
        if not isinstance(con, ast.Call) or last_name(con) != "UniqueConstraint":
            raise _Skip  # CheckConstraint(Q(...)), ExclusionConstraint: not read
        ck = kwargs(con)
        fields = _lit(ck.get("fields"))
        name = _lit(ck.get("name"))
        if not isinstance(fields, (list, tuple)) or not isinstance(name, str) or "condition" in ck:
            raise _Skip
        cols = [ident(m.fields[f].column if f in m.fields else f) for f in fields]
        self.emit(f"ALTER TABLE {ident(m.table)} ADD CONSTRAINT {ident(name)} UNIQUE ({', '.join(cols)})", call, what)

    def op_RemoveConstraint(self, call, kw, what):
        m = self.model(self._arg(call, kw, 0, "model_name"))
        name = _lit(self._arg(call, kw, 1, "name"))
        self.emit(f"ALTER TABLE {ident(m.table)} DROP CONSTRAINT {ident(name)}", call, what)

    def op_RunSQL(self, call, kw, what):
        sql = self._arg(call, kw, 0, "sql")
        self._sql(call, sql, what, rollback=False)
        rev = kw.get("reverse_sql") or (call.args[1] if len(call.args) > 1 else None)
        if rev is not None and not (isinstance(rev, ast.Constant) and rev.value is None) \
                and not (isinstance(rev, ast.Attribute) and rev.attr == "noop"):
            self._sql(call, rev, what, rollback=True)

    def _sql(self, call, node, what, rollback: bool) -> None:
        items = node.elts if isinstance(node, (ast.List, ast.Tuple)) else [node]
        for it in items:
            if isinstance(it, (ast.List, ast.Tuple)) and it.elts:
                it = it.elts[0]  # (sql, params)
            # not one literal: the reader resolves it (history.build), or it is counted
            self.emit(text_of(it), call, what, generated=False, rollback=rollback, lit=string_node(it) or it)

    def op_SeparateDatabaseAndState(self, call, kw, what):
        """The database operations run (their SQL is linted); the state afterwards is what
        the state operations make of the state before (read without SQL)."""
        import copy

        db_ops = kw.get("database_operations")
        state_ops = kw.get("state_operations")
        for ops in (db_ops, state_ops):
            if ops is not None and not isinstance(ops, (ast.List, ast.Tuple)):
                raise _Skip("operations that are not a literal list")
        before = copy.deepcopy(self.state.models)
        for o in db_ops.elts if db_ops is not None else ():
            self.operation(o)
        self.state.models = before
        self.silent += 1
        try:
            for o in state_ops.elts if state_ops is not None else ():
                self.operation(o)
        finally:
            self.silent -= 1


def _index_name(table: str, column: str) -> str:
    # Django adds a hash of the names; pglint names the index after table and column
    return f"{table}_{column}_idx"[:63]


def translate(cls: ast.ClassDef, app: str, state: DjangoState, atomic: bool) -> Translation:
    tr = Translation()
    ops = None
    for st in cls.body:
        if isinstance(st, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "operations" for t in st.targets):
            ops = st.value
    if ops is None:
        return tr
    if not isinstance(ops, (ast.List, ast.Tuple)):
        tr.skip("operations (not a literal list)")
        return tr
    b = _Builder(tr, app, state, atomic)
    for o in ops.elts:
        b.operation(o)
    # the reverse SQL runs when the migration is unapplied: after the forward run, in the
    # reverse order of the operations
    # (the statements of one operation keep their order)
    forward = [p for p in tr.pieces if not p.rollback]
    groups: list[list[Piece]] = []
    for p in tr.pieces:
        if p.rollback:
            if groups and groups[-1][0].call is p.call:
                groups[-1].append(p)
            else:
                groups.append([p])
    tr.pieces = forward + [p for g in reversed(groups) for p in g]
    return tr
