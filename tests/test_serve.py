"""`mlcsite serve`: real HTTP on 127.0.0.1, the live-reload stream, the error
overlay, and a real Chromium page that reloads by itself."""

from __future__ import annotations

import http.client
import json
import re
import signal
import socket
from html import unescape
from pathlib import Path

import pytest

from generator.devserver import LiveState, content_type, inject_live_script, resolve_request, start_server, stop_server
from test_watch import POST, WatchProcess, read_or_empty

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def get(port: int, path: str, method: str = "GET") -> tuple[int, dict, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path)
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def page_state(body: bytes) -> dict:
    """The state the server injected into an HTML response."""
    match = re.search(rb'<script src="/__mlcsite/live\.js" data-state="([^"]*)"></script>', body)
    assert match, body[-400:]
    return json.loads(unescape(match.group(1).decode("utf-8")))


class EventStream:
    """A client of the server-sent-events endpoint."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
        self.conn.request("GET", "/__mlcsite/events")
        self.response = self.conn.getresponse()
        assert self.response.status == 200
        assert self.response.getheader("Content-Type").startswith("text/event-stream")

    def next_state(self) -> dict:
        data = None
        while True:
            line = self.response.fp.readline().decode("utf-8")
            assert line, "the event stream ended"
            if line.startswith("data: "):
                data = json.loads(line[len("data: "):])
            elif line == "\n" and data is not None:
                return data

    def close(self) -> None:
        self.conn.close()


# ── pure parts ───────────────────────────────────────────────────────────────


@pytest.mark.parametrize("name, head, expected", [
    ("index.html", b"<!doctype html>", "text/html; charset=utf-8"),
    ("calendar.ics", b"BEGIN:VCALENDAR", "text/calendar; charset=utf-8"),
    ("feed.xml", b'<?xml version="1.0"?>\n<rss version="2.0">', "application/rss+xml; charset=utf-8"),
    ("atom.xml", b'<?xml version="1.0"?>\n<feed xmlns="http://www.w3.org/2005/Atom">',
     "application/atom+xml; charset=utf-8"),
    ("sitemap.xml", b'<?xml version="1.0"?>\n<urlset>', "application/xml; charset=utf-8"),
    ("site.css", b"body{}", "text/css; charset=utf-8"),
    ("app.js", b"", "application/javascript; charset=utf-8"),
    ("photo.JPG", b"", "image/jpeg"),
    ("robots.txt", b"", "text/plain; charset=utf-8"),
])
def test_content_types_follow_the_file(name, head, expected):
    assert content_type(Path(name), head) == expected


def test_requests_never_leave_the_output_folder(tmp_path):
    out = tmp_path / "output"
    (out / "posts").mkdir(parents=True)
    (out / "posts/index.html").write_text("posts")
    (tmp_path / "secret.txt").write_text("secret")
    (out / "leak.txt").symlink_to(tmp_path / "secret.txt")
    for path in ("/../secret.txt", "/%2e%2e/secret.txt", "/posts/%2E%2E/%2E%2E/secret.txt", "/leak.txt",
                 "/posts/..%2F..%2Fsecret.txt", "/.tmp-abc", "/posts/index.html%00.txt"):
        assert resolve_request(path, "/", out).status == 404, path
    assert resolve_request("/posts/", "/", out).file == (out / "posts/index.html").resolve()
    assert resolve_request("/posts?page=2", "/", out).location == "/posts/?page=2"


def test_a_base_path_is_where_the_site_lives(tmp_path):
    out = tmp_path / "output"
    (out / "about").mkdir(parents=True)
    (out / "about/index.html").write_text("about")
    (out / "index.html").write_text("home")
    assert resolve_request("/", "/pr-42/", out).location == "/pr-42/"
    assert resolve_request("/pr-42", "/pr-42/", out).location == "/pr-42/"
    assert resolve_request("/pr-42/about", "/pr-42/", out).location == "/pr-42/about/"
    assert resolve_request("/pr-42/about/", "/pr-42/", out).file == (out / "about/index.html").resolve()
    assert resolve_request("/about/", "/pr-42/", out).status == 404


def test_the_live_script_goes_before_the_last_closing_body_tag():
    page = b"<html><body><pre>&lt;/body&gt;</pre></body>\n</html>\n"
    injected = inject_live_script(page, {"token": "t-1", "error": "a </script> <b>"})
    assert injected.endswith(b"></script>\n</body>\n</html>\n")
    assert page_state(injected) == {"token": "t-1", "error": "a </script> <b>"}
    assert b"<b>" not in injected


# ── real HTTP over the sample site ───────────────────────────────────────────


@pytest.fixture(scope="module")
def sample_server(sample_build):
    live = LiveState()
    server = start_server("127.0.0.1", 0, sample_build, live)
    yield server.server_address[1], sample_build
    stop_server(server)


@pytest.mark.parametrize("path, expected_type", [
    ("/", "text/html; charset=utf-8"),
    ("/posts/", "text/html; charset=utf-8"),
    ("/calendar.ics", "text/calendar; charset=utf-8"),
    ("/series/dlct/calendar.ics", "text/calendar; charset=utf-8"),
    ("/feed.xml", "application/rss+xml; charset=utf-8"),
    ("/atom.xml", "application/atom+xml; charset=utf-8"),
    ("/sitemap.xml", "application/xml; charset=utf-8"),
    ("/robots.txt", "text/plain; charset=utf-8"),
])
def test_the_server_sends_each_output_with_its_type(sample_server, path, expected_type):
    port, out = sample_server
    status, headers, body = get(port, path)
    assert status == 200
    assert headers["content-type"] == expected_type
    if not expected_type.startswith("text/html"):  # everything but HTML is sent as written
        file = out / (path.lstrip("/") or "index.html")
        assert body == file.read_bytes()


def test_a_folder_url_without_slash_redirects_and_unknown_urls_get_the_404_page(sample_server):
    port, out = sample_server
    status, headers, _ = get(port, "/posts")
    assert (status, headers["location"]) == (301, "/posts/")
    status, headers, body = get(port, "/no/such/page/")
    assert status == 404
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert body.startswith((out / "404.html").read_bytes().split(b"</body>")[0])
    status, _, body = get(port, "/no/such/page/", method="HEAD")
    assert (status, body) == (404, b"")


def test_the_live_script_is_served_but_never_written_to_output(sample_server):
    port, out = sample_server
    _, _, body = get(port, "/")
    assert page_state(body)["error"] is None
    status, headers, script = get(port, "/__mlcsite/live.js")
    assert status == 200 and headers["content-type"].startswith("application/javascript")
    assert b"EventSource" in script
    assert not [p for p in out.rglob("*") if p.is_file() and b"__mlcsite" in p.read_bytes()]


# ── serve while editing ──────────────────────────────────────────────────────


@pytest.fixture
def served_site(make_site):
    site = make_site({"content/posts/2024-01-01-hello.md": POST.format(title="First Light"),
                      "content/pages/about.md": "---\ntitle: About Us\n---\nWe are here.\n"})
    server = WatchProcess(site.root, "serve", "--port", "0")
    port = int(server.wait_for_line(r"at http://127\.0\.0\.1:(\d+)/").group(1))
    server.wait_for_line(r"Watching content/")
    yield site, server, port
    server.stop()


def test_the_event_stream_fires_after_a_rebuild(served_site):
    site, server, port = served_site
    stream = EventStream(port)
    try:
        first = stream.next_state()
        assert first["error"] is None
        site.write("content/posts/2024-01-01-hello.md", POST.format(title="Second Light"))
        after = stream.next_state()
        assert after["error"] is None and after["token"] != first["token"]
        assert "Second Light" in read_or_empty(site.output / "posts/hello/index.html")
    finally:
        stream.close()


def test_an_error_overlay_appears_after_a_bad_edit_and_goes_after_the_fix(served_site):
    site, server, port = served_site
    stream = EventStream(port)
    try:
        good = stream.next_state()
        site.write("content/posts/2024-01-01-hello.md", "---\ntitle: Oops\nauthors: [nobody-here]\n---\nx\n")
        bad = stream.next_state()
        assert "content/posts/2024-01-01-hello.md" in bad["error"]
        assert 'There is no member with the slug "nobody-here"' in bad["error"]
        status, _, body = get(port, "/posts/hello/")  # the last good page, with the overlay's state
        assert status == 200 and b"First Light" in body
        assert page_state(body)["error"] == bad["error"]

        site.write("content/posts/2024-01-01-hello.md", POST.format(title="Fixed Light"))
        fixed = stream.next_state()
        assert fixed["error"] is None and fixed["token"] != good["token"]
        _, _, body = get(port, "/posts/hello/")
        assert b"Fixed Light" in body and page_state(body)["error"] is None
    finally:
        stream.close()


def test_serve_stops_on_sigterm_and_releases_the_port(served_site):
    site, server, port = served_site
    stream = EventStream(port)  # an open stream must not keep the server alive
    stream.next_state()
    assert server.stop(signal.SIGTERM) == 0
    stream.close()
    with socket.socket() as probe:  # as a restarted server would: closed streams may linger in TIME_WAIT
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(("127.0.0.1", port))
        probe.listen()
    assert not [p for p in site.output.rglob(".tmp-*")]


def test_serve_puts_the_site_under_the_base_path(make_site):
    site = make_site({"content/pages/about.md": "---\ntitle: About Us\n---\nWe are here.\n"})
    server = WatchProcess(site.root, "serve", "--port", "0", "--base-url", "https://example.org/pr-42/")
    try:
        port = int(server.wait_for_line(r"at http://127\.0\.0\.1:(\d+)/pr-42/").group(1))
        assert get(port, "/")[1]["location"] == "/pr-42/"
        assert get(port, "/pr-42/about")[1]["location"] == "/pr-42/about/"
        status, _, body = get(port, "/pr-42/about/")
        assert status == 200 and b"About Us" in body
    finally:
        assert server.stop() == 0


def test_serve_refuses_a_port_in_use_with_a_clear_message(make_site):
    site = make_site()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = site.cli("serve", "--port", str(port), timeout=60)
    assert result.returncode == 2
    assert f"cannot serve on 127.0.0.1 port {port}" in result.output
    assert "Traceback" not in result.output


# ── a real browser ───────────────────────────────────────────────────────────


@pytest.mark.browser
def test_a_page_in_chromium_reloads_by_itself_and_shows_errors(served_site):
    from playwright.sync_api import expect, sync_playwright
    site, server, port = served_site
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(f"http://127.0.0.1:{port}/posts/hello/")
            expect(page.locator("body")).to_contain_text("First Light")
            # No need to wait for the event stream to connect: on connecting it learns the
            # current build, and a build newer than the page reloads it.
            site.write("content/posts/2024-01-01-hello.md", POST.format(title="Edited In Place"))
            expect(page.locator("body")).to_contain_text("Edited In Place", timeout=20_000)

            site.write("content/posts/2024-01-01-hello.md", "---\ntitle: Oops\nauthors: [nobody-here]\n---\nx\n")
            overlay = page.locator("#mlcsite-errors")
            expect(overlay).to_be_visible(timeout=20_000)
            expect(overlay).to_contain_text("content/posts/2024-01-01-hello.md")
            page.reload()  # a page opened while the error persists shows it too
            expect(overlay).to_contain_text("nobody-here", timeout=20_000)

            site.write("content/posts/2024-01-01-hello.md", POST.format(title="All Good Now"))
            expect(page.locator("body")).to_contain_text("All Good Now", timeout=20_000)
            expect(overlay).to_have_count(0)
        finally:
            browser.close()


# The colour of an element's text and of the first opaque background behind it.
COLOURS_JS = """(element) => {
  const opaque = (c) => c && c !== "transparent" && !/rgba\\(.*, 0\\)$/.test(c);
  let node = element, background = null;
  while (node && !opaque(background)) { background = getComputedStyle(node).backgroundColor; node = node.parentElement; }
  return [getComputedStyle(element).color, background];
}"""


def contrast_ratio(foreground: str, background: str) -> float:
    """WCAG 2 contrast of two "rgb(r, g, b)" colours."""
    def luminance(colour: str) -> float:
        channels = [int(c) / 255 for c in re.findall(r"\d+", colour)[:3]]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    high, low = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_contrast_ratio_matches_known_pairs():
    assert round(contrast_ratio("rgb(0, 0, 0)", "rgb(255, 255, 255)"), 1) == 21.0
    assert contrast_ratio("rgb(244, 244, 245)", "rgb(238, 244, 242)") < 1.2  # issue 12's unreadable overlay


@pytest.mark.browser
def test_the_error_overlay_is_readable_in_light_and_dark_mode(served_site):
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import expect, sync_playwright
    site, server, port = served_site
    site.write("content/posts/2024-01-01-hello.md", "---\ntitle: Oops\nauthors: [nobody-here]\n---\nx\n")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            for scheme in ("light", "dark"):
                page = browser.new_page(color_scheme=scheme)
                page.goto(f"http://127.0.0.1:{port}/posts/hello/")
                overlay = page.locator("#mlcsite-errors")
                expect(overlay).to_contain_text("nobody-here", timeout=20_000)
                for part in ("h2", "pre", "button"):
                    colours = overlay.locator(part).evaluate(COLOURS_JS)
                    assert contrast_ratio(*colours) >= 4.5, (scheme, part, colours)
                result = Axe().run(page, context="#mlcsite-errors", options={"runOnly": ["color-contrast"]})
                assert result.violations_count == 0, result.generate_report()
                page.close()
        finally:
            browser.close()
