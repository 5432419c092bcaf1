"""`mlcsite watch` and `mlcsite serve`: rebuild on every change, never stop on bad content.

    file events ─► classify_event (pure: keep or drop) ─► inbox ─► debounce
        ─► pipeline.build with a cache (render what changed, sync output/) ─► report
                                                              └─► LiveState (serve)

Watched: site.yaml, content/ and templates/ (STYLE 11; Zola `filter_events`).
Dropped: editor temp and backup files, output/, caches, folder-modify and
open/close-without-write events. The native observer falls back to polling when
it cannot start (inotify limits), and is restarted, loudly, if it stops.
"""

from __future__ import annotations

import errno
import os
import queue
import sys
import threading
import time
import traceback
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Callable, Iterator

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.polling import PollingObserver

from . import pipeline
from .content.discover import is_ignored_name
from .devserver import LiveState, start_server, stop_server
from .early_page import EarlyWrite, came_and_went, write_edited_pages
from .incremental import RenderCache
from .report import format_diagnostics
from .signals import handling_stop_signals
from .writer import OutputWriteError

WATCHED_FOLDERS = ("content", "templates")
SETTINGS_FILE = "site.yaml"
QUIET_SECONDS = 0.1  # a burst of events (save-by-rename, git checkout) is one rebuild
LONGEST_BURST = 2.0  # ...but a never-ending burst still rebuilds now and then
REST_AFTER_EARLY_PAGE = 0.75  # after a page written early, more saves of that kind before the full rebuild
KEPT_EVENTS = {"created", "deleted", "modified", "moved", "closed"}
# After these a file is as its writer meant it: closed after writing, renamed into place, removed.
# A file created or modified may still be written to.
WHOLE_AFTER = {"closed", "moved", "deleted"}
CACHE_FOLDERS = {"__pycache__", "node_modules"}  # hidden ones (.git, .cache, .pytest_cache) are junk already

Say = Callable[[str], None]


# ── what an event means ──────────────────────────────────────────────────────


def is_editor_junk(name: str) -> bool:
    """Temp, swap, lock and backup files that editors write beside the real one
    (vim .x.swp and 4913, emacs .#x and #x#, JetBrains x___jb_tmp___, x~), and
    hidden files such as .DS_Store: exactly what discovery skips, since dropping
    an event for a file the build reads would leave the output stale."""
    return is_ignored_name(name)


@dataclass(frozen=True)
class WatchScope:
    root: Path  # absolute
    out_dir: Path  # absolute; may lie inside root

    def relevant(self, path: str) -> str | None:
        """The site-relative path if a change there can change the site, else None."""
        if not path:
            return None
        candidate = PurePath(path)
        if candidate == self.out_dir or self.out_dir in candidate.parents:
            return None
        try:
            rel = candidate.relative_to(self.root)
        except ValueError:
            return None
        parts = rel.parts
        if parts == (SETTINGS_FILE,):
            return SETTINGS_FILE
        if not parts or parts[0] not in WATCHED_FOLDERS:
            return None
        if any(p in CACHE_FOLDERS or is_editor_junk(p) for p in parts[1:]):
            return None
        return rel.as_posix()


def classify_event(event_type: str, src_path: str, dest_path: str, is_directory: bool,
                   scope: WatchScope) -> str | None:
    """The site-relative path an event changes, or None when it changes nothing.

    A move counts if either end is relevant: a folder moved in or out, or a
    save-by-rename (write `x.md.tmp`, rename it over `x.md`)."""
    if event_type not in KEPT_EVENTS:
        return None  # opened, closed_no_write, attrib (touch, chmod)
    if is_directory and event_type in ("modified", "closed"):
        return None  # a folder's listing changed: the file events say what
    if event_type == "moved":
        return scope.relevant(dest_path) or scope.relevant(src_path)
    return scope.relevant(src_path)


# ── collecting events ────────────────────────────────────────────────────────


class Inbox(FileSystemEventHandler):
    """Receives watchdog events on the observer thread; keeps the relevant ones."""

    def __init__(self, scope: WatchScope) -> None:
        super().__init__()
        self.scope = scope
        self.changes: queue.Queue[str] = queue.Queue()
        # Whether each path's last event left it written whole (WHOLE_AFTER), until the
        # change is taken; set before it is queued, so a change taken is never newer.
        self.whole: dict[str, bool] = {}
        self.cut_short = False  # the last burst ended before its quiet window (next_burst)

    def on_any_event(self, event: FileSystemEvent) -> None:
        try:
            changed = classify_event(event.event_type, os.fsdecode(event.src_path),
                                     os.fsdecode(event.dest_path or ""), event.is_directory, self.scope)
        except Exception:  # never let the observer thread die on an odd path
            changed = "?"
        if changed:
            self.whole[changed] = event.event_type in WHOLE_AFTER
            self.changes.put(changed)

    def next_burst(self, wait: float) -> list[str]:
        """The changes of one burst: wait up to `wait` for a first change, then
        take more until QUIET_SECONDS pass without one, or until every file the
        burst touched is written whole and nothing more is queued. An editor's
        save ends with its file closed or renamed into place: waiting out the
        quiet window after it was half of save → page at 10,000 posts. A burst
        cut short that way may go on (a checkout): `cut_short` says so."""
        self.cut_short = False
        try:
            burst = [self.changes.get(timeout=wait)]
        except queue.Empty:
            return []
        deadline = time.monotonic() + LONGEST_BURST
        while time.monotonic() < deadline:
            if self.changes.empty() and all(self.whole.get(path, False) for path in burst):
                self.cut_short = True
                break
            try:
                burst.append(self.changes.get(timeout=QUIET_SECONDS))
            except queue.Empty:
                break
        for path in burst:  # taken: a later event sets it again (a temp name per `sed -i` would pile up)
            self.whole.pop(path, None)
        return burst


# ── the observer, kept alive ─────────────────────────────────────────────────


class FolderWatch:
    """watchdog over the root (site.yaml, and the watched folders appearing or
    going), plus content/ and templates/ recursively. Never watches the whole
    root recursively: .git, .venv and output/ would cost thousands of watches."""

    def __init__(self, scope: WatchScope, inbox: Inbox, say: Say, native=Observer) -> None:
        self.scope, self.inbox, self.say, self.native = scope, inbox, say, native
        self.polling = False
        self.observer = None
        self._failing = False
        self._watches: dict[str, tuple] = {}  # folder → (ObservedWatch, (device, inode))

    def start(self) -> bool:
        """Start watching; False (said once) when even polling cannot, e.g. while
        the site's folder is missing: `check` keeps retrying."""
        try:
            self.observer = self._started(PollingObserver if self.polling else self.native)
        except OSError as exc:
            if self.polling or not _is_a_limit(exc):
                return self._cannot_watch(exc)
            self.say(f"mlcsite: native file watching is unavailable ({exc.strerror or exc}); "
                     "polling for changes every second instead.")
            self.polling = True
            return self.start()
        if self._failing:
            self.say("mlcsite: watching for changes again.")
        self._failing = False
        return True

    def _cannot_watch(self, exc: OSError) -> bool:
        self.observer = None
        if not self._failing:
            self.say(f"mlcsite: cannot watch {self.scope.root} ({exc.strerror or exc}); retrying.")
        self._failing = True
        return False

    def _started(self, factory):
        observer = factory()
        self._watches = {}
        try:
            observer.schedule(self.inbox, str(self.scope.root), recursive=False)
            for folder in WATCHED_FOLDERS:
                self._watch_folder(observer, folder)
            observer.start()
        except BaseException:
            _stop_observer(observer)
            raise
        return observer

    def _watch_folder(self, observer, folder: str) -> None:
        path = self.scope.root / folder
        identity = _identity(path)
        if identity is not None:
            watch = observer.schedule(self.inbox, str(path), recursive=True)
            self._watches[folder] = (watch, identity)

    def check(self) -> bool:
        """Restart what stopped. True when watching was (re)started, so the caller
        rebuilds to catch up with changes made meanwhile."""
        if not _is_running(self.observer):
            if self.observer is not None:
                self.say("mlcsite: the file watcher stopped unexpectedly; restarting it.")
            return self._restart()
        renewed = False
        for folder in WATCHED_FOLDERS:
            watch, identity = self._watches.get(folder, (None, None))
            if _identity(self.scope.root / folder) == identity and (watch is None or self._emitter_alive(watch)):
                continue
            if watch is not None:  # the folder was deleted, replaced or moved away
                self.observer.unschedule(watch)
                del self._watches[folder]
            try:
                self._watch_folder(self.observer, folder)
            except OSError as exc:  # e.g. out of inotify watches for a big new folder
                self.polling = self.polling or _is_a_limit(exc)
                return self._restart()
            renewed = True
        return renewed

    def _restart(self) -> bool:
        _stop_observer(self.observer)
        self.observer = None
        return self.start()

    def _emitter_alive(self, watch) -> bool:
        return any(e.watch == watch and e.is_alive() for e in self.observer.emitters)

    def stop(self) -> None:
        _stop_observer(self.observer)


def _identity(path: Path) -> tuple | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return (info.st_dev, info.st_ino) if path.is_dir() else None


def _is_a_limit(exc: OSError) -> bool:
    """inotify refusing (too many watches or instances), not a missing folder."""
    return exc.errno not in (errno.ENOENT, errno.ENOTDIR, errno.EACCES)


def _is_running(observer) -> bool:
    # The inotify observer reads through a helper thread of its own (watchdog's
    # InotifyFD); if that one dies, no event ever arrives again.
    reader = getattr(observer, "_inotify_fd", None)
    return observer is not None and observer.is_alive() and (reader is None or reader.is_alive())


def _stop_observer(observer) -> None:
    if observer is None:
        return
    try:
        observer.stop()
        if observer.is_alive():
            observer.join(timeout=5)
    except Exception:  # already dead: nothing to release
        pass


# ── the build loop ───────────────────────────────────────────────────────────


class WatchSession:
    """One `mlcsite watch` or `serve`: the render cache, the observer and the loop.
    `say` prints status lines, `warn` diagnostics; `live` is the dev server's state."""

    def __init__(self, options: pipeline.Options, say: Say, warn: Say, live: LiveState | None = None,
                 native=Observer) -> None:
        self.options, self.say, self.warn, self.live = options, say, warn, live
        # The cache folder `mlcsite build` keeps: a watch started after a build renders nothing.
        self.cache = RenderCache.persistent(options.root, options.output_dir, in_place=True)
        scope = WatchScope(options.root.resolve(), options.output_dir.resolve())
        self.inbox = Inbox(scope)
        self.folders = FolderWatch(scope, self.inbox, say, native)
        self.good_builds = 0

    def run(self, stop: threading.Event, ready: Callable[[], None] = lambda: None) -> None:
        self.folders.start()  # before the first build, so no edit made during it is missed
        try:
            self.rebuild([])
            ready()
            self.say(f"Watching content/, templates/ and {SETTINGS_FILE} for changes"
                     f"{' (polling)' if self.folders.polling else ''}. Press Ctrl-C to stop.")
            while not stop.is_set():
                burst = self.inbox.next_burst(wait=0.25)
                renewed = self.folders.check()
                if burst or renewed:
                    self.rebuild(burst or ["the watched folders"])
        finally:
            self.folders.stop()

    def rebuild(self, changes: list[str]) -> bool:
        """One build; True when output/ now holds it. Never raises on bad content,
        a failed write or a bug: the loop must keep going."""
        started = time.perf_counter()
        early, changes = self._edited_pages_first(changes, started)
        # Named in the summary: not a copy renamed over the saved file (sed -i), which
        # changed nothing the site reads (told by the last build's inputs: before this one).
        changes = [rel for rel in changes if not came_and_went(self.cache, self.options.root, rel)] or changes
        try:
            result = pipeline.build(self.options, self.cache)
        except OutputWriteError as exc:  # disk full, permission, read-only: in words
            return self._failed(f"mlcsite: {exc}\n")
        except OSError as exc:
            self._undo(early)
            return self._failed(f"mlcsite: could not read or write {exc.filename or 'a file'}: "
                                f"{exc.strerror or exc}.\n")
        except Exception:
            self._undo(early)
            return self._failed("mlcsite: the generator failed; this is a bug, not your content:\n"
                                + traceback.format_exc())
        report = format_diagnostics(result.diagnostics, "text", self.options.root)
        if result.diagnostics.has_errors():
            self._undo(early)
            return self._failed(report)
        if report:
            self.warn(report.rstrip("\n"))
        self.good_builds += 1
        self.say(self._summary(changes, result, time.perf_counter() - started))
        if self.live is not None:
            self.live.publish_build(changed=bool(result.written), base_path=result.base_path)
        return True

    def _edited_pages_first(self, changes: list[str], started: float) -> tuple[EarlyWrite | None, list[str]]:
        """The saved items' pages, written before the rest is rebuilt (early_page.py).
        Saves often come in a row (typing, save-all): while each one's page can
        be written early, the rebuild of the rest waits for them to stop."""
        early = self._early_write(changes, started)
        writing_early = early is not None
        # A burst cut short (Inbox.next_burst) is waited out before the full rebuild, as before.
        while writing_early or (self.inbox.cut_short and time.perf_counter() < started + LONGEST_BURST):
            more = self.inbox.next_burst(wait=REST_AFTER_EARLY_PAGE if writing_early else QUIET_SECONDS)
            if not more:
                break
            changes = changes + more
            if writing_early:
                again = self._early_write(more, time.perf_counter())
                if again is None:  # the full rebuild takes it from here, once the burst is over
                    writing_early = False
                else:
                    early = early.merged(again)
        return early, changes

    def _early_write(self, changes: list[str], started: float) -> EarlyWrite | None:
        try:
            early = write_edited_pages(self.cache, self.options.output_dir, changes)
        except Exception:  # never worse than no early page: the full build follows
            return None
        if early is not None:
            # Not "updated": that word is the line saying the whole rebuild is done.
            self.say(f"[{time.strftime('%H:%M:%S')}] {', '.join(early.paths)} shown first, in "
                     f"{time.perf_counter() - started:.2f} s; now the pages that list it…")
            if self.live is not None:
                self.live.publish_build(changed=True, base_path=self.cache.last_build[0].site.settings.base_path)
        return early

    def _undo(self, early: EarlyWrite | None) -> None:
        """The rebuild failed: output/ keeps the last good build, early page included."""
        if early is not None:
            try:
                early.undo(self.options.output_dir, self.cache)
            except OSError:  # reported with the failure; the next good build rewrites it
                pass

    def _failed(self, report: str) -> bool:
        kept = "the last good build" if self.good_builds or self.options.output_dir.exists() else "nothing yet"
        self.warn(f"{report.rstrip()}\nmlcsite: {self.options.output_label} keeps {kept}; "
                  "fix the problem and save again.")
        if self.live is not None:
            self.live.publish_error(report)
        return False

    def _summary(self, changes: list[str], result: pipeline.BuildResult, seconds: float) -> str:
        stamp = time.strftime("%H:%M:%S")
        if not changes:
            return f"[{stamp}] Built {result.file_count} files into {self.options.output_label} in {seconds:.2f} s."
        unique = sorted(set(changes))
        what = unique[0] + (f" and {len(unique) - 1} more" if len(unique) > 1 else "")
        return (f"[{stamp}] {what} changed: rendered {len(result.rendered)}, "
                f"updated {len(result.written)} of {result.file_count} files in {seconds:.2f} s.")


def _printer(stream) -> Say:
    def say(text: str) -> None:
        print(text, file=stream, flush=True)
    return say


@contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """Ctrl-C and SIGTERM end the loop after the current build (so no write is
    cut in half); a second Ctrl-C stops at once."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handle(signum, frame) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()

    with handling_stop_signals(handle):
        yield


def run_watch(options: pipeline.Options, serve: bool = False, host: str | None = None,
              port: int | None = None) -> int:
    """The `watch` and `serve` commands. Returns the exit code: 0 after Ctrl-C or
    SIGTERM, 2 when the port cannot be used."""
    say, warn = _printer(sys.stdout), _printer(sys.stderr)
    if not options.root.is_dir():
        warn(f"mlcsite: there is no folder {options.root}; give the site's folder with -C.")
        return 2
    live = server = None
    if serve:
        host, port = host or "127.0.0.1", 8000 if port is None else port
        live = LiveState(base_path=_initial_base_path(options))
        try:
            server = start_server(host, port, options.output_dir, live)
        except OSError as exc:
            warn(f"mlcsite: cannot serve on {host} port {port}: {exc.strerror or exc}. "
                 "Choose another port with --port.")
            return 2
    session = WatchSession(options, say, warn, live)
    stop = threading.Event()
    announce = (lambda: say(f"Serving {options.output_label} at {server.url} — pages reload when you save.")) \
        if server else (lambda: None)
    with _stop_on_signals(stop):
        try:
            session.run(stop, ready=announce)
        except KeyboardInterrupt:
            pass
        finally:
            if server is not None:
                stop_server(server)
    say("Stopped.")
    return 0


def _initial_base_path(options: pipeline.Options) -> str:
    """Until the first good build says otherwise: --base-url's path, or "/"."""
    from urllib.parse import urlsplit
    return (urlsplit(options.base_url).path.rstrip("/") + "/") if options.base_url else "/"
