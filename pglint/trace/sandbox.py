"""What trace does not run, so that it writes nothing outside its scratch database (on a
server given with --dsn) or outside its throwaway cluster (the embedded one).

Screened statically, on each statement and on every statement embedded in it (function
bodies, DO blocks), before it is sent:

- with --dsn: statements that change the whole server (databases, roles and role
  memberships, tablespaces, ALTER SYSTEM, subscriptions, comments and security labels on
  databases, roles and tablespaces), extensions that reach other databases (dblink,
  postgres_fdw), and calls of functions that act on the server or other databases (dblink,
  replication slots and origins, pg_terminate_backend, pg_reload_conf ...);
- always: anything that reads or writes the database server's files or runs a program on
  its machine (COPY to or from a file or PROGRAM, lo_import/lo_export, adminpack).

Dynamic SQL (EXECUTE of a computed string) cannot be screened; on a --dsn server the shared
catalogs are compared before and after each history (``SHARED_STATE``), and a change is
reported.
"""

from __future__ import annotations

import re

from ..model.nodes import strings, walk

SERVER_WIDE = frozenset({
    "CreatedbStmt", "DropdbStmt", "AlterDatabaseStmt", "AlterDatabaseSetStmt", "AlterDatabaseRefreshCollStmt",
    "CreateTableSpaceStmt", "DropTableSpaceStmt", "AlterTableSpaceOptionsStmt", "AlterSystemStmt",
    "CreateRoleStmt", "AlterRoleStmt", "AlterRoleSetStmt", "DropRoleStmt", "GrantRoleStmt",
    "CreateSubscriptionStmt", "DropSubscriptionStmt", "AlterSubscriptionStmt",
})
_SHARED_OBJECTS = frozenset({"OBJECT_DATABASE", "OBJECT_ROLE", "OBJECT_TABLESPACE", "OBJECT_SUBSCRIPTION"})
_REACHING_EXTENSIONS = frozenset({"dblink", "postgres_fdw"})
_FILE_EXTENSIONS = frozenset({"adminpack"})
_SERVER_FUNCTIONS = frozenset({
    "pg_create_physical_replication_slot", "pg_create_logical_replication_slot", "pg_drop_replication_slot",
    "pg_copy_physical_replication_slot", "pg_copy_logical_replication_slot", "pg_replication_slot_advance",
    "pg_replication_origin_create", "pg_replication_origin_drop", "pg_terminate_backend", "pg_cancel_backend",
    "pg_reload_conf", "pg_rotate_logfile", "pg_switch_wal", "pg_promote", "pg_stat_reset_shared",
    "pg_stat_reset_slru", "pg_stat_reset_replication_slot", "pg_stat_reset_subscription_stats",
    "pg_backup_start", "pg_backup_stop", "pg_start_backup", "pg_stop_backup", "pg_log_backend_memory_contexts",
})
_FILE_FUNCTIONS = frozenset({"lo_import", "lo_export", "pg_file_write", "pg_file_rename", "pg_file_unlink",
                             "pg_file_sync", "pg_logdir_ls"})


def _words(typ: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", " ", typ.removesuffix("Stmt")).upper()


def refusal(stmt, embedded, on_given_server: bool) -> str | None:
    """Why ``stmt`` (a top-level Statement, with the Statements embedded in it) is not run,
    or None. The wording for a server-wide top-level statement is the one trace has always
    used ("a CREATE ROLE statement changes the whole server ...")."""
    for s in (stmt, *embedded):
        why = _one(s.type, s.node, on_given_server)
        if why is not None:
            return why if s is stmt else f"its body holds {why}"
    return None


def _one(typ: str, node: dict, on_given_server: bool) -> str | None:
    if on_given_server and typ in SERVER_WIDE:
        return f"a {_words(typ)} statement changes the whole server, not only the scratch database"
    if on_given_server and typ in ("CommentStmt", "SecLabelStmt") and node.get("objtype") in _SHARED_OBJECTS:
        what = node["objtype"].removeprefix("OBJECT_").lower()
        return f"a {_words(typ)} on a {what} changes the whole server, not only the scratch database"
    if typ == "CopyStmt" and (node.get("filename") or node.get("is_program")):
        return "a COPY to or from a file or program reads or writes the database server's machine"
    if typ == "CreateExtensionStmt":
        ext = (node.get("extname") or "").lower()
        if ext in _FILE_EXTENSIONS:
            return f"the {ext} extension reads and writes the database server's files"
        if on_given_server and ext in _REACHING_EXTENSIONS:
            return f"the {ext} extension reaches other databases of the server"
    for t, f in walk(node, typ):
        if t != "FuncCall":
            continue
        parts = strings(f.get("funcname"))
        name = parts[-1].lower() if parts else ""
        if name in _FILE_FUNCTIONS:
            return f"a statement that calls {name}() reads or writes the database server's files"
        if on_given_server and (name in _SERVER_FUNCTIONS or name.startswith("dblink")):
            return f"a statement that calls {name}() acts on the server or another database, not only the scratch database"
    return None


SHARED_STATE = """
SELECT 'role ' || rolname FROM pg_roles
UNION ALL SELECT 'membership ' || roleid::regrole::text || ' of ' || member::regrole::text FROM pg_auth_members
UNION ALL SELECT 'database ' || datname || ' (connection limit ' || datconnlimit || ', '
                 || CASE WHEN datallowconn THEN 'allows' ELSE 'refuses' END || ' connections)'
          FROM pg_database WHERE datname NOT LIKE 'pglint\\_trace\\_%'
UNION ALL SELECT 'tablespace ' || spcname FROM pg_tablespace
UNION ALL SELECT 'replication slot ' || slot_name FROM pg_replication_slots
UNION ALL SELECT 'setting ' || COALESCE(d.datname, '*') || '/' || COALESCE(r.rolname, '*') || ' ' || array_to_string(s.setconfig, ',')
          FROM pg_db_role_setting s LEFT JOIN pg_database d ON d.oid = s.setdatabase LEFT JOIN pg_roles r ON r.oid = s.setrole
          WHERE d.datname IS NULL OR d.datname NOT LIKE 'pglint\\_trace\\_%'
UNION ALL SELECT 'comment on a shared object ' || objoid || ': ' || description FROM pg_shdescription
"""


def shared_state(conn) -> set[str]:
    """The shared catalogs (roles, memberships, databases, tablespaces, slots, settings,
    comments) as lines; scratch databases of any trace run are left out."""
    return {r[0] for r in conn.execute(SHARED_STATE).fetchall()}


def describe_change(before: set[str], after: set[str], limit: int = 8) -> str:
    parts = [f"{x} appeared" for x in sorted(after - before)] + [f"{x} disappeared" for x in sorted(before - after)]
    more = f" and {len(parts) - limit} more" if len(parts) > limit else ""
    return "; ".join(parts[:limit]) + more
