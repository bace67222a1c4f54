"""Statement spans that libpg_query's locations do not give exactly (issue 10, found by the
fuzz target and the span property of tests/test_hostile_inputs.py):

- a statement's ``stmt_len`` runs to its semicolon, or to the end of the text for the last
  one, so a comment between its last token and that point was part of the span (``SELECT 1
  -- done`` at the end of a file): the span now ends at the last token. Only checked when the
  span's last line holds ``--`` or the span ends with ``*/`` (a scan of that statement only);
- the statements of a SQL-standard body (``BEGIN ATOMIC ... END``) carry no location of their
  own: their spans ran from their first located node to the end of the whole CREATE
  FUNCTION. They are now cut from the body's tokens at its top-level semicolons.
"""

from __future__ import annotations

from pglast import parser as _pg

_COMMENTS = ("SQL_COMMENT", "C_COMMENT")


def trim_trailing_comment(text: str, start: int, end: int) -> int:
    """``end`` moved back over comments (and blanks) that follow the statement's last token."""
    if end <= start:
        return end
    nl = text.rfind("\n", start, end)
    if not text.endswith("*/", start, end) and text.find("--", nl + 1 if nl >= 0 else start, end) < 0:
        return end
    try:
        tokens = _pg.scan(text[start:end])
    except Exception:  # noqa: BLE001 - pglast raises its own error types; keep the span as it was
        return end
    last = None
    for t in tokens:
        if t.name not in _COMMENTS:
            last = t
    if last is None:
        return end
    new = start + last.end + 1
    while new > start and text[new - 1].isspace():
        new -= 1
    return new if start < new <= end else end


def atomic_spans(text: str, start: int, end: int, count: int) -> list[tuple[int, int]] | None:
    """The spans of the ``count`` statements of the BEGIN ATOMIC body of the CREATE
    FUNCTION/PROCEDURE at ``text[start:end]``, or None when the tokens do not show them."""
    try:
        tokens = [t for t in _pg.scan(text[start:end]) if t.name not in _COMMENTS]
    except Exception:  # noqa: BLE001
        return None
    k = next((i for i in range(1, len(tokens)) if tokens[i].name == "ATOMIC" and tokens[i - 1].name == "BEGIN_P"),
             None)
    if k is None:
        return None
    body = tokens[k + 1:]
    if body and body[-1].name == "END_P":
        body = body[:-1]
    spans: list[tuple[int, int]] = []
    first = None
    depth = 0
    case = 0
    for t in body:
        if t.name == "CASE":
            case += 1
        elif t.name == "END_P" and case:
            case -= 1
        if t.name in ("ASCII_40", "ASCII_91"):  # ( [
            depth += 1
        elif t.name in ("ASCII_41", "ASCII_93"):
            depth -= 1
        if t.name == "ASCII_59" and depth == 0 and not case:  # ;
            if first is not None:
                spans.append((start + first.start, start + prev.end + 1))
            first = None
            continue
        if first is None:
            first = t
        prev = t
    if first is not None:
        spans.append((start + first.start, start + prev.end + 1))
    return spans if len(spans) == count else None
