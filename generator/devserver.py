"""`mlcsite serve`: the output folder over HTTP, with live reload and an error overlay.

The server is handed a `LiveState` by the watch loop and only ever serves what
is on disk in output/, which the loop updates after good builds only: so it
always shows the last good site (STYLE 12). HTML responses get one script tag
that opens a server-sent-events stream; the tag is added while serving and is
never written into output/ files. After a good build the page reloads; after a
failed one it shows the diagnostics — the text `mlcsite check` prints — in an
overlay, also on pages opened while the error persists.
"""

from __future__ import annotations

import html
import json
import mimetypes
import queue
import re
import secrets
import socket
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

LIVE_PREFIX = "/__mlcsite/"
EVENTS_URL = LIVE_PREFIX + "events"
SCRIPT_URL = LIVE_PREFIX + "live.js"
KEEPALIVE_SECONDS = 15.0
# Served at SCRIPT_URL (an external script, so a page's Content-Security-Policy
# with script-src 'self' still lets it run). The overlay is built with
# textContent: a diagnostic can never inject markup.
LIVE_SCRIPT = b"""(() => {
  const initial = JSON.parse(document.currentScript.dataset.state);
  let overlay = null;
  function show(report) {
    if (!report) { if (overlay) { overlay.remove(); overlay = null; } return; }
    if (!overlay) {
      overlay = document.createElement("div");
      overlay.id = "mlcsite-errors";
      overlay.setAttribute("role", "alert");
      // Every colour is set on every element: the site's own stylesheet (a light
      // `pre` background, say) must never show through in either colour scheme.
      overlay.style.cssText = "position:fixed;inset:0;z-index:2147483647;overflow:auto;margin:0;padding:1.5rem;"
        + "background:#1b1b1f;color:#f4f4f5;font:14px/1.5 ui-monospace,Menlo,Consolas,monospace;color-scheme:dark";
      const title = document.createElement("h2");
      title.textContent = "This edit has errors \\u2014 the site shows the last good build";
      title.style.cssText = "font:600 18px/1.3 system-ui,sans-serif;margin:0 0 1rem;color:#ffb4a9;background:none";
      const report = document.createElement("pre");
      report.style.cssText = "white-space:pre-wrap;margin:0 0 1rem;padding:0;border:0;border-radius:0;"
        + "background:#1b1b1f;color:#f4f4f5;font:inherit";
      const hide = document.createElement("button");
      hide.style.cssText = "font:600 15px/1.3 system-ui,sans-serif;min-height:44px;padding:0.5rem 1rem;"
        + "border:2px solid #f4f4f5;border-radius:8px;background:#f4f4f5;color:#1b1b1f;cursor:pointer";
      hide.type = "button";
      hide.textContent = "Hide until the next build";
      hide.addEventListener("click", () => show(null));
      overlay.append(title, report, hide);
      document.body.append(overlay);
    }
    overlay.querySelector("pre").textContent = report;
  }
  show(initial.error);
  const events = new EventSource("/__mlcsite/events");
  events.addEventListener("state", (event) => {
    const state = JSON.parse(event.data);
    if (state.error) show(state.error);
    else if (state.token !== initial.token) location.reload();
    else show(null);
  });
})();
"""

TYPES = {
    ".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8",
    ".js": "application/javascript; charset=utf-8", ".mjs": "application/javascript; charset=utf-8",
    ".json": "application/json", ".ics": "text/calendar; charset=utf-8", ".txt": "text/plain; charset=utf-8",
    ".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
    ".gif": "image/gif", ".webp": "image/webp", ".avif": "image/avif", ".ico": "image/x-icon",
    ".pdf": "application/pdf", ".woff2": "font/woff2", ".woff": "font/woff", ".webmanifest": "application/manifest+json",
    ".bib": "text/plain; charset=utf-8", ".mp4": "video/mp4", ".webm": "video/webm",
}


def content_type(path: Path, head: bytes) -> str:
    """The Content-Type of an output file. XML is told apart by its root element,
    so feed readers and browsers see RSS and Atom as such."""
    suffix = path.suffix.lower()
    if suffix == ".xml":
        if b"<rss" in head:
            return "application/rss+xml; charset=utf-8"
        if b"<feed" in head:
            return "application/atom+xml; charset=utf-8"
        return "application/xml; charset=utf-8"
    if suffix in TYPES:
        return TYPES[suffix]
    guessed, _ = mimetypes.guess_type(path.name, strict=True)
    return guessed or "application/octet-stream"


class LiveState:
    """What the open pages must know: the current good build (a token that changes
    when output/ changed) and the current error report, if any. Thread-safe."""

    def __init__(self, base_path: str = "/") -> None:
        self._lock = threading.Lock()
        self._session = secrets.token_hex(4)  # a restarted server makes pages reload
        self._count = 0
        self._error: str | None = None
        self._base_path = base_path
        self._listeners: list[queue.Queue] = []

    def snapshot(self) -> dict:
        with self._lock:
            return {"token": f"{self._session}-{self._count}", "error": self._error}

    @property
    def base_path(self) -> str:
        with self._lock:
            return self._base_path

    def publish_build(self, changed: bool, base_path: str) -> None:
        with self._lock:
            self._count += 1 if changed else 0
            self._error, self._base_path = None, base_path
        self._broadcast()

    def publish_error(self, report: str) -> None:
        with self._lock:
            self._error = report
        self._broadcast()

    def subscribe(self) -> queue.Queue:
        listener: queue.Queue = queue.Queue()
        with self._lock:
            self._listeners.append(listener)
        return listener

    def unsubscribe(self, listener: queue.Queue) -> None:
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def close(self) -> None:
        """Ends every event stream (shutdown)."""
        with self._lock:
            listeners, self._listeners = self._listeners, []
        for listener in listeners:
            listener.put(None)

    def _broadcast(self) -> None:
        state = self.snapshot()
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            listener.put(state)


@dataclass(frozen=True)
class Resolution:
    status: int  # 200, 301/302 (location) or 404
    file: Path | None = None
    location: str | None = None


def resolve_request(raw_path: str, base_path: str, out_dir: Path) -> Resolution:
    """Map a request path to a file under out_dir, never outside it."""
    parts_url = urlsplit(raw_path)
    path = unquote(parts_url.path)
    query = f"?{parts_url.query}" if parts_url.query else ""
    if "\x00" in path or "\\" in path:
        return Resolution(404)
    if not path.startswith(base_path):
        if path in ("/", base_path.rstrip("/")):
            return Resolution(302, location=base_path)
        return Resolution(404)
    parts = [p for p in path[len(base_path):].split("/") if p not in ("", ".")]
    if any(p == ".." or p.startswith(".") for p in parts):  # no climbing out, no temp files
        return Resolution(404)
    root = out_dir.resolve()
    target = root.joinpath(*parts)
    if target.is_dir():
        if not path.endswith("/"):
            return Resolution(301, location=parts_url.path + "/" + query)
        target = target / "index.html"
    if target.is_file() and target.resolve().is_relative_to(root):
        return Resolution(200, file=target)
    return Resolution(404)


_BODY_END = re.compile(rb"</body\s*>", re.IGNORECASE)


def inject_live_script(page: bytes, state: dict) -> bytes:
    """Add the live-reload tag before </body> (or at the end). Only in responses."""
    data = html.escape(json.dumps(state), quote=True)
    tag = f'<script src="{SCRIPT_URL}" data-state="{data}"></script>\n'.encode("utf-8")
    matches = list(_BODY_END.finditer(page))
    if not matches:
        return page + tag
    at = matches[-1].start()
    return page[:at] + tag + page[at:]


MISSING_PAGE = (b"<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Not found</title>"
                b"</head><body><h1>Not found</h1><p>There is no page at this address.</p></body></html>\n")


class DevRequestHandler(BaseHTTPRequestHandler):
    server: "DevServer"
    server_version = "mlcsite"

    def do_GET(self) -> None:
        self._respond(send_body=True)

    def do_HEAD(self) -> None:
        self._respond(send_body=False)

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the stdlib's name
        pass  # quiet: the terminal belongs to build messages

    def _respond(self, send_body: bool) -> None:
        path = urlsplit(self.path).path
        if path == EVENTS_URL:
            return self._stream_events()
        if path == SCRIPT_URL:
            return self._send(200, "application/javascript; charset=utf-8", LIVE_SCRIPT, send_body)
        found = resolve_request(self.path, self.server.live.base_path, self.server.out_dir)
        if found.location:
            self.send_response(found.status)
            self.send_header("Location", found.location)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        if found.file is None:
            return self._send_not_found(send_body)
        try:
            data = found.file.read_bytes()
        except OSError:  # replaced or removed by a rebuild this instant
            return self._send_not_found(send_body)
        return self._send(200, content_type(found.file, data[:512]), data, send_body)

    def _send_not_found(self, send_body: bool) -> None:
        try:
            page = (self.server.out_dir / "404.html").read_bytes()
        except OSError:
            page = MISSING_PAGE
        self._send(404, "text/html; charset=utf-8", page, send_body)

    def _send(self, status: int, kind: str, data: bytes, send_body: bool) -> None:
        if kind.startswith("text/html"):
            data = inject_live_script(data, self.server.live.snapshot())
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")  # a reload must show the new build
        self.end_headers()
        if send_body:
            self.wfile.write(data)

    def _stream_events(self) -> None:
        live = self.server.live
        listener = live.subscribe()
        try:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream; charset=utf-8")
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self._send_event(live.snapshot(), retry=True)
            while True:
                try:
                    state = listener.get(timeout=KEEPALIVE_SECONDS)
                except queue.Empty:
                    self.wfile.write(b": keep-alive\n\n")  # also notices a closed tab
                    self.wfile.flush()
                    continue
                if state is None:
                    return
                self._send_event(state)
        except (BrokenPipeError, ConnectionResetError):
            return
        finally:
            live.unsubscribe(listener)

    def _send_event(self, state: dict, retry: bool = False) -> None:
        lines = "retry: 1000\n" if retry else ""
        self.wfile.write(f"{lines}event: state\ndata: {json.dumps(state)}\n\n".encode("utf-8"))
        self.wfile.flush()


class DevServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], out_dir: Path, live: LiveState) -> None:
        self.out_dir, self.live = out_dir, live
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, DevRequestHandler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{port}{self.live.base_path}"


def start_server(host: str, port: int, out_dir: Path, live: LiveState) -> DevServer:
    """Bind and serve in a background thread. Raises OSError when the port is taken."""
    server = DevServer((host, port), out_dir, live)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2},
                              name="mlcsite-serve", daemon=True)
    thread.start()
    return server


def stop_server(server: DevServer) -> None:
    """Close every event stream, stop serving and release the port."""
    server.live.close()
    server.shutdown()
    server.server_close()
