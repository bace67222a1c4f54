"""``pglint health``: database-wide checks (pghero-like), each finding a Diagnostic located
at the database object it is about, as a URI: the database (``postgresql://host:port/db``,
without user or password) plus one query parameter naming the object::

    postgresql://127.0.0.1:5432/app?table=public.users
    postgresql://127.0.0.1:5432/app?table=public.orders&constraint=orders_user_id_fkey
    postgresql://127.0.0.1:5432/app?index=public.users_email_idx
    postgresql://127.0.0.1:5432/app?sequence=public.users_id_seq
    postgresql://127.0.0.1:5432/app?function=public.f(integer)
    postgresql://127.0.0.1:5432/app?queryid=-6843190364016893241   (pg_stat_statements)
    postgresql://127.0.0.1:5432/app?pid=4242                        (a session)

and the database alone for what concerns all of it (cache hit ratio, a skipped check).
Such a finding has no position in a file: its line and column are 0 (reporters print the
URI alone, SARIF gives the URI as the artifact with no region).

pg_stat_statements entries that are not the application's queries are not listed as slow
or top queries: pglint's own (every query pglint sends starts with the marker comment
``/* pglint */``, see session.py), COPY, DDL and the other utility statements (SET, SHOW,
VACUUM, transaction control...): only SELECT, INSERT, UPDATE, DELETE, MERGE and CALL are.

Every check reads catalog rows or statistics views only (no lock on user tables, except
``pg_sequence_last_value``, which takes a brief RowExclusiveLock on each sequence it
reads), each in its own read-only transaction under the session's timeouts. A check that
fails on the server (a permission, a timeout) is reported as a live-skipped info and the
others go on.

Three checks share their names with static rules (unindexed-foreign-key,
missing-primary-key, security-definer-search-path): they report under those rules, and
the rule page documents both.
"""

from __future__ import annotations

import json
import math
from urllib.parse import quote

from ..engine.diagnostics import ERROR, MESSAGE_WIDTH
from ..engine.registry import all_rules
from ..model.schema import choose_name
from . import statements as pss_mod
from .advisor import ident
from .check import db_diagnostic, skipped_diagnostic, with_reason
from .config import LiveConfig, human_count, human_duration, human_size
from .plans import fitted
from .session import Session, Skipped

_NS = "n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'"
INT_MAX = {"smallint": 32767, "integer": 2147483647, "bigint": 9223372036854775807}
XID_LIMIT = 2146483648  # pghero: 2^31 - 1,000,000
XID_STOP_WARNING = 40_000_000  # PostgreSQL starts warning 40M transactions before wraparound

Q_INDEXES = rf"""
SELECT x.indexrelid::int8 AS oid, n.nspname AS schema, i.relname AS name, tn.nspname AS table_schema,
       t.relname AS table_name, x.indisunique AS is_unique, x.indisprimary AS is_primary,
       x.indisvalid AS is_valid, x.indisready AS is_ready, x.indpred IS NOT NULL AS partial,
       x.indnkeyatts::int4 AS nkey, x.indnatts::int4 AS natts, am.amname AS am, i.relpages::int8 AS pages,
       x.indkey::int2[] AS attnums, x.indclass::oid[]::int8[] AS opclasses, x.indoption::int2[] AS options,
       x.indcollation::oid[]::int8[] AS collations,
       regexp_replace(COALESCE(x.indexprs::text, ''), ':location -?\d+', '', 'g') AS exprs,
       regexp_replace(COALESCE(x.indpred::text, ''), ':location -?\d+', '', 'g') AS pred,
       ARRAY(SELECT a.attname FROM unnest(x.indkey::int2[]) WITH ORDINALITY k(attnum, ord)
             LEFT JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum
             ORDER BY k.ord)::text[] AS columns,
       EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid AND c.contype IN ('p', 'u', 'x'))
           AS backs_constraint
FROM pg_index x
JOIN pg_class i ON i.oid = x.indexrelid
JOIN pg_namespace n ON n.oid = i.relnamespace
JOIN pg_class t ON t.oid = x.indrelid
JOIN pg_namespace tn ON tn.oid = t.relnamespace
JOIN pg_am am ON am.oid = i.relam
WHERE {_NS.replace('n.', 'tn.')}
ORDER BY tn.nspname, t.relname, i.relname
"""


class Health:
    def __init__(self, session: Session, cfg: LiveConfig, settings, enabled: set[str]) -> None:
        self.session = session
        self.cfg = cfg
        self.settings = settings
        self.enabled = enabled
        self.path = session.display
        self.diagnostics = []
        self.rules = all_rules()
        self._indexes = None
        self.block_size = 8192
        self.checks_run = 0

    def report(self, rule: str, message: str, help: str | None, relation: str | None = None,
               extra: dict | None = None, severity: str | None = None, explanation: str | None = None) -> None:
        if rule not in self.enabled:
            return
        d = db_diagnostic(rule, message, help, self.path, self.settings, severity, extra, relation,
                          explanation=explanation)
        self.diagnostics.append(at_object(d, self.path))

    def skipped(self, exc: Skipped, what: str) -> None:
        if "live-skipped" in self.enabled:
            self.diagnostics.append(at_object(skipped_diagnostic(exc, self.path, self.settings, what), self.path))

    def run(self) -> list:
        checks = [
            (("unused-index",), self.unused_index),
            (("duplicate-index",), self.duplicate_index),
            (("invalid-index",), self.invalid_index),
            (("unindexed-foreign-key",), self.unindexed_foreign_key),
            (("sequence-exhaustion",), self.sequence_exhaustion),
            (("xid-wraparound",), self.xid_wraparound),
            (("table-bloat",), self.table_bloat),
            (("cache-hit-ratio",), self.cache_hit_ratio),
            (("long-running-query", "idle-in-transaction"), self.sessions),
            (("missing-primary-key",), self.missing_primary_key),
            (("security-definer-search-path",), self.security_definer),
        ]
        try:
            with self.session.transaction("reading the block size"):
                self.block_size = int(self.session.scalar("SELECT current_setting('block_size')"))
        except Skipped:
            pass
        for names, fn in checks:
            if not any(n in self.enabled for n in names):
                continue
            what = " and ".join(names) + " check"
            self.checks_run += 1
            try:
                with self.session.transaction(f"the {what}"):
                    fn()
            except Skipped as exc:
                self.skipped(exc, f"the {what}")
        if "slow-query" in self.enabled or "top-query" in self.enabled:
            self.checks_run += 1
            self.queries()
        return self.diagnostics

    # -- indexes --------------------------------------------------------------------------
    def indexes(self) -> list[dict]:
        if self._indexes is None:
            self._indexes = self.session.fetch_dicts(Q_INDEXES)
        return self._indexes

    @staticmethod
    def _cols(ix: dict) -> str:
        cols = [c if c is not None else "(expression)" for c in (ix["columns"] or [])[: ix["nkey"]]]
        return ", ".join(cols)

    def unused_index(self) -> None:
        cfg = self.cfg
        reset = self.session.scalar("SELECT stats_reset FROM pg_stat_database WHERE datname = current_database()")
        scans = {r[0]: r[1] for r in self.session.fetch(
            "SELECT indexrelid::int8, idx_scan::int8 FROM pg_stat_user_indexes")}
        since = (f"since the statistics were reset on {reset:%Y-%m-%d %H:%M}" if reset
                 else "since the statistics began")
        for ix in self.indexes():
            if ix["is_unique"] or ix["is_primary"] or ix["backs_constraint"] or not ix["is_valid"]:
                continue
            n = scans.get(ix["oid"])
            size = ix["pages"] * self.block_size
            if n is None or n > cfg.unused_index_max_scans or size < cfg.unused_index_min_size:
                continue
            name = f"{ix['schema']}.{ix['name']}"
            table = f"{ix['table_schema']}.{ix['table_name']}"
            self.report(
                "unused-index",
                fitted(f"Index {name} on {table} ({self._cols(ix)}, {human_size(size)}) has had {n} index scans {since}",
                       f"Index {name} on {table} ({human_size(size)}) has had {n} index scans {since}",
                       f"Index {name} ({human_size(size)}) has had {n} index scans {since}",
                       f"Index {name} ({human_size(size)}) has had {n} index scans"),
                f"Statistics are per server: if no replica uses it either, drop it with DROP INDEX CONCURRENTLY "
                f"{ident(ix['schema'])}.{ident(ix['name'])};",
                table, {"index": name, "idx_scan": n, "bytes": size, "stats_reset": str(reset) if reset else None},
                explanation="Every write to the table still updates the index, and it takes space in memory and disk.")

    def duplicate_index(self) -> None:
        by_table: dict = {}
        for ix in self.indexes():
            if ix["is_valid"] and ix["is_ready"]:
                by_table.setdefault((ix["table_schema"], ix["table_name"]), []).append(ix)
        for (schema, table), group in by_table.items():
            reported = set()
            widest = sorted(group, key=lambda ix: -ix["nkey"])  # name the widest covering index
            for a in group:
                for b in widest:
                    if a is b or a["oid"] in reported:
                        continue
                    how = _redundant(a, b)
                    if how is None:
                        continue
                    reported.add(a["oid"])
                    an, bn = f"{a['schema']}.{a['name']}", f"{b['schema']}.{b['name']}"
                    size = a["pages"] * self.block_size
                    if how == "duplicate":
                        msg = fitted(f"Index {an} ({self._cols(a)}, {human_size(size)}) duplicates {bn}",
                                     f"Index {an} duplicates {bn}")
                        why = ("Same columns, same kind: the duplicate costs its size and slows every write for "
                               "nothing.")
                    else:
                        msg = fitted(f"Index {an} ({self._cols(a)}, {human_size(size)}) is redundant with {bn} "
                                     f"({self._cols(b)})", f"Index {an} is redundant with {bn}")
                        why = ("The other index starts with the same columns and serves the same lookups: the "
                               "redundant one costs its size and slows every write.")
                    self.report("duplicate-index", msg,
                                f"Drop it without blocking: DROP INDEX CONCURRENTLY {ident(a['schema'])}."
                                f"{ident(a['name'])}; (check first that no query relies on it being smaller).",
                                f"{schema}.{table}", {"index": an, "covered_by": bn, "kind": how, "bytes": size},
                                explanation=why)

    def invalid_index(self) -> None:
        building = {r[0] for r in self.session.fetch(
            "SELECT index_relid::int8 FROM pg_stat_progress_create_index WHERE index_relid <> 0")}
        for ix in self.indexes():
            if ix["is_valid"] or ix["oid"] in building:
                continue
            name = f"{ix['schema']}.{ix['name']}"
            table = f"{ix['table_schema']}.{ix['table_name']}"
            self.report(
                "invalid-index",
                fitted(f"Index {name} on {table} ({self._cols(ix)}) is INVALID, left by a failed concurrent build",
                       f"Index {name} on {table} is INVALID, left by a failed concurrent build"),
                f"Drop it and build it again: DROP INDEX CONCURRENTLY {ident(ix['schema'])}.{ident(ix['name'])}; "
                "then CREATE INDEX CONCURRENTLY ... (or REINDEX INDEX CONCURRENTLY on PostgreSQL 12+), after fixing "
                "what made it fail (duplicates for a unique index, a deadlock, a timeout).",
                table, {"index": name},
                explanation=("A CREATE INDEX CONCURRENTLY or REINDEX CONCURRENTLY failed or was cancelled: queries do "
                             "not use the index, every write still updates it, and a unique one still rejects "
                             "duplicates."))

    def unindexed_foreign_key(self) -> None:
        fks = self.session.fetch_dicts(f"""
            SELECT con.conname, n.nspname AS schema, c.relname AS table_name, con.conrelid::int8 AS relid,
                   ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(attnum, ord)
                         JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
                         ORDER BY k.ord)::text[] AS columns,
                   rn.nspname AS ref_schema, r.relname AS ref_table, c.reltuples::float8 AS rows
            FROM pg_constraint con
            JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_class r ON r.oid = con.confrelid JOIN pg_namespace rn ON rn.oid = r.relnamespace
            WHERE con.contype = 'f' AND NOT c.relispartition AND {_NS}
            ORDER BY n.nspname, c.relname, con.conname""")
        leading: dict = {}
        for ix in self.indexes():
            if ix["is_valid"] and not ix["partial"]:
                leading.setdefault((ix["table_schema"], ix["table_name"]), []).append(
                    [c for c in (ix["columns"] or [])[: ix["nkey"]]])
        for fk in fks:
            cols = list(fk["columns"])
            idx = leading.get((fk["schema"], fk["table_name"]), [])
            if any(set(i[: len(cols)]) == set(cols) and None not in i[: len(cols)] for i in idx):
                continue
            table = f"{fk['schema']}.{fk['table_name']}"
            ref = f"{fk['ref_schema']}.{fk['ref_table']}"
            name = choose_name(fk["table_name"], cols, "idx")
            stmt = (f"CREATE INDEX CONCURRENTLY {ident(name)} ON {ident(fk['schema'])}.{ident(fk['table_name'])} "
                    f"({', '.join(ident(c) for c in cols)});")
            rows = fk["rows"]
            rows_txt = f" (~{human_count(rows)} rows)" if rows is not None and rows >= 0 else ""
            self.report(
                "unindexed-foreign-key",
                fitted(f"No index on {table}{rows_txt} starts with {', '.join(cols)}, its foreign key to {ref}",
                       f"No index on {table} starts with {', '.join(cols)}, its foreign key to {ref}",
                       f"No index on {table} starts with {', '.join(cols)}, a foreign key"),
                f"Create the index without blocking writes: {stmt}",
                table, {"constraint": fk["conname"], "columns": cols, "references": ref, "index": stmt},
                explanation=("Every DELETE or key UPDATE of a referenced row scans all of the referencing table to "
                             "check the key, and joins on it cannot use an index."))

    # -- sequences and transaction IDs -------------------------------------------------------
    def sequence_exhaustion(self) -> None:
        rows = self.session.fetch_dicts(f"""
            WITH cols AS (
                SELECT d.objid AS seq, d.refobjid AS rel, d.refobjsubid AS attnum
                FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass
                  AND d.deptype IN ('a', 'i') AND d.refobjsubid > 0
                UNION
                SELECT d.refobjid, ad.adrelid, ad.adnum
                FROM pg_depend d JOIN pg_attrdef ad ON ad.oid = d.objid
                WHERE d.classid = 'pg_attrdef'::regclass AND d.refclassid = 'pg_class'::regclass
            )
            SELECT n.nspname AS schema, c.relname AS table_name, a.attname AS column_name,
                   format_type(a.atttypid, NULL) AS type, sn.nspname AS seq_schema, sc.relname AS seq_name,
                   s.seqmax::numeric AS seqmax, s.seqincrement::int8 AS increment,
                   has_sequence_privilege(sc.oid, 'SELECT,USAGE') AS allowed,
                   CASE WHEN has_sequence_privilege(sc.oid, 'SELECT,USAGE')
                        THEN pg_sequence_last_value(sc.oid) END::numeric AS last_value
            FROM cols
            JOIN pg_class sc ON sc.oid = cols.seq AND sc.relkind = 'S'
            JOIN pg_namespace sn ON sn.oid = sc.relnamespace
            JOIN pg_sequence s ON s.seqrelid = sc.oid
            JOIN pg_class c ON c.oid = cols.rel JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_attribute a ON a.attrelid = cols.rel AND a.attnum = cols.attnum
            WHERE {_NS}
            ORDER BY 1, 2, 3""")
        denied = []
        for r in rows:
            if not r["allowed"]:
                denied.append(f"{r['seq_schema']}.{r['seq_name']}")
                continue
            if r["last_value"] is None or (r["increment"] or 1) < 0:
                continue
            limit = min(INT_MAX.get(r["type"], float(r["seqmax"])), float(r["seqmax"]))
            used = float(r["last_value"]) / limit if limit else 0.0
            if used < self.cfg.sequence_threshold:
                continue
            table = f"{r['schema']}.{r['table_name']}"
            seq = f"{r['seq_schema']}.{r['seq_name']}"
            bigger = "bigint" if r["type"] in ("smallint", "integer") else None
            help = (f"Widen the column before it runs out: ALTER TABLE ... ALTER COLUMN {r['column_name']} TYPE "
                    f"{bigger} rewrites {table}; on a large table add a bigint column, backfill it in batches and "
                    "swap (and the foreign keys that reference it)." if bigger else
                    f"The sequence {seq} has a MAXVALUE below the column type's: raise it (ALTER SEQUENCE {seq} "
                    "MAXVALUE ...) or plan the move to a new key.")
            self.report(
                "sequence-exhaustion",
                fitted(f"Sequence {seq} of {table}.{r['column_name']} ({r['type']}) has used {used * 100:.1f}% of its "
                       f"values ({int(r['last_value']):,} of {int(limit):,})",
                       f"Sequence {seq} of {table}.{r['column_name']} has used {used * 100:.1f}% of its values"),
                help, table,
                {"sequence": seq, "last_value": int(r["last_value"]), "max": int(limit), "used": round(used, 4)},
                severity=ERROR if used >= 0.99 else None,
                explanation="Inserts that take a value from the sequence fail once it runs out.")
        if denied:
            self.skipped(Skipped("sequence-exhaustion", f"no SELECT or USAGE privilege on {len(denied)} sequence(s) "
                                 f"({', '.join(denied[:5])}{' ...' if len(denied) > 5 else ''})", "42501"),
                         "part of the sequence-exhaustion check")

    def xid_wraparound(self) -> None:
        rows = self.session.fetch("""
            SELECT n.nspname, c.relname, GREATEST(age(c.relfrozenxid), COALESCE(age(t.relfrozenxid), 0))::int8
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            LEFT JOIN pg_class t ON t.oid = c.reltoastrelid
            WHERE c.relkind IN ('r', 'm') AND c.relpersistence <> 't'
            ORDER BY 3 DESC""")
        limit = self.cfg.xid_remaining
        over = [(s, t, age) for s, t, age in rows if XID_LIMIT - age < limit]
        for schema, table, age in over[:20]:
            left = XID_LIMIT - age
            self.report(
                "xid-wraparound",
                f"{schema}.{table} has not been frozen for {age:,} transactions, {left:,} before wraparound",
                f"Find what keeps autovacuum from freezing it (long-running or idle transactions, prepared "
                f"transactions, replication slots holding xmin, autovacuum disabled) and run VACUUM (FREEZE, "
                f"VERBOSE) {ident(schema)}.{ident(table)};",
                f"{schema}.{table}", {"age": age, "remaining": left},
                severity=ERROR if left < XID_STOP_WARNING else None,
                explanation=("When the remaining transaction IDs run out, PostgreSQL stops accepting writes to avoid "
                             "transaction ID wraparound, until the table is frozen by VACUUM."))
        if len(over) > 20:
            self.report("xid-wraparound", f"... and {len(over) - 20} more tables past the same threshold", None,
                        None, {"more": len(over) - 20})

    # -- bloat and cache ------------------------------------------------------------------------
    def table_bloat(self) -> None:
        bs = self.block_size
        tables = self.session.fetch_dicts(f"""
            SELECT c.oid::int8 AS oid, n.nspname AS schema, c.relname AS name, c.reltuples::float8 AS rows,
                   c.relpages::int8 AS pages, c.relnatts::int4 AS natts,
                   COALESCE((SELECT substring(o FROM 'fillfactor=(\\d+)')::int FROM unnest(c.reloptions) o
                             WHERE o LIKE 'fillfactor=%'), 100) AS fillfactor
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'm') AND c.relpages > 0 AND c.reltuples > 0 AND {_NS}""")
        widths: dict = {}
        for schema, name, width, null_frac in self.session.fetch(
                "SELECT schemaname, tablename, avg_width::float8, null_frac::float8 FROM pg_stats "
                "WHERE schemaname <> 'information_schema' AND schemaname !~ '^pg_' AND NOT inherited"):
            w = widths.setdefault((schema, name), [0.0, 0.0, 0])
            w[0] += (width or 0) * (1 - (null_frac or 0))
            w[1] = max(w[1], null_frac or 0)
            w[2] += 1
        for t in tables:
            w = widths.get((t["schema"], t["name"]))
            if w is None:
                continue  # never analyzed: no estimate
            header = 23 + (math.ceil(t["natts"] / 8) if w[1] > 0 else 0)
            tuple_bytes = _maxalign(header) + _maxalign(w[0]) + 4  # + line pointer
            usable = (bs - 24) * t["fillfactor"] / 100.0
            expected_pages = math.ceil(t["rows"] * tuple_bytes / usable) if usable > 0 else t["pages"]
            actual = t["pages"] * bs
            waste = (t["pages"] - expected_pages) * bs
            if waste <= 0:
                continue
            ratio = waste / actual
            if ratio < self.cfg.table_bloat_ratio or waste < self.cfg.table_bloat_min_size:
                continue
            name = f"{t['schema']}.{t['name']}"
            self.report(
                "table-bloat",
                fitted(f"{name} takes {human_size(actual)} for ~{human_count(t['rows'])} live rows: an estimated "
                       f"{human_size(waste)} ({ratio * 100:.0f}%) is dead space",
                       f"{name}: an estimated {human_size(waste)} ({ratio * 100:.0f}%) is dead space"),
                "VACUUM makes the space reusable but does not give it back: rebuild the table online with pg_repack "
                "(or pg_squeeze); VACUUM FULL does it too, under an ACCESS EXCLUSIVE lock. Then find the cause "
                "(mass DELETE/UPDATE, autovacuum too slow, long transactions). This is an estimate from pg_stats; "
                "pgstattuple measures it exactly.",
                name, {"bytes": actual, "expected_bytes": expected_pages * bs, "wasted_bytes": waste,
                       "ratio": round(ratio, 3)},
                explanation=("The live rows would fit in far fewer pages: every sequential scan still reads the dead "
                             "space, and the table and its backups are bigger than they need to be."))

    def cache_hit_ratio(self) -> None:
        for what, sql in (
            ("table", "SELECT sum(heap_blks_hit)::float8, sum(heap_blks_read)::float8 FROM pg_statio_user_tables"),
            ("index", "SELECT sum(idx_blks_hit)::float8, sum(idx_blks_read)::float8 FROM pg_statio_user_indexes"),
        ):
            hit, read = self.session.fetch(sql)[0]
            hit, read = hit or 0.0, read or 0.0
            total = hit + read
            if total < self.cfg.cache_hit_min_blocks:
                continue
            ratio = hit / total
            if ratio >= self.cfg.cache_hit_ratio:
                continue
            self.report(
                "cache-hit-ratio",
                f"Only {ratio * 100:.1f}% of {what} reads found their block in shared buffers (below "
                f"{self.cfg.cache_hit_ratio * 100:g}%)",
                "The working set does not fit in shared_buffers: read less (indexes instead of sequential scans, "
                "fewer columns), or give the server more memory and shared_buffers. The counters run since the "
                "statistics were last reset.",
                None, {"kind": what, "hit_blocks": hit, "read_blocks": read, "ratio": round(ratio, 4)},
                explanation=("The other blocks had to come from the operating system or the disk, which is much slower "
                             "than shared buffers."))

    # -- sessions ---------------------------------------------------------------------------------
    def sessions(self) -> None:
        rows = self.session.fetch_dicts("""
            SELECT pid, usename, application_name, state, left(query, 300) AS query,
                   EXTRACT(EPOCH FROM clock_timestamp() - query_start)::float8 AS running,
                   EXTRACT(EPOCH FROM clock_timestamp() - state_change)::float8 AS idle,
                   EXTRACT(EPOCH FROM clock_timestamp() - xact_start)::float8 AS in_xact
            FROM pg_stat_activity
            WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
            ORDER BY query_start""")
        for r in rows:
            who = f"pid {r['pid']} ({r['usename'] or 'unknown user'}" + (
                f", {r['application_name']})" if r["application_name"] else ")")
            q = (r["query"] or "").strip().replace("\n", " ")
            state = r["state"] or ""
            if state == "active" and (r["running"] or 0) >= self.cfg.long_running:
                self.report(
                    "long-running-query",
                    _with_query(f"Session {who} has been running its query for {human_duration(r['running'])}", q),
                    "While it runs it holds its locks and its snapshot: VACUUM cannot remove rows deleted since it "
                    "began, and a migration waiting behind its locks queues every later query. If it is stuck: "
                    f"SELECT pg_cancel_backend({r['pid']}); (pglint never cancels anything).",
                    None, {"pid": r["pid"], "seconds": round(r["running"], 1), "query": q},
                    explanation=("While it runs it holds its locks and its snapshot: VACUUM cannot remove rows "
                                 "deleted since it began, and a migration waiting behind its locks queues every later "
                                 "query."))
            elif state.startswith("idle in transaction") and (r["idle"] or 0) >= self.cfg.idle_in_transaction:
                self.report(
                    "idle-in-transaction",
                    _with_query(f"Session {who} has been idle in an open transaction for {human_duration(r['idle'])}, "
                                "last query", q),
                    "An open transaction keeps its locks and holds back VACUUM. Make the application commit or roll "
                    "back promptly, and set idle_in_transaction_session_timeout; to end this one: "
                    f"SELECT pg_terminate_backend({r['pid']}); (pglint never terminates anything).",
                    None, {"pid": r["pid"], "seconds": round(r["idle"], 1), "state": state, "query": q,
                           "transaction_seconds": round(r["in_xact"] or 0, 1)},
                    explanation="An open transaction keeps its locks and holds back VACUUM until it ends.")

    # -- schema --------------------------------------------------------------------------------
    def missing_primary_key(self) -> None:
        rows = self.session.fetch(f"""
            SELECT n.nspname, c.relname, c.reltuples::float8
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND {_NS}
              AND NOT EXISTS (SELECT 1 FROM pg_index x WHERE x.indrelid = c.oid AND x.indisprimary)
              AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                              AND d.objid = c.oid AND d.deptype = 'e')
            ORDER BY 1, 2""")
        for schema, table, rows_est in rows:
            name = f"{schema}.{table}"
            self.report(
                "missing-primary-key",
                f"Table {name} has no primary key",
                f"Add one; on a large table build the index first without blocking: CREATE UNIQUE INDEX "
                f"CONCURRENTLY ... ON {ident(schema)}.{ident(table)} (...); then ALTER TABLE "
                f"{ident(schema)}.{ident(table)} ADD CONSTRAINT ... PRIMARY KEY USING INDEX ...;",
                name, {"rows_estimate": None if rows_est is None or rows_est < 0 else int(rows_est)},
                explanation=("Its rows cannot be addressed reliably (logical replication needs a REPLICA IDENTITY for "
                             "UPDATE and DELETE, ORMs and tools need a key) and duplicates go unnoticed."))

    def security_definer(self) -> None:
        from ..rules.security_definer_search_path import problem, schemas_of

        rows = self.session.fetch(f"""
            SELECT n.nspname, p.proname, pg_get_function_identity_arguments(p.oid), r.rolname, p.prokind,
                   (SELECT substr(c, 13) FROM unnest(p.proconfig) c WHERE c LIKE 'search_path=%' LIMIT 1)
            FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_roles r ON r.oid = p.proowner
            WHERE p.prosecdef AND {_NS}
              AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass
                              AND d.objid = p.oid AND d.deptype = 'e')
            ORDER BY 1, 2""")
        for schema, name, args, owner, prokind, path in rows:
            what = problem("missing", []) if path is None else problem("value", schemas_of(path))
            if what is None:
                continue
            kind = "procedure" if prokind == "p" else "function"
            sig = f"{ident(schema)}.{ident(name)}({args})"
            self.report(
                "security-definer-search-path",
                fitted(f"SECURITY DEFINER {kind} {sig} runs as {owner} and " + (
                           problem("missing", [], short=True) if path is None
                           else problem("value", schemas_of(path), short=True)),
                       f"SECURITY DEFINER {kind} {ident(schema)}.{ident(name)} runs as {owner} without a safe "
                       "search_path"),
                f"Pin the search path: ALTER {kind.upper()} {sig} SET search_path = pg_catalog, <the schemas it "
                "needs>, pg_temp; and schema-qualify the objects it uses.",
                None, {"function": sig, "owner": owner},
                explanation=(f"It runs with its owner's privileges but {what}: a caller who can create objects in one "
                             "of those schemas (or a temporary table) can make it use theirs, with the owner's "
                             "privileges."))

    # -- pg_stat_statements -----------------------------------------------------------------------
    def queries(self) -> None:
        stats = pss_mod.load(self.session)
        if not stats.available:
            if "live-skipped" in self.enabled:
                self.diagnostics.append(at_object(db_diagnostic(
                    "live-skipped", *with_reason("slow-query and top-query were skipped", stats.problem,
                                                 "pg_stat_statements records how often and how long each query runs; "
                                                 "the other checks ran without it."),
                    self.path, self.settings, extra={"check": "pg_stat_statements"}), self.path))
            return
        # the application's queries only: not pglint's own, COPY, DDL or other utility statements
        stats.by_fingerprint = {fp: q for fp, q in stats.by_fingerprint.items() if is_application_query(q.query)}
        for q in sorted(stats.by_fingerprint.values(), key=lambda q: q.total_ms, reverse=True):
            if pss_mod.is_slow(q, self.cfg):
                self.report(
                    "slow-query",
                    _with_query(f"Query ran {q.calls:,} times, mean {q.mean_ms:.1f} ms ({q.share * 100:.1f}% of the "
                                "query time)", q.query),
                    "EXPLAIN it (pglint check --dsn on a file holding it shows the plan findings and suggests an "
                    f"index when hypopg is installed). Thresholds: slow-query-calls = {self.cfg.slow_query_calls}, "
                    f"slow-query-mean = {self.cfg.slow_query_mean * 1000:g}ms.",
                    None, {**q.to_json(), "query": q.query})
        for rank, q in enumerate(stats.top(self.cfg.top_queries), 1):
            self.report(
                "top-query",
                _with_query(f"#{rank} by total time ({q.share * 100:.1f}%, {q.calls:,} calls, mean {q.mean_ms:.1f} ms)",
                            q.query),
                "The queries at the top of this list are where speeding up pays most.",
                None, {**q.to_json(), "rank": rank, "query": q.query})


# -- where a finding is -------------------------------------------------------------------------
# rule -> (the URI parameter naming its object, where the name is: a key of extra or "relation")
OBJECTS = {
    "unused-index": ("index", "index"),
    "duplicate-index": ("index", "index"),
    "invalid-index": ("index", "index"),
    "unindexed-foreign-key": ("table", "relation"),
    "sequence-exhaustion": ("sequence", "sequence"),
    "xid-wraparound": ("table", "relation"),
    "table-bloat": ("table", "relation"),
    "missing-primary-key": ("table", "relation"),
    "security-definer-search-path": ("function", "function"),
    "long-running-query": ("pid", "pid"),
    "idle-in-transaction": ("pid", "pid"),
    "slow-query": ("queryid", "queryids"),
    "top-query": ("queryid", "queryids"),
}
_SAFE = ".,()_-:$*"  # kept as they are in a URI query value; anything else percent-encoded


def object_uri(database: str, kind: str | None = None, name=None, *more: tuple[str, str]) -> str:
    """``database`` (``postgresql://host:port/db``) with ``?kind=name`` naming an object in it."""
    if not kind or name is None or name == "":
        return database
    params = [(kind, str(name)), *more]
    return database + "?" + "&".join(f"{k}={quote(str(v), safe=_SAFE)}" for k, v in params)


def at_object(d, database: str):
    """Locate a health finding at its database object (see the module's docstring)."""
    kind, key = OBJECTS.get(d.rule, (None, None))
    name = d.relation if key == "relation" else d.extra.get(key) if key else None
    if isinstance(name, list):  # queryids of one normalised query: the first names it
        name = name[0] if name else None
    more = [("constraint", d.extra["constraint"])] if d.rule == "unindexed-foreign-key" and d.extra.get(
        "constraint") else []
    d.path = object_uri(database, kind, name, *more)
    d.line = d.column = d.end_line = d.end_column = 0  # no position in a file
    return d


# -- which pg_stat_statements entries are queries of the application ---------------------------
PGLINT_MARKER = "/* pglint */"
QUERY_STATEMENTS = frozenset({"SelectStmt", "InsertStmt", "UpdateStmt", "DeleteStmt", "MergeStmt", "CallStmt"})


def is_application_query(text: str) -> bool:
    """Whether a pg_stat_statements text is a query of the application worth ranking: not
    one pglint sent (its marker comment), and a SELECT, INSERT, UPDATE, DELETE, MERGE or
    CALL (not COPY, DDL, SET, VACUUM, EXPLAIN, transaction control...). Text the parser
    cannot read is kept (it may be a query of a newer server)."""
    if text.lstrip().startswith(PGLINT_MARKER):
        return False
    from pglast.parser import parse_sql_json

    try:
        stmts = json.loads(parse_sql_json(text)).get("stmts", [])
    except Exception:  # noqa: BLE001 - not parseable here: keep it
        return True
    if not stmts:
        return False
    return all(next(iter(s.get("stmt", {})), "") in QUERY_STATEMENTS for s in stmts)


def _with_query(head: str, query: str) -> str:
    """``head: query`` cut to a finding's first line (the whole query is in the JSON extra)."""
    room = max(MESSAGE_WIDTH - len(head) - 4, 24)
    return f"{head}: `{_short(query, room)}`"  # quoted: its semicolons end no sentence of the message


def _short(text: str, n: int = 200) -> str:
    t = " ".join(text.split())
    return t if len(t) <= n else t[: n - 3] + "..."


def _maxalign(n: float) -> float:
    return math.ceil(n / 8) * 8


def _redundant(a: dict, b: dict) -> str | None:
    """'duplicate' or 'prefix' when index a is not needed because of b, else None."""
    if a["am"] != b["am"] or a["exprs"] != b["exprs"] or a["pred"] != b["pred"]:
        return None
    ka, kb = a["nkey"], b["nkey"]
    cols_a, cols_b = list(a["attnums"][:ka]), list(b["attnums"][:kb])
    same = (cols_a == cols_b and list(a["opclasses"][:ka]) == list(b["opclasses"][:kb])
            and list(a["collations"][:ka]) == list(b["collations"][:kb])
            and list(a["options"][:ka]) == list(b["options"][:kb]))
    if same and list(a["attnums"]) == list(b["attnums"]):
        if a["is_unique"] != b["is_unique"]:
            return "duplicate" if b["is_unique"] and not a["is_unique"] else None
        # exact duplicates: keep the one that backs a constraint, else the first by name
        if a["backs_constraint"] and not b["backs_constraint"]:
            return None
        if a["backs_constraint"] == b["backs_constraint"] and a["name"] < b["name"]:
            return None
        return "duplicate"
    if a["is_unique"] or a["backs_constraint"] or a["am"] != "btree" or a["natts"] != ka or ka >= kb:
        return None
    if (cols_a == cols_b[:ka] and list(a["opclasses"][:ka]) == list(b["opclasses"][:ka])
            and list(a["collations"][:ka]) == list(b["collations"][:ka])
            and list(a["options"][:ka]) == list(b["options"][:ka])):
        return "prefix"
    return None


def run_health(session: Session, cfg: LiveConfig, settings, enabled: set[str]) -> list:
    return Health(session, cfg, settings, enabled).run()


def health_result(database: str, diagnostics: list, checks: int, elapsed: float, settings):
    """The run's result for the reporters: one entry per database object with findings
    (its URI as the path, no statements), in the order the checks found them."""
    from ..engine.checker import FileResult
    from ..engine.runner import RunResult

    by_object: dict[str, list] = {}
    for d in diagnostics:
        by_object.setdefault(d.path, []).append(d)
    result = RunResult([FileResult(path, 0, ds) for path, ds in by_object.items()], elapsed, settings)
    result.database = database  # summary_line speaks of database objects (health_summary_line)
    result.checks = checks
    return result


def health_summary_line(result) -> str:
    """``Found 5 problems (1 error, 4 warnings) on 4 database objects of postgresql://... (11
    checks, 0.52s).``: a health run counts objects, not files and statements."""
    from ..reporters import plural

    diags = result.diagnostics
    tail = f"{result.database} ({plural(getattr(result, 'checks', 0), 'check')}, {result.elapsed:.2f}s)."
    if not diags:
        return f"No problems found in {tail}"
    sev = {"error": 0, "warning": 0, "info": 0}
    for d in diags:
        sev[d.severity] = sev.get(d.severity, 0) + 1
    parts = [plural(n, s) for s, n in sev.items() if n]
    objects = {d.path for d in diags} - {result.database}
    on = f"on {plural(len(objects), 'database object')} of " if objects else "in "
    return f"Found {plural(len(diags), 'problem')} ({', '.join(parts)}) {on}{tail}"
