"""A static model of the database schema, built by replaying DDL statements.

Within one file it answers "was this table created earlier in this file?" (a new table
is empty and unused, so locking it harms nobody). Replayed over a migration history
(or seeded from a schema dump or a live catalog) it also knows column types, indexes
and constraints of tables created long ago.
"""

from __future__ import annotations

import re

from dataclasses import dataclass, field

from .nodes import const_value, defelem, relation_name, sval, strings, walk
from .types import ColumnType, column_type

Key = tuple[str, str]  # (schema, name), lower-level names as PostgreSQL stores them


@dataclass(frozen=True, slots=True)
class Origin:
    """Where an object was created: file number in the run, statement index, transaction."""

    file: int
    statement: int
    tx: int
    path: str = ""
    offset: int = 0  # where the creating statement starts

    def __bool__(self) -> bool:
        return True


@dataclass(slots=True)
class Column:
    name: str
    type: ColumnType | None
    not_null: bool = False
    default: dict | None = None
    generated: str | None = None  # 's' stored, 'v' virtual
    identity: bool = False
    origin: Origin | None = None  # where it was added (None: existed before, or unknown)


@dataclass(slots=True)
class Constraint:
    name: str
    kind: str  # p primary key, u unique, f foreign key, c check, x exclusion, n not null
    columns: tuple[str, ...] = ()
    validated: bool = True
    expr: dict | None = None  # CHECK expression
    ref_table: Key | None = None
    ref_columns: tuple[str, ...] = ()
    origin: Origin | None = None
    index: str | None = None  # name of the backing index (p/u/x)


@dataclass(slots=True)
class Index:
    key: Key
    table: Key
    columns: tuple[str | None, ...]  # None for an expression
    unique: bool = False
    partial: bool = False
    valid: bool = True
    origin: Origin | None = None
    constraint: str | None = None
    expr_columns: tuple[str, ...] = ()  # columns read by expression elements and the predicate


class IndexMap(dict):
    """The model's indexes by key, also found by table: a DROP TABLE or DROP COLUMN and a
    lookup of a table's indexes used to sweep every index of the model, which made a long
    history (or one huge file) quadratic. Every change of the map goes through
    __setitem__ / __delitem__ / pop, and a table's new name through ``retable``."""

    __slots__ = ("_by_table",)

    def __init__(self, items=()) -> None:
        super().__init__()
        self._by_table: dict[Key, dict[Key, None]] = {}
        for k, i in dict(items).items():
            self[k] = i

    def __reduce__(self):  # copy.deepcopy and pickle rebuild the table map from the items
        return (IndexMap, (dict(self),))

    def __setitem__(self, key: Key, index: "Index") -> None:
        old = dict.get(self, key)
        if old is not None and old.table != index.table:
            self._forget(key, old)
        dict.__setitem__(self, key, index)
        self._by_table.setdefault(index.table, {})[key] = None

    def __delitem__(self, key: Key) -> None:
        self._forget(key, dict.pop(self, key))

    _MISSING = object()

    def pop(self, key: Key, default=_MISSING):
        if key in self:
            index = dict.pop(self, key)
            self._forget(key, index)
            return index
        if default is IndexMap._MISSING:
            raise KeyError(key)
        return default

    def _forget(self, key: Key, index: "Index") -> None:
        keys = self._by_table.get(index.table)
        if keys is not None:
            keys.pop(key, None)
            if not keys:
                del self._by_table[index.table]

    def of_table(self, table: Key) -> list["Index"]:
        return [dict.__getitem__(self, k) for k in self._by_table.get(table, ())]

    def keys_of(self, table: Key) -> list[Key]:
        return list(self._by_table.get(table, ()))

    def retable(self, old: Key, new: Key) -> None:
        """The indexes of table ``old`` now belong to ``new`` (a rename or SET SCHEMA)."""
        keys = self._by_table.pop(old, None)
        if keys:
            for k in keys:
                dict.__getitem__(self, k).table = new
            self._by_table.setdefault(new, {}).update(keys)

    def setdefault(self, *a):  # not used; would bypass the table map
        raise NotImplementedError

    def update(self, *a, **k):
        for key, index in dict(*a, **k).items():
            self[key] = index


@dataclass(slots=True)
class Table:
    key: Key
    kind: str = "r"  # r table, p partitioned, v view, m materialized view, f foreign
    persistence: str = "p"  # p permanent, u unlogged, t temporary
    columns: dict[str, Column] = field(default_factory=dict)
    constraints: dict[str, Constraint] = field(default_factory=dict)
    origin: Origin | None = None  # None: existed before (baseline, live catalog, or unknown)
    partition_of: Key | None = None
    partition_key: tuple[str, ...] = ()
    default_partition: Key | None = None
    reads: set = field(default_factory=set)  # for views: (table key, column) they read
    # False for a table only known from ALTERs (created before the linted files):
    # its column and constraint lists hold only what the files added
    complete: bool = True
    access_method: str | None = None  # None: the default (heap), or not known
    triggers: dict[str, str] = field(default_factory=dict)  # trigger name -> function name
    parents: tuple[Key, ...] = ()  # INHERITS: the tables it inherits from
    sources: set = field(default_factory=set)  # for views: every relation named in the query

    @property
    def name(self) -> str:
        return self.key[1]

    def display(self) -> str:
        return self.key[1] if self.key[0] == "public" else f"{self.key[0]}.{self.key[1]}"


@dataclass(slots=True)
class Function:
    name: str
    volatility: str = "v"  # i, s, v as in pg_proc.provolatile
    security_definer: bool = False
    origin: Origin | None = None
    # RETURNS trigger / event_trigger: only a trigger can call it (a direct call fails
    # with 'trigger functions can only be called as triggers')
    trigger: bool = False
    # a PL/pgSQL body that runs SQL built at run time (EXECUTE): calling it may create or
    # change objects the replay cannot see
    dynamic: bool = False


_EXECUTE = re.compile(r"\bexecute\b(?!\s+(?:function|procedure)\b)", re.I)


def _runs_dynamic_sql(options) -> bool:
    """Whether a function's or DO block's options give a PL/pgSQL body with an EXECUTE of
    SQL built at run time (not CREATE TRIGGER ... EXECUTE FUNCTION)."""
    lang = defelem(options, "language")
    if lang is not None and (sval(lang.get("arg")) or "").lower() != "plpgsql":
        return False
    d = defelem(options, "as")
    arg = (d or {}).get("arg") or {}
    body = strings(arg["List"].get("items"))[:1] if "List" in arg else [sval(arg) or ""]
    return bool(body) and _EXECUTE.search(body[0]) is not None


def _constraint_kind(contype: str) -> str | None:
    return {
        "CONSTR_PRIMARY": "p", "CONSTR_UNIQUE": "u", "CONSTR_FOREIGN": "f",
        "CONSTR_CHECK": "c", "CONSTR_EXCLUSION": "x", "CONSTR_NOTNULL": "n",
    }.get(contype)


def _truncate_ident(s: str) -> str:
    b = s.encode("utf-8")
    if len(b) <= 63:
        return s
    return b[:63].decode("utf-8", "ignore")


def choose_name(table: str, columns, label: str) -> str:
    """PostgreSQL's default name for an index or constraint (ChooseRelationName without
    the collision suffix)."""
    cols = "_".join(c for c in columns if c) or "expr"
    return _truncate_ident(f"{table}_{cols}_{label}" if label != "pkey" else f"{table}_pkey")


class SchemaModel:
    def __init__(self) -> None:
        self.tables: dict[Key, Table] = {}
        self.indexes: IndexMap = IndexMap()
        self.functions: dict[str, Function] = {}
        self.enums: dict[Key, list[str]] = {}
        self.sequences: dict[Key, Origin | None] = {}
        # domains and their constraints (CHECK expressions; None stands for NOT NULL)
        self.domains: dict[Key, dict[str, dict | None]] = {}
        # the type each domain is over (a domain over a domain: that one)
        self.domain_types: dict[Key, ColumnType | None] = {}
        self.schemas: set[str] = {"public"}
        self.search_path: list[str] = ["public"]
        # other objects created by the replayed DDL (functions, types, domains, schemas,
        # sequences, extensions, databases, triggers, policies): (kind, schema, name) -> Origin
        self.objects: dict[tuple[str, str, str], Origin] = {}
        # the last statement that ran SQL built at run time (a DO block with EXECUTE, a call of
        # a function whose body has one): objects it made are not in this model
        self.dynamic_ddl: Origin | None = None
        # whether any function of the history ever had such a body: a cheap test before a
        # statement's calls are looked at (True also after that function is dropped)
        self.dynamic_functions = False

    # -- name resolution -----------------------------------------------------
    def key(self, schema: str | None, name: str) -> Key:
        if schema:
            return (schema, name)
        for s in ("pg_temp", *self.search_path):
            if (s, name) in self.tables:
                return (s, name)
        return (self.search_path[0] if self.search_path else "public", name)

    def rv_key(self, rv: dict | None) -> Key:
        schema, name = relation_name(rv)
        if rv and rv.get("relpersistence") == "t" and not schema:
            return ("pg_temp", name)
        return self.key(schema, name)

    def table(self, rv: dict | None) -> Table | None:
        if not rv:
            return None
        return self.tables.get(self.rv_key(rv))

    def table_by(self, schema: str | None, name: str) -> Table | None:
        return self.tables.get(self.key(schema, name))

    def index_key(self, schema: str | None, name: str) -> Key:
        if schema:
            return (schema, name)
        for s in ("pg_temp", *self.search_path):
            if (s, name) in self.indexes:
                return (s, name)
        return (self.search_path[0] if self.search_path else "public", name)

    def index(self, schema: str | None, name: str) -> Index | None:
        return self.indexes.get(self.index_key(schema, name))

    def copy(self) -> "SchemaModel":
        """An independent copy of everything apply() may change. Parse-tree fragments
        (defaults, CHECK expressions) are shared: nothing modifies them."""
        new = SchemaModel.__new__(SchemaModel)
        new.tables = {k: _clone_table(t) for k, t in self.tables.items()}
        new.indexes = IndexMap({k: Index(i.key, i.table, i.columns, i.unique, i.partial, i.valid, i.origin,
                                         i.constraint, i.expr_columns) for k, i in self.indexes.items()})
        new.functions = dict(self.functions)
        new.enums = {k: list(v) for k, v in self.enums.items()}
        new.sequences = dict(self.sequences)
        new.domains = {k: dict(v) for k, v in self.domains.items()}
        new.domain_types = dict(self.domain_types)
        new.schemas = set(self.schemas)
        new.search_path = list(self.search_path)
        new.objects = dict(self.objects)
        new.dynamic_ddl = self.dynamic_ddl
        new.dynamic_functions = self.dynamic_functions
        return new

    def restore(self, other: "SchemaModel") -> None:
        """Become ``other`` (used to undo the effects of a rollback section)."""
        self.__dict__.update(other.__dict__)

    def base_type(self, typ: ColumnType | None) -> ColumnType | None:
        """The type a domain is over (through domains over domains, with the domain's array
        dimensions kept); any other type as it is."""
        for _ in range(8):  # domains over domains, bounded
            if typ is None or typ.mods:
                return typ
            key = (typ.schema, typ.name) if typ.schema else None
            if key is None:
                key = next(((sp, typ.name) for sp in self.search_path if (sp, typ.name) in self.domain_types),
                           ("public", typ.name))
            base = self.domain_types.get(key)
            if base is None:
                return typ
            typ = ColumnType(base.name, base.mods, base.array + typ.array, base.schema)
        return typ

    def function_volatility(self) -> dict[str, str]:
        return {name: f.volatility for name, f in self.functions.items()}

    def indexes_of(self, table: Key) -> list[Index]:
        return self.indexes.of_table(table)

    # -- replay ------------------------------------------------------------------
    def apply(self, typ: str, node: dict, origin: Origin) -> None:
        fn = getattr(self, "_apply_" + typ, None)
        if fn is not None:
            fn(node, origin)
        track_object(self, typ, node, origin)

    # -- other objects -------------------------------------------------------------
    def object_key(self, kind: str, schema: str | None, name: str) -> tuple[str, str, str]:
        if kind in _GLOBAL_KINDS:
            return (kind, "", name)
        if schema:
            return (kind, schema, name)
        for s in ("pg_temp", *self.search_path):
            if (kind, s, name) in self.objects:
                return (kind, s, name)
        return (kind, self.search_path[0] if self.search_path else "public", name)

    def created(self, kind: str, schema: str | None, name: str) -> Origin | None:
        """Where the replayed DDL created this object (None: not created by it)."""
        return self.objects.get(self.object_key(kind, schema, name))

    def _apply_CreateStmt(self, node, origin):
        rv = node.get("relation") or {}
        key = self.rv_key(rv)
        if node.get("if_not_exists") and key in self.tables:
            return
        t = Table(key, origin=origin, persistence=rv.get("relpersistence", "p"), access_method=node.get("accessMethod"))
        if node.get("partspec"):
            t.kind = "p"
            ps = node["partspec"]
            cols = []
            for pe in ps.get("partParams") or ():
                e = pe.get("PartitionElem", {})
                cols.append(e.get("name"))
            t.partition_key = tuple(c for c in cols if c)
        parents = [p.get("RangeVar") for p in node.get("inhRelations") or () if "RangeVar" in p]
        if node.get("partbound") and parents:
            t.partition_of = self.rv_key(parents[0])
            parent = self.tables.get(t.partition_of)
            if parent is not None:
                for c in parent.columns.values():
                    t.columns[c.name] = Column(c.name, c.type, c.not_null, c.default)
                if node["partbound"].get("is_default"):
                    parent.default_partition = key
        self.tables[key] = t
        if not node.get("partbound"):
            t.parents = tuple(self.rv_key(p) for p in parents)
        for p in parents if not node.get("partbound") else ():
            parent = self.tables.get(self.rv_key(p))  # INHERITS: the parent's columns come first
            if parent is None or not parent.complete:
                t.complete = False
            else:
                for c in parent.columns.values():
                    t.columns[c.name] = Column(c.name, c.type, c.not_null, c.default)
        if node.get("ofTypename"):
            t.complete = False
        for elt in node.get("tableElts") or ():
            if "TableLikeClause" in elt:  # LIKE other: its columns
                other = self.tables.get(self.rv_key(elt["TableLikeClause"].get("relation")))
                if other is None or not other.complete:
                    t.complete = False
                else:
                    for c in other.columns.values():
                        t.columns[c.name] = Column(c.name, c.type, c.not_null, c.default)
            elif "ColumnDef" in elt:
                self._add_column(t, elt["ColumnDef"], origin)
            elif "Constraint" in elt:
                self._add_constraint(t, elt["Constraint"], origin, validated=True)
        for c in node.get("constraints") or ():
            if "Constraint" in c:
                self._add_constraint(t, c["Constraint"], origin, validated=True)

    def _apply_CreateTableAsStmt(self, node, origin):
        into = node.get("into", {})
        kind = "m" if node.get("objtype") == "OBJECT_MATVIEW" else "r"
        t = self._table_from_query(into, node.get("query"), origin, kind)
        if kind == "m":
            t.reads = query_reads(node.get("query"), self)
            t.sources = query_sources(node.get("query"), self)

    def _apply_SelectStmt(self, node, origin):
        into = node.get("intoClause")
        if into:  # SELECT ... INTO new_table
            self._table_from_query(into, {"SelectStmt": node}, origin, "r")
        self._calls(node, "SelectStmt", origin)

    def _apply_CallStmt(self, node, origin):
        self._calls(node, "CallStmt", origin)

    def _apply_DoStmt(self, node, origin):
        if _runs_dynamic_sql(node.get("args")):
            self.dynamic_ddl = origin

    def _calls(self, node, typ: str, origin) -> None:
        """Note a call of a function of the history whose body runs dynamic SQL."""
        if not self.dynamic_functions:
            return
        for t, f in walk(node, typ):
            if t == "FuncCall":
                fn = self.functions.get((strings(f.get("funcname"))[-1:] or [""])[0].lower())
                if fn is not None and fn.dynamic:
                    self.dynamic_ddl = origin
                    return

    def _table_from_query(self, into: dict, query: dict | None, origin, kind: str) -> "Table":
        """A table created from a query: its columns are the query's output names."""
        rv = into.get("rel") or {}
        key = self.rv_key(rv)
        t = Table(key, kind=kind, origin=origin, persistence=rv.get("relpersistence", "p"))
        names = [sval(c) for c in into.get("colNames") or ()]
        if not names:
            names, complete = output_names(query, self)
            t.complete = complete
        for name in names:
            if name:
                t.columns[name] = Column(name, None)
        self.tables[key] = t
        return t

    def _apply_ViewStmt(self, node, origin):
        rv = node.get("view") or {}
        key = self.rv_key(rv)
        old = self.tables.get(key)
        t = Table(key, kind="v", origin=old.origin if (old and node.get("replace")) else origin)
        names = [sval(c) for c in node.get("aliases") or ()]
        if not names:
            names, t.complete = output_names(node.get("query"), self)
        for name in names:
            if name:
                t.columns[name] = Column(name, None)
        t.reads = query_reads(node.get("query"), self)
        t.sources = query_sources(node.get("query"), self)
        self.tables[key] = t

    def _add_column(self, t: Table, cd: dict, origin: Origin) -> Column:
        typ = column_type(cd.get("typeName"))
        col = Column(cd.get("colname", ""), typ, origin=origin)
        if cd.get("is_not_null"):
            col.not_null = True
        if cd.get("raw_default"):
            col.default = cd["raw_default"]
        for c in cd.get("constraints") or ():
            con = c.get("Constraint")
            if not con:
                continue
            ct = con.get("contype")
            if ct == "CONSTR_NOTNULL":
                col.not_null = True
            elif ct == "CONSTR_NULL":
                col.not_null = False
            elif ct == "CONSTR_DEFAULT":
                col.default = con.get("raw_expr")
            elif ct == "CONSTR_GENERATED":
                col.generated = con.get("generated_kind", "s") or "s"
            elif ct == "CONSTR_IDENTITY":
                col.identity = True
                col.not_null = True
            elif ct == "CONSTR_PRIMARY":
                col.not_null = True
                self._add_constraint(t, con, origin, columns=(col.name,), validated=True)
            elif ct in ("CONSTR_UNIQUE", "CONSTR_FOREIGN", "CONSTR_CHECK"):
                self._add_constraint(t, con, origin, columns=(col.name,), validated=not con.get("skip_validation"))
        if typ is not None and typ.name in ("serial", "bigserial", "smallserial"):
            col.not_null = True
        t.columns[col.name] = col
        return col

    def _add_constraint(self, t: Table, con: dict, origin: Origin, columns=None, validated=True) -> Constraint | None:
        kind = _constraint_kind(con.get("contype", ""))
        if kind is None:
            return None
        cols = tuple(columns or ())
        if not cols:
            if kind == "f":
                cols = tuple(strings(con.get("fk_attrs")))
            elif kind in ("p", "u"):
                cols = tuple(strings(con.get("keys")))
            elif kind == "n":
                cols = tuple(strings(con.get("keys")))
        if kind == "c" and not cols:
            from .nodes import column_refs

            cols = tuple(dict.fromkeys(r[-1] for r in column_refs(con.get("raw_expr")) if r))
        label = {"p": "pkey", "u": "key", "f": "fkey", "c": "check", "x": "excl", "n": "not_null"}[kind]
        name = con.get("conname") or choose_name(t.name, cols[:1] if kind in ("c", "f") else cols, label)
        c = Constraint(name, kind, cols, validated and not con.get("skip_validation"), origin=origin)
        if kind == "c":
            c.expr = con.get("raw_expr")
        if kind == "f":
            pk = con.get("pktable")
            c.ref_table = self.rv_key(pk) if pk else None
            c.ref_columns = tuple(strings(con.get("pk_attrs")))
            if not c.ref_columns and c.ref_table in self.tables:
                pkc = [x for x in self.tables[c.ref_table].constraints.values() if x.kind == "p"]
                if pkc:
                    c.ref_columns = pkc[0].columns
        if kind == "p":
            for col in cols:
                if col in t.columns:
                    t.columns[col].not_null = True
        if kind == "n":
            for col in cols:
                if col in t.columns:
                    t.columns[col].not_null = c.validated or t.columns[col].not_null
        t.constraints[name] = c
        if kind in ("p", "u", "x"):
            iname = con.get("indexname") or name
            ikey = (t.key[0], iname)
            existing = self.indexes.get(ikey)
            if existing is not None and con.get("indexname"):
                existing.constraint = name
                if kind == "p":
                    for col in existing.columns:
                        if col in t.columns:
                            t.columns[col].not_null = True
            else:
                self.indexes[ikey] = Index(ikey, t.key, cols, unique=kind in ("p", "u"), origin=origin, constraint=name)
            c.index = iname
        return c

    def _apply_IndexStmt(self, node, origin):
        rv = node.get("relation") or {}
        tkey = self.rv_key(rv)
        from .nodes import column_refs

        cols: list[str | None] = []
        expr_cols: list[str] = []
        for p in node.get("indexParams") or ():
            e = p.get("IndexElem", {})
            cols.append(e.get("name"))
            if e.get("expr"):
                expr_cols.extend(r[-1] for r in column_refs(e["expr"]) if r)
        if node.get("whereClause"):
            expr_cols.extend(r[-1] for r in column_refs(node["whereClause"]) if r)
        name = node.get("idxname") or choose_name(tkey[1], [c or "expr" for c in cols], "idx")
        key = (tkey[0], name)
        if node.get("if_not_exists") and key in self.indexes:
            return
        self.indexes[key] = Index(
            key, tkey, tuple(cols), unique=bool(node.get("unique")),
            partial=bool(node.get("whereClause")), valid=True, origin=origin,
            expr_columns=tuple(dict.fromkeys(expr_cols)),
        )

    def _apply_DropStmt(self, node, origin):
        rt = node.get("removeType", "")
        for obj in node.get("objects") or ():
            names = object_names(obj)
            if not names:
                continue
            schema = names[-2] if len(names) > 1 else None
            if rt in ("OBJECT_TABLE", "OBJECT_VIEW", "OBJECT_MATVIEW", "OBJECT_FOREIGN_TABLE"):
                key = self.key(schema, names[-1])
                self._drop_relation(key, node.get("behavior") == "DROP_CASCADE")
            elif rt == "OBJECT_INDEX":
                self.indexes.pop(self.index_key(schema, names[-1]), None)
            elif rt == "OBJECT_SEQUENCE":
                self.sequences.pop(self.key(schema, names[-1]), None)
            elif rt == "OBJECT_FUNCTION" or rt == "OBJECT_PROCEDURE":
                self.functions.pop(names[-1].lower(), None)
                if node.get("behavior") == "DROP_CASCADE":  # its triggers go with it
                    for t in self.tables.values():
                        for trig in [n for n, f in t.triggers.items() if f == names[-1].lower()]:
                            del t.triggers[trig]
            elif rt == "OBJECT_SCHEMA":
                self.schemas.discard(names[-1])
            elif rt == "OBJECT_TYPE":
                self.enums.pop(self.key(schema, names[-1]), None)
            elif rt == "OBJECT_DOMAIN":
                self.domains.pop((schema or "public", names[-1]), None)
                self.domain_types.pop((schema or "public", names[-1]), None)
            elif rt == "OBJECT_TRIGGER" and len(names) >= 2:
                t = self.tables.get(self.key(names[-3] if len(names) > 2 else None, names[-2]))
                if t is not None:
                    t.triggers.pop(names[-1], None)

    def _drop_relation(self, key: Key, cascade: bool) -> None:
        self.tables.pop(key, None)
        for ik in self.indexes.keys_of(key):
            del self.indexes[ik]
        if cascade:  # foreign keys referencing it go, and views reading it (and views reading those)
            self._drop_referencing_keys(key, None)
            for vk in [k for k, t in self.tables.items() if t.kind in ("v", "m") and any(r[0] == key for r in t.reads)]:
                if vk in self.tables:
                    self._drop_relation(vk, True)

    def _drop_referencing_keys(self, key: Key, column: str | None) -> None:
        """Foreign keys of other tables that reference ``key`` (or its ``column``): CASCADE drops them."""
        for t in self.tables.values():
            if t.key == key:
                continue
            for name in [n for n, c in t.constraints.items()
                         if c.kind == "f" and c.ref_table == key and (column is None or column in c.ref_columns)]:
                del t.constraints[name]

    def _apply_AlterTableStmt(self, node, origin):
        from .locks import alter_table_cmds, column_def_of, constraint_of

        rv = node.get("relation") or {}
        key = self.rv_key(rv)
        if node.get("objtype", "OBJECT_TABLE") != "OBJECT_TABLE":
            return
        t = self.tables.get(key)
        if t is None:
            # a table that existed before: remember what the migrations do to it
            t = self.tables[key] = Table(key, origin=None, complete=False)
        for cmd in alter_table_cmds(node):
            sub = cmd.get("subtype", "")
            if sub == "AT_AddColumn":
                cd = column_def_of(cmd)
                if cd and not (cmd.get("missing_ok") and cd.get("colname") in t.columns):
                    self._add_column(t, cd, origin)
            elif sub == "AT_DropColumn":
                col = cmd.get("name", "")
                t.columns.pop(col, None)
                # PostgreSQL drops the table's indexes and constraints that use the column
                for cname in [n for n, c in t.constraints.items() if col in c.columns]:
                    c = t.constraints.pop(cname)
                    if c.index:
                        self.indexes.pop((t.key[0], c.index), None)
                for ik in self.indexes.keys_of(key):
                    i = self.indexes[ik]
                    if col in i.columns or col in i.expr_columns:
                        del self.indexes[ik]
                if cmd.get("behavior") == "DROP_CASCADE":
                    self._drop_referencing_keys(key, col)
                    for vk in [k for k, v in self.tables.items() if v.kind in ("v", "m") and (key, col) in v.reads]:
                        if vk in self.tables:
                            self._drop_relation(vk, True)
            elif sub == "AT_AlterColumnType":
                col = t.columns.get(cmd.get("name", ""))
                cd = column_def_of(cmd)
                if col is not None and cd:
                    col.type = column_type(cd.get("typeName"))
            elif sub == "AT_SetNotNull":
                col = t.columns.get(cmd.get("name", ""))
                if col is not None:
                    col.not_null = True
            elif sub == "AT_DropNotNull":
                col = t.columns.get(cmd.get("name", ""))
                if col is not None:
                    col.not_null = False
            elif sub == "AT_ColumnDefault":
                col = t.columns.get(cmd.get("name", ""))
                if col is not None:
                    col.default = cmd.get("def")
            elif sub == "AT_AddConstraint":
                con = constraint_of(cmd)
                if con:
                    self._add_constraint(t, con, origin, validated=not con.get("skip_validation"))
            elif sub == "AT_ValidateConstraint":
                c = t.constraints.get(cmd.get("name", ""))
                if c is not None:
                    c.validated = True
                    if c.kind == "n":
                        for col in c.columns:
                            if col in t.columns:
                                t.columns[col].not_null = True
            elif sub == "AT_DropConstraint":
                c = t.constraints.pop(cmd.get("name", ""), None)
                if c is not None and c.index:
                    self.indexes.pop((t.key[0], c.index), None)
            elif sub == "AT_AttachPartition":
                pc = (cmd.get("def") or {}).get("PartitionCmd", {})
                part = self.tables.get(self.rv_key(pc.get("name")))
                if part is not None:
                    part.partition_of = t.key
                    if (pc.get("bound") or {}).get("is_default"):
                        t.default_partition = part.key
            elif sub == "AT_DetachPartition":
                pc = (cmd.get("def") or {}).get("PartitionCmd", {})
                part = self.tables.get(self.rv_key(pc.get("name")))
                if part is not None:
                    part.partition_of = None
                    if t.default_partition == part.key:
                        t.default_partition = None
            elif sub == "AT_SetLogged":
                t.persistence = "p"
            elif sub == "AT_SetUnLogged":
                t.persistence = "u"
            elif sub == "AT_SetAccessMethod":
                t.access_method = cmd.get("name") or None
            elif sub in ("AT_AddInherit", "AT_DropInherit"):
                parent = (cmd.get("def") or {}).get("RangeVar")
                if parent:
                    pk = self.rv_key(parent)
                    rest = tuple(k for k in t.parents if k != pk)
                    t.parents = rest + (pk,) if sub == "AT_AddInherit" else rest

    def _apply_RenameStmt(self, node, origin):
        rt = node.get("renameType", "")
        rv = node.get("relation")
        new = node.get("newname", "")
        if rt in ("OBJECT_TABLE", "OBJECT_VIEW", "OBJECT_MATVIEW", "OBJECT_FOREIGN_TABLE") and rv:
            key = self.rv_key(rv)
            t = self.tables.pop(key, None)
            if t is not None:
                nk = (key[0], new)
                t.key = nk
                self.tables[nk] = t
                self.indexes.retable(key, nk)
                for other in self.tables.values():
                    for c in other.constraints.values():
                        if c.ref_table == key:
                            c.ref_table = nk
                    if key in other.parents:
                        other.parents = tuple(nk if k == key else k for k in other.parents)
                    if other.partition_of == key:
                        other.partition_of = nk
        elif rt == "OBJECT_INDEX" and rv:
            schema, name = relation_name(rv)
            ik = self.index_key(schema, name)
            i = self.indexes.pop(ik, None)
            if i is not None:
                i.key = (ik[0], new)
                self.indexes[i.key] = i
        elif rt == "OBJECT_COLUMN" and rv:
            t = self.table(rv)
            old = node.get("subname", "")
            if t is not None and old in t.columns:
                col = t.columns.pop(old)
                col.name = new
                t.columns[new] = col
                for c in t.constraints.values():
                    c.columns = tuple(new if x == old else x for x in c.columns)
                for i in self.indexes.of_table(t.key):
                    i.columns = tuple(new if x == old else x for x in i.columns)
        elif rt == "OBJECT_TABCONSTRAINT" and rv:
            t = self.table(rv)
            old = node.get("subname", "")
            if t is not None and old in t.constraints:
                c = t.constraints.pop(old)
                c.name = new
                t.constraints[new] = c
                i = self.indexes.pop((t.key[0], c.index), None) if c.index else None
                if i is not None:  # the constraint's index is renamed with it
                    i.key = (t.key[0], new)
                    i.constraint = new
                    self.indexes[i.key] = i
                    c.index = new

    def _apply_AlterObjectSchemaStmt(self, node, origin):
        if node.get("objectType") not in ("OBJECT_TABLE", "OBJECT_VIEW", "OBJECT_MATVIEW"):
            return
        key = self.rv_key(node.get("relation"))
        t = self.tables.pop(key, None)
        if t is not None:
            nk = (node.get("newschema", key[0]), key[1])
            t.key = nk
            self.tables[nk] = t
            self.indexes.retable(key, nk)

    def _apply_CreateFunctionStmt(self, node, origin):
        names = strings(node.get("funcname"))
        if not names:
            return
        vol = "v"
        secdef = False
        for o in node.get("options") or ():
            d = o.get("DefElem", {})
            if d.get("defname") == "volatility":
                v = sval(d.get("arg")) or ""
                vol = {"immutable": "i", "stable": "s", "volatile": "v"}.get(v.lower(), "v")
            elif d.get("defname") == "security":
                secdef = bool(const_value(d.get("arg"))) or bool((d.get("arg") or {}).get("Boolean", {}).get("boolval"))
        ret = strings((node.get("returnType") or {}).get("names"))
        trigger = bool(ret) and ret[-1].lower() in ("trigger", "event_trigger") and ret[0] in ("pg_catalog", ret[-1])
        dynamic = _runs_dynamic_sql(node.get("options"))
        self.dynamic_functions = self.dynamic_functions or dynamic
        self.functions[names[-1].lower()] = Function(names[-1], vol, secdef, origin, trigger, dynamic)

    def _apply_CreateTrigStmt(self, node, origin):
        t = self.table(node.get("relation"))
        names = strings(node.get("funcname"))
        if t is not None and names and node.get("trigname"):
            t.triggers[node["trigname"]] = names[-1].lower()

    def _apply_CreateDomainStmt(self, node, origin):
        names = strings(node.get("domainname"))
        if not names:
            return
        cons: dict[str, dict | None] = {}
        for c in node.get("constraints") or ():
            con = c.get("Constraint") or {}
            if con.get("contype") == "CONSTR_NOTNULL":
                cons["NOT NULL"] = None
            elif con.get("contype") == "CONSTR_CHECK":
                cons[con.get("conname") or _domain_check_name(names[-1], cons)] = con.get("raw_expr")
        key = (names[-2] if len(names) > 1 else "public", names[-1])
        self.domains[key] = cons
        self.domain_types[key] = column_type(node.get("typeName"))

    def _apply_AlterDomainStmt(self, node, origin):
        names = strings(node.get("typeName"))
        if not names:
            return
        cons = self.domains.get((names[-2] if len(names) > 1 else "public", names[-1]))
        if cons is None:
            return
        sub = node.get("subtype")
        if sub == "O":
            cons["NOT NULL"] = None
        elif sub == "N":
            cons.pop("NOT NULL", None)
        elif sub == "C":
            con = (node.get("def") or {}).get("Constraint") or {}
            if con.get("contype") == "CONSTR_NOTNULL":
                cons["NOT NULL"] = None
            else:
                cons[con.get("conname") or _domain_check_name(names[-1], cons)] = con.get("raw_expr")
        elif sub == "X":
            cons.pop(node.get("name") or "", None)

    def _apply_CreateEnumStmt(self, node, origin):
        names = strings(node.get("typeName"))
        if names:
            key = (names[-2] if len(names) > 1 else "public", names[-1])
            self.enums[key] = strings(node.get("vals"))

    def _apply_AlterEnumStmt(self, node, origin):
        names = strings(node.get("typeName"))
        if not names:
            return
        key = (names[-2] if len(names) > 1 else "public", names[-1])
        vals = self.enums.setdefault(key, [])
        new = node.get("newVal")
        old = node.get("oldVal")
        if old and new:
            self.enums[key] = [new if v == old else v for v in vals]
        elif new and new not in vals:
            vals.append(new)

    def _apply_CreateSeqStmt(self, node, origin):
        self.sequences[self.rv_key(node.get("sequence"))] = origin

    def _apply_CreateSchemaStmt(self, node, origin):
        name = node.get("schemaname")
        if name:
            self.schemas.add(name)

    def _apply_VariableSetStmt(self, node, origin):
        if node.get("name") == "search_path" and node.get("kind") == "VAR_SET_VALUE":
            path = []
            for a in node.get("args") or ():
                v = const_value(a)
                if v is None:
                    v = sval(a)
                if isinstance(v, str):
                    path.extend(p.strip().strip('"') for p in v.split(",") if p.strip())
            path = [p for p in path if p and p not in ("$user", "pg_catalog")]
            if path:
                self.search_path = path


def _domain_check_name(domain: str, taken) -> str:
    """PostgreSQL's name for an unnamed CHECK constraint of a domain: <domain>_check, then _check1 ..."""
    name, n = _truncate_ident(f"{domain}_check"), 0
    while name in taken:
        n += 1
        name = _truncate_ident(f"{domain}_check{n}")
    return name


def object_names(obj) -> list[str]:
    """Name parts of an object in a DROP/COMMENT list (List of String, String, TypeName...)."""
    if type(obj) is not dict:
        return []
    if "List" in obj:
        return strings(obj["List"].get("items"))
    if "String" in obj:
        return [obj["String"].get("sval", "")]
    if "TypeName" in obj:
        return strings(obj["TypeName"].get("names"))
    if "ObjectWithArgs" in obj:
        return strings(obj["ObjectWithArgs"].get("objname"))
    return []


def defelem_value(options, name):
    d = defelem(options, name)
    return None if d is None else d.get("arg")


def query_sources(query: dict | None, schema: "SchemaModel") -> set:
    """Every relation a query names (FROM items, subqueries, CTE bodies), as keys."""
    from .nodes import walk

    return {schema.rv_key(f) for t, f in walk(query) if t == "RangeVar" and f.get("relname")} if query else set()


def query_reads(query: dict | None, schema: "SchemaModel") -> set:
    """(table key, column) pairs a view's query reads, resolved against the model.

    Each SELECT level has its own FROM list: qualified references resolve through the
    aliases of that level or an enclosing one; unqualified ones to the tables of the
    nearest level that has the column (or its only table); ``*`` to every known column of
    that level's tables, as PostgreSQL expands it when the view is created.
    """
    reads: set = set()
    if not query:
        return reads
    stack = [(query, [])]  # (node holding a SELECT, enclosing scopes)
    while stack:
        node, outer = stack.pop()
        for sel in _selects(node):
            scope: dict[str, tuple] = {}
            subqueries: list = []
            _from_items(sel.get("fromClause"), schema, scope, subqueries)
            scopes = [scope] + outer
            for sq in subqueries:
                stack.append((sq, outer))
            for ref, nested in _refs_outside_selects(
                    {k: v for k, v in sel.items() if k not in ("fromClause", "larg", "rarg")}):
                if nested is not None:
                    stack.append((nested, scopes))
                else:
                    _resolve(ref, scopes, schema, reads)
            for je in _join_quals(sel.get("fromClause")):
                for ref, nested in _refs_outside_selects(je):
                    if nested is not None:
                        stack.append((nested, scopes))
                    else:
                        _resolve(ref, scopes, schema, reads)
    return reads


def _selects(node):
    """The SelectStmt fields in ``node`` (set operations give both sides)."""
    out = []
    todo = [node]
    while todo:
        n = todo.pop()
        if type(n) is not dict:
            continue
        sel = n.get("SelectStmt") if "SelectStmt" in n else (n if "targetList" in n or "larg" in n else None)
        if sel is None:
            continue
        if sel.get("larg"):
            todo.append({"SelectStmt": sel["larg"]})
            todo.append({"SelectStmt": sel["rarg"]})
        else:
            out.append(sel)
        for cte in (sel.get("withClause") or {}).get("ctes") or ():
            todo.append((cte.get("CommonTableExpr") or {}).get("ctequery"))
    return out


def _from_items(items, schema, scope, subqueries) -> None:
    for it in items or ():
        if type(it) is not dict:
            continue
        if "RangeVar" in it:
            rv = it["RangeVar"]
            key = schema.rv_key(rv)
            alias = (rv.get("alias") or {}).get("aliasname") or rv.get("relname")
            scope[alias] = key
        elif "JoinExpr" in it:
            je = it["JoinExpr"]
            _from_items([je.get("larg"), je.get("rarg")], schema, scope, subqueries)
        elif "RangeSubselect" in it:
            subqueries.append(it["RangeSubselect"].get("subquery"))


def _join_quals(items):
    out = []
    for it in items or ():
        if type(it) is dict and "JoinExpr" in it:
            je = it["JoinExpr"]
            if je.get("quals"):
                out.append(je["quals"])
            out.extend(_join_quals([je.get("larg"), je.get("rarg")]))
    return out


def _refs_outside_selects(node):
    """(ColumnRef fields, None) for references at this level, (None, node) for nested SELECTs."""
    stack = [node]
    while stack:
        n = stack.pop()
        t = type(n)
        if t is list:
            stack.extend(n)
        elif t is dict:
            if "SelectStmt" in n:
                yield None, n
                continue
            if "ColumnRef" in n:
                yield n["ColumnRef"], None
                continue
            stack.extend(v for v in n.values() if type(v) in (dict, list))


def _resolve(ref, scopes, schema, reads) -> None:
    from .nodes import strings

    parts = ref.get("fields") or ()
    names = strings(parts)
    if any("A_Star" in p for p in parts):
        if names:  # t.*
            for sc in scopes:
                if names[-1] in sc:
                    _all_columns(sc[names[-1]], schema, reads)
                    return
        elif scopes:
            for key in scopes[0].values():
                _all_columns(key, schema, reads)
        return
    if not names:
        return
    col = names[-1]
    if len(names) >= 2:
        for sc in scopes:
            if names[-2] in sc:
                reads.add((sc[names[-2]], col))
                return
        return
    for sc in scopes:
        owners = [k for k in sc.values() if k in schema.tables and col in schema.tables[k].columns]
        if owners:
            reads.update((k, col) for k in owners)
            return
    if scopes and len(scopes[0]) == 1:
        reads.add((next(iter(scopes[0].values())), col))


def _all_columns(key, schema, reads) -> None:
    t = schema.tables.get(key)
    if t is not None:
        reads.update((key, c) for c in t.columns)
    reads.add((key, "*"))


def _clone_table(t: Table) -> Table:
    return Table(
        t.key, t.kind, t.persistence,
        {n: Column(c.name, c.type, c.not_null, c.default, c.generated, c.identity) for n, c in t.columns.items()},
        {n: Constraint(c.name, c.kind, c.columns, c.validated, c.expr, c.ref_table, c.ref_columns, c.origin, c.index)
         for n, c in t.constraints.items()},
        t.origin, t.partition_of, t.partition_key, t.default_partition, set(t.reads), t.complete,
        t.access_method, dict(t.triggers), t.parents, set(t.sources),
    )


def output_names(query: dict | None, schema: "SchemaModel") -> tuple[list[str], bool]:
    """Column names a query produces (PostgreSQL's rules), and whether all are known."""
    from .nodes import strings

    sel = (query or {}).get("SelectStmt") or {}
    while sel.get("op") not in (None, "SETOP_NONE") and sel.get("larg"):
        sel = sel["larg"]  # UNION etc.: the left side names the columns
    if sel.get("valuesLists"):
        return [f"column{i + 1}" for i in range(len(sel["valuesLists"][0].get("List", {}).get("items", [])))], True
    names, complete = [], True
    for rt in sel.get("targetList") or ():
        r = rt.get("ResTarget", {})
        if r.get("name"):
            names.append(r["name"])
            continue
        val = r.get("val") or {}
        if "ColumnRef" in val:
            fields = val["ColumnRef"].get("fields") or ()
            if any("A_Star" in f for f in fields):
                complete = False
                continue
            names.append(strings(fields)[-1])
        elif "FuncCall" in val:
            names.append(strings(val["FuncCall"].get("funcname"))[-1])
        elif "TypeCast" in val and "ColumnRef" in (val["TypeCast"].get("arg") or {}):
            names.append(strings(val["TypeCast"]["arg"]["ColumnRef"].get("fields"))[-1])
        else:
            complete = False
    return names, complete

# -- other objects created by the replayed DDL -------------------------------------------
# What ``SchemaModel.objects`` tracks, by the ObjectType of DROP / RENAME / SET SCHEMA.
OBJECT_KINDS = {
    "OBJECT_FUNCTION": "function", "OBJECT_PROCEDURE": "function", "OBJECT_ROUTINE": "function",
    "OBJECT_AGGREGATE": "function", "OBJECT_TYPE": "type", "OBJECT_DOMAIN": "domain",
    "OBJECT_SCHEMA": "schema", "OBJECT_SEQUENCE": "sequence", "OBJECT_EXTENSION": "extension",
    "OBJECT_DATABASE": "database", "OBJECT_TRIGGER": "trigger", "OBJECT_POLICY": "policy",
}
_ON_TABLE = ("trigger", "policy")  # named per table: the key's name is "table.name"
_GLOBAL_KINDS = ("schema", "extension", "database")  # not in a schema: the key's schema is ""


def object_ref(kind: str, names: list[str]) -> tuple[str | None, str]:
    """(schema, name) of an object named by a DROP / RENAME name list."""
    if not names:
        return None, ""
    if kind in _ON_TABLE:
        if len(names) < 2:
            return None, names[-1]
        table = names[:-1]
        return (table[-2] if len(table) > 1 else None), f"{table[-1]}.{names[-1]}"
    if kind in _GLOBAL_KINDS:
        return None, names[-1]
    return (names[-2] if len(names) > 1 else None), names[-1]


def _created_names(typ: str, node: dict) -> tuple[str, str | None, str, bool] | None:
    """(kind, schema, name, or_replace) of the object a CREATE statement makes."""
    if typ == "CreateFunctionStmt":
        names = strings(node.get("funcname"))
        if names:
            return "function", *object_ref("function", names), bool(node.get("replace"))
    elif typ == "DefineStmt":
        kind = {"OBJECT_AGGREGATE": "function", "OBJECT_TYPE": "type"}.get(node.get("kind", ""))
        names = strings(node.get("defnames"))
        if kind and names:
            return kind, *object_ref(kind, names), bool(node.get("replace"))
    elif typ in ("CreateEnumStmt", "CreateRangeStmt"):
        names = strings(node.get("typeName"))
        if names:
            return "type", *object_ref("type", names), False
    elif typ == "CompositeTypeStmt":
        schema, name = relation_name(node.get("typevar"))
        if name:
            return "type", schema, name, False
    elif typ == "CreateDomainStmt":
        names = strings(node.get("domainname"))
        if names:
            return "domain", *object_ref("domain", names), False
    elif typ == "CreateSchemaStmt":
        if node.get("schemaname"):
            return "schema", None, node["schemaname"], False
    elif typ == "CreateSeqStmt":
        schema, name = relation_name(node.get("sequence"))
        if name:
            return "sequence", schema, name, False
    elif typ == "CreateExtensionStmt":
        if node.get("extname"):
            return "extension", None, node["extname"], False
    elif typ == "CreatedbStmt":
        if node.get("dbname"):
            return "database", None, node["dbname"], False
    elif typ == "CreateTrigStmt":
        schema, table = relation_name(node.get("relation"))
        if node.get("trigname") and table:
            return "trigger", schema, f"{table}.{node['trigname']}", bool(node.get("replace"))
    elif typ == "CreatePolicyStmt":
        schema, table = relation_name(node.get("table"))
        if node.get("policy_name") and table:
            return "policy", schema, f"{table}.{node['policy_name']}", False
    return None


def track_object(model: SchemaModel, typ: str, node: dict, origin: Origin) -> None:
    """Record objects other than relations and indexes that a statement creates, drops,
    renames or moves, so that rules can tell "created earlier in this file"."""
    made = _created_names(typ, node)
    if made is not None:
        kind, schema, name, replace = made
        key = model.object_key(kind, schema, name)
        if key not in model.objects and not replace:
            # CREATE OR REPLACE may replace an object that existed before: not known as new
            model.objects[key] = origin
        return
    if typ == "DropStmt":
        kind = OBJECT_KINDS.get(node.get("removeType", ""))
        if kind is None:
            return
        for obj in node.get("objects") or ():
            schema, name = object_ref(kind, object_names(obj))
            if name:
                model.objects.pop(model.object_key(kind, schema, name), None)
    elif typ == "DropdbStmt":
        model.objects.pop(("database", "", node.get("dbname", "")), None)
    elif typ == "RenameStmt":
        kind = OBJECT_KINDS.get(node.get("renameType", ""))
        if kind is None:
            return
        schema, name = _renamed_object(kind, node)
        new = node.get("newname", "")
        if not name or not new:
            return
        key = model.object_key(kind, schema, name)
        o = model.objects.pop(key, None)
        if o is not None:
            if kind in _ON_TABLE:
                new = f"{name.rsplit('.', 1)[0]}.{new}"
            model.objects[(kind, key[1], new)] = o
    elif typ == "AlterObjectSchemaStmt":
        kind = OBJECT_KINDS.get(node.get("objectType", ""))
        if kind is None or kind in _ON_TABLE:
            return
        if node.get("relation"):
            schema, name = relation_name(node.get("relation"))
        else:
            schema, name = object_ref(kind, object_names(node.get("object")))
        key = model.object_key(kind, schema, name)
        o = model.objects.pop(key, None)
        if o is not None and node.get("newschema"):
            model.objects[(kind, node["newschema"], name)] = o


def _renamed_object(kind: str, node: dict) -> tuple[str | None, str]:
    """(schema, name) of the object a RenameStmt renames (its old name)."""
    if kind in _ON_TABLE:
        schema, table = relation_name(node.get("relation"))
        return schema, f"{table}.{node.get('subname', '')}"
    if kind in ("schema", "database"):
        return None, node.get("subname", "")
    if node.get("relation"):
        return relation_name(node.get("relation"))
    return object_ref(kind, object_names(node.get("object")))
