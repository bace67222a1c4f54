"""Which table-level locks a statement takes, and whether it rewrites or scans a table.

These are PostgreSQL facts (the ALTER TABLE, CREATE INDEX and explicit-locking chapters
of the documentation; checked against pg_locks on a real server by ``pglint trace``).
Every rule that talks about locks reads them from here, so a correction made here
(for instance after trace disagrees) reaches every rule at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from .nodes import defelem, has_option, relation_name


def object_names(obj) -> list[str]:
    from .schema import object_names as _on

    return _on(obj)


class Lock(IntEnum):
    ACCESS_SHARE = 1
    ROW_SHARE = 2
    ROW_EXCLUSIVE = 3
    SHARE_UPDATE_EXCLUSIVE = 4
    SHARE = 5
    SHARE_ROW_EXCLUSIVE = 6
    EXCLUSIVE = 7
    ACCESS_EXCLUSIVE = 8

    @property
    def label(self) -> str:
        return self.name.replace("_", " ")

    @property
    def with_article(self) -> str:
        """'an ACCESS EXCLUSIVE', 'a SHARE'."""
        return ("an " if self.label[0] in "AEIOU" else "a ") + self.label

    @property
    def pg_name(self) -> str:
        """The mode as pg_locks spells it, e.g. 'AccessExclusiveLock'."""
        return "".join(w.capitalize() for w in self.name.split("_")) + "Lock"

    @property
    def blocks(self) -> str:
        """What other sessions cannot do on the table while this lock is held."""
        return _BLOCKS[self]

    @classmethod
    def from_pg_name(cls, name: str) -> "Lock":
        for m in cls:
            if m.pg_name == name:
                return m
        raise ValueError(name)


_BLOCKS = {
    Lock.ACCESS_SHARE: "only ACCESS EXCLUSIVE requests (DROP, most ALTER TABLE)",
    Lock.ROW_SHARE: "EXCLUSIVE and ACCESS EXCLUSIVE requests",
    Lock.ROW_EXCLUSIVE: "SHARE locks and stronger (CREATE INDEX, most DDL)",
    Lock.SHARE_UPDATE_EXCLUSIVE: "other schema changes, VACUUM and ANALYZE (reads and writes go on)",
    Lock.SHARE: "writes (INSERT, UPDATE, DELETE); reads go on",
    Lock.SHARE_ROW_EXCLUSIVE: "writes (INSERT, UPDATE, DELETE); reads go on",
    Lock.EXCLUSIVE: "writes and SELECT ... FOR UPDATE/SHARE; plain reads go on",
    Lock.ACCESS_EXCLUSIVE: "all reads and writes (every SELECT, INSERT, UPDATE, DELETE)",
}

# Locks that block reads or writes of the table ("dangerous" to take without a timeout).
BLOCKING = Lock.SHARE


@dataclass(frozen=True, slots=True)
class LockEffect:
    relation: tuple[str | None, str]  # (schema or None, name) as written
    mode: Lock
    kind: str = "table"  # table | index | view | matview | sequence | schema | tables
    rewrite: bool = False  # the relation gets new storage (relfilenode)
    scan: bool = False  # the whole table is read (validation, index build)
    why: str = ""
    # the same lock (and rewrite) on every partition or inheritance child of this table
    # (pg_inherits, recursively), also those the model does not know (created by a
    # function, say); the known ones are listed as effects of their own as well
    children: bool = False
    # taken only at the very end, once no other transaction can be using the relation
    # (the index DROP/REINDEX ... CONCURRENTLY drop at last): it makes nobody wait
    late: bool = False

    @property
    def display(self) -> str:
        s, n = self.relation
        return f"{s}.{n}" if s else n


# ALTER TABLE subcommands by lock level (tablecmds.c AlterTableGetLockLevel;
# documented per subform in the ALTER TABLE reference page).
_SUE_CMDS = frozenset({
    "AT_SetStatistics", "AT_SetOptions", "AT_ResetOptions", "AT_SetRelOptions",
    "AT_ResetRelOptions", "AT_ClusterOn", "AT_DropCluster", "AT_ValidateConstraint",
})
# Storage parameters whose change takes ACCESS EXCLUSIVE (reloptions.c); every other one
# (fillfactor, autovacuum_*, parallel_workers, ...) takes SHARE UPDATE EXCLUSIVE.
_AE_RELOPTIONS = frozenset({"user_catalog_table", "fastupdate", "buffering", "security_barrier",
                            "security_invoker", "check_option"})


def _reloptions_lock(cmd: dict) -> Lock:
    items = ((cmd.get("def") or {}).get("List") or {}).get("items") or ()
    names = {(i.get("DefElem") or {}).get("defname") for i in items}
    return Lock.ACCESS_EXCLUSIVE if names & _AE_RELOPTIONS else Lock.SHARE_UPDATE_EXCLUSIVE


_SRE_CMDS = frozenset({
    "AT_EnableTrig", "AT_EnableAlwaysTrig", "AT_EnableReplicaTrig", "AT_EnableTrigAll",
    "AT_EnableTrigUser", "AT_DisableTrig", "AT_DisableTrigAll", "AT_DisableTrigUser",
})
_REWRITE_CMDS = {
    "AT_SetLogged": "SET LOGGED",
    "AT_SetUnLogged": "SET UNLOGGED",
    "AT_SetTableSpace": "SET TABLESPACE",
    "AT_SetAccessMethod": "SET ACCESS METHOD",
    "AT_SetExpression": "SET EXPRESSION",
}


def _rel(rv) -> tuple[str | None, str]:
    return relation_name(rv)


def constraint_of(cmd: dict) -> dict | None:
    d = cmd.get("def")
    return d.get("Constraint") if type(d) is dict else None


def column_def_of(cmd: dict) -> dict | None:
    d = cmd.get("def")
    return d.get("ColumnDef") if type(d) is dict else None


def column_constraints(coldef: dict) -> list[dict]:
    return [c["Constraint"] for c in coldef.get("constraints") or () if "Constraint" in c]


def alter_table_cmds(node: dict) -> list[dict]:
    return [c["AlterTableCmd"] for c in node.get("cmds") or () if "AlterTableCmd" in c]


class LockContext:
    """What lock prediction needs to know beyond the statement itself."""

    pg_version: tuple = (15,)

    def add_column_rewrite_reason(self, coldef: dict) -> str | None:  # pragma: no cover - overridden
        return None

    def type_change_rewrites(self, rv: dict, column: str, coldef: dict) -> bool | None:  # pragma: no cover
        return None

    def set_not_null_needs_scan(self, rv: dict, column: str) -> bool:  # pragma: no cover
        return True

    def attach_needs_scan(self, parent: dict, partition: dict) -> bool:  # pragma: no cover
        return True

    def foreign_keys_of(self, rv: dict) -> list[tuple[str | None, str]]:  # pragma: no cover
        return []

    def fk_target_of_constraint(self, rv: dict, name: str) -> tuple[str | None, str] | None:  # pragma: no cover
        return None

    def table_of_index(self, schema: str | None, name: str) -> tuple[str | None, str] | None:  # pragma: no cover
        return None

    def relation_may_exist(self, rv: dict) -> bool:  # pragma: no cover
        return True

    def children_of(self, rv: dict) -> list[tuple[str | None, str]]:  # pragma: no cover
        """Every partition and inheritance child of the table (their children too)."""
        return []

    def fk_targets_of_column(self, rv: dict, column: str) -> list[tuple[str | None, str]]:  # pragma: no cover
        """Tables referenced by the table's foreign keys that use ``column``."""
        return []

    def referencing_tables(self, rv: dict, column: str | None = None) -> list[tuple[str | None, str]]:  # pragma: no cover
        """Other tables whose foreign keys reference the table (or its ``column``)."""
        return []

    def dependent_views(self, rv: dict, column: str | None = None) -> list[tuple[tuple[str | None, str], str]]:  # pragma: no cover
        """(relation, "view" | "matview") that read the relation (or ``column``), recursively."""
        return []

    def trigger_tables(self, function: str) -> list[tuple[str | None, str]]:  # pragma: no cover
        """Tables with a trigger that executes ``function``."""
        return []

    def access_method_changes(self, rv: dict, method: str | None) -> bool:  # pragma: no cover
        return True

    def has_children(self, rv: dict) -> bool:  # pragma: no cover
        """A partitioned table, or a table the model knows inheritance children of."""
        return False

    def default_partition_of(self, rv: dict) -> tuple[str | None, str] | None:  # pragma: no cover
        return None

    def view_relations(self, rv: dict) -> list[tuple[tuple[str | None, str], str]]:  # pragma: no cover
        """(relation, kind) that a view reads, and those its views read, for LOCK on a view."""
        return []

    def column_exists(self, rv: dict, column: str) -> bool | None:  # pragma: no cover
        return None

    def trigger_exists(self, rv: dict, name: str) -> bool | None:  # pragma: no cover
        """Whether the table has that trigger (None: not known)."""
        return None


def with_children(relation: tuple[str | None, str], mode: Lock, lc: LockContext, kind: str = "table",
                    why: str = "", rewrite: bool = False, scan: bool = False) -> list[LockEffect]:
    """``mode`` on a relation, and on every partition or inheritance child it has
    (PostgreSQL locks the whole tree for foreign keys to a partitioned table, DROP, LOCK ...)."""
    rv = {"schemaname": relation[0], "relname": relation[1]}
    if kind != "table" or not lc.has_children(rv):
        return [LockEffect(relation, mode, kind, rewrite, scan, why)]
    out = [LockEffect(relation, mode, kind, rewrite, scan, why, children=True)]
    out.extend(LockEffect(p, mode, "table", rewrite, scan, "a partition or child table") for p in lc.children_of(rv))
    return out


# ALTER TABLE subcommands that do not recurse to partitions and inheritance children
_NOT_RECURSING = frozenset({
    "AT_AttachPartition", "AT_DetachPartition", "AT_DetachPartitionFinalize", "AT_ChangeOwner",
    "AT_EnableRowSecurity", "AT_DisableRowSecurity", "AT_ForceRowSecurity", "AT_NoForceRowSecurity",
    "AT_ReplicaIdentity", "AT_ClusterOn", "AT_DropCluster", "AT_SetRelOptions", "AT_ResetRelOptions",
})


def alter_table_effects(node: dict, lc: LockContext) -> list[LockEffect]:
    rv = node.get("relation")
    rel = _rel(rv)
    objtype = node.get("objtype", "OBJECT_TABLE")
    kind = {"OBJECT_INDEX": "index", "OBJECT_VIEW": "view", "OBJECT_MATVIEW": "matview",
            "OBJECT_SEQUENCE": "sequence"}.get(objtype, "table")
    mode = Lock.ACCESS_SHARE
    rewrite = False
    scan = False
    whys: list[str] = []
    extra: list[LockEffect] = []
    for cmd in alter_table_cmds(node):
        sub = cmd.get("subtype", "")
        m = Lock.ACCESS_EXCLUSIVE
        if sub in ("AT_SetRelOptions", "AT_ResetRelOptions"):
            m = _reloptions_lock(cmd)
        elif sub in _SUE_CMDS:
            m = Lock.SHARE_UPDATE_EXCLUSIVE
            if sub == "AT_ValidateConstraint":
                scan = True
                whys.append("VALIDATE CONSTRAINT scans the table")
        elif sub in _SRE_CMDS:
            m = Lock.SHARE_ROW_EXCLUSIVE
        elif sub == "AT_AddConstraint":
            con = constraint_of(cmd) or {}
            ct = con.get("contype")
            validated = not con.get("skip_validation")
            if ct == "CONSTR_FOREIGN":
                m = Lock.SHARE_ROW_EXCLUSIVE
                extra.extend(with_children(_rel(con.get("pktable")), Lock.SHARE_ROW_EXCLUSIVE, lc,
                                             why="foreign key: the referenced table is locked too"))
                if validated:
                    scan = True
                    whys.append("the foreign key is validated by scanning the table")
            elif ct == "CONSTR_CHECK" and validated:
                scan = True
                whys.append("the CHECK constraint is validated by scanning the table")
            elif ct in ("CONSTR_PRIMARY", "CONSTR_UNIQUE", "CONSTR_EXCLUSION") and not con.get("indexname"):
                scan = True
                whys.append("the constraint's index is built by scanning the table")
        elif sub == "AT_DropConstraint":
            target = lc.fk_target_of_constraint(rv, cmd.get("name", ""))
            if target is not None:
                extra.append(LockEffect(target, Lock.ACCESS_EXCLUSIVE,
                                        why="dropping a foreign key locks the referenced table too"))
        elif sub == "AT_AttachPartition":
            pc = (cmd.get("def") or {}).get("PartitionCmd", {})
            part = pc.get("name")
            if lc.pg_version >= (12,):
                m = Lock.SHARE_UPDATE_EXCLUSIVE
            extra.extend(with_children(_rel(part), Lock.ACCESS_EXCLUSIVE, lc, scan=lc.attach_needs_scan(rv, part),
                                       why="the partition being attached"))
            default = lc.default_partition_of(rv)
            if default is not None:
                extra.extend(with_children(default, Lock.ACCESS_EXCLUSIVE, lc, scan=True,
                                           why="the default partition is checked for rows of the new one"))
        elif sub == "AT_DetachPartition":
            pc = (cmd.get("def") or {}).get("PartitionCmd", {})
            part = pc.get("name")
            if pc.get("concurrent"):
                # first transaction: SHARE UPDATE EXCLUSIVE on both; after waiting for the queries
                # using the parent, the second takes ACCESS EXCLUSIVE on the partition
                m = Lock.SHARE_UPDATE_EXCLUSIVE
                extra.append(LockEffect(_rel(part), Lock.ACCESS_EXCLUSIVE,
                                        why="the partition being detached (in the second transaction)"))
            else:
                extra.append(LockEffect(_rel(part), Lock.ACCESS_EXCLUSIVE, why="the partition being detached"))
                default = lc.default_partition_of(rv)
                if default is not None:
                    extra.extend(with_children(default, Lock.ACCESS_EXCLUSIVE, lc,
                                               why="the default partition's constraint changes"))
        elif sub == "AT_DetachPartitionFinalize":
            m = Lock.SHARE_UPDATE_EXCLUSIVE
        elif sub == "AT_AddInherit" or sub == "AT_DropInherit":
            parent = (cmd.get("def") or {}).get("RangeVar")
            if parent:  # NO INHERIT only reads the parent (checked against pg_locks by trace)
                extra.append(LockEffect(_rel(parent), Lock.SHARE_UPDATE_EXCLUSIVE if sub == "AT_AddInherit"
                                        else Lock.ACCESS_SHARE, why="the parent table"))
        elif sub == "AT_AddColumn":
            coldef = column_def_of(cmd) or {}
            if cmd.get("missing_ok") and lc.column_exists(rv, coldef.get("colname", "")):
                if m > mode:
                    mode = m
                continue  # IF NOT EXISTS, and it exists: nothing but the lock
            reason = lc.add_column_rewrite_reason(coldef)
            if reason:
                rewrite = True
                whys.append(reason)
            for con in column_constraints(coldef):
                ct = con.get("contype")
                if ct == "CONSTR_FOREIGN":
                    extra.extend(with_children(_rel(con.get("pktable")), Lock.SHARE_ROW_EXCLUSIVE, lc,
                                                 why="foreign key: the referenced table is locked too"))
                    scan = True
                elif ct in ("CONSTR_CHECK",):
                    scan = True
                elif ct in ("CONSTR_PRIMARY", "CONSTR_UNIQUE"):
                    scan = True
                    whys.append("the new column's index is built by scanning the table")
        elif sub == "AT_DropColumn":
            col = cmd.get("name", "")
            for ref in lc.fk_targets_of_column(rv, col):
                extra.append(LockEffect(ref, Lock.ACCESS_EXCLUSIVE,
                                        why="the column's foreign key is dropped with it, which locks the referenced table"))
            if cmd.get("behavior") == "DROP_CASCADE":
                for ref in lc.referencing_tables(rv, col):
                    extra.append(LockEffect(ref, Lock.ACCESS_EXCLUSIVE,
                                            why="CASCADE drops the foreign keys that reference the column"))
                for view, vkind in lc.dependent_views(rv, col):
                    extra.append(LockEffect(view, Lock.ACCESS_EXCLUSIVE, vkind,
                                            why="CASCADE drops the views that read the column"))
        elif sub == "AT_AlterColumnType":
            col = cmd.get("name", "")
            # foreign keys using the column, on either side, are dropped and added again
            for ref in [*lc.fk_targets_of_column(rv, col), *lc.referencing_tables(rv, col)]:
                extra.append(LockEffect(ref, Lock.ACCESS_EXCLUSIVE,
                                        why="a foreign key on the column is rebuilt, which locks the other table"))
            coldef = column_def_of(cmd) or {}
            r = lc.type_change_rewrites(rv, cmd.get("name", ""), coldef)
            if r is not False:
                rewrite = True
                whys.append("the column type change rewrites the table and its indexes")
        elif sub == "AT_SetNotNull":
            if lc.set_not_null_needs_scan(rv, cmd.get("name", "")):
                scan = True
                whys.append("SET NOT NULL scans the table to check for NULLs")
        elif sub == "AT_SetAccessMethod" and not lc.access_method_changes(rv, cmd.get("name")):
            pass  # the table's method already: nothing to rewrite
        elif sub in _REWRITE_CMDS:
            rewrite = True
            whys.append(f"{_REWRITE_CMDS[sub]} rewrites the table")
        if m > mode:
            mode = m
    effects = [LockEffect(rel, mode, kind, rewrite, scan, "; ".join(whys))]
    cmds = alter_table_cmds(node)
    if kind == "table" and (rv or {}).get("inh") and cmds and lc.has_children(rv) and any(
            c.get("subtype") not in _NOT_RECURSING for c in cmds):
        # not ALTER TABLE ONLY: the change is made, under the same lock, on every partition
        effects = [LockEffect(rel, mode, kind, rewrite, scan, "; ".join(whys), children=True)]
        effects.extend(LockEffect(p, mode, "table", rewrite, scan, "the change is made on each partition")
                       for p in lc.children_of(rv))
    effects.extend(extra)
    return effects


# Statements whose triggers (and rules) run arbitrary SQL, which the model does not follow:
# for them only the statement's own lock is predicted, not what its triggers lock.
OWN_LOCK_ONLY = frozenset({"InsertStmt", "UpdateStmt", "DeleteStmt", "MergeStmt"})


def statement_effects(typ: str, node: dict, lc: LockContext) -> list[LockEffect]:
    """The relation-level locks that statement ``typ``/``node`` takes."""
    fn = _HANDLERS.get(typ)
    if fn is None:
        return []
    return fn(node, lc)


def _index_stmt(node, lc):
    conc = node.get("concurrent")
    rv = node.get("relation") or {}
    mode = Lock.SHARE_UPDATE_EXCLUSIVE if conc else Lock.SHARE
    out = [LockEffect(_rel(rv), mode, scan=True, why="building the index reads the whole table")]
    if rv.get("inh") and lc.has_children(rv):  # not ON ONLY: the index is built on every partition too
        out = [LockEffect(_rel(rv), mode, scan=True, why="building the index reads the whole table", children=True)]
        out.extend(LockEffect(p, mode, scan=True, why="the index is built on each partition")
                   for p in lc.children_of(rv))
    return out


def _drop_stmt(node, lc):
    rt = node.get("removeType", "")
    out = []
    conc = node.get("concurrent")
    for obj in node.get("objects") or ():
        names = object_names(obj)
        if not names:
            continue
        if rt == "OBJECT_INDEX":
            schema = names[-2] if len(names) > 1 else None
            table = lc.table_of_index(schema, names[-1])
            mode = Lock.SHARE_UPDATE_EXCLUSIVE if conc else Lock.ACCESS_EXCLUSIVE
            if table is not None:
                out.extend(with_children(table, mode, lc, why=f"the table of index {names[-1]}"))
            if conc:  # SHARE UPDATE EXCLUSIVE while it waits, ACCESS EXCLUSIVE once nobody uses the index
                out.append(LockEffect((schema, names[-1]), Lock.ACCESS_EXCLUSIVE, "index", late=True,
                                      why="taken last, when no transaction uses the index any more"))
            else:
                out.append(LockEffect((schema, names[-1]), mode, "index"))
        elif rt in ("OBJECT_TABLE", "OBJECT_VIEW", "OBJECT_MATVIEW", "OBJECT_SEQUENCE", "OBJECT_FOREIGN_TABLE"):
            schema = names[-2] if len(names) > 1 else None
            kind = {"OBJECT_TABLE": "table", "OBJECT_VIEW": "view", "OBJECT_MATVIEW": "matview",
                    "OBJECT_SEQUENCE": "sequence", "OBJECT_FOREIGN_TABLE": "table"}[rt]
            out.extend(with_children((schema, names[-1]), Lock.ACCESS_EXCLUSIVE, lc, kind))
            rv = {"schemaname": schema, "relname": names[-1]}
            if rt == "OBJECT_TABLE":
                for ref in lc.foreign_keys_of(rv):
                    out.append(LockEffect(ref, Lock.ACCESS_EXCLUSIVE,
                                          why="dropping the table drops its foreign keys, which locks the referenced table"))
            if node.get("behavior") == "DROP_CASCADE":
                if rt == "OBJECT_TABLE":
                    for ref in lc.referencing_tables(rv):
                        out.append(LockEffect(ref, Lock.ACCESS_EXCLUSIVE,
                                              why="CASCADE drops the foreign keys that reference the table"))
                for view, vkind in lc.dependent_views(rv):
                    out.append(LockEffect(view, Lock.ACCESS_EXCLUSIVE, vkind,
                                          why="CASCADE drops the views that read it"))
        elif rt in ("OBJECT_FUNCTION", "OBJECT_ROUTINE") and node.get("behavior") == "DROP_CASCADE":
            for table in lc.trigger_tables(names[-1]):
                out.append(LockEffect(table, Lock.ACCESS_EXCLUSIVE,
                                      why="CASCADE drops the triggers that execute the function"))
        elif rt in ("OBJECT_TRIGGER", "OBJECT_POLICY", "OBJECT_RULE"):
            # names are [schema.]table.object
            if len(names) >= 2:
                schema = names[-3] if len(names) > 2 else None
                table = {"schemaname": schema, "relname": names[-2]}
                if rt == "OBJECT_TRIGGER" and node.get("missing_ok") and lc.trigger_exists(table, names[-1]) is False:
                    continue  # IF EXISTS and there is none: PostgreSQL releases the table at once
                out.append(LockEffect((schema, names[-2]), Lock.ACCESS_EXCLUSIVE))
    return out


def _reindex(node, lc):
    kind = node.get("kind", "")
    conc = has_option(node.get("params"), "concurrently")
    rv = node.get("relation")
    if kind == "REINDEX_OBJECT_INDEX":
        if conc:  # a new index is built and swapped in (new storage); the old one is dropped last
            out = [LockEffect(_rel(rv), Lock.ACCESS_EXCLUSIVE, "index", rewrite=True, scan=True, late=True,
                              why="the old index is dropped last, when no transaction uses it any more")]
            table = lc.table_of_index(*_rel(rv))
            if table is not None:
                out.append(LockEffect(table, Lock.SHARE_UPDATE_EXCLUSIVE, "table"))
            return out
        out = [LockEffect(_rel(rv), Lock.ACCESS_EXCLUSIVE, "index", rewrite=True, scan=True,
                          why="the index is rebuilt; queries that would use it wait")]
        table = lc.table_of_index(*_rel(rv))
        if table is not None:
            out.append(LockEffect(table, Lock.SHARE, "table", why="REINDEX blocks writes to the index's table"))
        return out
    if kind == "REINDEX_OBJECT_TABLE":
        mode = Lock.SHARE_UPDATE_EXCLUSIVE if conc else Lock.SHARE
        return [LockEffect(_rel(rv), mode, "table", scan=True, why="every index of the table is rebuilt")]
    name = node.get("name") or ""
    mode = Lock.SHARE_UPDATE_EXCLUSIVE if conc else Lock.SHARE
    return [LockEffect((None, name or "*"), mode, "tables", scan=True,
                       why="every table of the schema/database has its indexes rebuilt")]


def _vacuum(node, lc):
    full = has_option(node.get("options"), "full")
    rels = []
    for r in node.get("rels") or ():
        vr = r.get("VacuumRelation", {})
        rels.append(_rel(vr.get("relation")))
    if not rels:
        rels = [(None, "*")]
    if node.get("is_vacuumcmd") and full:
        return [LockEffect(rel, Lock.ACCESS_EXCLUSIVE, "table" if rel[1] != "*" else "tables",
                           rewrite=True, scan=True, why="VACUUM FULL rewrites the table") for rel in rels]
    out = [LockEffect(rel, Lock.SHARE_UPDATE_EXCLUSIVE, "table" if rel[1] != "*" else "tables") for rel in rels]
    d = defelem(node.get("options"), "truncate")
    if node.get("is_vacuumcmd") and (d is None or has_option(node.get("options"), "truncate")):
        # empty pages at the end are cut off under ACCESS EXCLUSIVE, taken only if free at once
        out.extend(LockEffect(rel, Lock.ACCESS_EXCLUSIVE, late=True,
                              why="VACUUM truncates empty pages at the end when it can lock the table at once")
                   for rel in rels if rel[1] != "*")
    return out


def _cluster(node, lc):
    rv = node.get("relation")
    rel = _rel(rv) if rv else (None, "*")
    return [LockEffect(rel, Lock.ACCESS_EXCLUSIVE, "table" if rv else "tables", rewrite=True, scan=True,
                       why="CLUSTER rewrites the table in index order")]


def _truncate(node, lc):
    out = []
    for r in node.get("relations") or ():
        rv = r.get("RangeVar")
        if not rv:
            continue
        why = "TRUNCATE gives the table new, empty storage"
        if rv.get("inh"):  # without ONLY, every partition is truncated too
            out.extend(with_children(_rel(rv), Lock.ACCESS_EXCLUSIVE, lc, why=why, rewrite=True))
        else:
            out.append(LockEffect(_rel(rv), Lock.ACCESS_EXCLUSIVE, rewrite=True, why=why))
    return out


def _create_stmt(node, lc):
    out = []
    for elt in node.get("tableElts") or ():
        cons = []
        if "ColumnDef" in elt:
            cons = column_constraints(elt["ColumnDef"])
        elif "Constraint" in elt:
            cons = [elt["Constraint"]]
        for con in cons:
            if con.get("contype") == "CONSTR_FOREIGN":
                out.extend(with_children(_rel(con.get("pktable")), Lock.SHARE_ROW_EXCLUSIVE, lc,
                                           why="a foreign key locks the referenced table"))
    for c in node.get("constraints") or ():
        con = c.get("Constraint")
        if con and con.get("contype") == "CONSTR_FOREIGN":
            out.extend(with_children(_rel(con.get("pktable")), Lock.SHARE_ROW_EXCLUSIVE, lc,
                                       why="a foreign key locks the referenced table"))
    parents = node.get("inhRelations") or ()
    for p in parents:
        prv = p.get("RangeVar")
        if not prv:
            continue
        if node.get("partbound"):
            out.append(LockEffect(_rel(prv), Lock.ACCESS_EXCLUSIVE,
                                  why="creating a partition locks the partitioned table"))
            default = lc.default_partition_of(prv)
            if default is not None and not node["partbound"].get("is_default"):
                out.extend(with_children(default, Lock.ACCESS_EXCLUSIVE, lc, scan=True,
                                         why="the default partition is checked for rows of the new one"))
        else:
            out.append(LockEffect(_rel(prv), Lock.SHARE_UPDATE_EXCLUSIVE, why="the parent table"))
    return out


def _rename(node, lc):
    rt = node.get("renameType", "")
    rv = node.get("relation")
    if rv is None:
        return []
    if rt == "OBJECT_INDEX":
        mode = Lock.SHARE_UPDATE_EXCLUSIVE if lc.pg_version >= (12,) else Lock.ACCESS_EXCLUSIVE
        return [LockEffect(_rel(rv), mode, "index")]
    if rt == "OBJECT_COLUMN" and rv.get("inh"):  # the column is renamed in every child too
        return with_children(_rel(rv), Lock.ACCESS_EXCLUSIVE, lc)
    if rt in ("OBJECT_TABLE", "OBJECT_COLUMN", "OBJECT_TABCONSTRAINT", "OBJECT_VIEW", "OBJECT_MATVIEW",
              "OBJECT_SEQUENCE", "OBJECT_FOREIGN_TABLE", "OBJECT_TRIGGER", "OBJECT_POLICY", "OBJECT_RULE"):
        return [LockEffect(_rel(rv), Lock.ACCESS_EXCLUSIVE)]
    return []


def _set_schema(node, lc):
    if node.get("objectType") in ("OBJECT_TABLE", "OBJECT_VIEW", "OBJECT_MATVIEW", "OBJECT_SEQUENCE"):
        return [LockEffect(_rel(node.get("relation")), Lock.ACCESS_EXCLUSIVE)]
    return []


def _lock(node, lc):
    mode = node.get("mode", 8)
    try:
        lock = Lock(int(mode))
    except ValueError:
        lock = Lock.ACCESS_EXCLUSIVE
    out = []
    for r in node.get("relations") or ():
        rv = r.get("RangeVar")
        if rv:  # without ONLY, LOCK takes the partitions too
            out.extend(with_children(_rel(rv), lock, lc) if rv.get("inh") else [LockEffect(_rel(rv), lock)])
            # a view: the relations its query reads, with the same lock
            out.extend(LockEffect(r, lock, k, why="LOCK on a view locks what it reads")
                       for r, k in lc.view_relations(rv))
    return out


def _refresh(node, lc):
    conc = node.get("concurrent")
    return [LockEffect(_rel(node.get("relation")), Lock.EXCLUSIVE if conc else Lock.ACCESS_EXCLUSIVE, "matview",
                       rewrite=not conc, scan=True)]


def _view(node, lc):
    if node.get("replace") and lc.relation_may_exist(node.get("view")):
        return [LockEffect(_rel(node.get("view")), Lock.ACCESS_EXCLUSIVE, "view",
                           why="CREATE OR REPLACE VIEW locks the existing view")]
    return []


def _trigger(node, lc):
    return [LockEffect(_rel(node.get("relation")), Lock.SHARE_ROW_EXCLUSIVE)]


def _policy(node, lc):
    return [LockEffect(_rel(node.get("table")), Lock.ACCESS_EXCLUSIVE)]


def _rule(node, lc):
    return [LockEffect(_rel(node.get("relation")), Lock.ACCESS_EXCLUSIVE)]


def _comment(node, lc):
    return []  # SHARE UPDATE EXCLUSIVE at most


def _dml(node, lc):
    rv = node.get("relation")
    return [LockEffect(_rel(rv), Lock.ROW_EXCLUSIVE)] if rv else []


def _create_stats(node, lc):
    return [LockEffect(_rel(r.get("RangeVar")), Lock.SHARE_UPDATE_EXCLUSIVE)
            for r in node.get("relations") or () if "RangeVar" in r]


def _move_all(node, lc):
    return [LockEffect((None, "*"), Lock.ACCESS_EXCLUSIVE, "tables", rewrite=True,
                       why="every table in the tablespace is moved")]


_HANDLERS = {
    "AlterTableStmt": alter_table_effects,
    "IndexStmt": _index_stmt,
    "DropStmt": _drop_stmt,
    "ReindexStmt": _reindex,
    "VacuumStmt": _vacuum,
    "ClusterStmt": _cluster,
    "TruncateStmt": _truncate,
    "CreateStmt": _create_stmt,
    "RenameStmt": _rename,
    "AlterObjectSchemaStmt": _set_schema,
    "LockStmt": _lock,
    "RefreshMatViewStmt": _refresh,
    "ViewStmt": _view,
    "CreateTrigStmt": _trigger,
    "CreatePolicyStmt": _policy,
    "AlterPolicyStmt": _policy,
    "RuleStmt": _rule,
    "CommentStmt": _comment,
    "InsertStmt": _dml,
    "UpdateStmt": _dml,
    "DeleteStmt": _dml,
    "MergeStmt": _dml,
    "CreateStatsStmt": _create_stats,
    "AlterTableMoveAllStmt": _move_all,
}

