"""Seed the schema model from a schema dump (``pg_dump -s`` output or a Rails structure.sql)."""

from __future__ import annotations

from ..config.settings import ConfigError
from ..model.schema import SchemaModel
from ..source.files import Input, read_input


def load_baseline(path: str, settings) -> SchemaModel:
    """The schema described by a dump: every object in it counts as existing (origin None)."""
    from .checker import replay
    from .runner import make_options

    src, problem = read_input(Input(path, path))
    if src is None:
        raise ConfigError(f"baseline {path}: {problem}")
    schema = SchemaModel()
    replay(src, make_options(settings), schema, file_index=-1)
    forget_origins(schema)
    return schema


def forget_origins(schema: SchemaModel) -> None:
    """Mark every object as existing before the linted files."""
    for t in schema.tables.values():
        t.origin = None
        for c in t.constraints.values():
            c.origin = None
    for i in schema.indexes.values():
        i.origin = None
    for f in schema.functions.values():
        f.origin = None
    for k in list(schema.sequences):
        schema.sequences[k] = None
    schema.search_path = ["public"]
