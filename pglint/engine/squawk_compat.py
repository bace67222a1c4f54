"""squawk rule names and the pglint rules that catch the same SQL.

Used for ``-- squawk-ignore rule`` / ``-- squawk-ignore-file`` comments when
``squawk-compat = true`` is set (a squawk rule maps to one or more pglint rules), and
rendered as the "Coming from squawk" table of rules/README.md.

Covered: every rule squawk 2.70 runs by default (found by running squawk 2.70 with and
without ``--include``; ``prefer-repack`` is on by default but only reports for
``--pg-version`` 19 and later), plus squawk's aliases. Some pglint equivalents are opt-in
(``extend-select``): varchar-length, int-column, statement-timeout-missing,
enum-value-order. Names here that are not registered rules (a rule of another branch not
merged yet) are tolerated by the suppression code: a squawk-ignore naming them silences
nothing and is not reported.
"""

SQUAWK_TO_PGLINT: dict[str, list[str]] = {
    # locking and rewrites
    "require-concurrent-index-creation": ["index-not-concurrent"],
    "require-concurrent-index-deletion": ["drop-index-not-concurrent"],
    "require-concurrent-reindex": ["reindex-not-concurrent"],
    "require-concurrent-partition-detach": ["detach-partition-blocking"],
    "ban-concurrent-index-creation-in-transaction": ["concurrently-in-transaction"],
    "constraint-missing-not-valid": ["constraint-without-not-valid", "validate-in-same-transaction"],
    "adding-foreign-key-constraint": ["constraint-without-not-valid"],
    "disallowed-unique-constraint": ["unique-without-index"],
    "adding-serial-primary-key-field": ["unique-without-index", "add-column-rewrites"],
    "adding-field-with-default": ["add-column-rewrites"],
    "adding-not-nullable-field": ["set-not-null-scan"],
    "adding-required-field": ["add-column-required"],
    "changing-column-type": ["column-type-rewrite"],
    "prefer-repack": ["table-rewrite"],
    "require-lock-timeout": ["lock-timeout-missing"],
    "require-statement-timeout": ["statement-timeout-missing"],
    "require-timeout-settings": ["lock-timeout-missing", "statement-timeout-missing"],
    # backward compatibility
    "ban-drop-column": ["drop-column"],
    "ban-drop-table": ["drop-table"],
    "ban-drop-database": ["drop-object"],
    "ban-drop-view": ["drop-object"],
    "ban-drop-function": ["drop-object"],
    "ban-drop-type": ["drop-object"],
    "ban-drop-schema": ["drop-object"],
    "ban-drop-sequence": ["drop-object"],
    "ban-drop-domain": ["drop-object"],
    "ban-drop-extension": ["drop-object"],
    "ban-drop-constraint": ["drop-object"],
    "ban-drop-not-null": ["drop-not-null"],
    "ban-drop-generated-expression": ["drop-generated-expression"],
    "ban-set-schema": ["set-schema"],
    "ban-alter-identity": ["alter-identity"],
    "ban-truncate-cascade": ["truncate-table"],
    "renaming-column": ["rename-column"],
    "renaming-table": ["rename-table"],
    "renaming-object": ["rename-object"],
    # schema design
    "prefer-bigint-over-int": ["int-primary-key", "int-column"],
    "prefer-bigint-over-smallint": ["int-primary-key", "int-column"],
    "prefer-identity": ["serial-column"],
    "prefer-timestamp-tz": ["timestamp-without-time-zone"],
    "prefer-timestamptz": ["timestamp-without-time-zone"],
    "prefer-text-field": ["varchar-length"],
    "ban-char-field": ["char-column"],
    "ban-create-domain-with-constraint": ["domain-check"],
    "ban-alter-domain-with-add-constraint": ["domain-check"],
    "identifier-too-long": ["identifier-too-long"],
    "prefer-robust-stmts": ["non-idempotent-ddl"],
    "require-enum-value-ordering": ["enum-value-order"],
    # transactions
    "transaction-nesting": ["transaction-nesting"],
    "ban-uncommitted-transaction": ["uncommitted-transaction"],
    # queries (rules of the queries-and-security part of the catalogue)
    "ban-duplicate-column-assignments": ["duplicate-assignment"],
}
