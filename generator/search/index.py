"""The site's search index (Pagefind), kept current build after build.

The index is made from the records of the indexed pages (records.py): a page
rendered by this build gives its record as it renders (`take`); a page the
build cache kept gives the record remembered for its bytes' digest. The records
are split into shards (shards.py), each its own Pagefind bundle; a shard whose
records did not change keeps the files of the last build and Pagefind does not
run for it. The others are indexed, concurrently, one Pagefind process per
shard, each with that shard's records in URL order. A build that renders few
pages starts a shard's Pagefind as soon as the last of its pages to render is
in (`take`), so that it runs beside the rest of the build (`ahead`). The changed files go out
with the pages: staged and swapped in with them (`stage`), or, in watch,
written after the pages (`write_in_place`), so the edited page shows first and
search follows.

Between runs of `mlcsite build`, what this needs lives in the cache folder:
a small state file per output folder (each page's digest → its record's digest
and kind; each shard's key and files), one file per record, named by its digest,
and each shard's files, named by its key (`BUNDLES`): a build into a new output
folder (CI with a restored cache folder) runs Pagefind only for the shards whose
records changed.
"""

from __future__ import annotations

import hashlib
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Callable, Iterable, Iterator, NamedTuple

from ..build_cache import CacheFolder, Written, dump_plain, load_plain
from ..writer import Staging, update_files
from .ahead import Ahead
from .bundle import ENTRY, filter_values, needed_by_a_shard, shard_tag, stable_bundle
from .records import kind_of, record_of
from .service import IndexerError, index_pages, indexer_version
from collections import Counter

from .shards import DEFAULT_SIZE, MANIFEST, Layout, Shard, manifest

from .reserved import FOLDER  # reserved: no content, alias or asset may be published under it
RECORDS = "search"  # the cache folder's subfolder of records
BUNDLES = "shard-files"  # and of the shards' files, by their job's key ("search-…" names the states)
STATE_VERSION = 3  # of the state file's layout: another is read as empty
BUNDLE_LAYOUT = 2  # of a shard's files (bundle.needed_by_a_shard, page ids): another makes every shard again
# A build rendering more pages than this indexes once they are all in (ahead.py):
# guessing each shard's pages early would start Pagefind for shards that change again.
AHEAD_LIMIT = 200


def _digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


class Page(NamedTuple):
    """One page of output/ as the index knows it. A named tuple: a rebuild reads
    14,000 of them from the saved state, where a frozen dataclass's __init__ cost
    more than reading."""

    digest: str  # of the page's bytes (Written.digest)
    record: str | None  # digest of its record; None: the page is not indexed
    kind: str = ""  # its kind filter's value, which picks its shard


@dataclass(frozen=True)
class ShardState:
    key: str  # what the shard was made from
    files: dict[str, tuple[str, int]]  # its files, by path under output/ → (digest, size)
    tags: tuple[str, ...]  # its pages' tags, for the manifest
    pages: tuple[str, ...] = ()  # its pages, by path under output/: a rebuild lists a shard from these


@dataclass
class IndexState:
    pages: dict[str, Page] = field(default_factory=dict)  # by path under output/
    shards: dict[str, ShardState] = field(default_factory=dict)  # by folder under pagefind/
    manifest: tuple[str, int] | None = None  # shards.json's (digest, size)
    settings: str = ""  # what every shard's key depends on besides its records (SearchIndex._settings)

    def members(self) -> dict[str, tuple[str, ...]]:
        """The pages of each shard, by folder."""
        return {folder: shard.pages for folder, shard in self.shards.items()}

    def files(self) -> dict[str, tuple[str, int]]:
        """Every index file: path under output/ → (digest, size)."""
        found = {path: about for shard in self.shards.values() for path, about in shard.files.items()}
        if self.manifest is not None:
            found[FOLDER + MANIFEST] = self.manifest
        return found


@dataclass(frozen=True)
class Job:
    """A shard to index: its records' (url, digest), in URL order."""

    shard: Shard
    entries: tuple[tuple[str, str], ...] | None  # None: the shard is as the last build made it, not listed again
    key: str
    pages: tuple[str, ...] = ()  # the paths of its pages


class SearchIndex:
    """One output folder's index across the builds of a session (or of runs of
    `mlcsite build`, through `folder`)."""

    def __init__(self, folder: CacheFolder | None = None, out_dir: Path | None = None) -> None:
        self.folder = folder
        # One state per output folder, like the build cache's manifest.
        self.state_name = f"search-{_digest(str(Path(out_dir or '.').resolve()).encode('utf-8'))[:16]}"
        self.state = self._load() if folder else IndexState()
        self.records: dict[str, bytes] = {}  # by digest: records this session has seen and not stored
        self.stored: set[str] = set()  # digests of the records this session wrote into the cache folder
        self.taken: dict[str, Page] = {}
        self.pending: IndexState | None = None
        self.jobs: dict[str, Job] = {}  # every shard of the pending state, by folder
        self.base_path = "/"
        self.shard_size = DEFAULT_SIZE
        self.version = indexer_version()  # read once: a metadata lookup costs more than a shard's key
        self.ahead = Ahead()
        self.layout = Layout(Counter(), self.shard_size)  # this build's, once its pages are known
        self.indexed_ahead = 0  # shards of the last build whose files came from a Pagefind run started ahead

    def begin(self, base_path: str, shard_size: int = DEFAULT_SIZE) -> None:
        self.base_path, self.shard_size, self.taken, self.pending = base_path, shard_size, {}, None
        self.ahead.stop()
        self.ahead, self.indexed_ahead = Ahead(), 0

    def start_early(self, pages: list[tuple[str, bytes, str]]) -> None:
        """Edited or new pages rendered before the rest of the build (edited_first.py),
        with their digests: index their shards now, guessing that every other page
        keeps the record it had and the shard it was in (ahead.py), and that a new
        page changes no shard but its own. `_index_all` takes a shard's files only
        when its key is the one computed from every page once all are in, so a
        wrong guess costs Pagefind's time, never a byte."""
        last = self.state
        if last.settings != self._settings():
            return
        records = {path: record for path, data, _ in pages if path.endswith(".html") and (record := record_of(data))}
        counts = Counter(page.kind for page in last.pages.values() if page.record)
        layout = Layout(counts, self.shard_size)
        new = Counter(kind_of(record) for path, record in records.items() if path not in last.pages)
        if new and Layout(counts + new, self.shard_size).by_folder != layout.by_folder:
            return  # the new pages move others: every shard is listed again at the end
        guess, changed, members = dict(last.pages), set(), last.members()
        for path, _, digest in pages:
            before, record = guess.get(path), records.get(path)
            if record is None:
                continue
            kind = kind_of(record)
            if before is not None and (not before.record or kind != before.kind):
                continue
            guess[path] = Page(digest, _digest(record), kind)
            if before is None or guess[path].record != before.record:
                self._keep(guess[path].record, record)
                changed.add(shard := layout.shard_of(path, kind))
                if before is None:
                    members[shard.folder] = (*members.get(shard.folder, ()), path)
        self.ahead = Ahead(guess, set(), self.shard_size, members)  # `expect` takes it further
        for shard in sorted(changed, key=lambda shard: shard.folder):
            if shard.folder in last.shards:
                self._start(self._job(shard, self.ahead.entries(shard, self._url), members[shard.folder]))

    def expect(self, planned: Iterable[str], rendering: Iterable[str]) -> None:
        """The paths of this build's outputs, and of those it renders (the others
        keep the record they had): `take` can then tell when a shard is complete."""
        rendering = [path for path in rendering if path.endswith(".html")]
        if len(rendering) <= AHEAD_LIMIT:
            # The pages as start_early left its guess, when it made one: a new page it
            # placed is then known, and an edited page it started is not started again.
            early = self.ahead if self.ahead.guess is not None else None
            known = early.guess if early else self.state.pages
            guess = {path: known.get(path) for path in planned if path.endswith(".html")}
            self.ahead = Ahead({path: page for path, page in guess.items() if page is not None}, set(rendering),
                               self.shard_size, early.members if early else self.state.members())
            if early:
                self.ahead.take_over(early)

    def known(self, written: dict[str, Written]) -> dict[str, Written]:
        """The build cache's record of output/, where a page whose record is
        unknown here (a cache folder cleared in part, a page watch wrote early)
        has no key, so that it renders again. It stays in the record: leaving it
        out left it in output/ when the same build no longer plans it (a post
        saved as a draft right after its early page)."""
        if not written:  # output/ is not the one last described: keep none of its files
            self.state = IndexState(pages=self.state.pages)
        pages = self.state.pages
        return {path: w if not path.endswith(".html") or (path in pages and pages[path].digest == w.digest)
                else w._replace(key="") for path, w in written.items()}

    def take(self, path: str, data: bytes, digest: str) -> None:
        """A page this build rendered, and its bytes' digest (Written.digest)."""
        if not path.endswith(".html"):
            return
        record = record_of(data)
        if record is None:
            self.taken[path] = Page(digest, None)
            self._index_ahead(path, self.taken[path])
            return
        record_digest = _digest(record)
        self._keep(record_digest, record)
        self.taken[path] = Page(digest, record_digest, kind_of(record))
        self._index_ahead(path, self.taken[path])

    def _keep(self, digest: str, record: bytes) -> None:
        """A record, on disk when there is a cache folder: 10,000 posts' records
        (about 110 MB) are not held by the build process while it renders."""
        if self.folder is None:
            self.records[digest] = record
            return
        if digest in self.stored:  # written by this session: a file found there may be corrupt
            return
        name = f"{RECORDS}/{digest}"
        if self.folder.read(name) == record:  # an earlier build's, whole (a build into a new output folder)
            self.stored.add(digest)
            return
        self.folder.write(name, record)
        if (self.folder.folder / RECORDS / digest).is_file():
            self.stored.add(digest)
        else:  # the cache folder could not take it: this build keeps it
            self.records[digest] = record

    # ── putting the index files next to the pages ──
    def stage(self, staging: Staging, files: dict[str, Written]) -> list[str]:
        """Write the index into a staged output folder; the paths that changed."""
        old = self.state.files()
        put: set[str] = set()

        def put_in(path: str, data: bytes) -> None:
            """Each file as its shard is made: 10,000 posts' shards (about 90 MB)
            are never all held at once."""
            if not (old.get(path) == (_digest(data), len(data)) and staging.keep(path, len(data))):
                staging.write(path, data)  # a re-indexed shard's files that came out the same are kept
            put.add(path)

        target = self._plan(files, put_in)
        made: dict[str, bytes] = {}
        for path, about in target.items():  # the files of the shards not made again
            if path in put or (old.get(path) == about and staging.keep(path, about[1])):
                continue
            if path not in made:  # a file to keep is gone from output/: make its shard again
                made.update(self._made(self._owner(path)))
            staging.write(path, made[path])
        return self._changed(target, old)

    def write_in_place(self, out_dir: Path, files: dict[str, Written]) -> list[str]:
        """Update the index in output/ after the pages: new files first, each
        entry file (which names the others) next, the manifest (which names the
        shards) last, then old files removed."""
        made: dict[str, bytes] = {}
        target = self._plan(files, made.__setitem__)
        old = self.state.files()
        changed = [path for path in target if old.get(path) != target[path]]
        ordered = sorted(changed, key=lambda path: (path == FOLDER + MANIFEST, path.endswith("/" + ENTRY), path))
        update_files(out_dir, {path: made[path] for path in ordered}, [])
        update_files(out_dir, {}, [path for path in old if path not in target])
        written = self._changed(target)
        self.finish()
        return written

    def finish(self) -> None:
        """The build succeeded: what it staged is now in output/."""
        if self.pending is None:
            return
        self.state, self.pending, self.jobs = self.pending, None, {}
        if self.folder is not None:
            self._save()
            self.folder.keep_only(BUNDLES, {shard.key for shard in self.state.shards.values()})
            self.records = {}  # on disk now: read back only when Pagefind runs again

    # ── deciding, and running Pagefind ──
    def _plan(self, files: dict[str, Written], put: Callable[[str, bytes], None]) -> dict[str, tuple[str, int]]:
        """The index files this build's pages call for; the files made anew (the
        shards whose records changed, and the manifest) go to `put` as they are made."""
        pages = {}
        for path, written in files.items():
            if path.endswith(".html"):
                taken = self.taken.get(path)
                pages[path] = taken if taken is not None and taken.digest == written.digest else self.state.pages[path]
        self.jobs = self._jobs(pages, self._changed_shards(pages))
        todo = [job for folder, job in self.jobs.items()
                if folder not in self.state.shards or self.state.shards[folder].key != job.key]
        shards = {folder: self.state.shards[folder] for folder in self.jobs if folder in self.state.shards}
        for job, (bundle, tags) in zip(todo, self._index_all(todo)):
            for path, data in bundle.items():
                put(path, data)
            shards[job.shard.folder] = ShardState(job.key, {p: (_digest(d), len(d)) for p, d in bundle.items()}, tags,
                                                  job.pages)
        shards = dict(sorted(shards.items()))
        listing = manifest([job.shard for job in self.jobs.values()], [t for s in shards.values() for t in s.tags])
        put(FOLDER + MANIFEST, listing)
        self.pending = IndexState(pages, shards, (_digest(listing), len(listing)), self._settings())
        return self.pending.files()

    def _jobs(self, pages: dict[str, Page], changed: set[Shard] | None) -> dict[str, Job]:
        """Every shard's job. `changed`: when known, the only shards whose records
        changed since the last build; every page is in the shard it was in then
        (_changed_shards), so a changed shard is listed from the pages the last
        build put in it, and the others keep its key unlisted (placing every page
        again, a hash of each post's path, was most of a one-post rebuild's index
        planning)."""
        if changed is not None:
            jobs = {}
            for folder in sorted(self.state.shards):
                shard, last = self.layout.by_folder[folder], self.state.shards[folder]
                jobs[folder] = (self._job(shard, self._entries(pages, shard), last.pages) if shard in changed
                                else Job(shard, None, last.key, last.pages))
            return jobs
        members: dict[Shard, list[str]] = {}
        for path, page in pages.items():
            if page.record:
                members.setdefault(self.layout.shard_of(path, page.kind), []).append(path)
        if not members:  # an empty index still answers the search page
            members[Shard("", ())] = []
        return {shard.folder: self._job(shard, [(self._url(path), pages[path].record) for path in paths], paths)
                for shard, paths in sorted(members.items(), key=lambda pair: pair[0].folder)}

    def _changed_shards(self, pages: dict[str, Page]) -> set[Shard] | None:
        """The shards whose records this build changed, when every other shard is
        the last build's: the same pages, each indexed or not and of the kind it
        was (so the same layout), only some records new, the same settings.
        None otherwise (and then every shard is listed again)."""
        self.layout = Layout(Counter(page.kind for page in pages.values() if page.record), self.shard_size)
        last = self.state
        if last.settings != self._settings() or len(pages) != len(last.pages) or not last.shards:
            return None
        changed: set[Shard] = set()
        for path in self.taken:  # every other page is the last build's (_plan)
            before, now = last.pages.get(path), pages.get(path)
            if before is None or now is None or bool(before.record) != bool(now.record):
                return None
            if now.record and now.kind != before.kind:
                return None
            if now.record != before.record:
                changed.add(self.layout.shard_of(path, now.kind))
        if not last.shards.keys() <= self.layout.by_folder.keys():
            return None
        listed = [path for shard in last.shards.values() for path in shard.pages]
        indexed = sum(1 for page in pages.values() if page.record)
        if len(listed) != indexed or not all(path in pages and pages[path].record for path in listed):
            return None  # the saved state does not place each indexed page once: place them all again
        return changed

    def _entries(self, pages: dict[str, Page], shard: Shard) -> list[tuple[str, str]]:
        """One shard's (url, record digest) when every page is in the shard the
        last build put it in (_changed_shards): its pages are the ones listed then."""
        return [(self._url(path), pages[path].record) for path in self.state.shards[shard.folder].pages]

    def _settings(self) -> str:
        return repr((self.version, BUNDLE_LAYOUT, self.base_path, self.shard_size))

    def _job(self, shard: Shard, entries: list[tuple[str, str]], pages: Iterable[str] = ()) -> Job:
        entries = tuple(sorted(entries))
        return Job(shard, entries, _digest(repr((self.version, BUNDLE_LAYOUT, shard, entries)).encode("utf-8")),
                   tuple(sorted(pages)))

    def _index_ahead(self, path: str, page: Page) -> None:
        """Start indexing the page's shard now, if this page completes it (ahead.py)."""
        shard = self.ahead.arrived(path, page)
        if shard is None:
            return
        job = self._job(shard, self.ahead.entries(shard, self._url))
        known = self.state.shards.get(shard.folder)
        if known is None or known.key != job.key:
            self._start(job)

    def _start(self, job: Job) -> None:
        """Index the shard in a thread beside the build, its records read here
        first: the thread read its 150 record files while the build's thread
        computed, and waited for the interpreter lock after each (0.45 s of a
        one-post rebuild at 10,000 posts, where reading them here takes 0.01 s)."""
        if not self.ahead.running(job):
            self.ahead.start(job, partial(self._index, records=self._records(job)))

    def _index_all(self, jobs: list[Job]) -> Iterator[tuple[dict[str, bytes], tuple[str, ...]]]:
        """One Pagefind process per shard, as many at once as this process may use
        cores: each is bounded by its shard's size, and they share the work. A
        shard started ahead with the same key is not indexed again. Each shard's
        files in job order, as soon as they are made (not all held at once)."""
        started = {job.key: future for job in jobs if (future := self.ahead.result_of(job)) is not None}
        rest = [job for job in jobs if job.key not in started]
        self.indexed_ahead = len(started)
        try:
            workers = min(len(rest), len(os.sched_getaffinity(0)))
            if workers <= 1:
                yield from _in_job_order(jobs, started, map(self._index, rest))
            else:
                with ThreadPoolExecutor(workers) as pool:
                    yield from _in_job_order(jobs, started, pool.map(self._index, rest))
        finally:
            self.ahead.stop()  # and wait for any started on a wrong guess

    def _index(self, job: Job, records: list[tuple[str, str]] | None = None
               ) -> tuple[dict[str, bytes], tuple[str, ...]]:
        """A shard's files and tags: those made before for the same key (any output
        folder's build), else made by Pagefind now from the shard's (url, record)
        (read now unless given) and kept for the next."""
        kept = self._kept_bundle(job)
        if kept is not None:
            return kept
        made = self._indexed(job, self._records(job) if records is None else records)
        if self.folder is not None:
            self.folder.write(f"{BUNDLES}/{job.key}", dump_plain({"files": made[0], "tags": made[1]}))
        return made

    def _kept_bundle(self, job: Job) -> tuple[dict[str, bytes], tuple[str, ...]] | None:
        """What an earlier build's Pagefind made for this key (the key holds the
        indexer's version, the shard and each record's URL and digest), if the
        cache folder has it; a damaged or foreign entry is a miss."""
        if self.folder is None:
            return None
        data = load_plain(self.folder.read(f"{BUNDLES}/{job.key}"))
        files, tags = data.get("files"), data.get("tags")
        inside = FOLDER + job.shard.folder
        if not (type(files) is dict and type(tags) is tuple and all(type(tag) is str for tag in tags)
                and all(type(path) is str and path.startswith(inside) and ".." not in path.split("/")
                        and type(content) is bytes for path, content in files.items())):
            return None
        return files, tags

    def _records(self, job: Job) -> list[tuple[str, str]]:
        return [(url, self._record(digest).decode("utf-8")) for url, digest in job.entries]

    def _indexed(self, job: Job, records: list[tuple[str, str]]) -> tuple[dict[str, bytes], tuple[str, ...]]:
        bundle = index_pages(records, {})
        try:
            stable = stable_bundle(bundle, [url for url, _ in records], shard_tag(job.shard.folder))
            tags = tuple(filter_values(stable).get("tag", []))
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise IndexerError(f"its files are not laid out as expected ({exc})") from exc
        folder = job.shard.folder
        return {FOLDER + folder + path: data for path, data in stable.items()
                if not folder or needed_by_a_shard(path)}, tags

    def _made(self, folder: str) -> dict[str, bytes]:
        job = self.jobs[folder]
        if job.entries is None:  # a shard kept from the last build, whose files are gone from output/
            job = self._job(job.shard, self._entries(self.pending.pages, job.shard), job.pages)
        return self._index(job)[0]

    def _owner(self, path: str) -> str:
        """The folder of the shard an index file belongs to."""
        first = path[len(FOLDER):].split("/", 1)[0] + "/"
        return first if first in self.jobs else ""

    def _url(self, path: str) -> str:
        return self.base_path + (path[:-len("index.html")] if path.endswith("index.html") else path)

    def _record(self, digest: str) -> bytes:
        record = self.records.get(digest)
        if record is None and self.folder is not None:
            record = self.folder.read(f"{RECORDS}/{digest}")
        if record is None:
            raise RuntimeError(f"the search record {digest} is missing from the cache")
        return record

    def _changed(self, target: dict[str, tuple[str, int]], old: dict[str, tuple[str, int]] | None = None) -> list[str]:
        old = self.state.files() if old is None else old
        return sorted([*(p for p in target if old.get(p) != target[p]), *(p for p in old if p not in target)])

    # ── the cache folder ──
    def _load(self) -> IndexState:
        data = load_plain(self.folder.read(self.state_name))
        try:
            if data.get("version") != STATE_VERSION:
                return IndexState()
            shards = {folder: ShardState(key, {p: tuple(v) for p, v in files.items()}, tuple(tags), _paths(pages))
                      for folder, (key, files, tags, pages) in data["shards"].items()}
            pages = data["pages"]
            return IndexState(dict(zip(pages, map(_page, pages.values()))), shards,
                              tuple(data["manifest"]) if data["manifest"] else None, str(data.get("settings", "")))
        except (ValueError, TypeError, KeyError, AttributeError):
            return IndexState()

    def _save(self) -> None:
        records = self.folder.folder / RECORDS
        records.mkdir(parents=True, exist_ok=True)
        wanted = {page.record for page in self.state.pages.values() if page.record}
        stored = set(os.listdir(records))  # names, not 14,000 Path objects
        for digest in wanted - stored:
            self.folder.write(f"{RECORDS}/{digest}", self._record(digest))
        for digest in stored - wanted:
            (records / digest).unlink(missing_ok=True)
        self.stored &= wanted
        shards = {folder: (s.key, s.files, s.tags, s.pages) for folder, s in self.state.shards.items()}
        data = {"version": STATE_VERSION, "pages": {p: (v.digest, v.record, v.kind) for p, v in self.state.pages.items()},
                "shards": shards, "manifest": self.state.manifest, "settings": self.state.settings}
        self.folder.write(self.state_name, dump_plain(data))


def _page(saved: tuple) -> Page:
    """A page of a saved state; a value of another type is a damaged state (TypeError)."""
    page = Page._make(saved)
    if type(page.digest) is not str or type(page.kind) is not str or not (page.record is None or type(page.record) is str):
        raise TypeError("not a page")
    return page


def _paths(saved) -> tuple[str, ...]:
    """A shard's saved page paths; anything else is a damaged state (TypeError)."""
    paths = tuple(saved)
    if not all(type(path) is str for path in paths):
        raise TypeError("not a list of paths")
    return paths


def _in_job_order(jobs: list[Job], started: dict, made: Iterator) -> Iterator[tuple[dict[str, bytes], tuple[str, ...]]]:
    """Each job's result: a started one's from its future, the others' from `made`, in order."""
    for job in jobs:
        yield started[job.key].result() if job.key in started else next(made)
