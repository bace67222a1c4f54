"""Faults for the live and trace tests: a TCP proxy in front of a test server that drops every
connection once the client sends a chosen piece of text (the server "goes away" mid-run), a
hot standby built with pg_basebackup, and the server's statement log."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time


class CuttingProxy:
    """127.0.0.1:port -> the server. Once a client has sent ``trigger`` (bytes seen in its
    stream, e.g. b"EXPLAIN"), every connection is closed at once, and new ones are refused
    (the server is gone). Threads stop with ``close()``; everything is bounded in time."""

    def __init__(self, target_port: int, trigger: bytes, skip: int = 0) -> None:
        self.target = ("127.0.0.1", target_port)
        self.trigger = trigger
        self.skip = skip  # let this many occurrences of the trigger through first
        self.seen = 0
        self.cut = threading.Event()
        self.lock = threading.Lock()
        self.socks: list[socket.socket] = []
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(32)
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        deadline = time.time() + 600
        while not self.stopping.is_set() and time.time() < deadline:
            try:
                client, _ = self.listener.accept()
            except (socket.timeout, OSError):
                continue
            if self.cut.is_set():
                client.close()
                continue
            try:
                server = socket.create_connection(self.target, timeout=10)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.socks += [client, server]
            threading.Thread(target=self._pump, args=(client, server, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, False), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, from_client: bool) -> None:
        tail = b""
        try:
            while not self.cut.is_set():
                data = src.recv(65536)
                if not data:
                    break
                if from_client:
                    window = tail + data
                    n = window.count(self.trigger)
                    if n:
                        with self.lock:
                            self.seen += n
                            if self.seen > self.skip:
                                self._cut()
                                return
                    tail = window[-len(self.trigger):]
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def _cut(self) -> None:
        self.cut.set()
        for s in self.socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
                s.close()
            except OSError:
                pass

    def close(self) -> None:
        self.stopping.set()
        self._cut()
        self.listener.close()
        self.thread.join(timeout=5)


class Standby:
    """A hot standby of ``primary`` (a pglint.trace.cluster.Cluster started with
    wal_level=replica): pg_basebackup -R, then started on a port of its own."""

    def __init__(self, primary) -> None:
        from pglint.trace.cluster import free_port

        self.primary = primary
        self.tmp = tempfile.mkdtemp(prefix="pglint-standby-")
        os.chmod(self.tmp, 0o700)
        self.data = os.path.join(self.tmp, "data")
        if primary.run_as:
            import pwd

            pw = pwd.getpwnam(primary.run_as)
            os.chown(self.tmp, pw.pw_uid, pw.pw_gid)
        self.port = free_port()
        self.started = False

    def start(self) -> "Standby":
        from pglint.trace.cluster import ClusterError, free_port

        p = self.primary
        try:
            p._run([str(p.bindir / "pg_basebackup"), "-D", self.data, "-R", "-X", "stream", "-h", "127.0.0.1",
                    "-p", str(p.port), "-U", "postgres", "--no-sync", "--checkpoint=fast"], timeout=180)
            with open(os.path.join(self.data, "postgresql.auto.conf"), "a") as f:
                f.write(f"unix_socket_directories = '{self.tmp}'\nhot_standby = on\n")
            for attempt in range(5):  # the port was free when chosen; another server may take it since
                try:
                    p._run([str(p.bindir / "pg_ctl"), "-D", self.data, "-l", os.path.join(self.tmp, "log"),
                            "-o", f"-p {self.port}", "-w", "-t", "60", "start"], timeout=120)
                    break
                except ClusterError:
                    if attempt == 4:
                        raise
                    self.port = free_port()
            self.started = True
        except BaseException:
            self.stop()
            raise
        return self

    def url(self, dbname: str = "postgres", user: str = "postgres") -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/{dbname}"

    def stop(self) -> None:
        p = self.primary
        try:
            if self.started or os.path.exists(os.path.join(self.data, "postmaster.pid")):
                subprocess.run(p._cmd([str(p.bindir / "pg_ctl"), "-D", self.data, "-m", "immediate", "-w", "stop"]),
                               capture_output=True, timeout=60)
        finally:
            self.started = False
            shutil.rmtree(self.tmp, ignore_errors=True)


_LOG_LINE = re.compile(r"^\S+ \S+ \S+ \[(\d+)\] app=(\S*) user=(\S*) db=(\S*) (\w+):  (.*)$")
LOG_LINE_PREFIX = "'%m [%p] app=%a user=%u db=%d '"


class ServerLog:
    """The statement log of a cluster started with log_statement = all and LOG_LINE_PREFIX."""

    def __init__(self, cluster) -> None:
        self.path = os.path.join(cluster.tmp, "log")
        self.offset = 0

    def mark(self) -> None:
        self.offset = os.path.getsize(self.path)

    def entries(self) -> list[dict]:
        """Log entries written since mark(): pid, app, user, db, level, text (continuation
        lines joined)."""
        time.sleep(0.3)  # the server writes its log asynchronously to us
        with open(self.path, encoding="utf-8", errors="replace") as f:
            f.seek(self.offset)
            text = f.read()
        out: list[dict] = []
        for line in text.splitlines():
            m = _LOG_LINE.match(line)
            if m:
                out.append(dict(pid=int(m.group(1)), app=m.group(2), user=m.group(3), db=m.group(4),
                                level=m.group(5), text=m.group(6)))
            elif out:
                out[-1]["text"] += "\n" + line
        return out

    def statements(self, app: str = "pglint") -> list[str]:
        """SQL that clients with this application_name sent (simple and extended protocol)."""
        out = []
        for e in self.entries():
            if e["app"] != app or e["level"] != "LOG":
                continue
            m = re.match(r"(?s)(?:statement|execute [^:]*): (.*)", e["text"])
            if m:
                out.append(m.group(1))
        return out
