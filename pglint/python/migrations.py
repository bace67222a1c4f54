"""Alembic revision files and Django migrations: recognise them, and order a directory of
them the way their tool runs them.

- Alembic: a module with a module-level ``revision`` and ``down_revision`` (a string, a
  tuple of strings for a merge, or None for the first revision; ``depends_on`` adds more
  parents) and an ``upgrade()`` function. Alembic runs a revision after all its parents:
  the order is a topological sort of that graph (between revisions that are ready at the
  same time, branches, the natural order of their file names decides).
- Django: a module with ``class Migration(migrations.Migration)`` whose ``dependencies``
  list ``("app", "0001_initial")`` pairs and whose ``operations`` list the operations.
  Dependencies on the same app order its migrations; other apps' migrations are not in
  this history (their tables count as existing, pglint cannot know their columns).

Only literals are read (no code runs): a revision id or a dependency that is not a literal,
a parent that is not in the directory, or a cycle makes the order unknown, and the
directory is then linted in the natural order of its file names, with a notice saying why.
"""

from __future__ import annotations

import ast
import os
from dataclasses import dataclass, field

from ..source.files import natural_key

ALEMBIC = "alembic"
DJANGO = "django"


@dataclass
class MigrationModule:
    kind: str  # ALEMBIC or DJANGO
    path: str
    tree: ast.Module
    # Alembic: this revision's id and its parents (None: not literal)
    revision: str | None = None
    parents: tuple[str, ...] | None = ()
    # Django: the app (the directory above migrations/), this migration's name (file
    # stem), the same-app dependencies (None: not literal), whether atomic (None: not literal)
    app: str = ""
    name: str = ""
    dependencies: tuple[str, ...] | None = ()
    atomic: bool | None = True
    migration_class: ast.ClassDef | None = None
    notes: list[str] = field(default_factory=list)


def parse_python(text: str, path: str) -> ast.Module | None:
    try:
        return ast.parse(text, filename=path)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _literal(node):
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
        return _NOT_LITERAL


_NOT_LITERAL = object()


def _assigned(tree: ast.Module) -> dict[str, ast.AST]:
    """Module-level ``name = value`` (and ``name: T = value``) assignments."""
    out: dict[str, ast.AST] = {}
    for st in tree.body:
        if isinstance(st, ast.Assign):
            for t in st.targets:
                if isinstance(t, ast.Name):
                    out[t.id] = st.value
        elif isinstance(st, ast.AnnAssign) and isinstance(st.target, ast.Name) and st.value is not None:
            out[st.target.id] = st.value
    return out


def _revision_ids(value) -> tuple[str, ...] | None:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, (tuple, list)) and all(isinstance(v, str) for v in value):
        return tuple(value)
    return None


def recognise(path: str, text: str, tree: ast.Module | None = None) -> MigrationModule | None:
    """The migration a Python file holds, or None when it is not an Alembic revision or a
    Django migration."""
    if tree is None:
        tree = parse_python(text, path)
        if tree is None:
            return None
    names = _assigned(tree)
    functions = {st.name for st in tree.body if isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef))}
    if "revision" in names and "down_revision" in names and "upgrade" in functions:
        m = MigrationModule(ALEMBIC, path, tree)
        rev = _literal(names["revision"])
        m.revision = rev if isinstance(rev, str) else None
        parents = _revision_ids(_literal(names["down_revision"]))
        if parents is not None and "depends_on" in names:
            more = _revision_ids(_literal(names["depends_on"]))
            parents = None if more is None else parents + tuple(p for p in more if p not in parents)
        m.parents = parents
        return m
    for st in tree.body:
        if isinstance(st, ast.ClassDef) and st.name == "Migration" and any(_is_django_base(b) for b in st.bases):
            return _django(path, tree, st)
    return None


def _is_django_base(b: ast.AST) -> bool:
    return (isinstance(b, ast.Attribute) and b.attr == "Migration") or (isinstance(b, ast.Name) and b.id == "Migration")


def _django(path: str, tree: ast.Module, cls: ast.ClassDef) -> MigrationModule:
    d = os.path.dirname(os.path.abspath(path))
    app = os.path.basename(os.path.dirname(d)) if os.path.basename(d) == "migrations" else os.path.basename(d)
    m = MigrationModule(DJANGO, path, tree, app=app, name=os.path.splitext(os.path.basename(path))[0],
                        migration_class=cls)
    attrs: dict[str, ast.AST] = {}
    for st in cls.body:
        if isinstance(st, ast.Assign):
            for t in st.targets:
                if isinstance(t, ast.Name):
                    attrs[t.id] = st.value
    deps: list[str] = []
    if "dependencies" in attrs:
        val = attrs["dependencies"]
        if not isinstance(val, (ast.List, ast.Tuple)):
            m.dependencies = None
        else:
            for el in val.elts:
                lit = _literal(el)
                if isinstance(lit, (tuple, list)) and len(lit) == 2 and all(isinstance(x, str) for x in lit):
                    if lit[0] == app:
                        deps.append(lit[1])
                    # another app's migration: not in this history
                elif isinstance(el, ast.Call) or isinstance(el, ast.Attribute):
                    # migrations.swappable_dependency(settings.AUTH_USER_MODEL): another app
                    continue
                else:
                    m.dependencies = None
                    break
            else:
                m.dependencies = tuple(deps)
    if "atomic" in attrs:
        a = _literal(attrs["atomic"])
        m.atomic = a if isinstance(a, bool) else None
    return m


@dataclass
class Order:
    modules: list[MigrationModule]  # in the order the tool runs them
    notice: str | None = None  # why the natural order was used instead, if it was


def order(mods: list[MigrationModule]) -> Order:
    """The order the tool runs ``mods`` (all of one kind, one directory) in."""
    natural = sorted(mods, key=lambda m: natural_key(m.path))
    if not natural:
        return Order([])
    if natural[0].kind == ALEMBIC:
        keys = {}
        for m in natural:
            if m.revision is None or m.parents is None:
                return Order(natural, f"{os.path.basename(m.path)}: its revision or down_revision is not a literal, "
                                      "so pglint cannot follow the revision chain; the files are linted in the "
                                      "order of their names")
            if m.revision in keys:
                return Order(natural, f"revision {m.revision!r} is defined by two files; the files are linted in "
                                      "the order of their names")
            keys[m.revision] = m
        edges = {m.revision: [p for p in m.parents if p in keys] for m in natural}
        missing = sorted({p for m in natural for p in m.parents if p not in keys})
        notice = (f"down_revision names {', '.join(repr(p) for p in missing)}, not in this directory: the "
                  "revisions it starts from are not known") if missing else None
        ids = [m.revision for m in natural]
    else:
        keys = {m.name: m for m in natural}
        for m in natural:
            if m.dependencies is None:
                return Order(natural, f"{os.path.basename(m.path)}: its dependencies are not literals, so pglint "
                                      "cannot follow them; the migrations are linted in the order of their names")
        edges = {m.name: [p for p in m.dependencies if p in keys] for m in natural}
        missing = sorted({p for m in natural for p in m.dependencies if p not in keys})
        notice = (f"dependencies name {', '.join(repr(p) for p in missing)}, not in this directory"
                  if missing else None)
        ids = [m.name for m in natural]
    done: list[str] = []
    placed: set[str] = set()
    pending = list(ids)
    while pending:
        ready = [i for i in pending if all(p in placed for p in edges[i])]
        if not ready:
            cyc = ", ".join(repr(i) for i in pending)
            return Order(natural, f"the revisions {cyc} depend on each other in a cycle; the files are linted in "
                                  "the order of their names")
        nxt = ready[0]  # the first in natural order among those whose parents ran
        done.append(nxt)
        placed.add(nxt)
        pending.remove(nxt)
    return Order([keys[i] for i in done], notice)
