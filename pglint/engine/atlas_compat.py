"""Atlas lint check codes and analyzer names, and the pglint rules that catch the same SQL.

Used for ``-- atlas:nolint [CODES]`` comments when ``compat = ["atlas"]`` is set, and
rendered as the "Coming from Atlas" table of rules/README.md. Only checks whose meaning
matches a pglint rule are mapped (from Atlas's documentation of its checks, "Migration
Analyzers"); the others are known, so a comment naming them is accepted, but silence
nothing here:

- MF101 / MF102 (a unique index may fail on duplicates), MF104 (SET NOT NULL may fail on
  NULLs): pglint's rules on those statements are about the lock and the scan, not about
  the data making the statement fail;
- PG304 (PRIMARY KEY on nullable columns scans to set NOT NULL): no rule of its own here
  (unique-without-index's help mentions it);
- PG110 (column alignment), NMxxx (naming), MYxxx and LTxxx (MySQL, SQLite): no equivalent.
"""

ATLAS_TO_PGLINT: dict[str, list[str]] = {
    # backward incompatible changes (analyzer "incompatible")
    "BC101": ["rename-table"],
    "BC102": ["rename-column"],
    # constraint deletion
    "CD101": ["drop-object"],
    # destructive changes (analyzer "destructive")
    "DS101": ["drop-object"],
    "DS102": ["drop-table"],
    "DS103": ["drop-column"],
    # data-dependent changes (analyzer "data_depend")
    "MF103": ["add-column-required"],
    # concurrent index policy (analyzer "concurrent_index")
    "PG101": ["index-not-concurrent"],
    "PG102": ["drop-index-not-concurrent"],
    "PG103": ["concurrently-in-transaction"],
    "PG104": ["unique-without-index"],
    "PG105": ["unique-without-index"],
    # blocking table changes
    "PG301": ["column-type-rewrite"],
    "PG302": ["add-column-rewrites"],
    "PG303": ["set-not-null-scan"],
    "PG305": ["constraint-without-not-valid"],
}

ATLAS_ANALYZERS: dict[str, list[str]] = {
    "incompatible": ["BC101", "BC102"],
    "destructive": ["DS101", "DS102", "DS103"],
    "data_depend": ["MF101", "MF102", "MF103", "MF104"],
    "concurrent_index": ["PG101", "PG102", "PG103", "PG104", "PG105"],
    "naming": ["NM101", "NM102", "NM103", "NM104", "NM105", "NM106"],
}

# checks Atlas has that pglint knows but maps to nothing (see the module doc)
ATLAS_UNMAPPED = frozenset({
    "MF101", "MF102", "MF104", "PG110", "PG304", "NM101", "NM102", "NM103", "NM104", "NM105", "NM106",
    "MY101", "MY102", "MY110", "MY111", "MY112", "MY113", "MY120", "MY121", "MY122", "MY123", "LT101",
})


def atlas_rules(token: str) -> list[str] | None:
    """The pglint rules an atlas:nolint token (a check code or an analyzer name) silences;
    None for a token Atlas does not have."""
    code = token.upper()
    if code in ATLAS_TO_PGLINT:
        return list(ATLAS_TO_PGLINT[code])
    if code in ATLAS_UNMAPPED:
        return []
    codes = ATLAS_ANALYZERS.get(token.lower())
    if codes is None:
        return None
    return [r for c in codes for r in ATLAS_TO_PGLINT.get(c, ())]


def all_mapped() -> list[str]:
    """Every pglint rule some Atlas check maps to (a bare atlas:nolint silences them all)."""
    return sorted({r for rules in ATLAS_TO_PGLINT.values() for r in rules})
