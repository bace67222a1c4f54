"""The identifier character classes of source/lexer.py are written as negated ASCII classes
(cheap to compile); they must be exactly the readable sets they stand for, on every code point."""

from __future__ import annotations

import re

import pytest

from pglint.source.lexer import DOLLAR_TAG, IDENT_CONT, IDENT_CONT_DOLLAR, IDENT_START


@pytest.mark.parametrize(("fast", "readable"), [
    (IDENT_START, r"[A-Za-z_\x80-\U0010ffff]"),
    (IDENT_CONT, r"[\w\x80-\U0010ffff]"),
    (IDENT_CONT_DOLLAR, r"[\w$\x80-\U0010ffff]"),
])
def test_same_set_on_every_code_point(fast, readable):
    a, b = re.compile(fast), re.compile(readable)
    differ = [hex(c) for c in range(0x110000) if bool(a.fullmatch(chr(c))) != bool(b.fullmatch(chr(c)))]
    assert differ == []


def test_dollar_tags():
    tag = re.compile(DOLLAR_TAG)
    for good in ("$$", "$body$", "$_x1$", "$éte$", "$a_b$"):
        assert tag.fullmatch(good), good
    for bad in ("$1$", "$a-b$", "$a b$", "$a$b$"):
        assert not tag.fullmatch(bad), bad


def test_placeholder_names_are_put_back_by_whole_word(tmp_path):
    """A psql variable inside a message's name is shown as written, and a stand-in never
    changes part of a longer word (':noted' once turned 'last_noted_at' into 'last:noted_at')."""
    import json
    import subprocess

    from conftest import pglint_path

    f = tmp_path / "m.sql"
    f.write_text("CREATE TABLE :tbl (id bigint PRIMARY KEY, noted timestamp);\n"
                 "CREATE TABLE posts (id bigint PRIMARY KEY, last_noted_at timestamp);\n"
                 "SELECT :noted;\n")
    p = subprocess.run([pglint_path(), "--isolated", "--no-cache", "--format", "json", str(f)],
                       capture_output=True, text=True)
    msgs = [d["message"] for d in json.loads(p.stdout)["diagnostics"] if d["rule"] == "timestamp-without-time-zone"]
    assert any(m.startswith(":tbl.noted ") for m in msgs), msgs
    assert any(m.startswith("posts.last_noted_at ") for m in msgs), msgs
