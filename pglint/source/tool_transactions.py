"""How each migration tool hands a file to PostgreSQL: wrapped in a transaction, sent as
one query string, or statement by statement. Whether a failure half-applies a migration,
whether CREATE INDEX CONCURRENTLY can run, and how long locks are held all follow from it.

- Flyway runs each migration in a transaction, except a migration holding a statement
  PostgreSQL refuses inside a transaction block (it detects those and runs the migration
  without one; it refuses a migration that mixes both kinds unless its ``mixed`` option is
  on), and a migration whose ``<file>.sql.conf`` says ``executeInTransaction=false``.
- diesel runs each migration in a transaction unless its ``metadata.toml`` says
  ``run_in_transaction = false``; it then sends the file as one query string.
- golang-migrate (postgres and pgx drivers, without ``x-multi-statement``) and Prisma Migrate
  send the file as one query string; PostgreSQL runs a string of several statements as one
  implicit transaction (model/transactions.py). ory's popx runs ``*.autocommit.*`` files
  statement by statement.
- goose and dbmate: per section, from their annotations (engine/checker.py).
- sqitch, numbered files, versioned directories, ``V0001.name.up.sql`` pairs and single
  files: nothing is known (UNKNOWN). Statements inside a BEGIN ... COMMIT of the file are in
  a transaction whatever the tool does; of the others pglint cannot say, so the rules whose
  finding depends on it are quiet or word it as conditional, and the report says how many
  files this concerns (FileContext.tx_unknown, FileResult.tx_unknown).

The ``assume-in-transaction`` setting, when given, replaces all of this for every file, and
``-- pglint: no-transaction`` in a file says that it runs statement by statement.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from ..model.txmodes import ASSUMED, ONE_QUERY
from .files import head_text


@dataclass(frozen=True)
class ToolTransaction:
    mode: str | None  # ASSUMED, ONE_QUERY or None (statement by statement)
    how: str  # for messages: who wraps the file, and how
    hint: str  # for messages: how to run one statement outside a transaction with this tool
    # Flyway: a file holding a statement PostgreSQL refuses in a transaction block runs without one
    outside_if_refused: bool = False
    # a file of one statement runs outside a transaction block (true of a query string)
    lone_outside: bool = False
    # pglint does not know how the tool runs the file: it is linted statement by statement,
    # and no message may say that it runs outside (or inside) a transaction
    unknown: bool = False


_ONE_QUERY_RULE = "which PostgreSQL runs as one transaction"
_ALONE = "(PostgreSQL runs a query string of one statement outside a transaction block)"

FLYWAY = ToolTransaction(
    ASSUMED, "Flyway runs each migration in a transaction",
    "put it in a migration of its own: Flyway runs a migration whose statements all refuse a transaction "
    "block without one (or set executeInTransaction=false in the migration's .sql.conf file)",
    outside_if_refused=True)
FLYWAY_OUTSIDE = ToolTransaction(
    None, "Flyway runs a migration holding a statement that cannot run in a transaction block without a "
    "transaction (it refuses one that also holds other statements unless its `mixed` option is on)", "")
FLYWAY_CONF_OFF = ToolTransaction(
    None, "the migration's .sql.conf file sets executeInTransaction=false", "")
GOLANG_MIGRATE = ToolTransaction(
    ONE_QUERY, f"golang-migrate sends each migration file to PostgreSQL as one query string, {_ONE_QUERY_RULE}",
    f"put it alone in a migration file of its own {_ALONE}", lone_outside=True)
POPX_AUTOCOMMIT = ToolTransaction(None, "the file is an .autocommit. migration", "")
DIESEL = ToolTransaction(
    ASSUMED, "diesel runs each migration in a transaction",
    "put it alone in a migration of its own, with `run_in_transaction = false` in that migration's metadata.toml")
DIESEL_NO_TX = ToolTransaction(
    ONE_QUERY, "diesel sends a migration with `run_in_transaction = false` to PostgreSQL as one query string, "
    f"{_ONE_QUERY_RULE}",
    f"leave it alone in a migration of its own {_ALONE}", lone_outside=True)
PRISMA = ToolTransaction(
    ONE_QUERY, f"Prisma Migrate sends each migration.sql to PostgreSQL as one query string, {_ONE_QUERY_RULE}",
    f"put it alone in a migration of its own {_ALONE}", lone_outside=True)
SETTING = ToolTransaction(
    ASSUMED, "assume-in-transaction says the migration tool runs this file in a transaction",
    "put it in its own migration that runs outside a transaction (a file holding only this statement; "
    "mark it `-- pglint: no-transaction`)", lone_outside=True)
SETTING_OFF = ToolTransaction(None, "assume-in-transaction is false", "")
DIRECTIVE_OFF = ToolTransaction(None, "the file is marked `-- pglint: no-transaction`", "")
UNKNOWN = ToolTransaction(
    None, "pglint does not know whether the migration tool runs this file in a transaction "
    "(set assume-in-transaction to say)", "", unknown=True)

_CONF_OFF = re.compile(r"(?im)^\s*executeInTransaction\s*=\s*false\s*$")
_DIESEL_OFF = re.compile(r"(?im)^\s*run_in_transaction\s*=\s*false\s*(#.*)?$")


def flyway(real: str | None) -> ToolTransaction:
    if real is not None:
        conf = head_text(real + ".conf", 65536)
        if conf is not None and _CONF_OFF.search(conf):
            return FLYWAY_CONF_OFF
    return FLYWAY


def diesel(real: str | None) -> ToolTransaction:
    if real is not None:
        meta = head_text(os.path.join(os.path.dirname(real), "metadata.toml"), 65536)
        if meta is not None and _DIESEL_OFF.search(meta):
            return DIESEL_NO_TX
    return DIESEL


def golang_migrate(path: str) -> ToolTransaction:
    return POPX_AUTOCOMMIT if ".autocommit." in os.path.basename(path).lower() else GOLANG_MIGRATE


# Python migrations (pglint/python/): the section of a file that runs outside a transaction
# (Alembic's autocommit_block, Django's atomic = False) is a section of its own
ALEMBIC = ToolTransaction(
    ASSUMED, "Alembic runs the migration in a transaction",
    "run it inside `with op.get_context().autocommit_block():`")
DJANGO = ToolTransaction(
    ASSUMED, "Django runs the migration in a transaction (the Migration class does not set atomic = False)",
    "put it in a migration of its own with `atomic = False` on its Migration class")
DJANGO_NON_ATOMIC = ToolTransaction(None, "the Migration class sets atomic = False", "")
