from ..engine.registry import Rule
from ..model.nodes import defelem
from ._common import alter_table_cmds, column_is_new, not_against_live_app, qname, report

RULE = Rule(
    "PG211", "alter-identity",
    summary="ADD / SET / DROP IDENTITY changes how the running application's inserts get their ids",
    category="compatibility",
)


def _generated(cmd) -> str | None:
    """'a' (ALWAYS) or 'd' (BY DEFAULT) set by the command, if any."""
    d = cmd.get("def") or {}
    con = d.get("Constraint")
    if con:
        return con.get("generated_when")
    items = (d.get("List") or {}).get("items")
    g = defelem(items, "generated")
    if g is not None:
        v = (g.get("arg") or {}).get("Integer", {}).get("ival")
        return chr(v) if isinstance(v, int) else None
    return None


def _start_value(cmd):
    """The START WITH / RESTART [WITH] value of ADD ... AS IDENTITY (seq options), as written:
    an int, True when given without a readable integer, None when not given."""
    con = (cmd.get("def") or {}).get("Constraint") or {}
    for name in ("restart", "start"):
        d = defelem(con.get("options"), name)
        if d is not None:
            arg = d.get("arg") or {}
            v = arg.get("Integer", {}).get("ival") if "Integer" in arg else None
            if v is None and "Float" in arg:  # a bigint literal
                try:
                    v = int(arg["Float"].get("fval", ""))
                except ValueError:
                    v = None
            return v if isinstance(v, int) else True
    return None


def _restarts(cmd) -> bool:
    items = ((cmd.get("def") or {}).get("List") or {}).get("items")
    return defelem(items, "restart") is not None


@RULE.on("AlterTableStmt")
def check(ctx, node):
    if node.get("objtype", "OBJECT_TABLE") != "OBJECT_TABLE" or not_against_live_app(ctx):
        return
    rv = node.get("relation")
    table = qname(rv)
    for i, cmd in enumerate(alter_table_cmds(node)):
        sub = cmd.get("subtype")
        if sub not in ("AT_AddIdentity", "AT_SetIdentity", "AT_DropIdentity"):
            continue
        col = cmd.get("name", "")
        if column_is_new(ctx, rv, col):
            continue
        gen = _generated(cmd)
        if sub == "AT_DropIdentity":
            msg = f"DROP IDENTITY on {table}.{col} breaks inserts of the running application that leave it out"
            why = ("Inserts that leave the column out no longer get a value and fail with 'null value in column ... "
                   "violates not-null constraint'.")
            help = (f"First deploy code that supplies {col} itself (or set a DEFAULT, e.g. ALTER TABLE {table} ALTER "
                    f"COLUMN {col} SET DEFAULT nextval('<sequence>')), then drop the identity.")
        elif sub == "AT_AddIdentity" and _start_value(cmd) not in (None, 0, 1):
            # the statement chooses where the sequence starts: the author placed it (after the
            # existing ids, one hopes; pglint cannot see them)
            if gen != "a":
                continue
            msg = f"ADD GENERATED ALWAYS AS IDENTITY on {table}.{col} breaks inserts that supply {col}"
            why = ("Inserts of the running application that supply the column fail with 'cannot insert a non-DEFAULT "
                   "value into column ...'.")
            help = (f"Use BY DEFAULT until no deployed code supplies {col}, then SET GENERATED ALWAYS.")
        elif sub == "AT_AddIdentity":
            msg = (f"ADD GENERATED {'ALWAYS' if gen == 'a' else 'BY DEFAULT'} AS IDENTITY on {table}.{col} starts at 1, "
                   "below the existing ids")
            why = ("Its sequence starts at 1 (unless START WITH says otherwise), so new inserts collide with the ids "
                   "already in the table ('duplicate key value violates unique constraint')")
            if gen == "a":
                why += (", and inserts of the running application that supply the column fail with 'cannot insert a "
                        "non-DEFAULT value into column ...'")
            why += "."
            help = (f"Start the sequence after the existing ids: ALTER TABLE {table} ALTER COLUMN {col} ADD GENERATED "
                    f"BY DEFAULT AS IDENTITY (START WITH <max({col}) + 1>); use ALWAYS only once no deployed code "
                    f"supplies {col}.")
        elif gen == "a":
            msg = f"SET GENERATED ALWAYS on {table}.{col} breaks inserts that supply {col}"
            why = ("Inserts of the running application that supply the column now fail with 'cannot insert a "
                   "non-DEFAULT value into column ...'.")
            help = (f"First deploy code that leaves {col} out of its inserts (or uses OVERRIDING SYSTEM VALUE), then "
                    "switch to ALWAYS.")
        elif _restarts(cmd):
            msg = f"RESTART of the identity of {table}.{col} may make inserts collide with existing rows"
            why = ("If the new start is below the largest id in the table, inserts collide with existing rows "
                   "('duplicate key value violates unique constraint').")
            help = f"Restart it above the existing ids: ... RESTART WITH <max({col}) + 1>."
        else:
            msg = f"Changing the identity of {table}.{col} changes the ids the running application's inserts get"
            why = ("Sequence options change the ids generated from now on, and BY DEFAULT lets explicit ids through "
                   "that later collide with generated ones.")
            help = "Make sure the deployed code and the existing ids fit the new identity settings first."
        report(ctx, msg, at=ctx.cmd_span(i), relation=rv, help=help, explanation=why)
