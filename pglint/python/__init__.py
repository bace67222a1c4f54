"""SQL inside Python code (issue 21).

- ``reader.py``: reads a module with the standard library's ``ast`` and finds the SQL each
  call hands to PostgreSQL (a *site*): the API, documented at the top of the module;
- ``literals.py``: string literals read character by character from the source text, so
  that every character of a value knows where it is written;
- ``sinks.py``: the calls that send SQL, per driver, and the ``python-sinks`` setting;
- ``placeholders.py``: driver placeholders made parseable, same length;
- ``lint.py``: a module linted: its sites' SQL with the SQL rules, the module with the
  Python rules (sql-injection-python, query-in-loop), ``# pglint:`` comments.
"""
