"""The connection string: where it comes from, how it is shown, what must never be shown.

``--dsn`` wins over ``PGLINT_DSN``; whatever the string leaves out (or all of it, with an
empty string) libpq takes from the ``PG*`` variables (PGHOST, PGPORT, PGDATABASE,
PGUSER, PGPASSWORD, PGSERVICE, ...) and ~/.pgpass. pglint prints a connection only as
``postgresql://host:port/dbname`` and scrubs any password from messages it passes on.

The string is read by libpq itself (PQconninfoParse, through psycopg's
``conninfo_to_dict``), never by pglint's own splitting: what pglint shows and hides is then
what libpq connects with. A URL whose password holds an unencoded ``@`` is the case that
matters: libpq ends the user info at the *first* ``@``, so the rest of the password becomes
part of the host (``postgresql://u:Leak@Pw@db/x`` connects to host ``Pw@db`` with password
``Leak``). A host, port or database name that holds an ``@`` (or a port that is not a
number) is therefore treated as holding part of a password: the part before its last ``@``
(the whole port) is hidden wherever it would be printed.
"""

from __future__ import annotations

import os
import re

ENV_DSN = "PGLINT_DSN"

# the keywords libpq reads from a URL's authority and path: where a password that was not
# percent-encoded spills over
_SPILL_KEYS = ("host", "hostaddr", "port", "dbname", "user")
HINT = ("the connection URL's host, port or database name holds part of what looks like a password: "
        "a '@', '/' or ':' in a user name or password must be percent-encoded (%40, %2F, %3A)")


class BadDsn(ValueError):
    """libpq cannot read the connection string; the message quotes no part of it."""


def resolve_dsn(flag: str | None, env=None) -> str | None:
    """The connection string to use: --dsn, else PGLINT_DSN, else None (no live mode)."""
    env = os.environ if env is None else env
    if flag is not None:
        return flag
    value = env.get(ENV_DSN)
    if value is not None:
        return value
    return None


def parse(dsn: str) -> dict[str, str]:
    """The keywords of a connection string (URL or key=value) as libpq reads them.
    Raises BadDsn when libpq cannot read it; the message never quotes the string (libpq's
    own messages do, password included)."""
    from psycopg import Error
    from psycopg.conninfo import conninfo_to_dict

    try:
        return {k: str(v) for k, v in conninfo_to_dict(dsn).items()}
    except Error as exc:
        raise BadDsn(f"invalid connection string ({_unquoted(str(exc))})") from None
    except (ValueError, TypeError, UnicodeError):
        raise BadDsn("invalid connection string") from None


def _unquoted(message: str) -> str:
    """libpq's parse error without what it quotes: from the first to the last double quote
    (the quoted part is a piece of the string, or the whole URL, password included)."""
    text = " ".join(message.split())
    first, last = text.find('"'), text.rfind('"')
    if first < 0:
        return text
    if first == last:
        return text[:first].rstrip() + " …"
    return text[:first] + '"…"' + text[last + 1:]


def params(dsn: str) -> dict[str, str]:
    """The keywords of a connection string as libpq reads them; {} if it cannot be read."""
    try:
        return parse(dsn)
    except BadDsn:
        return {}


def _is_url(dsn: str) -> bool:
    return dsn.startswith(("postgresql://", "postgres://"))


def _spilled(key: str, value: str) -> list[str]:
    """The parts of a keyword's value that may be a password libpq read as something else."""
    out = []
    if "@" in value:
        out.append(value.rpartition("@")[0])
    if key == "port":
        out += [p for p in value.split(",") if p.strip() and not p.strip().isdigit()]
    return [s for s in out if s]


def spilled(dsn: str | None) -> bool:
    """Whether libpq read part of a URL's password into its host, port or database name."""
    if not dsn or not _is_url(dsn):
        return False
    p = params(dsn)
    return any(_spilled(k, p[k]) for k in _SPILL_KEYS if p.get(k))


def _hide(key: str, value: str) -> str:
    parts = []
    for part in value.split(","):
        if key == "port" and part.strip() and not part.strip().isdigit():
            parts.append("***")
        elif part.rpartition("@")[0]:  # (a leading @ is an abstract Unix socket)
            parts.append("***@" + part.rpartition("@")[2])
        else:
            parts.append(part)
    return ",".join(parts)


def display(dsn: str | None = None, *, host=None, port=None, dbname=None, env=None) -> str:
    """``postgresql://host:port/dbname``: what the connection is, as libpq reads it, without
    user or password (hosts and ports as lists when there are several)."""
    env = os.environ if env is None else env
    p = params(dsn or "")
    host = host or p.get("hostaddr") or p.get("host") or env.get("PGHOSTADDR") or env.get("PGHOST")
    port = port or p.get("port") or env.get("PGPORT") or "5432"
    if not host and (p.get("service") or env.get("PGSERVICE")):
        return f"the service '{p.get('service') or env.get('PGSERVICE')}'"
    user = p.get("user") or env.get("PGUSER") or _os_user()
    dbname = dbname or p.get("dbname") or env.get("PGDATABASE") or user
    if _is_url(dsn or ""):  # only a URL can spill a password into these
        host, port, dbname = (_hide(k, str(v)) if v else v for k, v in
                              (("host", host), ("port", port), ("dbname", dbname)))
    hosts = str(host).split(",") if host else ["[local]"]
    ports = str(port).split(",")
    if len(ports) != len(hosts):
        ports = [ports[0]] * len(hosts)
    from urllib.parse import quote  # here: `pglint check` reads PGLINT_DSN from this module

    shown = []
    for h, pt in zip(hosts, ports):
        h = h or "[local]"
        if h.startswith("/") or h.startswith("@"):
            h = quote(h, safe="")  # a Unix-socket directory, as libpq URLs write it
        elif ":" in h and not h.startswith("["):
            h = f"[{h}]"
        shown.append(f"{h}:{pt or '5432'}")
    return f"postgresql://{','.join(shown)}/{quote(str(dbname), safe='*')}"


def _os_user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name: libpq would fail the same way
        return "postgres"


def secrets(dsn: str | None, env=None) -> list[str]:
    """Every password pglint may know of (to scrub from messages), longest first: the one
    libpq reads from the string, the parts of a password libpq read as host, port or
    database name, and PGPASSWORD."""
    env = os.environ if env is None else env
    found = set()
    if dsn:
        p = params(dsn)
        if p.get("password"):
            found.add(p["password"])
        if _is_url(dsn):  # key=value strings say what each value is: nothing spills over
            for k in _SPILL_KEYS:
                if p.get(k):
                    found.update(_spilled(k, p[k]))
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
