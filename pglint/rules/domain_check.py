from ..engine.registry import Rule
from ..model.nodes import strings
from ..model.schema import object_ref
from ._common import created_here, report

RULE = Rule(
    "PG315", "domain-check",
    summary="CHECK on CREATE/ALTER DOMAIN: adding or validating it scans every column of the domain under lock",
    category="design",
)


@RULE.on("CreateDomainStmt")
def create(ctx, node):
    if ctx.stmt.rollback:
        return
    checks = [c["Constraint"] for c in node.get("constraints") or ()
              if c.get("Constraint", {}).get("contype") == "CONSTR_CHECK"]
    if not checks:
        return
    name = ".".join(strings(node.get("domainname")))
    report(ctx,
        f"Domain {name} carries a CHECK that every column of this type is bound to",
        explanation=("Changing the rule later (ALTER DOMAIN ... ADD CONSTRAINT, or VALIDATE CONSTRAINT after NOT "
                     "VALID) checks every row of every table that uses the domain, in one statement, holding a SHARE "
                     "lock that blocks writes to all of them."),
        at=ctx.stmt.loc(checks[0]) if ctx.stmt.loc(checks[0]) is not None else None,
        help=("Put the CHECK on the table columns instead (CREATE DOMAIN without it, or plain columns with "
              "CHECK (...)): a table CHECK can be replaced table by table with ADD CONSTRAINT ... NOT VALID and "
              "VALIDATE CONSTRAINT, which does not block writes."),
    )


@RULE.on("AlterDomainStmt")
def alter(ctx, node):
    sub = node.get("subtype")
    if ctx.stmt.rollback:
        return
    names = strings(node.get("typeName"))
    name = ".".join(names)
    if created_here(ctx, "domain", *object_ref("domain", names)):
        return  # no table created before this file uses it
    if sub == "C":
        con = (node.get("def") or {}).get("Constraint") or {}
        if con.get("contype") != "CONSTR_CHECK" or con.get("skip_validation"):
            return
        what = f"ALTER DOMAIN {name} ADD CONSTRAINT checks"
    elif sub == "V":
        what = f"ALTER DOMAIN {name} VALIDATE CONSTRAINT checks"
    elif sub == "O":
        what = f"ALTER DOMAIN {name} SET NOT NULL checks"
    else:
        return
    report(ctx,
        f"{what} every row of every table that uses the domain, under a SHARE lock",
        explanation=("It checks them all in one statement, holding a SHARE lock on each table: writes to all those "
                     "tables are blocked until the last one is scanned (unlike a table's VALIDATE CONSTRAINT, a "
                     "domain's takes SHARE as well)."),
        help=("Add the rule as CHECK constraints on the columns instead, table by table: ALTER TABLE t ADD "
              "CONSTRAINT ... CHECK (...) NOT VALID; then ALTER TABLE t VALIDATE CONSTRAINT ...; (writes keep "
              "flowing). ADD CONSTRAINT ... NOT VALID on the domain checks only new values and takes no lock on "
              "the tables."),
    )
