"""Cross-check: does the static lock model (``model/locks.py``, which every locking rule
reads) predict the lock levels and rewrites PostgreSQL showed for a statement?

Compared, for a statement the static model has a prediction for (``statement_effects``):

- each relation it predicts a lock on, which existed before the statement: the strongest
  mode PostgreSQL newly took on it must be the predicted one. A lock the transaction
  already held is invisible when taken again, so a prediction equal to an already held
  mode is not contradicted by the absence of a new lock;
- a lock of SHARE or stronger (one that blocks writes) on an existing table or view the
  model does not predict at all;
- a rewrite (new storage) predicted for a relation with storage, and a rewrite of an
  existing table the model does not predict.

Statements run outside a transaction are watched from another connection, which sees all
their locks while they wait but may miss a short last phase (the ACCESS EXCLUSIVE lock a
concurrent index drop takes at the very end): a weaker lock seen there than predicted is
not a disagreement; a stronger one, or none at all, is.

For INSERT, UPDATE, DELETE and MERGE the model predicts the statement's own lock only
(``OWN_LOCK_ONLY``): their triggers run arbitrary SQL, so other locks are not compared.

Not compared: DO blocks (the model predicts each statement inside, PostgreSQL shows the
whole block), statements with no static model, failed statements, and statements whose
locks trace could not observe (it would be comparing the model with itself).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..model.locks import OWN_LOCK_ONLY, Lock, LockEffect

_UNPREDICTED_KINDS = frozenset("rpmvf")  # tables, partitioned tables, matviews, views, foreign tables
_STORAGE_KINDS = frozenset("rmi")


@dataclass
class Comparison:
    compared: bool
    reason: str = ""  # why not compared
    disagreements: list[str] = field(default_factory=list)
    checked: int = 0  # relations whose lock level (or rewrite) was checked

    @property
    def agrees(self) -> bool:
        return self.compared and not self.disagreements


def _lock(mode: str) -> Lock | None:
    try:
        return Lock.from_pg_name(mode)
    except ValueError:
        return None


def _max(modes) -> Lock | None:
    got = [m for m in (_lock(x) for x in modes) if m is not None]
    return max(got) if got else None


def compare(static, resolved: list[tuple[LockEffect, int | None]], new: dict[int, set[str]],
            held: dict[int, set[str]], before: dict, rewritten: set[int], lock_source: str) -> Comparison:
    """``static``: (statement type, effects) from the static model, or None; ``resolved``: the
    effects with the OID each relation had before the statement; ``new``: locks the statement
    newly took (OID -> pg_locks modes); ``held``: locks its transaction held before it;
    ``before``: relations before it (OID -> catalog.Rel); ``rewritten``: OIDs given new storage."""
    from .tracer import DOCUMENTED, FROM_BACKEND, NOT_OBSERVED

    if static is None:
        return Comparison(False, "pglint could not parse the statement")
    typ, _effects = static
    from ..model.locks import _HANDLERS

    if typ == "DoStmt":
        return Comparison(False, "DO block: the static model predicts each statement inside it")
    if typ not in _HANDLERS:
        return Comparison(False, f"no static lock model for {typ}")
    if lock_source in (DOCUMENTED, NOT_OBSERVED):
        return Comparison(False, "locks not observed")
    out = Comparison(True)
    predicted: dict[int, Lock] = {}
    predicted_rewrite: dict[int, bool] = {}
    for e, oid in resolved:
        if oid is None or oid not in before:
            continue  # created by the statement, or not there at all (PostgreSQL said so)
        predicted[oid] = max(predicted[oid], e.mode) if oid in predicted else e.mode
        predicted_rewrite[oid] = predicted_rewrite.get(oid, False) or e.rewrite
    traced = {oid: m for oid, m in ((o, _max(ms)) for o, ms in new.items()) if m is not None}
    partial = lock_source != FROM_BACKEND  # watched from outside: a short last phase may be missed
    for oid, p in predicted.items():
        rel = before[oid]
        t = traced.get(oid)
        out.checked += 1
        if t == p:
            continue
        if (t is None or t < p) and p.pg_name in held.get(oid, ()):
            continue  # already held by the transaction: taken again, invisibly
        if partial and t is not None and t < p:
            continue  # seen while it waited; the stronger lock comes later
        if t is None:
            out.disagreements.append(f"the static model predicts {p.with_article} lock on {rel.qualified}, but "
                                     "PostgreSQL took no new lock on it")
        else:
            out.disagreements.append(f"the static model predicts {p.with_article} lock on {rel.qualified}, but "
                                     f"PostgreSQL took {t.with_article} lock")
    own_only = typ in OWN_LOCK_ONLY  # what its triggers do is not predicted
    for oid, t in traced.items():
        rel = before.get(oid)
        if own_only or oid in predicted or rel is None or rel.kind not in _UNPREDICTED_KINDS or t < Lock.SHARE:
            continue
        out.disagreements.append(f"PostgreSQL took {t.with_article} lock on {rel.qualified}, which the static model "
                                 "does not predict")
    for oid, rw in predicted_rewrite.items():
        rel = before[oid]
        if rel.kind not in _STORAGE_KINDS:
            continue
        done = oid in rewritten
        if rw and not done:
            out.disagreements.append(f"the static model predicts a rewrite of {rel.qualified}, but PostgreSQL did "
                                     "not rewrite it")
        elif done and not rw:
            out.disagreements.append(f"PostgreSQL rewrote {rel.qualified}, which the static model does not predict")
    for oid in rewritten:
        rel = before.get(oid)
        if own_only or oid in predicted_rewrite or rel is None or rel.kind not in ("r", "m"):
            continue
        out.disagreements.append(f"PostgreSQL rewrote {rel.qualified}, which the static model does not predict")
    return out
