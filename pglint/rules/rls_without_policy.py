from ..engine.registry import Rule
from ._common import fitted, qname

RULE = Rule(
    "PG506", "rls-without-policy",
    summary="ENABLE ROW LEVEL SECURITY on a table the file gives no policy: every non-owner role sees no rows",
    category="security", severity="info",
)


@RULE.on("AlterTableStmt")
def check(ctx, node):
    rv = node.get("relation")
    if not rv:
        return
    key = ctx.table_key(rv)
    state = ctx.rule_state()
    enabled = state.setdefault("enabled", {})
    for i, c in enumerate(node.get("cmds") or ()):
        sub = (c.get("AlterTableCmd") or {}).get("subtype")
        if sub in ("AT_EnableRowSecurity", "AT_ForceRowSecurity"):
            if _has_policy(ctx, key):
                continue  # an earlier migration (or statement) gave it its policies
            enabled.setdefault(key, (qname(rv), ctx.cmd_span(i), ctx.stmt.index, rv))
        elif sub == "AT_DisableRowSecurity":
            enabled.pop(key, None)


def _has_policy(ctx, key) -> bool:
    """Whether the replayed history has created a policy on the table (and not dropped it):
    policies are recorded per table as ("policy", schema, "table.policy")."""
    prefix = key[1] + "."
    return any(k[0] == "policy" and k[1] == key[0] and k[2].startswith(prefix) and "." not in k[2][len(prefix):]
               for k in ctx.schema.objects)


@RULE.on("CreatePolicyStmt")
def policy(ctx, node):
    rv = node.get("table")
    if rv:
        ctx.rule_state().setdefault("policies", set()).add(ctx.table_key(rv))


@RULE.at_end
def finish(ctx):
    state = ctx.rule_state()
    enabled = state.pop("enabled", {})
    policies = state.pop("policies", set())
    for key, (table, span, index, rv) in enabled.items():
        if key in policies:
            continue
        d = ctx.report(
            fitted(f"Row-level security is enabled on {table} but this file creates no policy for it",
                   f"RLS is enabled on {table} but this file creates no policy for it"),
            explanation=("Unless policies exist already, every role other than the owner, superusers and BYPASSRLS "
                         "roles reads no row of the table and cannot write any (an application role's queries return "
                         "nothing, its writes fail)."),
            at=span, relation=rv,
            help=(f"Create the policies in the same migration, e.g. CREATE POLICY {table.split('.')[-1]}_owner ON "
                  f"{table} FOR ALL TO app_user USING (owner_id = current_user_id()); if only the owner may use "
                  f"{table} on purpose, say so with a suppression comment "
                  "(-- pglint: ignore[rls-without-policy] owner-only table)."),
        )
        if d is not None:
            d.statement = index
