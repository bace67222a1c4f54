"""A throwaway PostgreSQL cluster: initdb + pg_ctl on a free port on 127.0.0.1, removed
afterwards (also on Ctrl-C or error). Used by ``pglint trace`` and by the test suite.

PostgreSQL refuses to run as root; when pglint runs as root (CI does) the server runs as
an unprivileged user (``postgres`` by default, ``PGLINT_PG_USER`` to choose).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path


class ClusterError(Exception):
    """Cannot find, start or use PostgreSQL: a clear message for the user."""


def _version_key(path: str):
    m = Path(path).parent.name
    try:
        return float(m)
    except ValueError:
        return 0.0


def find_bindir(pg_bin: str | None = None) -> Path:
    """Directory holding initdb, pg_ctl and postgres."""
    if pg_bin:
        if (Path(pg_bin) / "initdb").is_file() and (Path(pg_bin) / "pg_ctl").is_file():
            return Path(pg_bin)
        raise ClusterError(f"no initdb/pg_ctl in {pg_bin}")
    cands: list[str] = []
    env = os.environ.get("PGLINT_PG_BIN")
    if env:
        cands.append(env)
    on_path = shutil.which("initdb")
    if on_path:  # resolved: a symlink in /usr/local/bin points into the real bin directory
        cands.append(str(Path(on_path).resolve().parent))
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, timeout=10).stdout.strip()
            if out:
                cands.append(out)
        except (OSError, subprocess.SubprocessError):
            pass
    cands += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version_key, reverse=True)
    cands += sorted(glob.glob("/usr/local/pgsql*/bin"), reverse=True)
    for c in cands:
        if (Path(c) / "initdb").is_file() and (Path(c) / "pg_ctl").is_file():
            return Path(c)
    raise ClusterError(
        "no PostgreSQL server binaries found (initdb, pg_ctl). Install the server, e.g. "
        "`apt-get install postgresql` (Debian/Ubuntu) or `brew install postgresql`, or point "
        "--pg-bin at the directory that holds them, or use --dsn with an existing server."
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """``with Cluster() as c: psycopg.connect(c.dsn)``"""

    def __init__(self, pg_bin: str | None = None, settings: dict[str, str] | None = None,
                 user: str | None = None) -> None:
        self.bindir = find_bindir(pg_bin)
        self.settings = dict(settings or {})
        self.run_as = None
        if os.geteuid() == 0:
            self.run_as = user or os.environ.get("PGLINT_PG_USER", "postgres")
            try:
                pwd.getpwnam(self.run_as)
            except KeyError:
                raise ClusterError(
                    f"running as root, and PostgreSQL refuses to start as root; there is no user "
                    f"'{self.run_as}' to run it as. Create one (useradd {self.run_as}) or set PGLINT_PG_USER."
                ) from None
        self.tmp: str | None = None
        self.port: int | None = None
        self.started = False

    @property
    def version(self) -> int:
        out = subprocess.run([str(self.bindir / "postgres"), "--version"], capture_output=True, text=True).stdout
        digits = "".join(ch if ch.isdigit() or ch == "." else " " for ch in out).split()
        return int(digits[0].split(".")[0]) if digits else 0

    @property
    def dsn(self) -> str:
        return f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres connect_timeout=10"

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"

    def _cmd(self, args: list[str]) -> list[str]:
        if self.run_as:
            runuser = shutil.which("runuser")
            if runuser:
                return [runuser, "-u", self.run_as, "--", *args]
            return ["su", self.run_as, "-s", "/bin/sh", "-c", " ".join(_quote(a) for a in args)]
        return args

    def _run(self, args: list[str], timeout: float = 120) -> None:
        # in a process group of its own, so that an interrupted initdb (run through runuser)
        # is stopped with everything it started before its directory is removed
        with _HeldSignals() as held:
            p = subprocess.Popen(self._cmd(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                 start_new_session=True)
        try:
            held.deliver()  # a Ctrl-C that came while the child was being created: p is known now
            out, err = p.communicate(timeout=timeout)
        except BaseException:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except OSError:
                pass
            p.wait()
            raise
        if p.returncode != 0:
            raise ClusterError(f"{Path(args[0]).name} failed: {(err or out).strip()[-800:]}")

    def start(self) -> "Cluster":
        try:
            return self._start()
        except BaseException:  # a failure or Ctrl-C half way: leave nothing behind
            self.stop()
            raise

    def _start(self) -> "Cluster":
        # Ctrl-C must not fall between creating the directory and remembering it
        blocked = {signal.SIGINT, signal.SIGTERM}
        old = signal.pthread_sigmask(signal.SIG_BLOCK, blocked) if hasattr(signal, "pthread_sigmask") else None
        try:
            self.tmp = tempfile.mkdtemp(prefix="pglint-pg-")
        finally:
            if old is not None:
                signal.pthread_sigmask(signal.SIG_SETMASK, old)
        os.chmod(self.tmp, 0o700)
        if self.run_as:
            pw = pwd.getpwnam(self.run_as)
            os.chown(self.tmp, pw.pw_uid, pw.pw_gid)
        data = os.path.join(self.tmp, "data")
        self._run([str(self.bindir / "initdb"), "-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8",
                   "--no-sync", "--no-instructions"] if self._initdb_supports_no_instructions() else
                  [str(self.bindir / "initdb"), "-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"])
        conf = {"listen_addresses": "'127.0.0.1'", "fsync": "off", "synchronous_commit": "off",
                "full_page_writes": "off", "unix_socket_directories": f"'{self.tmp}'", "max_connections": "50",
                "log_min_messages": "warning"}
        conf.update({k: v if v.startswith("'") or v.replace(".", "").isdigit() or v in ("on", "off") else f"'{v}'"
                     for k, v in self.settings.items()})
        with open(os.path.join(data, "postgresql.auto.conf"), "a") as f:
            for k, v in conf.items():
                f.write(f"{k} = {v}\n")
        for attempt in range(5):
            self.port = free_port()
            try:
                self._run([str(self.bindir / "pg_ctl"), "-D", data, "-l", os.path.join(self.tmp, "log"),
                           "-o", f"-p {self.port}", "-w", "-t", "60", "start"])
                self.started = True
                break
            except ClusterError:
                if attempt == 4:
                    log = ""
                    try:
                        log = Path(self.tmp, "log").read_text()[-800:]
                    except OSError:
                        pass
                    self.stop()
                    raise ClusterError(f"PostgreSQL did not start: {log}") from None
                time.sleep(0.2)
        return self

    def _initdb_supports_no_instructions(self) -> bool:
        return self.version >= 14

    def stop(self) -> None:
        try:
            # also when start was interrupted: a server may be up without start having returned
            if self.tmp and (self.started or os.path.exists(os.path.join(self.tmp, "data", "postmaster.pid"))):
                subprocess.run(self._cmd([str(self.bindir / "pg_ctl"), "-D", os.path.join(self.tmp, "data"),
                                          "-m", "immediate", "-w", "stop"]), capture_output=True, timeout=60)
        finally:
            self.started = False
            if self.tmp:
                shutil.rmtree(self.tmp, ignore_errors=True)
                self.tmp = None

    def __enter__(self) -> "Cluster":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class _HeldSignals:
    """Ctrl-C and SIGTERM held back while a child process is created. Raised inside Popen
    after its fork, the interrupt would leave a child whose pid nobody has (Popen does not
    kill it): an initdb in a session of its own would run on and recreate the directory
    that stop() removes. ``deliver()`` then raises what was held, through the handler that
    was in place."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __enter__(self) -> "_HeldSignals":
        self.pending: int | None = None
        self.old: dict = {}
        for s in self.SIGNALS:
            current = signal.getsignal(s)
            if current is None:  # installed outside Python: cannot be put back, so not touched
                continue
            try:
                signal.signal(s, self._hold)
            except ValueError:  # not the main thread, where Python runs signal handlers anyway
                break
            self.old[s] = current
        return self

    def _hold(self, signum, frame) -> None:
        if self.pending is None:
            self.pending = signum

    def __exit__(self, *exc) -> None:
        for s, handler in self.old.items():
            signal.signal(s, handler)

    def deliver(self) -> None:
        if self.pending is not None:
            signal.raise_signal(self.pending)


def _quote(a: str) -> str:
    import shlex

    return shlex.quote(a)
