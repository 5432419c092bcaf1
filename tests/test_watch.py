"""`mlcsite watch`: the event classifier as a table, then the real command on a
scratch site, with real file events, checked against a clean build."""

from __future__ import annotations

import errno
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import REPO, SAMPLE_NOW, run_mlcsite
from generator import pipeline
from generator.cli import _parse_now
from generator.content.discover import is_ignored_name
from generator.watcher import Inbox, WatchScope, WatchSession, classify_event, is_editor_junk

ROOT = Path("/site")
SCOPE = WatchScope(ROOT, ROOT / "output")

# ── shared helpers (test_serve and test_incremental import these) ────────────


def wait_until(predicate, what: str, timeout: float = 20.0):
    """Poll `predicate` until it returns something truthy; fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what} after {timeout:.0f} s")
        time.sleep(0.02)


def read_or_empty(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return ""


def tree(folder: Path) -> dict[str, bytes]:
    """The files under `folder`. A watcher may be replacing files while we read
    (its temp files vanish into os.replace): a file gone by the time it is read
    is left out, and the caller polls again."""
    files = {}
    for path in sorted(folder.rglob("*")):
        try:
            if path.is_file():
                files[path.relative_to(folder).as_posix()] = path.read_bytes()
        except FileNotFoundError:
            continue
    return files


def differences(got: dict[str, bytes], want: dict[str, bytes]) -> list[str]:
    problems = [f"missing {p}" for p in sorted(set(want) - set(got))]
    problems += [f"extra {p}" for p in sorted(set(got) - set(want))]
    problems += [f"differs {p}" for p in sorted(set(got) & set(want)) if got[p] != want[p]]
    return problems


def clean_build(root: Path, out: Path) -> dict[str, bytes]:
    result = run_mlcsite("build", "--out", str(out), "--now", SAMPLE_NOW, cwd=root)
    assert result.returncode == 0, result.output
    return tree(out)


def copy_sample_site(dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("content", "templates"):
        shutil.copytree(REPO / name, dest / name)
    shutil.copy(REPO / "site.yaml", dest / "site.yaml")
    return dest


class WatchProcess:
    """`mlcsite watch` (or serve) in a subprocess; its output collected line by line."""

    def __init__(self, root: Path, *args: str) -> None:
        env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen([sys.executable, "-m", "generator", *args, "--now", SAMPLE_NOW],
                                     cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True, encoding="utf-8")
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def wait_for_line(self, pattern: str, after: int = 0, timeout: float = 20.0) -> re.Match:
        regex = re.compile(pattern)

        def found():
            return next((m for m in map(regex.search, self.lines[after:]) if m), None)
        return wait_until(found, f"a line matching {pattern!r}; got:\n{self.text}", timeout)

    def stop(self, sig: int = signal.SIGINT) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout=20)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
        self._reader.join(timeout=5)
        return code


# ── the classifier ───────────────────────────────────────────────────────────

KEEP, DROP = True, False
EVENTS = [
    # (event, src, dest, is_directory, kept?)
    ("modified", "/site/content/posts/2024-01-01-hi.md", "", False, KEEP),
    ("created", "/site/content/members/ada.yaml", "", False, KEEP),
    ("deleted", "/site/content/events/x.md", "", False, KEEP),
    ("closed", "/site/content/posts/2024-01-01-hi.md", "", False, KEEP),
    ("modified", "/site/site.yaml", "", False, KEEP),
    ("modified", "/site/templates/base.html", "", False, KEEP),
    ("created", "/site/templates/static/site.css", "", False, KEEP),
    ("created", "/site/content/images/photo.jpg", "", False, KEEP),
    ("deleted", "/site/content", "", True, KEEP),
    ("created", "/site/content/pages/wiki", "", True, KEEP),
    ("deleted", "/site/content/pages/wiki", "", True, KEEP),
    # save-by-rename, and whole folders moved in and out
    ("moved", "/site/content/posts/.hi.md.tmp", "/site/content/posts/hi.md", False, KEEP),
    ("moved", "/site/content/posts/hi.md___jb_tmp___", "/site/content/posts/hi.md", False, KEEP),
    ("moved", "/site/content/posts/hi.md", "/site/content/posts/hi.md~", False, KEEP),
    ("moved", "/tmp/elsewhere/wiki", "/site/content/pages/wiki", True, KEEP),
    ("moved", "/site/content/pages/wiki", "/tmp/elsewhere/wiki", True, KEEP),
    ("moved", "/site/content/a.md", "/site/content/b.md", False, KEEP),
    # events that change nothing
    ("opened", "/site/content/posts/hi.md", "", False, DROP),
    ("closed_no_write", "/site/content/posts/hi.md", "", False, DROP),
    ("attrib", "/site/content/posts/hi.md", "", False, DROP),
    ("modified", "/site/content/posts", "", True, DROP),
    ("modified", "/site", "", True, DROP),
    # editor temp, swap, lock and backup files
    ("created", "/site/content/posts/.hi.md.swp", "", False, DROP),
    ("modified", "/site/content/posts/.hi.md.swx", "", False, DROP),
    ("created", "/site/content/posts/hi.md.swpx", "", False, DROP),
    ("created", "/site/content/posts/hi.md~", "", False, DROP),
    ("created", "/site/content/posts/.#hi.md", "", False, DROP),
    ("created", "/site/content/posts/#hi.md#", "", False, DROP),
    ("created", "/site/content/posts/hi.md___jb_tmp___", "", False, DROP),
    ("deleted", "/site/content/posts/hi.md___jb_old___", "", False, DROP),
    ("created", "/site/content/posts/4913", "", False, DROP),
    ("created", "/site/content/.DS_Store", "", False, DROP),
    ("created", "/site/templates/.goutputstream-AB12CD", "", False, DROP),
    ("created", "/site/content/posts/~$report.docx", "", False, DROP),
    ("moved", "/site/content/posts/hi.md.tmp", "/site/content/posts/hi.md.swp", False, DROP),
    # the output folder, caches and everything outside the site's sources
    ("modified", "/site/output/index.html", "", False, DROP),
    ("created", "/site/output", "", True, DROP),
    ("created", "/site/content/__pycache__/x.pyc", "", False, DROP),
    ("modified", "/site/content/.git/index", "", False, DROP),
    ("modified", "/site/content/node_modules/x/index.js", "", False, DROP),
    ("modified", "/site/generator/pipeline.py", "", False, DROP),
    ("modified", "/site/README.md", "", False, DROP),
    ("modified", "/site/tests/test_x.py", "", False, DROP),
    ("modified", "/elsewhere/content/posts/hi.md", "", False, DROP),
]


@pytest.mark.parametrize("event, src, dest, is_dir, kept", EVENTS)
def test_classifier_keeps_changes_to_sources_and_drops_the_rest(event, src, dest, is_dir, kept):
    assert bool(classify_event(event, src, dest, is_dir, SCOPE)) is kept


def test_classifier_names_the_site_relative_path_of_a_move_into_the_site():
    assert classify_event("moved", "/tmp/x/wiki", "/site/content/pages/wiki", True, SCOPE) == "content/pages/wiki"
    assert classify_event("moved", "/site/content/p.md", "/tmp/p.md", False, SCOPE) == "content/p.md"


def test_classifier_drops_a_custom_output_folder_inside_the_site():
    scope = WatchScope(ROOT, ROOT / "content-preview")
    assert classify_event("modified", "/site/content-preview/index.html", "", False, scope) is None
    assert classify_event("modified", "/site/content/x.md", "", False, scope) == "content/x.md"


@pytest.mark.parametrize("name", ["hi.md", "2024-01-01-hello.md", "photo.jpg", "a~b.md", "v4913.md", "paper.bak"])
def test_ordinary_file_names_are_not_editor_junk(name):
    assert not is_editor_junk(name)


def test_every_name_discovery_reads_is_watched():
    """A dropped event for a file the build reads would leave output/ stale."""
    names = ["hi.md", ".hi.md.swp", "hi.md~", "#hi.md#", ".#hi.md", "4913", "x___jb_old___", "a.tmp", "b.swpx"]
    # vim's .swpx is asked of discovery too; until then it is the one name only the watcher drops
    assert {n for n in names if is_editor_junk(n) and not is_ignored_name(n)} <= {"b.swpx"}


def test_a_burst_of_changes_is_one_rebuild():
    inbox = Inbox(SCOPE)
    for name in ("a.md", "b.md", "a.md"):
        inbox.changes.put(f"content/posts/{name}")
    assert inbox.next_burst(wait=1) == ["content/posts/a.md", "content/posts/b.md", "content/posts/a.md"]
    assert inbox.next_burst(wait=0.01) == []


def test_a_save_ends_its_burst_once_its_file_is_written_whole(monkeypatch):
    """An editor's save, as watchdog reports it (written then closed; or written
    aside and renamed into place), is a whole burst at once: the quiet window,
    made a minute long here, is not waited out. A file only modified may still
    be written to, and waits for it."""
    from watchdog.events import FileClosedEvent, FileCreatedEvent, FileModifiedEvent, FileMovedEvent
    monkeypatch.setattr("generator.watcher.QUIET_SECONDS", 60)
    post, aside = str(ROOT / "content/posts/a.md"), str(ROOT / "content/posts/.a.md.tmp")
    saves = {"written and closed": [FileModifiedEvent(post), FileClosedEvent(post)],
             "renamed into place": [FileCreatedEvent(aside), FileClosedEvent(aside), FileMovedEvent(aside, post)]}
    for events in saves.values():
        inbox = Inbox(SCOPE)
        for event in events:
            inbox.on_any_event(event)
        started = time.monotonic()
        assert set(inbox.next_burst(wait=1)) == {"content/posts/a.md"}
        assert inbox.cut_short and time.monotonic() - started < 30
        assert inbox.whole == {}  # forgotten once taken: one entry per temp name would pile up
    monkeypatch.setattr("generator.watcher.QUIET_SECONDS", 0.2)
    inbox = Inbox(SCOPE)
    inbox.on_any_event(FileModifiedEvent(post))
    assert inbox.next_burst(wait=1) == ["content/posts/a.md"] and not inbox.cut_short


# ── the real command ─────────────────────────────────────────────────────────

POST = """\
---
title: {title}
tags: [news]
---
Hello from {title}.
"""


@pytest.fixture
def watched_site(make_site):
    site = make_site({"content/posts/2024-01-01-hello.md": POST.format(title="First Light"),
                      "content/pages/about.md": "---\ntitle: About Us\n---\nWe are here.\n"})
    watcher = WatchProcess(site.root, "watch")
    watcher.wait_for_line(r"Watching content/")
    yield site, watcher
    watcher.stop()


def test_watch_follows_creates_edits_renames_deletes_and_folder_moves(watched_site, tmp_path):
    site, watcher = watched_site
    out = site.output
    assert "First Light" in read_or_empty(out / "posts/hello/index.html")

    site.write("content/posts/2024-02-02-second.md", POST.format(title="Second Wind"))
    wait_until(lambda: "Second Wind" in read_or_empty(out / "posts/second/index.html"), "a new post")

    site.write("content/posts/2024-01-01-hello.md", POST.format(title="First Light Revised"))
    wait_until(lambda: "First Light Revised" in read_or_empty(out / "posts/hello/index.html"), "an edit")

    # save-by-rename, as many editors do: write a temp file, rename it over the original
    temp = site.write("content/posts/.2024-01-01-hello.md.tmp1234", POST.format(title="Atomically Saved"))
    os.replace(temp, site.root / "content/posts/2024-01-01-hello.md")
    wait_until(lambda: "Atomically Saved" in read_or_empty(out / "posts/hello/index.html"), "a save-by-rename")

    os.rename(site.root / "content/posts/2024-02-02-second.md", site.root / "content/posts/2024-02-02-renamed.md")
    wait_until(lambda: (out / "posts/renamed/index.html").exists() and not (out / "posts/second").exists(),
               "a rename: the new page written, the old one removed")

    (site.root / "content/posts/2024-02-02-renamed.md").unlink()
    wait_until(lambda: not (out / "posts/renamed").exists(), "a deleted post's page to go")

    outside = tmp_path / "elsewhere" / "wiki"
    outside.mkdir(parents=True)
    (outside / "guide.md").write_text("---\ntitle: The Guide\n---\nRead me.\n", encoding="utf-8")
    os.rename(outside, site.root / "content/pages/wiki")
    wait_until(lambda: "The Guide" in read_or_empty(out / "wiki/guide/index.html"), "a folder moved in")

    os.rename(site.root / "content/pages/wiki", outside)
    wait_until(lambda: not (out / "wiki").exists(), "a folder moved out")

    mark = watcher.lines.__len__()
    site.write("content/posts/.2024-01-01-hello.md.swp", "vim swap")
    site.write("content/posts/2024-01-01-hello.md~", "backup")
    site.write("content/pages/about.md", "---\ntitle: About Everyone\n---\nWe are here.\n")
    wait_until(lambda: "About Everyone" in read_or_empty(out / "about/index.html"), "a page edit")
    assert not any(".swp" in line or "md~" in line for line in watcher.lines[mark:]), watcher.text

    assert watcher.stop() == 0
    assert "Traceback" not in watcher.text
    assert not [p for p in out.rglob(".tmp-*")], "a temp file was left in output/"
    (site.root / "content/posts/.2024-01-01-hello.md.swp").unlink()
    (site.root / "content/posts/2024-01-01-hello.md~").unlink()
    assert differences(tree(out), clean_build(site.root, tmp_path / "clean")) == []


def test_watch_rebuilds_on_template_and_site_yaml_edits(watched_site):
    site, watcher = watched_site
    out = site.output
    base = site.root / "templates/base.html"
    base.write_text(base.read_text(encoding="utf-8").replace("</body>", "<!-- theme edit 7 -->\n</body>"),
                    encoding="utf-8")
    wait_until(lambda: "theme edit 7" in read_or_empty(out / "about/index.html")
               and "theme edit 7" in read_or_empty(out / "posts/hello/index.html"), "a template edit on every page")

    settings = site.root / "site.yaml"
    settings.write_text(settings.read_text(encoding="utf-8").replace("https://example.org", "https://example.net"),
                        encoding="utf-8")
    wait_until(lambda: "https://example.net/sitemap.xml" in read_or_empty(out / "robots.txt"), "a site.yaml edit")


def test_a_bad_edit_keeps_the_last_good_output_and_the_fix_recovers(watched_site):
    site, watcher = watched_site
    page = site.output / "posts/hello/index.html"
    before = page.read_bytes()
    mark = len(watcher.lines)
    site.write("content/posts/2024-01-01-hello.md", "---\ntitle: Broken\ntags: [news\n---\nOops.\n")
    watcher.wait_for_line(r"content/posts/2024-01-01-hello\.md", after=mark)
    watcher.wait_for_line(r"keeps the last good build", after=mark)
    assert re.search(r"1\. error \(line \d+", watcher.text), watcher.text
    assert page.read_bytes() == before
    assert "Traceback" not in watcher.text

    site.write("content/posts/2024-01-01-hello.md", POST.format(title="Fixed Again"))
    wait_until(lambda: "Fixed Again" in read_or_empty(page), "the fix to be built")
    assert watcher.proc.poll() is None, "the watcher exited on bad content"


def test_a_bad_edit_prints_the_same_diagnostics_as_check(watched_site):
    site, watcher = watched_site
    mark = len(watcher.lines)
    site.write("content/posts/2024-01-01-hello.md", "---\ntitle: Who\nauthors: [nobody-here]\n---\nText.\n")
    watcher.wait_for_line(r"keeps the last good build", after=mark)
    check = site.cli("check")
    assert check.returncode == 1
    report = check.stdout.split("\n\n")[0]  # the file's block, before the totals
    assert report in "\n".join(watcher.lines[mark:])


def test_content_folder_moved_away_and_back_is_watched_again(watched_site):
    site, watcher = watched_site
    mark = len(watcher.lines)
    os.rename(site.root / "content", site.root / "content-away")
    watcher.wait_for_line(r"There is no content/ folder", after=mark)
    os.rename(site.root / "content-away", site.root / "content")
    site.write("content/posts/2024-01-01-hello.md", POST.format(title="Back Home"))
    wait_until(lambda: "Back Home" in read_or_empty(site.output / "posts/hello/index.html"),
               "an edit in the returned content/ folder")


def test_sigterm_stops_watch_cleanly(watched_site):
    site, watcher = watched_site
    assert watcher.stop(signal.SIGTERM) == 0
    assert "Stopped." in watcher.text


# ── the observer's failures, in process ──────────────────────────────────────


class Session:
    """A WatchSession on a thread, with its messages collected."""

    def __init__(self, root: Path, **kwargs) -> None:
        self.messages: list[str] = []
        options = pipeline.Options(root=root, now=_parse_now(SAMPLE_NOW))
        self.session = WatchSession(options, self.messages.append, self.messages.append, **kwargs)
        self.stop = threading.Event()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self.session.run, args=(self.stop, self.ready.set), daemon=True)
        self.thread.start()
        wait_until(self.ready.is_set, "the first build")

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=20)
        assert not self.thread.is_alive()


def test_a_stopped_observer_is_restarted_and_said_so(make_site):
    site = make_site({"content/pages/about.md": "---\ntitle: About Us\n---\nHi.\n"})
    live = Session(site.root)
    try:
        live.session.folders.observer.stop()  # as if its thread had died
        wait_until(lambda: any("file watcher stopped" in m for m in live.messages), "the restart message")
        site.write("content/pages/about.md", "---\ntitle: About Them\n---\nHi.\n")
        wait_until(lambda: "About Them" in read_or_empty(site.output / "about/index.html"),
                   "an edit seen by the restarted observer")
    finally:
        live.close()


def test_watch_falls_back_to_polling_when_inotify_is_exhausted(make_site):
    class ExhaustedInotify:
        def __init__(self) -> None:
            raise OSError(errno.ENOSPC, "inotify watch limit reached")

    site = make_site({"content/pages/about.md": "---\ntitle: About Us\n---\nHi.\n"})
    live = Session(site.root, native=ExhaustedInotify)
    try:
        assert any("polling for changes" in m and "inotify watch limit reached" in m for m in live.messages)
        assert live.session.folders.polling
        site.write("content/pages/about.md", "---\ntitle: About Polling\n---\nHi.\n")
        wait_until(lambda: "About Polling" in read_or_empty(site.output / "about/index.html"),
                   "an edit seen by the polling observer")
    finally:
        live.close()


def test_watch_of_a_missing_folder_is_a_usage_error(tmp_path):
    result = run_mlcsite("-C", str(tmp_path / "no-such-site"), "watch", cwd=tmp_path)
    assert result.returncode == 2
    assert "there is no folder" in result.stderr and "Traceback" not in result.output
