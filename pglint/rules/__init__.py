"""The rules, one module per rule, named after it (``index-not-concurrent`` lives in
``index_not_concurrent.py``). Each module defines ``RULE``; the registry collects them.
User documentation for each rule is in the top-level ``rules/<name>.md``."""
