"""Live mode: read a real PostgreSQL (psycopg 3) and check the files against it.

Nothing here imports psycopg at module level: ``pglint`` starts without it, and only a
run with ``--dsn`` / ``--analyze`` or ``pglint health`` loads it (``session.connect``).

Modules:
  config     [tool.pglint.live] keys, validated (sizes, durations, thresholds)
  dsn        where the connection string comes from, how it is shown (never the password)
  session    the connection and its safety rules (read-only transactions, timeouts,
             statements vetted by pglast and sent with the extended protocol)
  safety     what may be sent: exactly one SELECT / INSERT / UPDATE / DELETE / VALUES / WITH
  catalog    seeds a SchemaModel from the live catalog; table sizes and row estimates
  plans      plan rules over EXPLAIN (FORMAT JSON) output
  advisor    hypothetical indexes with hypopg (dexter's approach)
  statements pg_stat_statements (columns by extension version), matching by fingerprint
  weigh      sizes and lock/scan duration estimates attached to locking findings
  check      ``pglint check --dsn``: the static run plus the live pass
  health     ``pglint health``: database-wide checks
"""
