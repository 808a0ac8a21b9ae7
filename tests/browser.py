"""A stdlib-only headless Chromium driver (DevTools Protocol over a pipe) and SVG label checks for tests."""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import math
import os
import re
import select
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

__all__ = [
    "LABELS_JS",
    "LABEL_CHECK_JS",
    "TITLE_CHECK_JS",
    "Browser",
    "BrowserError",
    "browser_session",
    "find_chromium",
    "label_problems",
    "labels",
    "missing_titles",
    "need_chromium",
]

#: Seconds any one DevTools call (or wait for a page load) may take.
DEFAULT_TIMEOUT = 30.0

#: Flags that make Chromium headless, quiet, offline and deterministic.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--no-default-browser-check",
    "--allow-file-access-from-files",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
    "--remote-debugging-pipe",
    # quiet and offline: no background traffic, no DNS, no crash reports, no extensions
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
    "--disable-sync",
    "--disable-extensions",
    "--disable-breakpad",
    "--disable-crash-reporter",
    "--no-pings",
    "--metrics-recording-only",
    "--mute-audio",
    "--password-store=basic",
    "--use-mock-keychain",
    "--disable-dev-shm-usage",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost",
    "--disable-features=Translate,OptimizationHints,MediaRouter,DialMediaRouteProvider,InterestFeedContentSuggestions",
    # speed: never throttle the (invisible) page
    "--disable-background-timer-throttling",
    "--disable-backgrounding-occluded-windows",
    "--disable-renderer-backgrounding",
    "--disable-hang-monitor",
    "--disable-ipc-flooding-protection",
    "--log-level=3",
)


class BrowserError(RuntimeError):
    """Chromium failed, timed out, or a page threw."""


def find_chromium() -> str | None:
    """The Chromium to use: $LSTMCOUNT_CHROMIUM, else chromium, chromium-browser or google-chrome on PATH."""
    env = os.environ.get("LSTMCOUNT_CHROMIUM")
    if env:
        found = shutil.which(env)
        return found if found else None
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def need_chromium() -> str:
    """Chromium's path, or skip (fail when LSTMCOUNT_REQUIRE_FRAMEWORKS=1), like ``need()`` in conftest.py."""
    import pytest

    path = find_chromium()
    if path is None:
        if os.environ.get("LSTMCOUNT_REQUIRE_FRAMEWORKS") == "1":
            pytest.fail("Chromium is required here (LSTMCOUNT_REQUIRE_FRAMEWORKS=1); set LSTMCOUNT_CHROMIUM")
        pytest.skip("Chromium is not installed (set LSTMCOUNT_CHROMIUM)")
    return path


def browser_session(timeout: float = DEFAULT_TIMEOUT) -> Iterator[Browser]:
    """Yield one Browser for a whole fixture scope (skips without Chromium); use as a fixture's body."""
    with Browser(need_chromium(), timeout=timeout) as browser:
        yield browser


def _high_fd(fd: int) -> int:
    """Move a file descriptor to 10 or above (close-on-exec), so it cannot collide with 3 and 4 in the child."""
    high = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return high


def _to_url(url_or_path: str | os.PathLike[str]) -> str:
    """A URL as is; a file path as an absolute file:// URL (which must exist)."""
    text = os.fspath(url_or_path)
    if isinstance(url_or_path, str) and re.match(r"[A-Za-z][A-Za-z0-9+.-]+:", text) and not os.path.exists(text):
        return text  # has a scheme: about:blank, data:, file://, http://
    path = Path(text).resolve()
    if not path.exists():
        raise BrowserError(f"no such file: {path}")
    return path.as_uri()


def _remote_text(obj: dict[str, Any]) -> str:
    """Readable text of a Runtime.RemoteObject (a console.* argument)."""
    if "value" in obj:
        value = obj["value"]
        return value if isinstance(value, str) else json.dumps(value)
    return str(obj.get("description", obj.get("unserializableValue", obj.get("type", "?"))))


def _where(params: dict[str, Any]) -> str:
    """' (url:line)' from a stack trace or a Log entry, or ''."""
    url = params.get("url")
    line = params.get("lineNumber")
    frames = (params.get("stackTrace") or {}).get("callFrames") or []
    if not url and frames:
        url, line = frames[0].get("url"), frames[0].get("lineNumber")
    if not url:
        return ""
    return f" ({url}:{int(line) + 1})" if isinstance(line, int) else f" ({url})"


class Browser:
    """One headless Chromium with one page, driven over ``--remote-debugging-pipe``; reuse it for many pages."""

    def __init__(self, executable: str | None = None, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        exe = executable or find_chromium()
        if exe is None:
            raise BrowserError("Chromium not found (set LSTMCOUNT_CHROMIUM)")
        self.executable = exe
        self.timeout = timeout
        #: Console errors/warnings, uncaught exceptions and failed requests since the last open().
        self._console_errors: list[str] = []
        self.url = "about:blank"
        self._next_id = 0
        self._buffer = b""
        self._events: list[dict[str, Any]] = []  # Page.* events not yet waited for
        self._requests: dict[str, str] = {}  # requestId -> url, for Network.loadingFailed
        self._session: str | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._tmp = tempfile.mkdtemp(prefix="lstmcount-chromium-")
        self._stderr_path = os.path.join(self._tmp, "stderr.log")
        self._to_browser = -1
        self._from_browser = -1
        try:
            self._start()
        except BaseException:
            self.close()
            raise

    # --- lifecycle --------------------------------------------------------------------------------------------

    def _start(self) -> None:
        """Launch Chromium with the command pipe on fd 3 and the reply pipe on fd 4, then attach to a page."""
        cmd_r, cmd_w = (_high_fd(fd) for fd in os.pipe())
        reply_r, reply_w = (_high_fd(fd) for fd in os.pipe())
        self._to_browser, self._from_browser = cmd_w, reply_r

        def child_fds() -> None:  # runs in the child between fork and exec
            os.dup2(cmd_r, 3)  # dup2 makes 3 and 4 inheritable; the rest stay close-on-exec
            os.dup2(reply_w, 4)

        # pass_fds keeps descriptors at their own numbers (and fails unless 3 and 4 are already open in the
        # parent), so the pipe ends are moved to 3 and 4 by dup2 in the child instead; every other descriptor
        # Python opened is close-on-exec (PEP 446), so nothing else leaks into Chromium.
        profile = os.path.join(self._tmp, "profile")
        args = [self.executable, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "about:blank"]
        try:
            with open(self._stderr_path, "wb") as stderr:
                self._proc = subprocess.Popen(
                    args,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=stderr,
                    close_fds=False,
                    preexec_fn=child_fds,
                    start_new_session=True,  # its own process group: killed as a whole on close()
                    env={**os.environ, "LANG": "C.UTF-8", "TZ": "UTC"},
                )
        finally:  # the child's ends: the child has its own copies now
            os.close(cmd_r)
            os.close(reply_w)
        target = self._call("Target.createTarget", {"url": "about:blank"}, session=False)["targetId"]
        attached = self._call("Target.attachToTarget", {"targetId": target, "flatten": True}, session=False)
        self._session = attached["sessionId"]
        for domain in ("Runtime", "Log", "Page", "Network"):
            self._call(f"{domain}.enable")

    def close(self) -> None:
        """Kill Chromium (its whole process group) and remove its profile; safe to call twice."""
        proc, self._proc = self._proc, None
        if proc is not None:
            if proc.poll() is None:
                try:
                    self._send("Browser.close", {}, session=False)
                    proc.wait(timeout=2)
                except (BrowserError, OSError, subprocess.TimeoutExpired):
                    pass
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)  # renderer, GPU and zygote children too
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        for fd in (self._to_browser, self._from_browser):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._to_browser = self._from_browser = -1
        shutil.rmtree(self._tmp, ignore_errors=True)

    def __enter__(self) -> Browser:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __del__(self) -> None:
        if getattr(self, "_proc", None) is not None:
            self.close()

    # --- protocol ---------------------------------------------------------------------------------------------

    def _stderr_tail(self) -> str:
        """The last lines Chromium wrote to stderr, for error messages."""
        try:
            lines = Path(self._stderr_path).read_text(errors="replace").strip().splitlines()
        except OSError:
            return ""
        return ("\nchromium stderr:\n" + "\n".join(lines[-15:])) if lines else ""

    def _send(self, method: str, params: dict[str, Any], *, session: bool = True) -> int:
        """Write one command; return its id."""
        if self._to_browser < 0:
            raise BrowserError("the browser is closed")
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if session and self._session is not None:
            message["sessionId"] = self._session
        data = json.dumps(message).encode() + b"\0"
        try:
            while data:
                data = data[os.write(self._to_browser, data) :]
        except OSError as exc:
            raise BrowserError(f"cannot send {method} to chromium: {exc}{self._stderr_tail()}") from exc
        return self._next_id

    def _read(self, deadline: float | None) -> dict[str, Any] | None:
        """The next message; None when the deadline passes first (deadline None: don't block at all)."""
        while b"\0" not in self._buffer:
            wait = 0.0 if deadline is None else deadline - time.monotonic()
            if wait < 0:
                return None
            ready, _, _ = select.select([self._from_browser], [], [], wait)
            if not ready:
                if deadline is None:
                    return None
                continue
            chunk = os.read(self._from_browser, 1 << 20)
            if not chunk:
                code = None
                if self._proc is not None:
                    with contextlib.suppress(subprocess.TimeoutExpired):
                        code = self._proc.wait(timeout=2)  # let it finish writing stderr
                raise BrowserError(f"chromium closed the DevTools pipe (exit code {code}){self._stderr_tail()}")
            self._buffer += chunk
        raw, _, self._buffer = self._buffer.partition(b"\0")
        message: dict[str, Any] = json.loads(raw)
        if "method" in message:
            self._on_event(message)
        return message

    def _call(
        self, method: str, params: dict[str, Any] | None = None, *, session: bool = True, timeout: float | None = None
    ) -> dict[str, Any]:
        """Send a command and wait for its reply; raise BrowserError on an error reply or a timeout."""
        limit = self.timeout if timeout is None else timeout
        ident = self._send(method, params or {}, session=session)
        deadline = time.monotonic() + limit
        while True:
            message = self._read(deadline)
            if message is None:
                raise BrowserError(f"{method} timed out after {limit:g} s{self._stderr_tail()}")
            if message.get("id") == ident:
                if "error" in message:
                    error = message["error"]
                    raise BrowserError(f"{method} failed: {error.get('message')} {error.get('data', '')}".rstrip())
                result: dict[str, Any] = message.get("result", {})
                return result

    def _wait_event(self, method: str, timeout: float | None = None) -> dict[str, Any]:
        """Wait for (and consume) the next Page event named ``method``."""
        limit = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + limit
        while True:
            for i, event in enumerate(self._events):
                if event["method"] == method:
                    del self._events[: i + 1]
                    params: dict[str, Any] = event.get("params", {})
                    return params
            if self._read(deadline) is None:
                raise BrowserError(f"no {method} within {limit:g} s for {self.url}{self._stderr_tail()}")

    def _on_event(self, message: dict[str, Any]) -> None:
        """Record console errors and failed requests; queue Page events."""
        if message.get("sessionId") != self._session:
            return
        method: str = message["method"]
        params: dict[str, Any] = message.get("params", {})
        if method.startswith("Page."):
            self._events.append(message)
        elif method == "Runtime.consoleAPICalled":
            kind = params.get("type")
            if kind in ("error", "assert", "warning"):
                text = " ".join(_remote_text(arg) for arg in params.get("args", []))
                self._console_errors.append(f"console.{kind}: {text}{_where(params)}")
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            exc = details.get("exception") or {}
            text = exc.get("description") or details.get("text", "exception")
            self._console_errors.append(f"uncaught {text}{_where(details)}")
        elif method == "Log.entryAdded":
            entry = params.get("entry", {})
            if entry.get("level") == "error" and entry.get("source") != "network":  # network: see loadingFailed
                self._console_errors.append(f"{entry.get('source')} error: {entry.get('text')}{_where(entry)}")
        elif method == "Network.requestWillBeSent":
            self._requests[params["requestId"]] = params.get("request", {}).get("url", "?")
        elif method == "Network.loadingFailed":
            if not params.get("canceled"):
                url = self._requests.get(params.get("requestId", ""), "?")
                self._console_errors.append(f"failed request: {url}: {params.get('errorText')}")
        elif method == "Network.responseReceived":
            response = params.get("response", {})
            status = response.get("status", 0)
            if isinstance(status, int) and status >= 400:
                self._console_errors.append(f"failed request: {response.get('url')}: HTTP {status}")

    # --- public API -------------------------------------------------------------------------------------------

    @property
    def console_errors(self) -> list[str]:
        """Console errors/warnings, uncaught exceptions and failed requests of the current page (so far)."""
        while self._proc is not None and self._read(None) is not None:
            pass  # take in whatever has already arrived
        return self._console_errors

    def set_viewport(self, width: int, height: int) -> None:
        """Emulate a window of width × height CSS pixels at device scale factor 1."""
        self._call(
            "Emulation.setDeviceMetricsOverride",
            {"width": int(width), "height": int(height), "deviceScaleFactor": 1, "mobile": False},
        )

    def open(self, url_or_path: str | os.PathLike[str], width: int = 1200, height: int = 800) -> Browser:
        """Load a URL or file in a width × height viewport and wait for its load event; return self."""
        url = _to_url(url_or_path)
        self.set_viewport(width, height)
        self._events.clear()
        self._requests.clear()
        self._console_errors = []
        self.url = url
        result = self._call("Page.navigate", {"url": url})
        if result.get("errorText"):
            raise BrowserError(f"cannot open {url}: {result['errorText']}")
        self._wait_event("Page.loadEventFired")
        return self

    def evaluate(self, expression: str, timeout: float | None = None) -> Any:
        """The value of a JavaScript expression in the page (promises awaited); raise BrowserError if it throws."""
        result = self._call(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True, "userGesture": True},
            timeout=timeout,
        )
        details = result.get("exceptionDetails")
        if details:
            exc = details.get("exception") or {}
            text = exc.get("description") or exc.get("value") or details.get("text", "exception")
            raise BrowserError(f"JavaScript threw: {text}")
        return result.get("result", {}).get("value")

    def screenshot(self, path: str | os.PathLike[str], full_page: bool = True) -> tuple[int, int]:
        """Save the page as PNG (the whole document when full_page); return the image's (width, height)."""
        if not full_page:
            data = self._call("Page.captureScreenshot", {"format": "png"})["data"]
            Path(path).write_bytes(base64.b64decode(data))
            return _png_size(Path(path))
        metrics = self._call("Page.getLayoutMetrics")
        view = metrics["cssLayoutViewport"]
        size = metrics["cssContentSize"]
        width, height = math.ceil(size["width"]), math.ceil(size["height"])
        self.set_viewport(width, height)
        try:
            data = self._call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": False})["data"]
        finally:
            self.set_viewport(view["clientWidth"], view["clientHeight"])
        Path(path).write_bytes(base64.b64decode(data))
        return _png_size(Path(path))


def _png_size(path: Path) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR chunk."""
    head = path.read_bytes()[:24]
    if head[:8] != b"\x89PNG\r\n\x1a\n":
        raise BrowserError(f"{path} is not a PNG")
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


# --- geometry checks (JavaScript run in the page) ---------------------------------------------------------------

_COMMON_JS = r"""
const NS = 'http://www.w3.org/2000/svg';
const HIDDEN = new Set(['defs', 'clippath', 'mask', 'marker', 'pattern', 'symbol', 'title', 'desc', 'metadata']);
const isSvg = (el) => el && el.namespaceURI === NS && el.localName === 'svg';
const outerSvgs = () => Array.from(document.getElementsByTagNameNS(NS, 'svg')).filter((s) => {
  for (let p = s.parentElement; p; p = p.parentElement) if (isSvg(p)) return false;
  return true;
});
const unrendered = (el, svg) => {
  for (let p = el.parentElement; p && p !== svg; p = p.parentElement)
    if (HIDDEN.has(p.localName.toLowerCase())) return true;
  return false;
};
const visibleText = (node) => {
  let s = '';
  for (const c of node.childNodes) {
    if (c.nodeType === 3 || c.nodeType === 4) s += c.data;
    else if (c.nodeType === 1 && c.localName !== 'title' && c.localName !== 'desc') s += visibleText(c);
  }
  return s;
};
const svgName = (svg, i) => `svg[${i}]` + (svg.id ? `#${svg.id}` : '');
const r1 = (v) => Math.round(v * 10) / 10;
const boxText = (b) => `(${r1(b.left)}, ${r1(b.top)}, ${r1(b.right - b.left)}×${r1(b.bottom - b.top)})`;
const quote = (s) => JSON.stringify(s.length > 60 ? s.slice(0, 57) + '...' : s);
const svgTexts = (svg) => {
  const out = [];
  for (const t of svg.getElementsByTagNameNS(NS, 'text')) {
    if (unrendered(t, svg)) continue;
    const text = visibleText(t).replace(/\s+/g, ' ').trim();
    if (!text) continue;
    const r = t.getBoundingClientRect();
    if (r.width <= 0 || r.height <= 0) continue;
    const style = getComputedStyle(t);
    if (style.visibility === 'hidden' || style.display === 'none') continue;
    out.push({el: t, text, left: r.left, top: r.top, right: r.right, bottom: r.bottom});
  }
  return out;
};
if (document.fonts && document.fonts.ready) await document.fonts.ready;
"""

#: Returns a list of problems: text outside its svg, and overlapping texts within one svg (0.5 px tolerance).
LABEL_CHECK_JS = (
    "(async () => {"
    + _COMMON_JS
    + r"""
const TOL = 0.5, LIMIT = 200;
const problems = [];
let dropped = 0;
const report = (s) => { if (problems.length < LIMIT) problems.push(s); else dropped++; };
outerSvgs().forEach((svg, i) => {
  const name = svgName(svg, i);
  const s = svg.getBoundingClientRect();
  const texts = svgTexts(svg);
  for (const t of texts) {
    const out = [];
    if (t.left < s.left - TOL) out.push(`left by ${r1(s.left - t.left)} px`);
    if (t.top < s.top - TOL) out.push(`top by ${r1(s.top - t.top)} px`);
    if (t.right > s.right + TOL) out.push(`right by ${r1(t.right - s.right)} px`);
    if (t.bottom > s.bottom + TOL) out.push(`bottom by ${r1(t.bottom - s.bottom)} px`);
    if (out.length) report(`${name}: text ${quote(t.text)} ${boxText(t)} sticks out of the drawing `
                           + `${boxText(s)}: ${out.join(', ')}`);
  }
  texts.sort((a, b) => a.left - b.left);
  let active = [];
  for (const t of texts) {
    active = active.filter((a) => a.right - t.left > TOL);
    for (const a of active) {
      const dx = Math.min(a.right, t.right) - t.left;
      const dy = Math.min(a.bottom, t.bottom) - Math.max(a.top, t.top);
      if (dx > TOL && dy > TOL)
        report(`${name}: text ${quote(a.text)} ${boxText(a)} overlaps text ${quote(t.text)} ${boxText(t)} `
               + `by ${r1(dx)}×${r1(dy)} px`);
    }
    active.push(t);
  }
});
if (dropped) problems.push(`... and ${dropped} more problems`);
return problems;
})()"""
)

#: Returns [{svg, text, x, y, width, height, data}] for every visible text of every outermost svg.
LABELS_JS = (
    "(async () => {"
    + _COMMON_JS
    + r"""
const result = [];
outerSvgs().forEach((svg, i) => {
  for (const t of svgTexts(svg)) {
    const data = {};
    for (let p = t.el.parentElement; p && p !== svg; p = p.parentElement) {
      if (p.localName !== 'g') continue;
      const attrs = Array.from(p.attributes).filter((a) => a.name.startsWith('data-'));
      if (!attrs.length) continue;
      for (const a of attrs) data[a.name] = a.value;
      break;
    }
    result.push({svg: i, text: t.text, x: t.left, y: t.top, width: t.right - t.left,
                 height: t.bottom - t.top, data});
  }
});
return result;
})()"""
)

#: Returns the shapes and texts that have no <title> themselves nor in an ancestor <g> below the svg.
TITLE_CHECK_JS = (
    "(async () => {"
    + _COMMON_JS
    + r"""
const SHAPES = new Set(['rect', 'text', 'path', 'line', 'polyline', 'polygon', 'circle', 'ellipse']);
const hasTitle = (el) => Array.from(el.children).some(
  (c) => c.localName === 'title' && c.textContent.trim() !== '');
const describe = (el, svg, i) => {
  const parts = [];
  for (let p = el; p && p !== svg; p = p.parentElement) {
    let s = p.localName;
    if (p.id) s += '#' + p.id;
    const cls = p.getAttribute('class');
    if (cls && cls.trim()) s += '.' + cls.trim().split(/\s+/).join('.');
    parts.unshift(s);
  }
  const text = el.localName === 'text' ? ' ' + quote(visibleText(el).replace(/\s+/g, ' ').trim()) : '';
  return `${svgName(svg, i)} > ${parts.join(' > ')}${text}`;
};
const missing = [];
outerSvgs().forEach((svg, i) => {
  for (const el of svg.getElementsByTagNameNS(NS, '*')) {
    if (!SHAPES.has(el.localName) || unrendered(el, svg) || hasTitle(el)) continue;
    let ok = false;
    for (let p = el.parentElement; p && p !== svg; p = p.parentElement)
      if (p.localName === 'g' && hasTitle(p)) { ok = true; break; }
    if (!ok) missing.push(describe(el, svg, i));
  }
});
return missing;
})()"""
)


def label_problems(browser: Browser) -> list[str]:
    """Texts sticking out of their svg, and overlapping texts within one svg, on the current page."""
    problems: list[str] = browser.evaluate(LABEL_CHECK_JS)
    return problems


def labels(browser: Browser) -> list[dict[str, Any]]:
    """Every visible text per svg: {svg, text, x, y, width, height, data} (data: nearest ``<g data-*>``)."""
    found: list[dict[str, Any]] = browser.evaluate(LABELS_JS)
    return found


def missing_titles(browser: Browser) -> list[str]:
    """Shapes and texts with no ``<title>`` tooltip of their own or from an ancestor ``<g>``."""
    missing: list[str] = browser.evaluate(TITLE_CHECK_JS)
    return missing
