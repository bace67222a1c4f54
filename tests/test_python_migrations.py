"""Alembic and Django migrations linted as migration histories (issue 21): the revision
chain / dependencies give the order, op.* calls and Django operations become the DDL they
emit, findings land on the right .py line, transactions follow each tool."""

import ast
import os
import textwrap
from pathlib import Path

import pytest
from pglast import parser

from conftest import ROOT
from pglint.config.settings import Settings
from pglint.engine.runner import plan_units, run_paths
from pglint.python import alembic_ops, django_ops
from pglint.python.migrations import recognise
from pglint.source.files import discover

ALEMBIC = ROOT / "fixtures" / "python" / "alembic"
DJANGO = ROOT / "fixtures" / "python" / "django"


def run(path, **kw):
    settings = Settings(python=True, **kw)
    return run_paths([str(path)], settings, jobs=1)


def findings(result):
    return {(os.path.basename(d.path), d.line, d.rule) for d in result.diagnostics}


def by_file(result):
    return {os.path.basename(f.path): f for f in result.files}


def line_of(path: Path, needle: str, nth: int = 1) -> int:
    """The 1-based line holding the nth occurrence of ``needle`` (tests name lines by their
    text, so that editing a fixture cannot leave a test checking the wrong line)."""
    n = 0
    for i, line in enumerate(path.read_text().splitlines(), 1):
        if needle in line:
            n += 1
            if n == nth:
                return i
    raise AssertionError(f"{needle!r} not in {path}")


# -- order ----------------------------------------------------------------------------


def test_alembic_tree_is_ordered_by_down_revision_not_file_name():
    units = plan_units(discover([str(ALEMBIC)], ("*.sql", "*.py")), Settings(python=True))
    [u] = [u for u in units if u.history is not None]
    assert u.history.layout == "alembic"
    names = [os.path.basename(i.path) for i in u.inputs]
    assert names == ["f3a1_create_users.py", "0b2c_orders.py", "9d4e_constraints.py", "2e5f_online.py"]
    assert names != sorted(names)
    assert u.history.notice is None


def test_django_app_is_ordered_by_dependencies_and_init_stays_application_code():
    units = plan_units(discover([str(DJANGO)], ("*.sql", "*.py")), Settings(python=True))
    [h] = [u.history for u in units if u.history is not None]
    assert h.layout == "django"
    assert [os.path.basename(e.input.path) for e in h.entries] == [
        "0001_initial.py", "0002_customer_email.py", "0003_concurrent.py", "0004_concurrent_ok.py"]
    assert [e.tx.mode for e in h.entries] == ["assumed", "assumed", "assumed", None]  # 0004: atomic = False
    standalone = [os.path.basename(u.inputs[0].path) for u in units if u.history is None]
    assert standalone == ["__init__.py"]


def write(tmp_path, files):
    for name, text in files.items():
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text))


def alembic_rev(rev, down, body="    pass\n"):
    return (f"from alembic import op\nimport sqlalchemy as sa\n\nrevision = {rev!r}\ndown_revision = {down!r}\n\n\n"
            f"def upgrade():\n{body}\n\ndef downgrade():\n    pass\n")


def order_of(tmp_path):
    units = plan_units(discover([str(tmp_path)], ("*.sql", "*.py")), Settings(python=True))
    [h] = [u.history for u in units if u.history is not None]
    return [os.path.basename(e.input.path) for e in h.entries], h.notice


def test_alembic_branches_and_merge_run_after_all_parents(tmp_path):
    write(tmp_path, {
        "versions/a_merge.py": alembic_rev("m", ("b1", "b2")),
        "versions/b_branch2.py": alembic_rev("b2", "r"),
        "versions/c_last.py": alembic_rev("z", "m"),
        "versions/d_branch1.py": alembic_rev("b1", "r"),
        "versions/e_root.py": alembic_rev("r", None),
    })
    names, notice = order_of(tmp_path)
    assert names == ["e_root.py", "b_branch2.py", "d_branch1.py", "a_merge.py", "c_last.py"]
    assert notice is None


def test_alembic_depends_on_is_a_parent(tmp_path):
    write(tmp_path, {
        "versions/a.py": alembic_rev("x", None).replace("down_revision = None",
                                                        "down_revision = None\ndepends_on = 'y'"),
        "versions/b.py": alembic_rev("y", None),
    })
    assert order_of(tmp_path) == (["b.py", "a.py"], None)


def test_alembic_cycle_falls_back_to_file_order_with_a_notice(tmp_path):
    write(tmp_path, {
        "versions/a.py": alembic_rev("x", "y"),
        "versions/b.py": alembic_rev("y", "x"),
    })
    names, notice = order_of(tmp_path)
    assert names == ["a.py", "b.py"]
    assert "cycle" in notice


def test_alembic_non_literal_revision_falls_back_with_a_notice(tmp_path):
    write(tmp_path, {
        "versions/a.py": alembic_rev("x", None),
        "versions/b.py": alembic_rev("y", "x").replace("down_revision = 'x'", "down_revision = PREVIOUS"),
        "versions/c.py": alembic_rev("w", "y"),
    })
    names, notice = order_of(tmp_path)
    assert names == ["a.py", "b.py", "c.py"]
    assert "b.py" in notice and "not a literal" in notice
    # the notice reaches the report, on the first file of the history
    res = run(tmp_path)
    assert any("not a literal" in n for n in by_file(res)["a.py"].notes)


def test_alembic_parent_outside_the_directory_is_noted(tmp_path):
    write(tmp_path, {"versions/a.py": alembic_rev("x", "elsewhere")})
    names, notice = order_of(tmp_path)
    assert names == ["a.py"] and "'elsewhere'" in notice


def test_django_dependencies_order_migrations_whose_names_do_not(tmp_path):
    def mig(deps):
        return ("from django.db import migrations\n\nclass Migration(migrations.Migration):\n"
                f"    dependencies = {deps!r}\n    operations = []\n")
    write(tmp_path, {
        "blog/migrations/0001_initial.py": mig([]),
        "blog/migrations/0002_b.py": mig([("blog", "0003_a"), ("auth", "0012_alter_user")]),
        "blog/migrations/0003_a.py": mig([("blog", "0001_initial")]),
    })
    names, notice = order_of(tmp_path)
    assert names == ["0001_initial.py", "0003_a.py", "0002_b.py"]
    assert notice is None  # other apps' migrations are not part of this history


# -- findings at the right lines ------------------------------------------------------------


def test_alembic_tree_findings():
    res = run(ALEMBIC)
    got = findings(res)
    v = ALEMBIC / "versions"
    orders, cons, online = v / "0b2c_orders.py", v / "9d4e_constraints.py", v / "2e5f_online.py"
    expected = {
        # users was created by an earlier revision: an existing table
        ("0b2c_orders.py", line_of(orders, 'op.create_index("ix_users_email"'), "index-not-concurrent"),
        ("0b2c_orders.py", line_of(orders, 'op.add_column("users"'), "add-column-required"),
        ("9d4e_constraints.py", line_of(cons, "op.alter_column("), "column-type-rewrite"),
        ("9d4e_constraints.py", line_of(cons, "op.create_foreign_key("), "constraint-without-not-valid"),
        # postgresql_concurrently=True in Alembic's transaction fails at run time
        ("9d4e_constraints.py", line_of(cons, 'op.create_index("ix_orders_total"'), "concurrently-in-transaction"),
        # SQL written in op.execute: the finding is on the string, at the UPDATE's table
        ("2e5f_online.py", line_of(online, '"UPDATE users"'), "update-without-where"),
    }
    assert expected <= got
    # an index on a table created in the same revision is not on an existing table
    assert ("0b2c_orders.py", line_of(orders, 'op.create_index("ix_orders_user_id"'), "index-not-concurrent") not in got
    assert not any(f == "f3a1_create_users.py" and r == "index-not-concurrent" for f, _, r in got)
    # CREATE INDEX CONCURRENTLY inside autocommit_block() runs outside the transaction
    blk = line_of(online, 'op.create_index("ix_users_score"')
    assert not any(f == "2e5f_online.py" and line == blk for f, line, _ in got)
    # the column (exact position in the string: "users" of "UPDATE users")
    [upd] = [d for d in res.diagnostics if d.rule == "update-without-where"]
    assert upd.column == online.read_text().splitlines()[upd.line - 1].index("users") + 1


def test_generated_statement_help_names_the_call_and_what_it_emits():
    res = run(ALEMBIC)
    [d] = [d for d in res.diagnostics if d.rule == "index-not-concurrent"]
    assert "emits" not in d.message  # the first line stays one sentence
    assert d.help.endswith("(op.create_index emits: CREATE UNIQUE INDEX ix_users_email ON users (email))")
    assert d.extra["emits"] == "CREATE UNIQUE INDEX ix_users_email ON users (email)"
    assert "postgresql_concurrently=True" in d.help and "autocommit_block" in d.help
    assert d.fix is None
    text = (ALEMBIC / "versions" / "0b2c_orders.py").read_text().splitlines()
    assert d.source_lines[0] == text[d.line - 1]
    assert d.column == text[d.line - 1].index("op.create_index") + 1
    [c] = [d for d in res.diagnostics if d.rule == "concurrently-in-transaction"]
    assert "Alembic runs the migration in a transaction" in c.message
    assert "autocommit_block" in c.help


def test_downgrade_is_a_rollback():
    res = run(ALEMBIC)
    orders = ALEMBIC / "versions" / "0b2c_orders.py"
    down = [d for d in res.diagnostics if os.path.basename(d.path) == "0b2c_orders.py"
            and d.line > line_of(orders, "def downgrade")]
    assert down and all(d.rollback for d in down)
    up = [d for d in res.diagnostics if d.rule == "add-column-required"]
    assert up and not any(d.rollback for d in up)


def test_django_app_findings():
    res = run(DJANGO)
    got = findings(res)
    m = DJANGO / "shop" / "migrations"
    m2, m3 = m / "0002_customer_email.py", m / "0003_concurrent.py"
    expected = {
        ("0002_customer_email.py", line_of(m2, "migrations.AddField("), "add-column-required"),
        ("0002_customer_email.py", line_of(m2, "migrations.AlterField("), "column-type-rewrite"),
        ("0002_customer_email.py", line_of(m2, "migrations.AddIndex("), "index-not-concurrent"),
        ("0002_customer_email.py", line_of(m2, '"UPDATE shop_customer'), "update-without-where"),
        ("0003_concurrent.py", line_of(m3, "AddIndexConcurrently("), "concurrently-in-transaction"),
    }
    assert expected <= got
    files = by_file(res)
    # 0001 creates both tables: its index and foreign-key index are on new tables
    assert files["0001_initial.py"].diagnostics == []
    # atomic = False: AddIndexConcurrently runs outside a transaction
    assert files["0004_concurrent_ok.py"].diagnostics == []
    # the AddField with a default (Django adds it with the DEFAULT, then drops the default) is fine
    assert ("0002_customer_email.py", line_of(m2, "migrations.AddField(", 2), "add-column-required") not in got
    # RunPython is Python: counted in a note, never guessed
    assert any("migrations.RunPython (1)" in n for n in files["0002_customer_email.py"].notes)
    assert any("did not turn into SQL" in n for n in files["0002_customer_email.py"].notes)
    [c] = [d for d in res.diagnostics if d.rule == "concurrently-in-transaction"]
    assert "atomic = False" in c.help


def test_python_suppression_comment_silences_a_generated_statement(tmp_path):
    write(tmp_path, {
        "versions/a.py": alembic_rev("a", None, '    op.create_table("t", sa.Column("id", sa.BigInteger(), '
                                                'sa.Identity(), primary_key=True))\n'),
        "versions/b.py": alembic_rev("b", "a", '    op.create_index("ix1", "t", ["id"])  '
                                               '# pglint: ignore[index-not-concurrent]\n'
                                               '    op.create_index("ix2", "t", ["id"])\n'),
    })
    res = run(tmp_path)
    got = [(d.line, d.rule) for d in by_file(res)["b.py"].diagnostics if d.rule == "index-not-concurrent"]
    b = tmp_path / "versions" / "b.py"
    assert got == [(line_of(b, '"ix2"'), "index-not-concurrent")]


def test_python_option_off_lints_no_py_file():
    res = run_paths([str(ALEMBIC)], Settings(), jobs=1)
    assert res.files == []


def test_application_code_beside_migrations_gets_no_migration_rules(tmp_path):
    write(tmp_path, {
        "versions/a.py": alembic_rev("a", None, '    op.create_table("t", sa.Column("id", sa.BigInteger(), '
                                                'sa.Identity(), primary_key=True))\n'),
        "versions/b.py": alembic_rev("b", "a", '    op.execute("CREATE INDEX ix ON t (id)")\n'),
        "app/jobs.py": "def reindex(cur):\n    cur.execute(\"CREATE INDEX ix ON t (id)\")\n",
    })
    res = run(tmp_path)
    files = by_file(res)
    assert [d.rule for d in files["b.py"].diagnostics if d.rule == "index-not-concurrent"] == ["index-not-concurrent"]
    assert not any(d.rule == "index-not-concurrent" for d in files["jobs.py"].diagnostics)


# -- translation: the statement each call emits -------------------------------------------


def alembic_sql(body: str) -> list[str]:
    tree = ast.parse(alembic_rev("x", None, textwrap.indent(textwrap.dedent(body), "    ")))
    return [p.sql for p in alembic_ops.translate(tree).pieces if not p.rollback]


@pytest.mark.parametrize("body,expected", [
    ('op.create_index("ix", "t", ["a", "b"], unique=True)', "CREATE UNIQUE INDEX ix ON t (a, b)"),
    ('op.create_index("ix", "t", ["a"], postgresql_concurrently=True, if_not_exists=True, '
     'postgresql_using="gin", postgresql_where=sa.text("a > 0"))',
     "CREATE INDEX CONCURRENTLY IF NOT EXISTS ix ON t USING gin (a) WHERE a > 0"),
    ('op.create_index("ix", "t", [sa.text("lower(email)")])', "CREATE INDEX ix ON t (lower(email))"),
    ('op.drop_index("ix", table_name="t", postgresql_concurrently=True)', "DROP INDEX CONCURRENTLY ix"),
    ('op.add_column("t", sa.Column("c", sa.String(20), nullable=False, server_default="x"))',
     "ALTER TABLE t ADD COLUMN c varchar(20) DEFAULT 'x' NOT NULL"),
    ('op.add_column("t", sa.Column("at", sa.DateTime(timezone=True), server_default=sa.func.now()))',
     "ALTER TABLE t ADD COLUMN at timestamp with time zone DEFAULT now()"),
    ('op.drop_column("t", "c")', "ALTER TABLE t DROP COLUMN c"),
    ('op.alter_column("t", "c", type_=sa.Numeric(12, 2), postgresql_using="c::numeric")',
     "ALTER TABLE t ALTER COLUMN c TYPE numeric(12, 2) USING c::numeric"),
    ('op.alter_column("t", "c", nullable=False)', "ALTER TABLE t ALTER COLUMN c SET NOT NULL"),
    ('op.alter_column("t", "c", server_default=None)', "ALTER TABLE t ALTER COLUMN c DROP DEFAULT"),
    ('op.create_foreign_key("fk", "a", "b", ["b_id"], ["id"], ondelete="CASCADE", postgresql_not_valid=True)',
     "ALTER TABLE a ADD CONSTRAINT fk FOREIGN KEY (b_id) REFERENCES b (id) ON DELETE CASCADE NOT VALID"),
    ('op.create_unique_constraint("uq", "t", ["a", "b"])', "ALTER TABLE t ADD CONSTRAINT uq UNIQUE (a, b)"),
    ('op.create_check_constraint("ck", "t", "a > 0")', "ALTER TABLE t ADD CONSTRAINT ck CHECK (a > 0)"),
    ('op.rename_table("old", "new")', "ALTER TABLE old RENAME TO new"),
    ('op.drop_table("user")', 'DROP TABLE "user"'),
    ('op.create_table("t", sa.Column("id", sa.Integer(), primary_key=True), if_not_exists=True)',
     "CREATE TABLE IF NOT EXISTS t (id serial NOT NULL PRIMARY KEY)"),
    ('op.add_column("t", sa.Column("c", sa.Integer()), if_not_exists=True)',
     "ALTER TABLE t ADD COLUMN IF NOT EXISTS c integer"),
    ('op.create_table("t", sa.Column("id", sa.Integer(), primary_key=True), '
     'sa.Column("u", sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL")), '
     'sa.UniqueConstraint("u", name="uq_u"))',
     "CREATE TABLE t (id serial NOT NULL PRIMARY KEY, u integer, FOREIGN KEY (u) REFERENCES users (id) "
     "ON DELETE SET NULL, CONSTRAINT uq_u UNIQUE (u))"),
])
def test_alembic_op_emits(body, expected):
    sql = alembic_sql(body)
    assert sql == [expected]
    parser.parse_sql(expected)  # what pglint builds, PostgreSQL's parser accepts


def test_alembic_calls_that_are_not_read_are_counted_not_guessed():
    tree = ast.parse(alembic_rev("x", None, "    op.create_index(NAME, 't', ['a'])\n"
                                            "    with op.batch_alter_table('t') as b:\n"
                                            "        b.add_column(sa.Column('c', sa.Integer()))\n"
                                            "    op.alter_column('t', 'c', type_=MyType())\n"))
    tr = alembic_ops.translate(tree)
    assert tr.pieces == []
    assert tr.skipped == {"op.create_index": 1, "op.batch_alter_table": 1,
                          "op.alter_column type_ (a type pglint does not know)": 1}


def test_alembic_autocommit_block_and_downgrade_runs():
    tree = ast.parse(alembic_rev("x", None, "    op.execute('SELECT 1')\n"
                                            "    with op.get_context().autocommit_block():\n"
                                            "        op.execute('SELECT 2')\n"
                                            "    op.execute('SELECT 3')\n"))
    pieces = alembic_ops.translate(tree).pieces
    assert [(p.sql, p.run, p.generated) for p in pieces] == [
        ("SELECT 1", "tx", False), ("SELECT 2", "autocommit", False), ("SELECT 3", "tx", False)]
    # three sections: the transaction before, the block, a new transaction after it
    assert len({p.block for p in pieces}) == 3


def django_sql(tmp_path, *migrations_src):
    state = django_ops.DjangoState()
    out = []
    for k, src in enumerate(migrations_src):
        path = tmp_path / "shop" / "migrations" / f"000{k + 1}_m.py"
        m = recognise(str(path), textwrap.dedent(src))
        tr = django_ops.translate(m.migration_class, m.app, state, m.atomic is not False)
        out.append(([p.sql for p in tr.pieces], tr.skipped))
    return out


INITIAL = """
    from django.db import migrations, models
    class Migration(migrations.Migration):
        operations = [
            migrations.CreateModel(name="Item", fields=[
                ("id", models.AutoField(primary_key=True)),
                ("code", models.CharField(max_length=10, null=True)),
                ("price", models.DecimalField(max_digits=8, decimal_places=2)),
            ], options={"db_table": "items"}),
        ]
"""


def test_django_operations_emit(tmp_path):
    later = """
        from django.db import migrations, models
        class Migration(migrations.Migration):
            dependencies = [("shop", "0001_m")]
            operations = [
                migrations.AlterField(model_name="item", name="code", field=models.CharField(max_length=10)),
                migrations.AlterField(model_name="item", name="price",
                                      field=models.DecimalField(max_digits=8, decimal_places=2)),
                migrations.AddField(model_name="item", name="owner",
                                    field=models.ForeignKey(on_delete=models.CASCADE, to="shop.item", null=True)),
                migrations.AddField(model_name="item", name="peer", field=models.ForeignKey(
                    on_delete=models.CASCADE, to="shop.item", null=True, db_constraint=False)),
                migrations.RenameField(model_name="item", old_name="code", new_name="sku"),
                migrations.RemoveField(model_name="item", name="sku"),
                migrations.AddConstraint(model_name="item",
                                         constraint=models.UniqueConstraint(fields=["price"], name="uq_price")),
                migrations.AlterUniqueTogether(name="item", unique_together={("price",)}),
                migrations.RunSQL(["SELECT 1", ("SELECT %s", [2])], reverse_sql="SELECT 3"),
            ]
    """
    (first, _), (second, skipped) = django_sql(tmp_path, INITIAL, later)
    assert first == ["CREATE TABLE items (id integer NOT NULL PRIMARY KEY GENERATED BY DEFAULT AS IDENTITY, "
                     "code varchar(10) NULL, price numeric(8, 2) NOT NULL)"]
    assert second == [
        "ALTER TABLE items ALTER COLUMN code SET NOT NULL",  # only what changed: null
        "ALTER TABLE items ADD COLUMN owner_id integer NULL REFERENCES items (id) DEFERRABLE INITIALLY DEFERRED",
        "CREATE INDEX items_owner_id_idx ON items (owner_id)",
        "ALTER TABLE items ADD COLUMN peer_id integer NULL",  # db_constraint=False
        "CREATE INDEX items_peer_id_idx ON items (peer_id)",
        "ALTER TABLE items RENAME COLUMN code TO sku",
        "ALTER TABLE items DROP COLUMN sku CASCADE",
        "ALTER TABLE items ADD CONSTRAINT uq_price UNIQUE (price)",
        "SELECT 1", "SELECT %s", "SELECT 3",
    ]
    assert skipped == {"migrations.AlterUniqueTogether": 1}
    for s in first + second:
        parser.parse_sql(s.replace("%s", "1"))


def test_django_field_pglint_cannot_read_is_skipped(tmp_path):
    later = """
        from django.db import migrations, models
        from django.utils import timezone
        class Migration(migrations.Migration):
            dependencies = [("shop", "0001_m")]
            operations = [
                migrations.AddField(model_name="item", name="at", field=models.DateTimeField(default=timezone.now)),
                migrations.AddField(model_name="other", name="x", field=models.IntegerField(null=True)),
            ]
    """
    (_, _), (second, skipped) = django_sql(tmp_path, INITIAL, later)
    assert second == []
    assert skipped == {"migrations.AddField (a default that is not a literal)": 1,
                       "migrations.AddField (a model this history does not create)": 1}


def test_django_set_not_null_on_existing_table_is_a_finding(tmp_path):
    write(tmp_path, {
        "shop/migrations/0001_initial.py": INITIAL,
        "shop/migrations/0002_code.py": """
            from django.db import migrations, models
            class Migration(migrations.Migration):
                dependencies = [("shop", "0001_initial")]
                operations = [
                    migrations.AlterField(model_name="item", name="code", field=models.CharField(max_length=10)),
                ]
        """,
    })
    res = run(tmp_path)
    f = by_file(res)["0002_code.py"]
    p = tmp_path / "shop" / "migrations" / "0002_code.py"
    assert ("set-not-null-scan", line_of(p, "migrations.AlterField(")) in {(d.rule, d.line) for d in f.diagnostics}


def test_unreadable_migration_does_not_stop_the_run(tmp_path):
    write(tmp_path, {
        "versions/a.py": alembic_rev("a", None, '    op.create_table("t", sa.Column("id", sa.BigInteger(), '
                                                'sa.Identity(), primary_key=True))\n'),
        "versions/b.py": alembic_rev("b", "a", '    op.execute("CREATE INDEX ix ON t (id)")\n'),
        "versions/c.py": alembic_rev("c", "b", "    op.execute(\n"),  # not valid Python
    })
    res = run(tmp_path)
    files = by_file(res)
    assert "index-not-concurrent" in {d.rule for d in files["b.py"].diagnostics}
    assert "c.py" in files  # reported, not a traceback


ODD_ALEMBIC = [
    "    op.create_table(*COLUMNS)\n",
    "    op.create_table('t', sa.Column())\n",
    "    op.add_column('t')\n",
    "    op.create_index()\n",
    "    op.create_index('ix', 't', 'a')\n",
    "    op.create_foreign_key(None, 't', 'u', [], [])\n",
    "    op.alter_column('t', 'c', type_=sa.ARRAY(Unknown), nullable=maybe)\n",
    "    op.execute(sa.text(f'SELECT {x}'))\n",
    "    op.execute()\n",
    "    op.get_bind().execute(sa.text('DELETE FROM t'))\n",
    "    for t in ('a', 'b'):\n        op.create_index('ix_' + t, t, ['x'])\n",
    "    with op.get_context().autocommit_block():\n        pass\n",
    "    op.create_table('t', sa.Column('a', sa.Integer(), server_default=sa.text(OTHER)))\n",
    "    op.execute('SELECT 1; ROLLBACK; BEGIN')\n",
    "    op.execute('NOT SQL AT ALL')\n",
]


@pytest.mark.parametrize("body", ODD_ALEMBIC)
def test_odd_alembic_calls_give_findings_or_notes_never_a_traceback(tmp_path, body):
    write(tmp_path, {"versions/a.py": alembic_rev("a", None, '    op.create_table("t", sa.Column("id", '
                                                            'sa.BigInteger(), sa.Identity(), primary_key=True))\n'),
                     "versions/b.py": alembic_rev("b", "a", body)})
    res = run(tmp_path)
    b = by_file(res)["b.py"]
    text = (tmp_path / "versions" / "b.py").read_text().splitlines()
    for d in b.diagnostics:
        assert 1 <= d.line <= len(text) and d.source_lines and d.source_lines[0] == text[d.line - 1]


ODD_DJANGO = [
    "operations = [migrations.CreateModel(name='X', fields=FIELDS)]",
    "operations = [migrations.CreateModel('X', [('id', models.BigAutoField(primary_key=True)), "
    "('m', models.ManyToManyField('Y'))])]",
    "operations = [migrations.AddField('x', 'y', models.IntegerField())]",
    "operations = OPS",
    "operations = [RunSomething()]",
    "operations = [migrations.RunSQL(sql=SQL)]",
    "operations = [migrations.RunSQL('SELECT 1', migrations.RunSQL.noop)]",
    "operations = [migrations.SeparateDatabaseAndState(database_operations=[migrations.RunSQL('SELECT 1')])]",
    "dependencies = DEPS\n    operations = []",
    "atomic = ATOMIC\n    operations = [migrations.RunSQL('CREATE INDEX CONCURRENTLY i ON t (a)')]",
]


@pytest.mark.parametrize("body", ODD_DJANGO)
def test_odd_django_operations_give_findings_or_notes_never_a_traceback(tmp_path, body):
    write(tmp_path, {"app/migrations/0001_initial.py":
                     "from django.db import migrations, models\n\nclass Migration(migrations.Migration):\n"
                     f"    {body}\n"})
    res = run(tmp_path)
    assert "0001_initial.py" in by_file(res)


def test_django_atomic_not_a_literal_is_an_unknown_transaction_mode(tmp_path):
    write(tmp_path, {"app/migrations/0001_initial.py":
                     "from django.db import migrations\n\nclass Migration(migrations.Migration):\n"
                     "    atomic = settings.ATOMIC\n"
                     "    operations = [migrations.RunSQL('CREATE INDEX CONCURRENTLY i ON t (a)')]\n"})
    res = run(tmp_path)
    f = by_file(res)["0001_initial.py"]
    assert "concurrently-in-transaction" not in {d.rule for d in f.diagnostics}
    assert f.tx_unknown


def test_python_rules_run_on_migrations_too(tmp_path):
    write(tmp_path, {
        "versions/a.py": alembic_rev("a", None, '    op.create_table("t", sa.Column("id", sa.BigInteger(), '
                                                'sa.Identity(), primary_key=True))\n'),
        "versions/b.py": alembic_rev("b", "a", '    table = TABLE\n'
                                               '    op.execute(f"DELETE FROM {table} WHERE id = 1")\n'),
    })
    res = run(tmp_path)
    b = tmp_path / "versions" / "b.py"
    got = {(d.rule, d.line) for d in by_file(res)["b.py"].diagnostics}
    assert ("sql-injection-python", line_of(b, "op.execute(")) in got


def test_a_revision_named_alone_is_linted_after_the_revisions_before_it():
    one = ALEMBIC / "versions" / "0b2c_orders.py"
    res = run(one)
    assert [os.path.basename(f.path) for f in res.files] == ["0b2c_orders.py"]  # the others give context only
    assert ("0b2c_orders.py", line_of(one, 'op.create_index("ix_users_email"'), "index-not-concurrent") in findings(res)


def test_sql_written_in_an_autocommit_block_runs_outside_the_transaction(tmp_path):
    write(tmp_path, {
        "versions/a.py": alembic_rev("a", None, '    op.create_table("t", sa.Column("id", sa.BigInteger(), '
                                                'sa.Identity(), primary_key=True))\n'),
        "versions/b.py": alembic_rev("b", "a",
                                     '    with op.get_context().autocommit_block():\n'
                                     '        op.execute("CREATE INDEX CONCURRENTLY IF NOT EXISTS ix1 ON t (id)")\n'
                                     '    op.execute("CREATE INDEX CONCURRENTLY ix2 ON t (id)")\n'),
    })
    res = run(tmp_path)
    b = tmp_path / "versions" / "b.py"
    got = {(d.rule, d.line) for d in by_file(res)["b.py"].diagnostics if d.rule == "concurrently-in-transaction"}
    assert got == {("concurrently-in-transaction", line_of(b, "ix2"))}


def test_django_foreign_keys_to_other_apps_and_settings(tmp_path):
    write(tmp_path, {
        "blog/migrations/0001_initial.py": """
            from django.conf import settings
            from django.db import migrations, models
            class Migration(migrations.Migration):
                dependencies = [migrations.swappable_dependency(settings.AUTH_USER_MODEL)]
                operations = [migrations.CreateModel(name="Post", fields=[
                    ("id", models.BigAutoField(primary_key=True)),
                    ("editor", models.ForeignKey(on_delete=models.CASCADE, to="auth.user")),
                    ("owner", models.ForeignKey(on_delete=models.CASCADE, to=settings.AUTH_USER_MODEL)),
                ])]
        """,
        "blog/migrations/0002_author.py": """
            from django.conf import settings
            from django.db import migrations, models
            class Migration(migrations.Migration):
                dependencies = [("blog", "0001_initial")]
                operations = [
                    migrations.AddField(model_name="post", name="author", field=models.ForeignKey(
                        null=True, on_delete=models.CASCADE, to=settings.AUTH_USER_MODEL)),
                ]
        """,
    })
    res = run(tmp_path)
    files = by_file(res)
    p2 = tmp_path / "blog" / "migrations" / "0002_author.py"
    # the model exists for the later migration; the index Django builds on the new column is real
    assert ("index-not-concurrent", line_of(p2, "migrations.AddField(")) in {
        (d.rule, d.line) for d in files["0002_author.py"].diagnostics}
    assert any("settings.AUTH_USER_MODEL" in n for n in files["0002_author.py"].notes)
    assert any("settings.AUTH_USER_MODEL" in n for n in files["0001_initial.py"].notes)
    assert not any(d.rule == "fk-type-mismatch" for d in res.diagnostics)  # auth_user's key type is not known


def test_unsaved_editor_text_that_is_not_valid_python_gives_a_note(tmp_path):
    write(tmp_path, {
        "versions/a.py": alembic_rev("a", None, '    op.create_table("t", sa.Column("id", sa.BigInteger(), '
                                                'sa.Identity(), primary_key=True))\n'),
        "versions/b.py": alembic_rev("b", "a", '    op.create_index("ix", "t", ["id"])\n'),
    })
    b = str(tmp_path / "versions" / "b.py")
    settings = Settings(python=True)
    res = run_paths([b], settings, jobs=1, overlay={os.path.realpath(b): "def upgrade(:\n"})
    [f] = res.files
    assert f.diagnostics == [] and any("not valid Python" in n for n in f.notes)
    # the saved text is a migration with a finding
    res = run_paths([b], settings, jobs=1)
    assert [d.rule for d in res.files[0].diagnostics if d.rule == "index-not-concurrent"] == ["index-not-concurrent"]


def test_alembic_autogenerate_style():
    body = '''
    op.create_table("accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.VARCHAR(length=80), server_default=sa.text("'x'::character varying"), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_accounts_owner_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
    )
    op.create_index(op.f("ix_accounts_name"), "accounts", ["name"], unique=False)
    op.drop_index(op.f("ix_old"), table_name="accounts")
    '''
    assert alembic_sql(body) == [
        "CREATE TABLE accounts (id serial NOT NULL, owner_id integer, name varchar(80) DEFAULT "
        "'x'::character varying NOT NULL, CONSTRAINT fk_accounts_owner_id_users FOREIGN KEY (owner_id) "
        "REFERENCES users (id), CONSTRAINT pk_accounts PRIMARY KEY (id))",
        "CREATE INDEX ix_accounts_name ON accounts (name)",
        "DROP INDEX ix_old",
    ]


def test_sql_the_reader_resolves_beyond_one_literal(tmp_path):
    write(tmp_path, {
        "versions/a.py": alembic_rev("a", None, '    op.create_table("t", sa.Column("id", sa.BigInteger(), '
                                                'sa.Identity(), primary_key=True))\n'),
        "versions/b.py": 'DDL = "CREATE INDEX ix ON t (id)"\n' + alembic_rev("b", "a",
                                                                             '    op.execute(DDL)\n'
                                                                             '    op.execute(make_sql())\n'),
    })
    res = run(tmp_path)
    f = by_file(res)["b.py"]
    b = tmp_path / "versions" / "b.py"
    [d] = [d for d in f.diagnostics if d.rule == "index-not-concurrent"]
    assert (d.line, d.column) == (1, len('DDL = "') + 1)  # in the constant's string, where the reader found it
    assert any("op.execute (SQL pglint cannot resolve) (1)" in n for n in f.notes)
    assert line_of(b, "make_sql") > 1


def test_django_separate_database_and_state_and_db_default(tmp_path):
    later = """
        from django.db import migrations, models
        class Migration(migrations.Migration):
            dependencies = [("shop", "0001_m")]
            operations = [
                migrations.SeparateDatabaseAndState(
                    state_operations=[migrations.CreateModel(name="Legacy", fields=[
                        ("id", models.BigAutoField(primary_key=True))], options={"db_table": "legacy"})],
                    database_operations=[migrations.RunSQL("ALTER TABLE old_legacy RENAME TO legacy")],
                ),
                migrations.AddField(model_name="legacy", name="n", field=models.IntegerField(db_default=0)),
            ]
    """
    (_, _), (second, skipped) = django_sql(tmp_path, INITIAL, later)
    assert second == ["ALTER TABLE old_legacy RENAME TO legacy",
                      "ALTER TABLE legacy ADD COLUMN n integer DEFAULT 0 NOT NULL"]
    assert skipped == {}


def test_unknown_types_are_said_not_guessed(tmp_path):
    tree = ast.parse(alembic_rev("x", None, '    op.add_column("t", sa.Column("c", MyType(), nullable=True))\n'))
    tr = alembic_ops.translate(tree)
    assert [p.sql for p in tr.pieces] == ["ALTER TABLE t ADD COLUMN c pglint_unknown_type"]
    assert tr.notes == ["t.c: type MyType is not one pglint knows (linted as a type no rule judges)"]
    mig = """
        from django.db import migrations, models
        class Migration(migrations.Migration):
            operations = [migrations.CreateModel(name="Tag", fields=[
                ("id", models.BigAutoField(primary_key=True)),
                ("geo", PointField()),
                ("items", models.ManyToManyField(to="shop.item")),
            ])]
    """
    path = tmp_path / "shop" / "migrations" / "0001_m.py"
    m = recognise(str(path), textwrap.dedent(mig))
    tr = django_ops.translate(m.migration_class, m.app, django_ops.DjangoState(), True)
    assert [p.sql for p in tr.pieces] == [
        "CREATE TABLE shop_tag (id bigint NOT NULL PRIMARY KEY GENERATED BY DEFAULT AS IDENTITY, "
        "geo pglint_unknown_type NOT NULL)"]
    assert tr.notes == ["Tag.items: a many-to-many field; its join table is not linted",
                        "geo: field PointField is not one pglint knows (its column is linted as a type no rule judges)"]


def test_django_reverse_sql_runs_after_the_forward_operations(tmp_path):
    mig = """
        from django.db import migrations
        class Migration(migrations.Migration):
            operations = [
                migrations.RunSQL("SELECT 1", reverse_sql="SELECT -1"),
                migrations.RunSQL("SELECT 2", reverse_sql=["SELECT -2", "SELECT -3"]),
            ]
    """
    m = recognise(str(tmp_path / "a" / "migrations" / "0001_x.py"), textwrap.dedent(mig))
    tr = django_ops.translate(m.migration_class, m.app, django_ops.DjangoState(), True)
    assert [(p.sql, p.rollback) for p in tr.pieces] == [
        ("SELECT 1", False), ("SELECT 2", False), ("SELECT -2", True), ("SELECT -3", True), ("SELECT -1", True)]


def test_cli_explain_order_and_add_ignore_round_trip(tmp_path):
    import shutil
    import subprocess

    from conftest import pglint_path

    tree = tmp_path / "alembic"
    shutil.copytree(ALEMBIC, tree)
    out = subprocess.run([pglint_path(), "--python", "--explain-order", str(tree)], capture_output=True, text=True)
    assert out.returncode == 0
    lines = [ln.split()[1] for ln in out.stdout.splitlines() if ln.strip()[:1].isdigit()]
    assert lines == ["f3a1_create_users.py", "0b2c_orders.py", "9d4e_constraints.py", "2e5f_online.py"]
    first = subprocess.run([pglint_path(), "--python", "--no-cache", "--format", "json", str(tree)],
                           capture_output=True, text=True)
    assert first.returncode == 1 and "index-not-concurrent" in first.stdout
    add = subprocess.run([pglint_path(), "--python", "--no-cache", "--add-ignore", str(tree)],
                         capture_output=True, text=True)
    assert add.returncode == 0, add.stderr
    again = subprocess.run([pglint_path(), "--python", "--no-cache", str(tree)], capture_output=True, text=True)
    assert again.returncode == 0 and "No problems found" in again.stdout
    # the comments went above the op calls of the .py files
    assert "# pglint: ignore[index-not-concurrent" in (tree / "versions" / "0b2c_orders.py").read_text()


def test_messages_show_the_sql_as_written_in_the_migration(tmp_path):
    write(tmp_path, {
        "versions/a.py": alembic_rev("a", None, '    op.create_table("t", sa.Column("id", sa.BigInteger(), '
                                                'sa.Identity(), primary_key=True))\n'),
        "versions/b.py": alembic_rev("b", "a", '    for table in TABLES:\n'
                                               '        op.execute(f"UPDATE {table} SET id = id")\n'),
    })
    res = run(tmp_path)
    [d] = [d for d in by_file(res)["b.py"].diagnostics if d.rule == "update-without-where"]
    assert "{table}" in d.message
