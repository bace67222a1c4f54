"""Statements and syntax errors found in a file."""

from __future__ import annotations

from dataclasses import dataclass

from .text import ByteMap


class ParseUnit:
    """A string handed to the parser and where it sits in the file.

    libpg_query reports locations as UTF-8 byte offsets into this string;
    :meth:`offset` turns them into str offsets into the file's text.
    """

    __slots__ = ("_text", "base", "_bytemap", "single_quoted", "_within", "_end")

    def __init__(self, text: str | None, base: int, single_quoted: bool = False, within: str | None = None,
                 end: int = 0) -> None:
        self._text = text  # None: the text is within[base:end]
        self.base = base
        self._bytemap: ByteMap | None = None
        # a PL/pgSQL body written as a '...' literal: '' in the file is ' here
        self.single_quoted = single_quoted
        self._within = within
        self._end = end

    @classmethod
    def span(cls, sql: str, start: int, end: int) -> "ParseUnit":
        """The unit ``sql[start:end]``, holding no copy of it (a file's chunks would
        otherwise hold the whole file's text a second time)."""
        return cls(None, start, within=sql, end=end)

    @property
    def text(self) -> str:
        t = self._text
        return t if t is not None else self._within[self.base:self._end]

    def offset(self, byte_location: int) -> int:
        bm = self._bytemap
        if bm is None:
            bm = self._bytemap = ByteMap(self.text)
        char = bm.char(byte_location)
        if self.single_quoted:
            char += self.text.count("'", 0, char)
        return self.base + char


# Where a statement comes from, which decides whether it runs during the migration.
TOP = "top"  # a statement of the file
DO = "do"  # inside a DO block: runs now, in the DO's transaction
FUNCTION = "function"  # inside a function or procedure body: runs when called, not now


class Statement:
    """One SQL statement: its span in the file and its parse tree.

    The tree (``node``, the fields of the libpg_query JSON node named ``type``) is
    decoded from the parser's JSON only when something asks for it: most statements
    of a large file interest no rule and are never turned into Python objects. Once the
    engine is done with a statement it drops the tree (``compact``) and keeps the JSON,
    several times smaller: what outlives the statement is what the schema model and the
    findings took from it, so memory follows the statement, not the file; a rule that
    looks back at an earlier statement gets its tree decoded again.
    """

    __slots__ = (
        "index", "start", "end", "type", "_node", "_json", "unit", "origin", "parent",
        "rollback", "section", "embedded", "_plpgsql", "_plpgsql_json", "body", "dynamic_sql",
    )

    def __init__(
        self,
        index: int,
        start: int,
        end: int,
        type: str,
        node: dict | None,
        unit: ParseUnit,
        origin: str = TOP,
        parent: "Statement | None" = None,
        rollback: bool = False,
        section: int = 0,
        json_text: str | None = None,
    ) -> None:
        self.index = index  # position among the file's statements (embedded ones included)
        self.start = start  # span in the file's text, end exclusive
        self.end = end
        self.type = type  # libpg_query node name, e.g. "AlterTableStmt"
        self._node = node
        self._json = json_text  # '{"stmt":{...}, ...}' not yet decoded
        self.unit = unit
        self.origin = origin
        self.parent = parent
        self.rollback = rollback  # in a down / undo / revert section
        self.section = section  # goose/dbmate section number (0 when the file has none)
        self.embedded: list[Statement] = []
        self._plpgsql: list | None = None  # PL/pgSQL parse tree of a function / DO body
        self._plpgsql_json: str | None = None  # that tree as the parser's JSON, not decoded yet
        # that body holds a dynamic SQL statement (EXECUTE, FOR ... IN EXECUTE,
        # OPEN ... FOR EXECUTE, RETURN QUERY EXECUTE): read off the parser's JSON
        self.dynamic_sql = False
        self.body: tuple[int, int, bool] | None = None  # (start, end, single-quoted) of that body

    @property
    def node(self) -> dict:
        n = self._node
        if n is None:
            from .parsing import decode_statement

            n = self._node = decode_statement(self._json, self.type)
        return n

    @property
    def plpgsql(self) -> list | None:
        """The PL/pgSQL parse tree of a function or DO body (None: none, or dropped once the
        engine was done with the body). A large file's bodies wait as JSON until the lint
        reaches them (source/parsing.py, TREE_BUDGET)."""
        t = self._plpgsql
        if t is None and self._plpgsql_json is not None:
            from .parsing import decode_plpgsql

            t = self._plpgsql = decode_plpgsql(self._plpgsql_json)
        return t

    @plpgsql.setter
    def plpgsql(self, tree: list | None) -> None:
        self._plpgsql = tree
        self._plpgsql_json = None

    def keep_plpgsql_as_json(self, raw: str) -> None:
        """Hold the body's tree as JSON only (decoded again on first use)."""
        self._plpgsql = None
        self._plpgsql_json = raw

    @property
    def json_text(self) -> str | None:
        """The parser's JSON of the statement (None for a statement built from a tree)."""
        return self._json

    def compact(self) -> None:
        """Drop the decoded tree when the JSON can give it back."""
        if self._json is not None:
            self._node = None

    def offset(self, byte_location: int) -> int:
        return self.unit.offset(byte_location)

    def loc(self, node: dict | None) -> int | None:
        """File offset of a node's ``location`` (None when it has none)."""
        if not node:
            return None
        b = node.get("location", -1)
        if b is None or b < 0:
            return None
        return self.unit.offset(b)

    @property
    def executes_now(self) -> bool:
        return self.origin != FUNCTION

    @property
    def top(self) -> "Statement":
        s = self
        while s.parent is not None:
            s = s.parent
        return s

    def __repr__(self) -> str:
        return f"<Statement {self.index} {self.type} {self.start}:{self.end} {self.origin}>"


@dataclass(slots=True)
class SyntaxProblem:
    start: int  # the statement's span
    end: int
    offset: int  # where PostgreSQL reports the error
    message: str
    rollback: bool = False
    embedded_in: Statement | None = None
