"""reporters/_json_text.dump writes exactly what json.dump(..., ensure_ascii=False, indent=N)
writes (SARIF and GitLab reports use it)."""

import enum
import io
import json
import random

import pytest

from pglint.reporters._json_text import dump


class Kind(str, enum.Enum):
    A = "a"


VALUES = [
    {},
    [],
    {"a": {}, "b": [], "c": [{}], "d": [[]]},
    {"s": 'quote " backslash \\ tab \t newline \n nul \x00 del \x7f é 名 😀 \u2028'},
    [1, -2, 0, 2**70, 1.5, -0.0, 1e300, float("nan"), float("inf"), -float("inf"), True, False, None],
    ("tuple", ("nested",)),
    {"deep": [[[[{"x": [1, {"y": None}]}]]]]},
    {"same": ["repeated"] * 5, "again": "repeated"},
    {1: "int key"},  # the json module's own conversion of keys
    {"enum": Kind.A},  # a str subclass
    [Kind.A, {"k": [Kind.A]}],
]


@pytest.mark.parametrize("value", VALUES, ids=range(len(VALUES)))
@pytest.mark.parametrize("indent", [2, 4])
def test_same_text_as_the_json_module(value, indent):
    a, b = io.StringIO(), io.StringIO()
    json.dump(value, a, ensure_ascii=False, indent=indent)
    dump(value, b, indent)
    assert b.getvalue() == a.getvalue()


def test_random_documents():
    rnd = random.Random(17)
    words = ["", "x", "é", "a\"b", "\\", "\n", "名前", "long " * 20]

    def make(depth):
        k = rnd.randrange(7 if depth < 5 else 4)
        if k == 0:
            return rnd.choice(words)
        if k == 1:
            return rnd.randrange(-10**6, 10**6)
        if k == 2:
            return rnd.choice([None, True, False, 0.25, -1e-9])
        if k == 3:
            return rnd.choice(words) + str(rnd.random())
        if k in (4, 5):
            return {rnd.choice(words) + str(i): make(depth + 1) for i in range(rnd.randrange(4))}
        return [make(depth + 1) for _ in range(rnd.randrange(4))]

    for _ in range(300):
        v = make(0)
        a, b = io.StringIO(), io.StringIO()
        json.dump(v, a, ensure_ascii=False, indent=2)
        dump(v, b, 2)
        assert b.getvalue() == a.getvalue()
