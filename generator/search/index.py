"""The site's search index (Pagefind), kept current build after build.

The index is made from the records of the indexed pages (records.py): a page
rendered by this build gives its record as it renders (`take`); a page the
build cache kept gives the record remembered for its bytes' digest. When no
record changed, the index files of the last build are kept as they are and
Pagefind does not run. Otherwise Pagefind indexes every record, in URL order,
and the changed files go out with the pages: staged and swapped in with them
(`stage`), or, in watch, written after the pages (`write_in_place`), so the
edited page shows first and search follows.

Between runs of `mlcsite build`, what this needs lives in the cache folder:
a small state file per output folder (each page's digest → its record's digest; the index files)
and one file per record, named by its digest.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from ..build_cache import CacheFolder, Written
from ..writer import Staging, update_files
from .bundle import ENTRY, stable_bundle
from .records import record_of
from .service import IndexerError, index_pages, indexer_version

from .reserved import FOLDER  # reserved: no content, alias or asset may be published under it
RECORDS = "search"  # the cache folder's subfolder of records


def _digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


@dataclass(frozen=True)
class Page:
    digest: str  # of the page's bytes (Written.digest)
    record: str | None  # digest of its record; None: the page is not indexed


@dataclass
class IndexState:
    key: str = ""  # what the index was made from
    pages: dict[str, Page] = field(default_factory=dict)  # by path under output/
    files: dict[str, tuple[str, int]] = field(default_factory=dict)  # index files: path → (digest, size)


class SearchIndex:
    """One output folder's index across the builds of a session (or of runs of
    `mlcsite build`, through `folder`)."""

    def __init__(self, folder: CacheFolder | None = None, out_dir: Path | None = None) -> None:
        self.folder = folder
        # One state per output folder, like the build cache's manifest.
        self.state_name = f"search-{_digest(str(Path(out_dir or '.').resolve()).encode('utf-8'))[:16]}.json"
        self.state = self._load() if folder else IndexState()
        self.records: dict[str, bytes] = {}  # by digest: records this session has seen
        self.taken: dict[str, Page] = {}
        self.pending: IndexState | None = None
        self.base_path = "/"

    def begin(self, base_path: str) -> None:
        self.base_path, self.taken, self.pending = base_path, {}, None

    def known(self, written: dict[str, Written]) -> dict[str, Written]:
        """The build cache's record of output/, less the pages whose record is
        unknown here (a cache folder cleared in part): those render again."""
        if not written:  # output/ is not the one last described: keep none of its files
            self.state = IndexState(pages=self.state.pages)
        pages = self.state.pages
        return {path: w for path, w in written.items()
                if not path.endswith(".html") or (path in pages and pages[path].digest == w.digest)}

    def take(self, path: str, data: bytes) -> None:
        """A page this build rendered."""
        if not path.endswith(".html"):
            return
        record = record_of(data)
        record_digest = None
        if record is not None:
            record_digest = _digest(record)
            self.records[record_digest] = record
        self.taken[path] = Page(_digest(data), record_digest)

    # ── putting the index files next to the pages ──
    def stage(self, staging: Staging, files: dict[str, Written]) -> list[str]:
        """Write the index into a staged output folder; the paths that changed."""
        target, made = self._plan(files)
        for path, (digest, size) in target.items():
            if self.state.files.get(path) == (digest, size) and staging.keep(path, size):
                continue
            if made is None:  # a file to keep is gone from output/: make the index again
                made = self._index(self.pending)
            staging.write(path, made[path])
        return self._changed(target)

    def write_in_place(self, out_dir: Path, files: dict[str, Written]) -> list[str]:
        """Update the index in output/ after the pages: new files first, the
        entry file (which names the others) last, then old files removed."""
        target, made = self._plan(files)
        changed = [path for path in target if self.state.files.get(path) != target[path]]
        if changed and made is None:
            made = self._index(self.pending)
        ordered = sorted(changed, key=lambda path: path == FOLDER + ENTRY)
        update_files(out_dir, {path: made[path] for path in ordered}, [])
        update_files(out_dir, {}, [path for path in self.state.files if path not in target])
        written = self._changed(target)
        self.finish()
        return written

    def finish(self) -> None:
        """The build succeeded: what it staged is now in output/."""
        if self.pending is None:
            return
        self.state, self.pending = self.pending, None
        if self.folder is not None:
            self._save()
            self.records = {}  # on disk now: read back only when Pagefind runs again

    # ── deciding, and running Pagefind ──
    def _plan(self, files: dict[str, Written]) -> tuple[dict[str, tuple[str, int]], dict[str, bytes] | None]:
        pages = {}
        for path, written in files.items():
            if path.endswith(".html"):
                taken = self.taken.get(path)
                pages[path] = taken if taken is not None and taken.digest == written.digest else self.state.pages[path]
        indexed = sorted((self._url(path), page.record) for path, page in pages.items() if page.record)
        key = _digest(repr((indexer_version(), indexed)).encode("utf-8"))
        self.pending = IndexState(key, pages, dict(self.state.files))
        if key == self.state.key and self.state.files:
            return self.state.files, None
        made = self._index(self.pending)
        self.pending.files = {path: (_digest(data), len(data)) for path, data in made.items()}
        return self.pending.files, made

    def _index(self, state: IndexState) -> dict[str, bytes]:
        pages = sorted((self._url(path), page.record) for path, page in state.pages.items() if page.record)
        records = [(url, self._record(digest).decode("utf-8")) for url, digest in pages]
        bundle = index_pages(records, {})
        try:
            stable = stable_bundle(bundle, [url for url, _ in records])
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise IndexerError(f"its files are not laid out as expected ({exc})") from exc
        return {FOLDER + path: data for path, data in stable.items()}

    def _url(self, path: str) -> str:
        return self.base_path + (path[:-len("index.html")] if path.endswith("index.html") else path)

    def _record(self, digest: str) -> bytes:
        record = self.records.get(digest)
        if record is None and self.folder is not None:
            record = self.folder.read(f"{RECORDS}/{digest}")
        if record is None:
            raise RuntimeError(f"the search record {digest} is missing from the cache")
        return record

    def _changed(self, target: dict[str, tuple[str, int]]) -> list[str]:
        old = self.state.files
        return sorted([*(p for p in target if old.get(p) != target[p]), *(p for p in old if p not in target)])

    # ── the cache folder ──
    def _load(self) -> IndexState:
        payload = self.folder.read(self.state_name)
        try:
            data = json.loads(payload) if payload else {}
            return IndexState(data.get("key", ""), {p: Page(*v) for p, v in data.get("pages", {}).items()},
                              {p: tuple(v) for p, v in data.get("files", {}).items()})
        except (ValueError, TypeError):
            return IndexState()

    def _save(self) -> None:
        (self.folder.folder / RECORDS).mkdir(parents=True, exist_ok=True)
        wanted = {page.record for page in self.state.pages.values() if page.record}
        stored = {p.name for p in (self.folder.folder / RECORDS).iterdir()}
        for digest in wanted - stored:
            self.folder.write(f"{RECORDS}/{digest}", self._record(digest))
        for digest in stored - wanted:
            (self.folder.folder / RECORDS / digest).unlink(missing_ok=True)
        data = {"key": self.state.key, "pages": {p: [v.digest, v.record] for p, v in self.state.pages.items()},
                "files": self.state.files}
        self.folder.write(self.state_name, json.dumps(data, separators=(",", ":")).encode("utf-8"))
