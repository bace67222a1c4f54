"""Session settings seen so far in a file (SET / SET LOCAL / RESET / set_config)."""

from __future__ import annotations

import re

from .nodes import const_value, sval, strings

TRACKED = ("lock_timeout", "statement_timeout", "idle_in_transaction_session_timeout",
           "transaction_timeout", "search_path", "timezone")

_ZERO = re.compile(r"^\s*0+\s*(?:ms|s|min|h|d|us)?\s*$", re.I)


def setting_value(args) -> str | None:
    vals = []
    for a in args or ():
        v = const_value(a)
        if v is None:
            v = sval(a)
        if v is None:
            continue
        vals.append(str(v))
    return ", ".join(vals) if vals else None


def is_disabled(value: str | None) -> bool:
    """lock_timeout / statement_timeout of 0 means no timeout."""
    return value is None or bool(_ZERO.match(value))


class SessionState:
    def __init__(self, initial: dict[str, str] | None = None) -> None:
        self.initial = dict(initial or {})
        self.values: dict[str, str] = dict(self.initial)  # session level
        self.local: dict[str, str] = {}  # SET LOCAL, until the end of the transaction
        self._snapshot: dict[str, str] | None = None

    def get(self, name: str) -> str | None:
        if name in self.local:
            return self.local[name]
        return self.values.get(name)

    def has_timeout(self, name: str) -> bool:
        return not is_disabled(self.get(name))

    def apply_set(self, node: dict, in_block: bool) -> None:
        name = (node.get("name") or "").lower()
        kind = node.get("kind", "")
        if kind == "VAR_RESET_ALL":
            self.values = dict(self.initial)
            self.local = {}
            return
        if name not in TRACKED:
            return
        if kind == "VAR_SET_VALUE":
            value = setting_value(node.get("args"))
        elif kind in ("VAR_SET_DEFAULT", "VAR_RESET"):
            value = self.initial.get(name)
        else:
            return
        if node.get("is_local"):
            if in_block:  # SET LOCAL outside a transaction block has no effect
                if value is None:
                    self.local.pop(name, None)
                else:
                    self.local[name] = value
            return
        if value is None:
            self.values.pop(name, None)
        else:
            self.values[name] = value

    def apply_set_config(self, func: dict, in_block: bool) -> None:
        """SELECT set_config('lock_timeout', '2s', is_local)."""
        args = func.get("args") or ()
        if len(args) < 2:
            return
        name = const_value(args[0])
        value = const_value(args[1])
        if not isinstance(name, str) or name.lower() not in TRACKED:
            return
        is_local = const_value(args[2]) if len(args) > 2 else False
        target = self.local if (is_local and in_block) else self.values
        if is_local and not in_block:
            return
        target[name.lower()] = str(value)

    def begin(self) -> None:
        self._snapshot = dict(self.values)

    def end(self, committed: bool) -> None:
        self.local = {}
        if not committed and self._snapshot is not None:
            self.values = self._snapshot  # a rolled-back SET is undone
        self._snapshot = None


def set_config_calls(node: dict) -> list[dict]:
    """set_config(...) calls at the top of a SELECT's target list."""
    out = []
    for t in node.get("targetList") or ():
        v = t.get("ResTarget", {}).get("val") or {}
        fc = v.get("FuncCall")
        if fc and strings(fc.get("funcname"))[-1:] == ["set_config"]:
            out.append(fc)
    return out
