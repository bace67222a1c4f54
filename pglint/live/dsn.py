"""The connection string: where it comes from, how it is shown, what must never be shown.

``--dsn`` wins over ``PGLINT_DSN``; whatever the string leaves out (or all of it, with an
empty string) libpq takes from the ``PG*`` variables (PGHOST, PGPORT, PGDATABASE,
PGUSER, PGPASSWORD, PGSERVICE, ...) and ~/.pgpass. pglint prints a connection only as
``postgresql://host:port/dbname`` and scrubs any password from messages it passes on.
"""

from __future__ import annotations

import getpass
import os
import re
from urllib.parse import quote, unquote, urlsplit

ENV_DSN = "PGLINT_DSN"


def resolve_dsn(flag: str | None, env=None) -> str | None:
    """The connection string to use: --dsn, else PGLINT_DSN, else None (no live mode)."""
    env = os.environ if env is None else env
    if flag is not None:
        return flag
    value = env.get(ENV_DSN)
    if value is not None:
        return value
    return None


def _is_url(dsn: str) -> bool:
    return dsn.startswith(("postgresql://", "postgres://"))


def params(dsn: str) -> dict[str, str]:
    """The keywords of a connection string (URL or key=value); {} if it cannot be read."""
    if _is_url(dsn):
        return _url_params(dsn)
    out = {}
    for m in re.finditer(r"([A-Za-z_]+)\s*=\s*('(?:[^'\\]|\\.)*'|\S*)", dsn):
        v = m.group(2)
        if v.startswith("'"):
            v = re.sub(r"\\(.)", r"\1", v[1:-1])
        out[m.group(1).lower()] = v
    return out


def _url_params(dsn: str) -> dict[str, str]:
    out: dict[str, str] = {}
    try:
        u = urlsplit(dsn)
    except ValueError:
        return out
    netloc = u.netloc
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        user, sep, pw = userinfo.partition(":")
        if user:
            out["user"] = unquote(user)
        if sep:
            out["password"] = unquote(pw)
    else:
        hostport = netloc
    host, port = hostport, ""
    if hostport.startswith("["):
        host, _, rest = hostport[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
    elif ":" in hostport and "," not in hostport:
        host, _, port = hostport.rpartition(":")
    if host:
        out["host"] = unquote(host)
    if port:
        out["port"] = port
    if u.path and u.path != "/":
        out["dbname"] = unquote(u.path[1:])
    for part in u.query.split("&"):
        if "=" in part:
            k, v = part.split("=", 1)
            out[unquote(k).lower()] = unquote(v)
    return out


def display(dsn: str | None = None, *, host=None, port=None, dbname=None, env=None) -> str:
    """``postgresql://host:port/dbname``: what the connection is, without user or password."""
    env = os.environ if env is None else env
    p = params(dsn or "")
    host = host or p.get("host") or p.get("hostaddr") or env.get("PGHOST") or env.get("PGHOSTADDR") or "localhost"
    port = port or p.get("port") or env.get("PGPORT") or "5432"
    user = p.get("user") or env.get("PGUSER") or _os_user()
    dbname = dbname or p.get("dbname") or env.get("PGDATABASE") or user
    host = str(host).split(",")[0]
    port = str(port).split(",")[0]
    if host.startswith("/") or host.startswith("@"):
        host = quote(host, safe="")  # a Unix-socket directory, as libpq URLs write it
    elif ":" in host:
        host = f"[{host}]"
    return f"postgresql://{host}:{port}/{quote(str(dbname), safe='')}"


def _os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name: libpq would fail the same way
        return "postgres"


def secrets(dsn: str | None, env=None) -> list[str]:
    """Every password pglint may know of (to scrub from messages), longest first."""
    env = os.environ if env is None else env
    found = set()
    if dsn:
        pw = params(dsn).get("password")
        if pw:
            found.add(pw)
        for m in re.finditer(r"password\s*=\s*('(?:[^'\\]|\\.)*'|[^\s&]*)", dsn, re.I):
            v = m.group(1).strip("'")
            if v:
                found.add(v)
                found.add(unquote(v))
        m = re.match(r"postgres(?:ql)?://([^@/]*)@", dsn)
        if m and ":" in m.group(1):
            raw = m.group(1).split(":", 1)[1]
            if raw:
                found.add(raw)
                found.add(unquote(raw))
    if env.get("PGPASSWORD"):
        found.add(env["PGPASSWORD"])
    return sorted((s for s in found if s), key=len, reverse=True)


def scrub(text: str, hidden: list[str]) -> str:
    """``text`` with every known password replaced by ***."""
    for s in hidden:
        if len(s) >= 4:
            text = text.replace(s, "***")
        else:  # a very short password: only where it stands alone
            text = re.sub(r"(?<![\w])" + re.escape(s) + r"(?![\w])", "***", text)
    return text


def mask(dsn: str) -> str:
    """The connection string with its password replaced by ***."""
    if _is_url(dsn):
        dsn = re.sub(r"^(postgres(?:ql)?://[^:@/]*:)[^@/]*@", r"\1***@", dsn)
        return re.sub(r"(?i)([?&]password=)[^&]*", r"\1***", dsn)
    return re.sub(r"(?i)(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S*)", r"\1***", dsn)
