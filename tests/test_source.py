"""Reading, splitting and parsing files: the source model."""

from pglint.source.files import decode, natural_key
from pglint.source.lexer import lex
from pglint.source.parsing import parse_file
from pglint.source.text import ByteMap, SourceText

from conftest import lint


def parsed(text):
    return parse_file(SourceText("t.sql", text))


def texts(text):
    pf = parsed(text)
    return [pf.sql[s.start:s.end] for s in pf.statements], pf


def test_bytemap_roundtrip_non_ascii():
    text = "a€b😀c é"
    bm = ByteMap(text)
    data = text.encode()
    for i in range(len(text) + 1):
        b = len(text[:i].encode())
        assert bm.char(b) == i
        assert bm.byte(i) == b
    assert len(data) == bm.byte(len(text))


def test_positions_count_characters_and_all_line_breaks():
    src = SourceText("x", "é\r\nab\rc\nd")
    assert src.position(0) == (1, 1)
    assert src.position(3) == (2, 1)  # after \r\n
    assert src.position(6) == (3, 1)  # after a lone \r
    assert src.position(8) == (4, 1)
    assert src.line_text(2) == "ab"


def test_fast_path_and_lexer_agree_on_boundaries():
    sql = "select 1; /* c */ select 'a;b';\ncreate function f() returns int language sql begin atomic select 1; select 2; end;\nselect $x$ ; $x$"
    fast = [(s.start, s.end) for s in parsed(sql).statements]
    slow = [(s.start, s.end) for s in parse_file(SourceText("t", sql), force_lexer=True).statements]
    assert fast == slow and len(fast) == 4


def test_psql_meta_commands_variables_and_copy_data():
    sql = ("\\set x 1\nselect :x, :'y', :\"z\".t;\nselect 1 \\gset\nCOPY t FROM stdin;\n"
           "a\t'b;\n\\.\nselect 2;\n")
    stmts, pf = texts(sql)
    assert stmts == ["select _x,  'y',  \"z\".t", "select 1", "COPY t FROM stdin", "select 2"]
    assert len(pf.sql) == len(sql)  # offsets are offsets into the original file
    assert not pf.errors


def test_psql_slices_and_casts_are_not_variables():
    stmts, pf = texts("select a[1:2], b::text, c[i:j] from t; \\echo hi\n")
    assert stmts == ["select a[1:2], b::text, c[i:j] from t"]
    assert not pf.errors


def test_placeholders_become_same_length_identifiers():
    sql = "create table ${schema}.t (id int); create schema {{ index .Options \"Namespace\" }}; select @extschema@.f();"
    stmts, pf = texts(sql)
    assert not pf.errors
    assert len(stmts) == 3
    assert pf.placeholders and all(pf.sql[s:e].startswith("_") for s, e in pf.placeholders)


def test_goose_sections_and_statement_blocks():
    sql = ("-- +goose Up\n-- +goose StatementBegin\nselect 1;\nselect 2;\n-- +goose StatementEnd\n"
           "create table a (x int)\n-- +goose Down\ndrop table a;\n")
    pf = parsed(sql)
    assert [(s.type, s.rollback) for s in pf.statements] == [
        ("SelectStmt", False), ("SelectStmt", False), ("CreateStmt", False), ("DropStmt", True)]
    assert not pf.errors  # the Up part has no final ';' but the Down marker ends it


def test_dbmate_sections():
    pf = parsed("-- migrate:up\ncreate table a (x int);\n-- migrate:down\ndrop table a;\n")
    assert [s.rollback for s in pf.statements] == [False, True]


def test_scanner_failure_keeps_other_statements():
    stmts, pf = texts('select 1; select "" from t; select 3;')
    assert stmts == ["select 1", "select 3"]
    assert len(pf.errors) == 1 and "zero-length" in pf.errors[0].message


def test_unterminated_quote_runs_to_the_end():
    stmts, pf = texts("select 1; select 'abc; select 2;")
    assert stmts == ["select 1"]
    assert len(pf.errors) == 1


def test_unbalanced_parenthesis_does_not_hide_later_statements():
    stmts, pf = texts("select (1; create table t (x int); select 3;")
    assert stmts == ["create table t (x int)", "select 3"]
    assert len(pf.errors) == 1


def test_syntax_error_position_is_exact_with_non_ascii_text():
    diags = lint("select 'é€😀' frm t;")
    (d,) = [d for d in diags if d.rule == "syntax-error"]
    assert (d.line, d.column) == (1, 18)  # the "t" after "frm": 18th character, 22nd byte
    assert "at or near" in d.message


def test_plpgsql_embedded_statements_have_file_positions():
    sql = "select 1;\ncreate function f() returns void language plpgsql as $$\nbegin\n  update t set a = 1 where b;\nend $$;"
    pf = parsed(sql)
    fn = pf.statements[1]
    (emb,) = fn.embedded
    assert emb.type == "UpdateStmt" and emb.origin == "function"
    assert pf.sql[emb.start:emb.end] == "update t set a = 1 where b"


def test_single_quoted_body_offsets_account_for_doubled_quotes():
    sql = "do 'begin perform ''x''; update t set a = ''y''; end';"
    pf = parsed(sql)
    emb = pf.statements[0].embedded
    upd = [e for e in emb if e.type == "UpdateStmt"][0]
    assert sql[upd.start:upd.end].startswith("update t set a = ''y''")


def test_deeply_nested_statement_is_a_syntax_error_not_a_crash():
    diags = lint("select " + "(" * 20000 + "1" + ")" * 20000 + ";\nselect 1 +;")
    assert [d.rule for d in diags] == ["syntax-error", "syntax-error"]


def test_long_expression_chain_is_analysed():
    diags = lint("select " + " || ".join(["'a'"] * 3000) + ";")
    assert diags == []


def test_decode_reports_reasons():
    assert decode(b"select 1;", "a")[1] is None
    src, why = decode(b"\xef\xbb\xbfselect 1;", "a")
    assert src.text == "select 1;" and src.had_bom
    assert "not valid UTF-8" in decode(b"select '\xe4';", "a")[1]
    assert "line 1, column 9" in decode(b"select '\xe4';", "a")[1]
    assert "binary" in decode(b"\x00\x01", "a")[1]
    assert "UTF-16" in decode("select 1".encode("utf-16"), "a")[1]


def test_natural_sort_orders_versions():
    names = ["V10__x.sql", "V2__x.sql", "V1__x.sql", "010_b.sql", "9_a.sql"]
    assert sorted(names, key=natural_key) == ["9_a.sql", "010_b.sql", "V1__x.sql", "V2__x.sql", "V10__x.sql"]


def test_lexer_records_comments_and_markers():
    lx = lex("-- a\nselect 1; /* b /* nested */ c */ select 2;\n-- +goose Down\n")
    assert len(lx.comments) == 3
    assert [m.name for m in lx.markers] == ["down"]
