"""Plan rules over ``EXPLAIN (FORMAT JSON, VERBOSE [, ANALYZE, BUFFERS])`` documents.

Per-node ``Plan Rows`` and ``Actual Rows`` are per-loop figures; totals multiply by
``Actual Loops``. Numbers are read as floats (PostgreSQL 18 prints fractional rows).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .config import LiveConfig, human_count, human_size


@dataclass
class Finding:
    rule: str
    message: str
    help: str
    relation: str | None = None  # "schema.table"
    relname: str | None = None  # as the plan names it, to point at the table in the query
    alias: str | None = None
    extra: dict = field(default_factory=dict)
    explanation: str | None = None  # the why, shown once per rule (issue 20)


def fitted(*candidates: str) -> str:
    """The first wording that fits a finding's first line (rules/_common.fitted)."""
    from ..rules._common import fitted as _fitted

    return _fitted(*candidates)


def walk(plan: dict, parent: dict | None = None):
    """(node, parent) for every node of a plan tree, depth first."""
    stack = [(plan, parent)]
    while stack:
        node, par = stack.pop()
        yield node, par
        for child in reversed(node.get("Plans") or ()):
            stack.append((child, node))


def _f(node: dict, key: str, default: float = 0.0) -> float:
    v = node.get(key)
    try:
        return float(v) if v is not None else default
    except (TypeError, ValueError):
        return default


def relation_of(node: dict) -> str | None:
    rel = node.get("Relation Name")
    if not rel:
        return None
    return f"{node.get('Schema') or 'public'}.{rel}"


def describe(node: dict) -> str:
    t = node.get("Node Type", "node")
    if node.get("Parallel Aware"):
        t = f"Parallel {t}"
    if node.get("Join Type") and "Join" in t or t == "Nested Loop":
        t = f"{t} ({node.get('Join Type', '').lower()} join)" if node.get("Join Type") else t
    rel = relation_of(node)
    if rel:
        t += f" on {rel}"
        if node.get("Alias") and node.get("Alias") != node.get("Relation Name"):
            t += f" {node['Alias']}"
    return t


def _parallel_divisor(workers: float) -> float:
    """PostgreSQL's divisor for per-process row estimates of a parallel node (the leader
    contributes less as workers are added: costsize.c get_parallel_divisor)."""
    leader = 1.0 - 0.3 * workers
    return workers + (leader if leader > 0 else 0.0)


def rows_out(node: dict, analyzed: bool) -> float:
    """Rows the node returns over all its loops (actual with ANALYZE, else estimated)."""
    if analyzed and "Actual Rows" in node:
        return _f(node, "Actual Rows") * max(_f(node, "Actual Loops", 1.0), 0.0)
    return _f(node, "Plan Rows")


def evaluate(doc: dict, stats: dict, cfg: LiveConfig, analyzed: bool, work_mem: str | None = None) -> list[Finding]:
    """Findings of the plan rules for one EXPLAIN document."""
    root = doc.get("Plan") or {}
    out: list[Finding] = []
    inner_scans: set[int] = set()
    for node, _parent in walk(root):
        if node.get("Node Type") == "Nested Loop":
            f = _nested_loop(node, stats, cfg, analyzed)
            if f is not None:
                out.append(f)
                inner_scans.add(f.extra.pop("_inner_id"))
    parents = {id(n): p for n, p in walk(root)}
    for node, _parent in walk(root):
        t = node.get("Node Type")
        if t == "Seq Scan" and id(node) not in inner_scans:
            f = _seq_scan(node, stats, cfg, analyzed, _workers(node, parents))
            if f is not None:
                out.append(f)
        if analyzed:
            f = _sort_disk(node, work_mem)
            if f is not None:
                out.append(f)
            f = _hash_batches(node, work_mem)
            if f is not None:
                out.append(f)
    if analyzed:
        f = _estimate_mismatch(root, cfg)
        if f is not None:
            out.append(f)
    return out


def _table_rows(node: dict, stats: dict) -> tuple[float | None, object]:
    st = stats.get(relation_of(node) or "")
    return (st.rows if st is not None else None), st


def _workers(node: dict, parents: dict) -> float:
    """Workers Planned of the Gather above a parallel node."""
    p = parents.get(id(node))
    while p is not None:
        if "Workers Planned" in p:
            return _f(p, "Workers Planned")
        p = parents.get(id(p))
    return 0.0


def _seq_scan(node: dict, stats: dict, cfg: LiveConfig, analyzed: bool, workers: float = 0.0) -> Finding | None:
    filt = node.get("Filter")
    if not filt:
        return None
    rows, st = _table_rows(node, stats)
    if analyzed and "Actual Rows" in node:
        loops = max(_f(node, "Actual Loops", 1.0), 1.0)
        kept = _f(node, "Actual Rows") * loops
        rows = max(rows or 0.0, kept + _f(node, "Rows Removed by Filter") * loops)
    else:
        kept = _f(node, "Plan Rows")
        if node.get("Parallel Aware"):
            kept *= _parallel_divisor(workers)  # the estimate is per process
    if rows is None or rows < cfg.seq_scan_rows:
        return None
    if kept > rows * 0.1:
        return None  # not selective: reading the whole table is the right plan
    rel = relation_of(node)
    size = f", {human_size(st.total_bytes)}" if st is not None and st.total_bytes else ""
    what = "returned" if analyzed else "expected"
    return Finding(
        "plan-seq-scan",
        fitted(f"Seq Scan on {rel} ({human_count(rows)} rows{size}) keeps about {human_count(kept)} {what} rows with "
               f"filter {filt}",
               f"Seq Scan on {rel} ({human_count(rows)} rows{size}) keeps about {human_count(kept)} {what} rows"),
        "An index on the filtered column(s) lets PostgreSQL read only the matching rows (plan-missing-index "
        "names one when the hypopg extension is installed); create it with CREATE INDEX CONCURRENTLY.",
        rel, node.get("Relation Name"), node.get("Alias"),
        {"node": "Seq Scan", "table_rows": rows, "kept_rows": kept, "filter": filt,
         "total_cost": _f(node, "Total Cost")},
        "Every execution reads the whole table to keep a small share of its rows.",
    )


def _nested_loop(node: dict, stats: dict, cfg: LiveConfig, analyzed: bool) -> Finding | None:
    kids = node.get("Plans") or []
    outer = next((k for k in kids if k.get("Parent Relationship") == "Outer"), kids[0] if kids else None)
    inner = next((k for k in kids if k.get("Parent Relationship") == "Inner"), kids[1] if len(kids) > 1 else None)
    if outer is None or inner is None:
        return None
    scan = inner
    materialized = False
    while scan.get("Node Type") in ("Materialize",) and scan.get("Plans"):
        materialized = True
        scan = scan["Plans"][0]
    if scan.get("Node Type") != "Seq Scan":
        return None
    outer_rows = rows_out(outer, analyzed)
    if outer_rows < cfg.nested_loop_rows:
        return None
    inner_rows, st = _table_rows(scan, stats)
    if inner_rows is None:
        inner_rows = _f(scan, "Plan Rows")
    rel = relation_of(scan)
    how = ("compares each outer row with every row of the materialized scan" if materialized
           else "scans the inner table again for each outer row")
    cond = node.get("Join Filter") or scan.get("Filter")
    on = f" (join condition {cond})" if cond else ""
    return Finding(
        "plan-nested-loop-scan",
        fitted(f"Nested Loop runs a Seq Scan on {rel} ({human_count(inner_rows)} rows) for each of "
               f"{human_count(outer_rows)} outer rows, about {human_count(outer_rows * max(inner_rows, 1.0))} row visits",
               f"Nested Loop runs a Seq Scan on {rel} for each of {human_count(outer_rows)} outer rows"),
        f"Index the join column(s) of {rel} so each outer row finds its matches with an index lookup, or check "
        f"that the join condition{on} is the intended one (a missing condition makes a cross join).",
        rel, scan.get("Relation Name"), scan.get("Alias"),
        {"node": "Nested Loop", "outer_rows": outer_rows, "inner_rows": inner_rows, "materialized": materialized,
         "_inner_id": id(scan)},
        f"PostgreSQL {how}: the work grows with the product of the two row counts.",
    )


def _sort_disk(node: dict, work_mem: str | None) -> Finding | None:
    disk = node.get("Sort Space Type") == "Disk" or str(node.get("Sort Method", "")).startswith("external")
    used = _f(node, "Sort Space Used")
    for groups in ("Full-sort Groups", "Pre-sorted Groups"):
        g = node.get(groups)
        if isinstance(g, dict) and g.get("Sort Space Disk"):
            disk = True
            used = max(used, _f(g["Sort Space Disk"], "Peak Sort Space Used"))
    if not disk:
        return None
    keys = ", ".join(node.get("Sort Key") or ()) or "its keys"
    wm = f" (work_mem is {work_mem})" if work_mem else ""
    return Finding(
        "plan-sort-disk",
        fitted(f"{node.get('Node Type', 'Sort')} by {keys} spilled {human_size(used * 1024)} to temporary files{wm}",
               f"{node.get('Node Type', 'Sort')} spilled {human_size(used * 1024)} to temporary files{wm}"),
        "Sort fewer rows (filter or LIMIT earlier), read them in order from an index on the sort key, or raise "
        "work_mem for this query only (SET LOCAL work_mem inside its transaction).",
        None, None, None,
        {"node": node.get("Node Type"), "sort_space_kb": used, "sort_method": node.get("Sort Method"),
         "temp_written_blocks": _f(node, "Temp Written Blocks")},
        f"The rows to sort did not fit in work_mem, so PostgreSQL sorted them on disk "
        f"({node.get('Sort Method', 'external sort')}), which is much slower than in memory.",
    )


def _hash_batches(node: dict, work_mem: str | None) -> Finding | None:
    t = node.get("Node Type")
    wm = f" (work_mem is {work_mem})" if work_mem else ""
    if t == "Hash":
        batches = max(_f(node, "Hash Batches"), _f(node, "Original Hash Batches"))
        if batches <= 1:
            return None
        return Finding(
            "plan-hash-batches",
            f"The hash table of a Hash Join needed {int(batches)} batches (peak memory "
            f"{human_size(_f(node, 'Peak Memory Usage') * 1024)}){wm}",
            "Join fewer rows (filter before the join), make the hashed (inner) side the smaller one, or raise "
            "work_mem / hash_mem_multiplier for this query only.",
            None, None, None,
            {"node": "Hash", "batches": batches, "peak_memory_kb": _f(node, "Peak Memory Usage")},
            "The hash table did not fit in memory, so it was split into batches through temporary files.",
        )
    if t == "Aggregate" and node.get("Strategy") in ("Hashed", "Mixed"):
        batches = _f(node, "HashAgg Batches")
        disk = _f(node, "Disk Usage")
        if batches <= 1 and disk <= 0:
            return None
        return Finding(
            "plan-hash-batches",
            f"HashAggregate spilled {human_size(disk * 1024)} to temporary files in {int(batches)} batches{wm}",
            "Aggregate fewer groups, or raise work_mem / hash_mem_multiplier for this query only.",
            None, None, None,
            {"node": "HashAggregate", "batches": batches, "disk_kb": disk,
             "peak_memory_kb": _f(node, "Peak Memory Usage")},
            "The groups did not fit in memory, so the aggregate was split into batches through temporary files.",
        )
    return None


def _estimate_mismatch(root: dict, cfg: LiveConfig) -> Finding | None:
    worst = None
    for node, _parent in walk(root):
        if "Actual Rows" not in node:
            continue
        loops = _f(node, "Actual Loops")
        if loops <= 0:
            continue  # never executed
        est = _f(node, "Plan Rows")
        act = _f(node, "Actual Rows")
        if max(est, act) * loops < cfg.estimate_min_rows:
            continue
        ratio = max(est, act) / max(min(est, act), 1.0)
        if ratio < cfg.estimate_factor:
            continue
        if worst is None or ratio > worst[0]:
            worst = (ratio, node, est, act, loops)
    if worst is None:
        return None
    ratio, node, est, act, loops = worst
    direction = "under" if act > est else "over"
    per = f" per loop ({int(loops)} loops)" if loops > 1 else ""
    rel = relation_of(node)
    analyze = f"ANALYZE {rel}; if" if rel else "ANALYZE the tables involved; if"
    return Finding(
        "plan-estimate-mismatch",
        fitted(f"The planner estimated {human_count(est)} rows for {describe(node)} but it returned {human_count(act)}"
               f"{per}",
               f"The planner {direction}-estimated the rows of {describe(node)} {ratio:.0f}x",
               f"The planner {direction}-estimated a plan node's rows {ratio:.0f}x"),
        f"{analyze} the statistics are fresh, the columns are probably correlated: CREATE STATISTICS "
        "(dependencies, mcv) on them, or raise their statistics target.",
        rel, node.get("Relation Name"), node.get("Alias"),
        {"node": node.get("Node Type"), "estimated_rows": est, "actual_rows": act, "loops": loops,
         "factor": round(ratio, 1)},
        "A plan chosen for a row count that is far off (here by the factor in the finding) can be the wrong plan: "
        "a nested loop over many rows, a hash that spills, an index that is not used.",
    )
