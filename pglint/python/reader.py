"""Read the SQL a Python module hands to PostgreSQL (standard library ``ast``; no import of
the module, no execution).

API (stable; the Alembic/Django migration support builds on it)::

    from pglint.python.reader import read_module
    mod = read_module(text, path, extra_sinks=("mydb.run",))

``mod`` is a :class:`PyModule`:

- ``mod.error``: why the file could not be read as Python (a ``SyntaxError`` message with
  its line), or None; then ``mod.sites`` is empty;
- ``mod.sites``: every *site*, in source order: a :class:`Site` is one SQL string handed
  to a sink (a call that sends SQL: see sinks.py);
- ``mod.migration``: ``"alembic"`` (a module with ``revision`` / ``down_revision`` that
  imports ``alembic``), ``"django"`` (a ``class Migration(migrations.Migration)``) or None
  (application code);
- ``mod.constants``: module-level names assigned once, name -> ``ast.expr`` (gives
  ``revision``, ``down_revision``, ...); ``mod.tree``: the ``ast.Module``;
  ``mod.drivers``: the database libraries the module imports (driver names);
- ``mod.py_comments``: ``(start, end)`` offsets of the ``#`` comments (for suppressions);
  ``mod.span(node)``: an ast node's ``(start, end)`` offsets in the .py text.

A :class:`Site` has:

- ``sink``: how the SQL is sent: for a method of a connection or cursor, its last two names
  as written (``"cur.execute"``, ``"conn.fetchrow"``, ``"cursor().execute"``), else
  ``"text"``, ``"op.execute"``, ``"op.get_bind().execute(text())"``, ``"RunSQL"``, ``"raw"``,
  ``"exec_driver_sql"``, or the configured sink as written (``"mydb.run"``);
- ``driver``: ``psycopg``, ``asyncpg``, ``sqlalchemy``, ``django``, ``alembic`` or
  ``generic`` (when imports and call shape do not tell);
- ``certain``: whether the call surely sends SQL (an ``.execute`` on an object of unknown
  type is not certain: such a site exists only when its text starts like SQL, and its
  syntax errors are not reported);
- ``sql``: the SQL text with the driver's placeholders (``%s``, ``%(name)s``, ``:name``,
  ``?``) and the non-constant parts (f-string fields, concatenated variables, format
  fields) replaced by same-length stand-ins PostgreSQL parses (``$1``, ``_name_``), or
  None when the argument could not be resolved at all; ``raw``: the same before the
  placeholder substitution; ``placeholders``: their spans in ``sql``; ``written``: the
  text as the code shows it (``{user_id}`` where ``sql`` has ``_user_id_``: same length),
  for messages; ``stand_ins``: the spans of ``sql`` holding a non-constant part's stand-in;
- ``offsets``: for every character of ``sql`` (and one past its end) the offset in the
  .py text it comes from (through escapes, implicit concatenation, triple quotes, f-string
  literal parts, module constants defined elsewhere in the file); ``py_offset(i)`` reads it;
- ``constant``: the whole text is known from literals and constants; ``dynamic``: how the
  non-constant parts got in, a list of :class:`Dynamic` (``kind``: ``"f-string"``,
  ``"percent"``, ``"format"``, ``"concat"``, ``"join"``; ``node``; ``safe``: the value is
  known not to carry text from outside, e.g. ``len(x)`` or ``",".join(["%s"] * n)``);
  ``composed``: built with ``psycopg.sql`` (``SQL(...).format(Identifier(...))``);
- ``params``: the argument nodes passed as parameters; ``call``: the call that executes
  the statement (for ``conn.execute(text(q), params)`` the ``execute`` call); ``node``:
  the SQL argument expression; ``start`` / ``end``: the call's span in the .py text;
- ``loops``: the enclosing loops of the same function, outermost first, each a
  :class:`Loop` (``kind``: ``"for"``, ``"while"``, ``"comprehension"``; ``node``;
  ``targets``: the names the loop binds);
- ``function``: the enclosing top-level function's name (``"upgrade"``, ``"downgrade"``
  ...), or None at module level; ``role``: ``"forward"``, or ``"reverse"`` for
  ``RunSQL(reverse_sql=...)`` and Alembic's ``downgrade()``.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

from . import placeholders as _ph
from .literals import Hole, ScanError, scan
from .sinks import (ASYNCPG_METHODS, COPY_METHODS, DB_RECEIVER, DRIVER_MODULES, EXECUTE_METHODS, PARAM_KEYWORDS,
                    QUERY_KEYWORDS, dotted, matches_extra, parse_extra_sinks, starts_like_sql)


@dataclass(slots=True)
class Dynamic:
    kind: str  # f-string | percent | format | concat | join
    node: ast.AST
    safe: bool = False


@dataclass(slots=True)
class Loop:
    kind: str  # for | while | comprehension
    node: ast.AST
    targets: frozenset = frozenset()


@dataclass(eq=False)
class Site:
    sink: str
    driver: str
    certain: bool
    node: ast.AST
    call: ast.Call
    start: int
    end: int
    sql: str | None = None
    raw: str | None = None
    written: str | None = None
    stand_ins: list[tuple[int, int]] = field(default_factory=list)
    offsets: list[int] = field(default_factory=list)
    placeholders: list[tuple[int, int]] = field(default_factory=list)
    constant: bool = False
    composed: bool = False
    dynamic: list[Dynamic] = field(default_factory=list)
    params: list[ast.AST] = field(default_factory=list)
    loops: tuple[Loop, ...] = ()
    function: str | None = None
    role: str = "forward"

    def py_offset(self, i: int) -> int:
        """The .py text offset of ``sql[i]`` (``i == len(sql)``: just after the last one)."""
        if not self.offsets:
            return self.start
        return self.offsets[max(0, min(i, len(self.offsets) - 1))]

    @property
    def injected(self) -> list[Dynamic]:
        """The non-constant parts that may carry text from outside."""
        return [d for d in self.dynamic if not d.safe]


@dataclass(eq=False)
class PyModule:
    path: str
    text: str
    tree: ast.Module | None = None
    error: str | None = None
    sites: list[Site] = field(default_factory=list)
    migration: str | None = None
    constants: dict[str, ast.expr] = field(default_factory=dict)
    drivers: set[str] = field(default_factory=set)
    py_comments: list[tuple[int, int]] = field(default_factory=list)
    _reader: object = None

    def span(self, node: ast.AST) -> tuple[int, int]:
        """The (start, end) offsets of an ast node in the .py text."""
        r = self._reader
        return r.offset(node.lineno, node.col_offset), r.offset(node.end_lineno, node.end_col_offset)

    def line(self, offset: int) -> int:
        """1-based line of an offset of the .py text."""
        return self.text.count("\n", 0, offset) + 1


# -- values ------------------------------------------------------------------------------


class Val:
    """A string value being resolved: its characters with their offsets, the stand-ins of
    the parts not known, and how those got in."""

    __slots__ = ("chars", "offs", "written", "holes", "dynamic", "composed", "unknown")

    def __init__(self) -> None:
        self.chars: list[str] = []
        self.offs: list[int] = []
        self.written: list[str] = []  # as the code shows it: a stand-in's own source text
        self.holes: list[tuple[int, int]] = []  # spans of the stand-ins in chars
        self.dynamic: list[Dynamic] = []
        self.composed = False
        self.unknown = False  # some part is a stand-in

    def lit(self, ch: str, off: int, written: str | None = None) -> None:
        self.chars.append(ch)
        self.offs.append(off)
        self.written.append(ch if written is None else written)

    def hole(self, text: str, start: int, end: int) -> None:
        """A stand-in identifier for a part not known, spanning ``start..end`` of the file."""
        n = max(1, end - start)
        src = text[start:end] if end > start else "_"
        stand = "_" + "".join(c if (c.isalnum() and c.isascii()) or c == "_" else "_" for c in src[1:n])
        stand = stand[:n].ljust(n, "_")
        self.holes.append((len(self.chars), len(self.chars) + n))
        self.chars.extend(stand)
        shown = src[:n].ljust(n, "_") if len(src) >= 1 else stand
        self.written.extend(" " if c in "\r\n" else c for c in shown)
        self.offs.extend(min(start + k, max(start, end - 1)) for k in range(n))
        self.unknown = True

    def extend(self, other: "Val") -> None:
        k = len(self.chars)
        self.holes.extend((k + a, k + b) for a, b in other.holes)
        self.chars.extend(other.chars)
        self.offs.extend(other.offs)
        self.written.extend(other.written)
        self.dynamic.extend(other.dynamic)
        self.composed = self.composed or other.composed
        self.unknown = self.unknown or other.unknown

    @property
    def text(self) -> str:
        return "".join(self.chars)

    def stand_ins(self) -> list[tuple[int, int]]:
        """Spans where the text holds a stand-in rather than what the code shows."""
        return sorted(self.holes)


_PERCENT_SPEC = re.compile(r"%(?:\([^()]*\))?[-#0 +]*(?:\d+|\*)?(?:\.\d+)?[diouxXeEfFgGcrsa]")
CLASS_KEY = "\0class"  # in a method's names: the class body's constants
_SAFE_CALLS = frozenset({"int", "float", "len", "bool", "round", "abs", "min", "max", "sum", "hash", "ord", "uuid4"})
# quoting functions (psycopg2.extensions.quote_ident, libpq's escape_identifier ...): their
# result is a quoted name or literal
_QUOTING = frozenset({"quote_ident", "quote_literal", "quote_identifier", "escape_identifier", "escape_literal",
                      "quote_nullable"})
_PSYCOPG_SAFE = frozenset({"Identifier", "Literal", "Placeholder", "SQL", "Composed", "DEFAULT"})
MAX_DEPTH = 12


class _Resolver:
    def __init__(self, mod: "_Reader") -> None:
        self.r = mod

    def span(self, node: ast.AST) -> tuple[int, int]:
        return self.r.offset(node.lineno, node.col_offset), self.r.offset(node.end_lineno, node.end_col_offset)

    def value(self, node: ast.AST, env: dict, depth: int = 0) -> Val | None:
        """The string ``node`` evaluates to, or None when it is not a string pglint can
        follow."""
        if depth > MAX_DEPTH:
            return None
        if isinstance(node, ast.Constant):
            if isinstance(node.value, (str, bytes)):
                return self.literal(node)
            return None
        if isinstance(node, ast.JoinedStr):
            return self.fstring(node, env, depth)
        if isinstance(node, ast.Name):
            target = env.get(node.id)
            if target is None and node.id not in self.r.local_names(env):
                target = self.r.constants.get(node.id)
                env = self.r.module_env
            if target is None:
                return None
            return self.value(target, env, depth + 1)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left = self.value(node.left, env, depth + 1)
            right = self.value(node.right, env, depth + 1)
            if left is None and right is None:
                return None
            out = Val()
            for side, v in ((node.left, left), (node.right, right)):
                if v is None:
                    s, e = self.span(side)
                    out.hole(self.r.text, s, e)
                    out.dynamic.append(Dynamic("concat", side, self.safe(side, env, depth)))
                else:
                    out.extend(v)
            return out
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
            left = self.value(node.left, env, depth + 1)
            if left is None:
                return None
            # the conversions (%s, %(name)s, %d) are filled in by Python, not by the driver:
            # stand-ins for what they become
            out = self._percent_fields(left)
            if not self.constant_value(node.right, env, depth):
                out.dynamic.append(Dynamic("percent", node.right, self.safe(node.right, env, depth)))
            return out
        if isinstance(node, ast.Call):
            return self.call(node, env, depth)
        if isinstance(node, ast.Attribute):
            target = _class_attr(node, env)  # a class attribute assigned once
            if target is not None:
                return self.value(target, self.r.module_env, depth + 1)
        return None

    def literal(self, node: ast.Constant) -> Val:
        s, e = self.span(node)
        out = Val()
        value = node.value.decode("utf-8", "replace") if isinstance(node.value, bytes) else node.value
        try:
            pieces = scan(self.r.text, s, e)
            chars = [p for p in pieces if not isinstance(p, Hole)]
            if "".join(c for c, _ in chars) != value or len(chars) != len(pieces):
                raise ScanError("mismatch")
            for c, off in chars:
                out.lit(c, off)
        except (ScanError, ValueError, KeyError, IndexError):
            for c in value:  # pglint could not follow the literal: everything at its start
                out.lit(c, s)
        return out

    def fstring(self, node: ast.JoinedStr, env: dict, depth: int) -> Val:
        s, e = self.span(node)
        out = Val()
        fields = [v for v in node.values if isinstance(v, ast.FormattedValue)]
        try:
            pieces = scan(self.r.text, s, e)
            holes = [p for p in pieces if isinstance(p, Hole)]
            if len(holes) != len(fields):
                raise ScanError("fields")
        except (ScanError, ValueError, KeyError, IndexError):
            pieces = None
        if pieces is None:  # fall back: the literal parts at the string's start
            for v in node.values:
                if isinstance(v, ast.Constant):
                    for c in v.value:
                        out.lit(c, s)
                else:
                    out.hole(self.r.text, s, min(e, s + 3))
                    out.dynamic.append(Dynamic("f-string", v, self.safe(v.value, env, depth)))
            return out
        k = 0
        for p in pieces:
            if not isinstance(p, Hole):
                out.lit(*p)
                continue
            fv = fields[k]
            k += 1
            inner = None
            if fv.conversion == -1 and fv.format_spec is None and self.constant_value(fv.value, env, depth):
                inner = self.value(fv.value, env, depth + 1)
            if inner is not None and not inner.unknown and not inner.dynamic:
                out.extend(inner)
            else:
                out.hole(self.r.text, p.start, p.end)
                safe = self.safe(fv.value, env, depth) or _numeric_spec(fv)
                out.dynamic.append(Dynamic("f-string", fv.value, safe))
        return out

    def call(self, node: ast.Call, env: dict, depth: int) -> Val | None:
        func = node.func
        name = dotted(func) or ()
        last = name[-1] if name else None
        # psycopg.sql composition
        if last in ("SQL",) and self.r.is_psycopg_sql(name) and node.args:
            v = self.value(node.args[0], env, depth + 1)
            if v is None:
                return None
            v.composed = True
            return v
        if isinstance(func, ast.Attribute) and func.attr == "format":
            base = self.value(func.value, env, depth + 1)
            if base is None:
                return None
            out = self._format_fields(base)
            args = list(node.args) + [k.value for k in node.keywords]
            if not base.composed and not all(self.constant_value(a, env, depth) for a in args):
                out.dynamic.append(Dynamic("format", node, all(self.safe(a, env, depth) for a in args)))
            return out
        if isinstance(func, ast.Attribute) and func.attr == "join" and len(node.args) == 1:
            sep = self.value(func.value, env, depth + 1)
            if sep is None:
                return None
            arg = node.args[0]
            if isinstance(arg, (ast.List, ast.Tuple)) and not any(isinstance(x, ast.Starred) for x in arg.elts):
                vals = [self.value(x, env, depth + 1) for x in arg.elts]
                if all(v is not None for v in vals):
                    out = Val()
                    out.composed = sep.composed
                    for k, v in enumerate(vals):
                        if k:
                            out.extend(sep)
                        out.extend(v)
                    return out
            out = Val()
            out.composed = sep.composed
            s, e = self.span(node)
            out.hole(self.r.text, s, e)
            if not sep.composed:
                out.dynamic.append(Dynamic("join", node, self.safe_items(arg, env, depth)))
            return out
        if last in ("Composed",) and self.r.is_psycopg_sql(name):
            out = Val()
            s, e = self.span(node)
            out.hole(self.r.text, s, e)
            out.composed = True
            return out
        if last == "text" and self.r.is_sqlalchemy_text(name) and node.args:
            return self.value(node.args[0], env, depth + 1)
        if last in ("dedent", "cleandoc") and len(node.args) == 1 and self.r.origin(name) in (
                "textwrap.dedent", "inspect.cleandoc"):
            # only whitespace goes: the SQL means the same with it, and offsets stay exact
            return self.value(node.args[0], env, depth + 1)
        if isinstance(func, ast.Attribute) and func.attr in ("strip", "lstrip", "rstrip") and not node.args:
            return self.value(func.value, env, depth + 1)
        return None

    def _percent_fields(self, base: Val) -> Val:
        """``%`` conversions of ``base`` turned into stand-ins (``%%`` stays as written)."""
        out = Val()
        out.dynamic = list(base.dynamic)
        out.composed = base.composed
        out.unknown = base.unknown
        text = base.text
        inside = set()
        for a, b in base.holes:
            inside.update(range(a, b))
        i, n = 0, len(text)
        while i < n:
            if text.startswith("%%", i):
                out.lit("%", base.offs[i])
                out.lit("%", base.offs[i + 1])
                i += 2
                continue
            m = _PERCENT_SPEC.match(text, i) if text[i] == "%" and i not in inside else None
            if m:
                w = m.end() - i
                stand = ("_" + "".join(c if c.isalnum() else "_" for c in text[i + 1:m.end()]))[:w]
                out.holes.append((len(out.chars), len(out.chars) + w))
                for k in range(w):
                    out.lit(stand[k], base.offs[i + k], text[i + k])
                out.unknown = True
                i = m.end()
                continue
            if any(a == i for a, _ in base.holes):
                out.holes.extend((len(out.chars), len(out.chars) + (b - a)) for a, b in base.holes if a == i)
            out.lit(text[i], base.offs[i], base.written[i])
            i += 1
        return out

    def _format_fields(self, base: Val) -> Val:
        """``str.format`` fields ``{...}`` of ``base`` turned into stand-ins (``{{`` stays a brace)."""
        out = Val()
        out.dynamic = list(base.dynamic)
        out.composed = base.composed
        out.unknown = base.unknown
        chars, offs, written = base.chars, base.offs, base.written
        inside = [False] * len(chars)
        for a, b in base.holes:
            for k in range(a, b):
                inside[k] = True
        i, n = 0, len(chars)
        while i < n:
            c = chars[i]
            if c in "{}" and i + 1 < n and chars[i + 1] == c:
                out.lit(c, offs[i])
                out.lit(c, offs[i + 1])  # both kept: same length, offsets stay simple
                i += 2
                continue
            if c == "{" and not inside[i]:
                j = i
                while j < n and chars[j] != "}":
                    j += 1
                width = j + 1 - i
                out.holes.append((len(out.chars), len(out.chars) + min(width, n - i)))
                stand = "_" + "".join(ch if ch.isalnum() and ch.isascii() else "_" for ch in chars[i + 1:j + 1])
                for k in range(min(width, len(stand))):
                    out.lit(stand[k], offs[min(i + k, n - 1)], chars[i + k] if i + k < n else None)
                out.unknown = True
                i = j + 1
                continue
            if inside[i]:
                if i == 0 or not inside[i - 1] or any(a == i for a, _ in base.holes):
                    out.holes.extend((len(out.chars), len(out.chars) + (b - a)) for a, b in base.holes if a == i)
            out.lit(c, offs[i], written[i])
            i += 1
        return out

    def constant_value(self, node: ast.AST, env: dict, depth: int = 0) -> bool:
        """Whether ``node`` is made of literals and constants only."""
        if depth > MAX_DEPTH:
            return False
        if isinstance(node, ast.Constant):
            return True
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            return all(self.constant_value(x, env, depth + 1) for x in node.elts)
        if isinstance(node, ast.Dict):
            return all(k is None or self.constant_value(k, env, depth + 1) for k in node.keys) and \
                all(self.constant_value(v, env, depth + 1) for v in node.values)
        if isinstance(node, ast.Name):
            if node.id in env.get(LISTS_KEY, {}):  # a list that grows
                items = self.list_items(node.id, env)
                return items is not None and all(self.constant_value(x, env, depth + 1) for x in items)
            target = env.get(node.id)
            if target is None and node.id not in self.r.local_names(env):
                target = self.r.constants.get(node.id)
                env = self.r.module_env
            return target is not None and self.constant_value(target, env, depth + 1)
        if isinstance(node, ast.Attribute):
            target = _class_attr(node, env)
            return target is not None and self.constant_value(target, self.r.module_env, depth + 1)
        if isinstance(node, ast.JoinedStr):
            return all(self.constant_value(v.value if isinstance(v, ast.FormattedValue) else v, env, depth + 1)
                       for v in node.values)
        if isinstance(node, ast.BinOp):
            return self.constant_value(node.left, env, depth + 1) and self.constant_value(node.right, env, depth + 1)
        if isinstance(node, ast.UnaryOp):
            return self.constant_value(node.operand, env, depth + 1)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("join", "format"):
            return self.constant_value(node.func.value, env, depth + 1) and all(
                self.constant_value(a, env, depth + 1) for a in list(node.args) + [k.value for k in node.keywords])
        return False

    def safe(self, node: ast.AST, env: dict, depth: int = 0) -> bool:
        """Whether the value cannot carry SQL text from outside: constants, numbers computed
        by int()/len()/..., psycopg.sql objects, placeholder lists."""
        if depth > MAX_DEPTH:
            return False
        if self.constant_value(node, env, depth):
            return True
        if isinstance(node, ast.Call):
            name = dotted(node.func) or ()
            last = node.func.attr if isinstance(node.func, ast.Attribute) else (name[-1] if name else "")
            if last in _SAFE_CALLS and not isinstance(node.func, ast.Attribute) or last == "uuid4" or last in _QUOTING:
                return True
            if last == "as_string" and isinstance(node.func, ast.Attribute):
                inner = node.func.value  # sql.Identifier(x).as_string(conn): quoted by psycopg
                if isinstance(inner, ast.Call) and self.r.is_psycopg_sql(dotted(inner.func) or ()):
                    return True
            if last in _PSYCOPG_SAFE and self.r.is_psycopg_sql(name):
                return True
            if last == "join" and isinstance(node.func, ast.Attribute) and node.args:
                return self.constant_value(node.func.value, env, depth + 1) and self.safe_items(node.args[0], env, depth)
            if last == "format" and isinstance(node.func, ast.Attribute):
                return self.constant_value(node.func.value, env, depth + 1) and all(
                    self.safe(a, env, depth + 1) for a in list(node.args) + [k.value for k in node.keywords])
        if isinstance(node, ast.Name):
            target = env.get(node.id)
            if target is None and node.id not in self.r.local_names(env):
                target = self.r.constants.get(node.id)
                env = self.r.module_env
            return target is not None and self.safe(target, env, depth + 1)
        if isinstance(node, ast.JoinedStr):
            return all(self.safe(v.value, env, depth + 1) for v in node.values if isinstance(v, ast.FormattedValue))
        if isinstance(node, ast.BinOp):
            if isinstance(node.op, ast.Mult) and any(
                    isinstance(side, ast.Constant) and isinstance(side.value, str) for side in (node.left, node.right)):
                return True  # "%s, " * n: a constant repeated
            return self.safe(node.left, env, depth + 1) and self.safe(node.right, env, depth + 1)
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice):
            return self.safe(node.value, env, depth + 1)  # ("%s, " * n)[:-2]
        return False

    def list_items(self, name: str, env: dict) -> list | None:
        """Every item a local list ever holds (its literal, then what is appended), or None
        when it is not a list pglint can follow."""
        target = env.get(name)
        if not isinstance(target, (ast.List, ast.Tuple)) or any(isinstance(x, ast.Starred) for x in target.elts):
            return None
        added = env.get(LISTS_KEY, {}).get(name, [])
        if any(x is None for x in added):
            return None
        return list(target.elts) + list(added)

    def safe_items(self, node: ast.AST, env: dict, depth: int) -> bool:
        """An iterable whose items cannot carry SQL text: ``["%s"] * n``, ``("?",) * n``,
        ``["%s" for _ in ids]``, a list of constants."""
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
            return any(isinstance(side, (ast.List, ast.Tuple)) and self.constant_value(side, env, depth + 1)
                       for side in (node.left, node.right))
        if isinstance(node, (ast.ListComp, ast.GeneratorExp, ast.SetComp)):
            return self.safe(node.elt, env, depth + 1) and not _names(node.elt) & _comp_targets(node)
        if isinstance(node, (ast.List, ast.Tuple)):
            return all(self.safe(x, env, depth + 1) for x in node.elts)
        if isinstance(node, ast.Name):
            items = self.list_items(node.id, env)
            if items is not None:
                return all(self.safe(x, env, depth + 1) for x in items)
            target = env.get(node.id)
            return target is not None and not isinstance(target, (ast.List, ast.Tuple)) and \
                self.safe_items(target, env, depth + 1)
        return False


def _numeric_spec(fv: ast.FormattedValue) -> bool:
    """``{n:d}``, ``{x:.2f}``: a format spec that only numbers take (a string raises)."""
    spec = fv.format_spec
    if fv.conversion != -1 or not isinstance(spec, ast.JoinedStr) or not spec.values:
        return False
    if not all(isinstance(v, ast.Constant) and isinstance(v.value, str) for v in spec.values):
        return False
    text = "".join(v.value for v in spec.values)
    return bool(text) and text[-1] in "bcdoxXneEfFgG%"


def _class_attr(node: ast.Attribute, env: dict):
    """``self.X`` / ``cls.X`` in a method: the class body's single assignment of X."""
    if isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
        return env.get(CLASS_KEY, {}).get(node.attr)
    return None


def _names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _comp_targets(node) -> set[str]:
    out: set[str] = set()
    for g in node.generators:
        out |= _names(g.target)
    return out


# -- the module walk -----------------------------------------------------------------------


def _single_assignments(body: list[ast.stmt], params: set[str] = frozenset()) -> tuple[dict, set]:
    """(names assigned exactly once by a plain assignment -> value, every name bound) in a
    scope's body, not looking into nested functions and classes."""
    counts: dict[str, int] = {}
    values: dict[str, ast.expr] = {}
    stack = list(body)
    while stack:
        n = stack.pop()
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            counts[n.name] = counts.get(n.name, 0) + 2
            continue
        if isinstance(n, ast.Lambda):
            continue
        if isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name):
            values[n.targets[0].id] = n.value
        elif isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name) and n.value is not None:
            values[n.target.id] = n.value
        if isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del)):
            counts[n.id] = counts.get(n.id, 0) + 1
        elif isinstance(n, ast.AugAssign) and isinstance(n.target, ast.Name):
            if isinstance(n.op, ast.Add) and isinstance(n.value, (ast.List, ast.Tuple)):
                stack.append(n.value)  # lst += [...]: a list growing (see _list_mutations)
                continue
            counts[n.target.id] = counts.get(n.target.id, 0) + 2
        elif isinstance(n, (ast.Import, ast.ImportFrom)):
            for a in n.names:
                nm = (a.asname or a.name).split(".")[0]
                counts[nm] = counts.get(nm, 0) + 2
        elif isinstance(n, (ast.Global, ast.Nonlocal)):
            for nm in n.names:
                counts[nm] = counts.get(nm, 0) + 2
        stack.extend(ast.iter_child_nodes(n))
    bound = set(counts) | set(params)
    single = {k: v for k, v in values.items() if counts.get(k) == 1 and k not in params}
    return single, bound


def _list_mutations(body: list[ast.stmt]) -> dict[str, list]:
    """The items added to each list of a scope: ``lst.append(x)``, ``lst.insert(i, x)``,
    ``lst.extend([...])``, ``lst += [...]`` (None: something pglint cannot follow)."""
    out: dict[str, list] = {}
    stack = list(body)
    while stack:
        n = stack.pop()
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and isinstance(n.func.value, ast.Name):
            name, meth = n.func.value.id, n.func.attr
            if meth == "append" and len(n.args) == 1:
                out.setdefault(name, []).append(n.args[0])
            elif meth == "insert" and len(n.args) == 2:
                out.setdefault(name, []).append(n.args[1])
            elif meth == "extend" and len(n.args) == 1:
                a = n.args[0]
                out.setdefault(name, []).extend(a.elts if isinstance(a, (ast.List, ast.Tuple)) else [None])
            elif meth in ("pop", "remove", "clear", "sort", "reverse", "copy", "index", "count"):
                pass
        elif isinstance(n, ast.AugAssign) and isinstance(n.target, ast.Name) and isinstance(n.op, ast.Add) \
                and isinstance(n.value, (ast.List, ast.Tuple)):
            out.setdefault(n.target.id, []).extend(n.value.elts)
        elif isinstance(n, ast.Subscript) and isinstance(n.ctx, ast.Store) and isinstance(n.value, ast.Name):
            out.setdefault(n.value.id, []).append(None)  # lst[i] = ...
        stack.extend(ast.iter_child_nodes(n))
    return out


LISTS_KEY = "\0lists"  # in a function's names: what its lists get appended


class _Reader:
    def __init__(self, text: str, path: str, extra_sinks) -> None:
        self.text = text
        self.path = path
        self.extra = parse_extra_sinks(extra_sinks)
        self.lines = _lines(text)
        self._line_start = [0]
        for ln in self.lines:
            self._line_start.append(self._line_start[-1] + len(ln))
        self.imports: dict[str, str] = {}  # local name -> dotted module path
        self.drivers: set[str] = set()
        self.constants: dict[str, ast.expr] = {}
        self.module_env: dict = {}
        self._locals: dict[int, set] = {}
        self.sites: list[Site] = []
        self.res = _Resolver(self)
        self.awaited: set[int] = set()
        self.text_sites: dict[int, Site] = {}  # text() calls (by id) -> their site

    def offset(self, lineno: int, col: int) -> int:
        """Offset in ``text`` of an ast position (1-based line, UTF-8 byte column)."""
        if lineno - 1 >= len(self.lines):
            return len(self.text)
        line = self.lines[lineno - 1]
        if line.isascii():
            return self._line_start[lineno - 1] + col
        return self._line_start[lineno - 1] + len(line.encode("utf-8")[:col].decode("utf-8", "replace"))

    def local_names(self, env: dict) -> set:
        return self._locals.get(id(env), set())

    # -- imports and names

    def collect_imports(self, tree: ast.Module) -> None:
        for n in ast.walk(tree):
            if isinstance(n, ast.Import):
                for a in n.names:
                    self.imports[(a.asname or a.name).split(".")[0] if not a.asname else a.asname] = \
                        a.name if a.asname else a.name.split(".")[0]
                    self._driver(a.name)
            elif isinstance(n, ast.ImportFrom) and n.module and not n.level:
                for a in n.names:
                    self.imports[a.asname or a.name] = f"{n.module}.{a.name}"
                self._driver(n.module)

    def _driver(self, module: str) -> None:
        d = DRIVER_MODULES.get(module.split(".")[0])
        if d:
            self.drivers.add(d)

    def origin(self, name: tuple[str, ...]) -> str:
        """The dotted path a name refers to through the imports (``sa.text`` ->
        ``sqlalchemy.text``)."""
        if not name:
            return ""
        head = self.imports.get(name[0])
        return ".".join(((head,) if head else (name[0],)) + name[1:])

    def is_psycopg_sql(self, name) -> bool:
        o = self.origin(tuple(name))
        return o.startswith(("psycopg.sql.", "psycopg2.sql.")) or (
            len(name) == 1 and self.imports.get(name[0], "").startswith(("psycopg.sql", "psycopg2.sql")))

    def is_sqlalchemy_text(self, name) -> bool:
        o = self.origin(tuple(name))
        return o.startswith(("sqlalchemy.", "sqlmodel.")) and o.endswith(".text")

    # -- walking

    def read(self, tree: ast.Module) -> None:
        self.collect_imports(tree)
        self.constants, bound = _single_assignments(tree.body)
        self.module_env = self.constants
        self._locals[id(self.module_env)] = set()
        for n in ast.walk(tree):
            if isinstance(n, ast.Await) and isinstance(n.value, ast.Call):
                self.awaited.add(id(n.value))
        self._walk(tree.body, self.module_env, (), None)
        self.sites.sort(key=lambda s: (s.start, s.role != "forward"))

    def _walk(self, nodes, env, loops, function) -> None:
        for n in nodes:
            self._visit(n, env, loops, function)

    def _visit(self, n: ast.AST, env: dict, loops: tuple, function: str | None) -> None:
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            args = n.args
            params = {a.arg for a in args.posonlyargs + args.args + args.kwonlyargs}
            params |= {a.arg for a in (args.vararg, args.kwarg) if a is not None}
            for d in getattr(n, "decorator_list", ()):
                self._visit(d, env, loops, function)
            for d in args.defaults + [x for x in args.kw_defaults if x is not None]:
                self._visit(d, env, loops, function)
            body = n.body if isinstance(n.body, list) else [n.body]
            single, bound = _single_assignments(body, params)
            # a name of the enclosing function not rebound here keeps its meaning
            inner = dict(env) if env is not self.module_env else {}
            for k in bound:
                inner.pop(k, None)
            inner.update(single)
            self._locals[id(inner)] = bound | (self.local_names(env) if env is not self.module_env else set())
            if CLASS_KEY in env:
                inner[CLASS_KEY] = env[CLASS_KEY]
            inner[LISTS_KEY] = _list_mutations(body)
            name = function or (n.name if not isinstance(n, ast.Lambda) else None)
            self._walk(body, inner, (), name)
            return
        if isinstance(n, ast.ClassDef):
            for d in n.decorator_list + n.bases + [k.value for k in n.keywords]:
                self._visit(d, env, loops, function)
            consts, _ = _single_assignments(n.body)
            inner = dict(env) if env is not self.module_env else {}
            inner[CLASS_KEY] = consts
            self._locals[id(inner)] = self.local_names(env) if env is not self.module_env else set()
            self._walk(n.body, inner, (), function)
            return
        if isinstance(n, (ast.For, ast.AsyncFor)):
            self._visit(n.iter, env, loops, function)
            loop = Loop("for", n, frozenset(_names(n.target)))
            self._walk(n.body, env, loops + (loop,), function)
            self._walk(n.orelse, env, loops, function)
            return
        if isinstance(n, ast.While):
            self._visit(n.test, env, loops, function)
            self._walk(n.body, env, loops + (Loop("while", n),), function)
            self._walk(n.orelse, env, loops, function)
            return
        if isinstance(n, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
            self._visit(n.generators[0].iter, env, loops, function)
            loop = Loop("comprehension", n, frozenset(_comp_targets(n)))
            inner = loops + (loop,)
            for g in n.generators:
                if g is not n.generators[0]:
                    self._visit(g.iter, env, inner, function)
                for c in g.ifs:
                    self._visit(c, env, inner, function)
            if isinstance(n, ast.DictComp):
                self._visit(n.key, env, inner, function)
                self._visit(n.value, env, inner, function)
            else:
                self._visit(n.elt, env, inner, function)
            return
        for child in ast.iter_child_nodes(n):
            self._visit(child, env, loops, function)
        if isinstance(n, ast.Call):  # after its arguments: a text() argument is a site already
            self._call(n, env, loops, function)

    # -- sinks

    def _call(self, call: ast.Call, env: dict, loops: tuple, function: str | None) -> None:
        name = dotted(call.func)
        if not name:
            return
        last = name[-1]
        origin = self.origin(name)
        receiver = name[-2] if len(name) > 1 else None
        args = call.args
        kw = {k.arg: k.value for k in call.keywords if k.arg}
        query = args[0] if args else next((kw[k] for k in QUERY_KEYWORDS if k in kw), None)
        params = list(args[1:]) + [kw[k] for k in PARAM_KEYWORDS if k in kw]
        if query is None and last not in ("RunSQL",):
            return
        # SQLAlchemy text(): the SQL's own sink; the execute that runs it is the call
        if last == "text" and self.is_sqlalchemy_text(name):
            site = self._site("text", "sqlalchemy", True, query, call, call, [], env, loops, function)
            if site is not None:
                self.text_sites[id(call)] = site
            return
        if self.extra and matches_extra(name, self.extra):
            self._site(".".join(name), "generic", True, query, call, call, params, env, loops, function)
            return
        if last == "RunSQL" and (origin.startswith("django.") or receiver == "migrations"):
            for role, key, pos in (("forward", "sql", 0), ("reverse", "reverse_sql", 1)):
                node = args[pos] if len(args) > pos else kw.get(key)
                if node is None:
                    continue
                items = node.elts if isinstance(node, (ast.List, ast.Tuple)) else [node]
                for it in items:
                    p = []
                    if isinstance(it, (ast.Tuple, ast.List)) and it.elts:  # (sql, params)
                        it, p = it.elts[0], list(it.elts[1:])
                    self._site("RunSQL", "django", True, it, call, call, p, env, loops, function, role=role)
            return
        if last == "execute" and len(name) >= 2 and (self.origin(name[:1]) == "alembic.op" or name[0] == "op"
                                                    and "alembic" in self.drivers):
            if name[1:] == ("execute",) or name[1:] == ("get_bind()", "execute"):
                role = "reverse" if function == "downgrade" else "forward"
                sink = "op.execute" if len(name) == 2 else "op.get_bind().execute"
                if not self._is_text_call(query):
                    self._site(sink, "alembic", True, query, call, call, params, env, loops, function, role=role)
                else:
                    self._rebind_text(query, call, params, "alembic", role)
                return
        if last == "exec_driver_sql":
            self._site("exec_driver_sql", "sqlalchemy", True, query, call, call, params, env, loops, function)
            return
        if last == "raw" and receiver == "objects":
            self._site("raw", "django", True, query, call, call, params, env, loops, function)
            return
        if last in EXECUTE_METHODS or last in COPY_METHODS or last in ASYNCPG_METHODS:
            if self._is_text_call(query):
                self._rebind_text(query, call, params, None, None)
                return
            awaited = id(call) in self.awaited
            driver = self._driver_of(last, awaited)
            if driver is None:
                return
            db_like = self._db_receiver(call.func.value if isinstance(call.func, ast.Attribute) else None, env)
            certain = db_like and driver != "generic"
            if driver == "asyncpg" and last not in EXECUTE_METHODS and not certain:
                if "asyncpg" not in self.drivers:
                    return
            sink = ".".join(name[-2:])  # as written: cur.execute, conn.fetchrow, cursor().execute
            self._site(sink, driver, certain, query, call, call, params, env, loops, function, require_sql=not certain)

    def _driver_of(self, method: str, awaited: bool) -> str | None:
        d = self.drivers
        if method in ("fetch", "fetchrow", "fetchval", "prepare", "cursor"):
            if "asyncpg" in d and awaited or "asyncpg" in d and method in ("fetchrow", "fetchval"):
                return "asyncpg"
            return "generic" if method in ("fetchrow", "fetchval") else None
        if method in COPY_METHODS:
            return "psycopg" if "psycopg" in d else ("generic" if method == "copy_expert" else None)
        if "asyncpg" in d and awaited:
            return "asyncpg"
        for drv in ("psycopg", "django", "sqlalchemy", "alembic"):
            if drv in d:
                return "sqlalchemy" if drv == "alembic" else drv
        if "other" in d and not ({"psycopg", "asyncpg", "django", "sqlalchemy"} & d):
            return None  # another database's SQL (SQLite, MySQL ...), not PostgreSQL's
        return "generic"

    def _db_receiver(self, node, env: dict, depth: int = 0) -> bool:
        """Whether the object a method is called on is a database connection or cursor:
        by its name, or because it was made by ``.cursor()`` / ``connect()`` /
        ``acquire()`` / ``get_bind()`` / ``connection`` ..."""
        if node is None or depth > 4:
            return False
        if isinstance(node, ast.Await):
            return self._db_receiver(node.value, env, depth + 1)
        if isinstance(node, ast.Call):
            n = dotted(node.func) or ()
            return bool(n) and n[-1] in ("cursor", "connect", "acquire", "get_bind", "connection", "begin",
                                         "get_connection", "engine_connect", "session", "Session", "transaction")
        if isinstance(node, ast.Attribute):
            return bool(DB_RECEIVER.search(node.attr))
        if isinstance(node, ast.Name):
            if DB_RECEIVER.search(node.id):
                return True
            target = env.get(node.id)
            return target is not None and self._db_receiver(target, env, depth + 1)
        return False

    def _is_text_call(self, node) -> bool:
        return isinstance(node, ast.Call) and self.is_sqlalchemy_text(dotted(node.func) or ())

    def _rebind_text(self, text_call: ast.Call, call: ast.Call, params, driver, role) -> None:
        """``conn.execute(text(q), params)``: the text() site is executed by ``call``."""
        s = self.text_sites.get(id(text_call))
        if s is not None:
            s.call = call
            s.params = list(params)
            if driver == "alembic":
                s.sink = ("op.execute" if len(dotted(call.func) or ()) == 2 else "op.get_bind().execute") + "(text())"
            if role is not None:
                s.role = role

    def _site(self, sink, driver, certain, query, node_call, exec_call, params, env, loops, function,
              role="forward", require_sql=False) -> Site | None:
        if query is None:
            return None
        start = self.offset(node_call.lineno, node_call.col_offset)
        end = self.offset(node_call.end_lineno, node_call.end_col_offset)
        site = Site(sink, driver, certain, query, exec_call, start, end, params=list(params), loops=loops,
                    function=function, role=role)
        val = self.res.value(query, env)
        if val is not None:
            raw = val.text
            if require_sql and not starts_like_sql(raw):
                return None
            site.raw = raw
            site.written = "".join(val.written)
            site.stand_ins = val.stand_ins()
            site.sql, site.placeholders = _ph.substitute(raw, driver)
            site.offsets = list(val.offs) + [(val.offs[-1] + 1) if val.offs else start]
            site.dynamic = val.dynamic
            site.composed = val.composed
            site.constant = not val.unknown and not val.dynamic
        elif require_sql:
            return None
        self.sites.append(site)
        return site


# -- migrations ---------------------------------------------------------------------------


def _migration_kind(tree: ast.Module, reader: _Reader) -> str | None:
    names = set(reader.constants)
    if "revision" in names and "down_revision" in names and ("alembic" in reader.drivers or "op" in reader.imports):
        return "alembic"
    for n in tree.body:
        if isinstance(n, ast.ClassDef) and n.name == "Migration":
            for b in n.bases:
                d = dotted(b) or ()
                if d and d[-1] == "Migration" and (reader.origin(d).startswith("django.") or "django" in reader.drivers):
                    return "django"
    return None


_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


def _lines(text: str) -> list[str]:
    """The lines as Python counts them (only \\r\\n, \\r and \\n end a line; str.splitlines
    also splits at form feeds and U+2028, which may sit inside a string literal)."""
    return _LINE.findall(text)


def _comments(text: str) -> list[tuple[int, int]]:
    import io
    import tokenize

    out = []
    starts = [0]
    for ln in _lines(text):
        starts.append(starts[-1] + len(ln))
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.COMMENT:
                (r, c), (r2, c2) = tok.start, tok.end
                out.append((starts[r - 1] + c, starts[r2 - 1] + c2))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    return out


def read_module(text: str, path: str = "<string>", extra_sinks=()) -> PyModule:
    """Read a Python module's SQL sites (see the module docstring)."""
    mod = PyModule(path, text)
    try:
        tree = ast.parse(text, filename=path)
    except SyntaxError as exc:
        mod.error = f"not valid Python: {exc.msg}" + (f" (line {exc.lineno})" if exc.lineno else "")
        return mod
    except (ValueError, RecursionError, MemoryError) as exc:
        mod.error = f"not readable as Python: {exc}"
        return mod
    reader = _Reader(text, path, extra_sinks)
    try:
        reader.read(tree)
    except RecursionError:
        mod.error = "Python code nested too deeply to read"
        return mod
    mod.tree = tree
    mod._reader = reader
    mod.sites = reader.sites
    mod.constants = reader.constants
    mod.drivers = reader.drivers
    mod.migration = _migration_kind(tree, reader)
    mod.py_comments = _comments(text)
    return mod
