"""Drive a real headless Chromium through the DevTools protocol over
``--remote-debugging-pipe`` (stdlib only): the browser reads NUL-terminated JSON commands
on fd 3 and writes replies and events on fd 4. Enough to load a page, evaluate script and
click an element with real mouse events (Input.dispatchMouseEvent)."""

from __future__ import annotations

import fcntl
import json
import os
import select
import subprocess
import tempfile
import time


class CDPError(RuntimeError):
    pass


class Browser:
    def __init__(self, exe: str, profile_dir, timeout: float = 60.0) -> None:
        self.timeout = timeout
        to_browser_r, to_browser_w = os.pipe()
        from_browser_r, from_browser_w = os.pipe()
        # the child gets them as fds 3 and 4: move them above 10 first so dup2 cannot clobber
        hi_r = fcntl.fcntl(to_browser_r, fcntl.F_DUPFD, 10)
        hi_w = fcntl.fcntl(from_browser_w, fcntl.F_DUPFD, 10)

        def child() -> None:
            os.dup2(hi_r, 3)
            os.dup2(hi_w, 4)

        # its log goes to a file: a pipe nobody reads until the end fills up (64 KB) on a
        # browser that logs a lot (no GPU, no D-Bus) and then blocks it mid-test
        self._log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--disable-extensions", "--window-size=1280,900", f"--user-data-dir={profile_dir}",
             "--remote-debugging-pipe", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self._log,
            preexec_fn=child, pass_fds=(3, 4))  # kept open: the dup2 above runs first
        for fd in (to_browser_r, from_browser_w, hi_r, hi_w):
            os.close(fd)
        self._w = to_browser_w
        self._r = from_browser_r
        self._buf = b""
        self._next = 0
        self.events: list[dict] = []
        self.session = None

    # -- the wire ------------------------------------------------------------------------
    def send(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        self._next += 1
        msg = {"id": self._next, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._w, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        while True:
            for m in self._messages(deadline):
                if m.get("id") == self._next:
                    if "error" in m:
                        raise CDPError(f"{method}: {m['error']}")
                    return m.get("result", {})
                self.events.append(m)

    def _messages(self, deadline: float):
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("chromium did not answer")
            ready, _, _ = select.select([self._r], [], [], left)
            if ready:
                chunk = os.read(self._r, 1 << 20)
                if not chunk:
                    raise CDPError("chromium closed the pipe: " + self.log()[-2000:])
                self._buf += chunk
        *whole, self._buf = self._buf.split(b"\0")
        return [json.loads(w) for w in whole]

    # -- a page ---------------------------------------------------------------------------
    def open(self, url: str) -> None:
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        self.call("Page.enable")
        self.call("Runtime.enable")
        self.call("Page.navigate", {"url": url})
        self.wait_for("document.readyState === 'complete' && location.href !== 'about:blank'")

    def call(self, method: str, params: dict | None = None) -> dict:
        return self.send(method, params, self.session)

    def eval(self, expression: str):
        r = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in r:
            raise CDPError(f"{expression}: {r['exceptionDetails']}")
        return r["result"].get("value")

    def wait_for(self, expression: str, timeout: float | None = None) -> None:
        deadline = time.monotonic() + (timeout or self.timeout)
        while not self.eval(f"Boolean({expression})"):
            if time.monotonic() > deadline:
                raise TimeoutError(f"waiting for {expression}")
            time.sleep(0.05)

    def click(self, selector: str) -> None:
        """A real click: scroll the element into view, then press and release the mouse
        button at its centre (the event goes to whatever is on top there)."""
        box = self.eval(
            f"(() => {{ const e = document.querySelector({json.dumps(selector)}); if (!e) return null;"
            " e.scrollIntoView({block: 'center'}); const r = e.getBoundingClientRect();"
            " return [r.left + r.width / 2, r.top + r.height / 2, r.width, r.height]; })()")
        if not box or box[2] == 0 or box[3] == 0:
            raise CDPError(f"nothing visible to click at {selector}")
        x, y = box[0], box[1]
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y, "button": "left",
                                                   "clickCount": 0 if kind == "mouseMoved" else 1})

    def type_text(self, selector: str, text: str) -> None:
        """Focus a field and type into it (Input.insertText fires the input event)."""
        self.click(selector)
        self.call("Input.insertText", {"text": text})

    def console_errors(self) -> list[dict]:
        return [e for e in self.events if e.get("method") in ("Runtime.exceptionThrown",)
                or (e.get("method") == "Runtime.consoleAPICalled" and e["params"].get("type") == "error")]

    def close(self) -> None:
        try:
            self.send("Browser.close")
        except Exception:  # noqa: BLE001 - already gone
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for fd in (self._w, self._r):
            try:
                os.close(fd)
            except OSError:
                pass
        self._log.close()

    def log(self) -> str:
        """What the browser wrote on its standard error so far."""
        self._log.seek(0)
        return self._log.read().decode(errors="replace")

    def __enter__(self) -> "Browser":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
