"""What a migration's Python code sends to PostgreSQL, as pieces of SQL tied to the call in
the .py file that sends them: SQL the user wrote (``op.execute("...")``,
``RunSQL("...")``), or the one DDL statement an operation emits (``op.create_index``,
``AddField``), built here as the tool's PostgreSQL dialect renders it."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

from pglast.keywords import COL_NAME_KEYWORDS, RESERVED_KEYWORDS, TYPE_FUNC_NAME_KEYWORDS

# how a piece runs
IN_TRANSACTION = "tx"
AUTOCOMMIT = "autocommit"


@dataclass
class Piece:
    sql: str | None  # None: SQL the user wrote that is not one literal (the reader resolves it)
    call: ast.AST  # the call (or operation) in the .py file that sends it
    what: str  # "op.create_index", "migrations.AddField": for messages
    generated: bool  # built by pglint from an operation (True) or written by the user as SQL
    run: str = IN_TRANSACTION  # IN_TRANSACTION or AUTOCOMMIT
    rollback: bool = False  # from downgrade() / reverse_sql
    literal: ast.AST | None = None  # for user SQL: the string literal it was read from
    block: int = 0  # runs of the same transaction share a block number


@dataclass
class Translation:
    pieces: list[Piece] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)  # operation -> how many were not translated
    notes: list[str] = field(default_factory=list)

    def skip(self, what: str) -> None:
        self.skipped[what] = self.skipped.get(what, 0) + 1


_PLAIN = re.compile(r"^[a-z_][a-z0-9_$]*$")
_KEYWORDS = frozenset(RESERVED_KEYWORDS) | frozenset(TYPE_FUNC_NAME_KEYWORDS) | frozenset(COL_NAME_KEYWORDS)


def ident(name: str) -> str:
    """A name as SQLAlchemy / Django quote it for PostgreSQL: as is when it is a plain
    lower-case identifier that is not a keyword, else in double quotes."""
    if _PLAIN.match(name) and name not in _KEYWORDS:
        return name
    return '"' + name.replace('"', '""') + '"'


def qualified(name: str, schema: str | None = None) -> str:
    return f"{ident(schema)}.{ident(name)}" if schema else ident(name)


def sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def literal(node: ast.AST):
    """The value of a literal node, or raise ValueError."""
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError) as exc:
        raise ValueError("not a literal") from exc


def dotted(node: ast.AST) -> str:
    """``sa.String`` -> "sa.String"; "" when the node is not a dotted name."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return ""


def last_name(node: ast.AST) -> str:
    d = dotted(node.func if isinstance(node, ast.Call) else node)
    return d.rsplit(".", 1)[-1]


def kwargs(call: ast.Call) -> dict[str, ast.AST]:
    return {k.arg: k.value for k in call.keywords if k.arg is not None}


def text_of(node: ast.AST) -> str | None:
    """A string literal, or ``sa.text("...")`` / ``text("...")`` of one."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Call) and last_name(node) in ("text", "literal_column") and node.args:
        return text_of(node.args[0])
    return None


def string_node(node: ast.AST) -> ast.AST | None:
    """The string literal node a text came from (to map positions into it)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node
    if isinstance(node, ast.Call) and last_name(node) in ("text", "literal_column") and node.args:
        return string_node(node.args[0])
    return None


# a type PostgreSQL accepts but no rule judges: stands for a type pglint cannot know
UNKNOWN_TYPE = "pglint_unknown_type"
