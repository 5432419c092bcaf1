"""Loading every content source, each parsed and checked at most once per content.

Loading a source (YAML with positions, field checks, the Markdown limits scan)
is most of a rebuild's time on a large site, and its result depends only on:

- the file's bytes and where it lies (kind, slug, date in its name);
- the limits from site.yaml;
- whether the files it names (`photo: images/ada.jpg`) exist, recorded at load;
- the generator's code (the cache folder is versioned by it).

So the result (the item, or None, with the diagnostics and orphan references it
produced) is kept by a hash of those, in memory for a watch session and in the
cache folder between builds. An entry is never trusted: a checksum guards it
(build_cache.CacheFolder), only our own model classes may be unpickled, and a
file-reference check that comes out differently now is a miss.

An entry file leaves out the body of a .md source: it is the end of the
source's bytes, read when that file is used, so it is cut from there again.

A rebuild reads every entry, and 13,000 small files cost more to open and
unpickle one by one than their contents: a pack (one file) holds them all, as
they were when it was written, bodies included. A pack entry is used only while
its entry file has the size, time and inode the pack recorded (the files stay
what counts), and the pack is written again when more than an eighth of the
entries a build used came from elsewhere.

With the bodies in the pack, a source need not be read at all: the build's
input state (input_state.py) holds every file's digest, hashed when the file's
stat changed, and the build reads a file only when that digest is not the one
the last build (or the pack) parsed. Reading all 13,000 sources to cut their
bodies was a third of loading. The build so uses each file as the input state
found it: one saved again since is seen by the next build, whose input state
sees its new stat. (A file edited while keeping its size, time and inode is not
seen, as git does not see it: nor would the input state, which would skip the
build whole when nothing else changed.)
"""

from __future__ import annotations

import hashlib
import io
import os
import pickle
import signal
import stat
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path

from .build_cache import CacheFolder, read_file_and_stat
from .content.discover import Source
from .content.limits import Limits
from .content.load import load_source
from .content.models import state_without_defaults
from .diagnostics import Diagnostic, Diagnostics
from .graph import with_members
from .input_state import InputState, file_digest
from .render_pool import available_cpus

FOLDER = "parsed"
PACK = "parsed-pack"  # every entry of FOLDER, in one pickle


@dataclass(frozen=True)
class Loaded:
    """What loading one source produced."""

    item: object | None  # a content.models.Item, or None when the file has errors
    diagnostics: tuple[Diagnostic, ...]
    orphan_refs: tuple = ()  # references of a file that failed (content.load)
    file_checks: tuple[tuple[str, bool], ...] = ()  # content-relative path → was a usable file

    def __getstate__(self) -> dict:
        return state_without_defaults(self)  # most have no diagnostics, orphans or file checks


@dataclass
class LoadedSources:
    """The result of loading all sources, in discovery order."""

    items: list = field(default_factory=list)
    broken: dict[str, set[str]] = field(default_factory=dict)  # kind → slugs of files that failed
    orphan_refs: list = field(default_factory=list)
    source_bytes: dict[str, bytes] = field(default_factory=dict)  # rel → the bytes parsed
    source_digests: dict[str, str] = field(default_factory=dict)  # rel → input_state.file_digest of those bytes
    parsed: list[str] = field(default_factory=list)  # rels parsed afresh (not from the cache)


class ParsedSources:
    """The cache of loaded sources: a session's memory, backed by the cache folder."""

    def __init__(self, folder: CacheFolder | None = None) -> None:
        self.folder = folder
        self.memory: dict[str, Loaded] = {}
        self.by_source: dict[str, Loaded] = {}  # rel → what the last load_all made of it
        self.found: dict[str, tuple[tuple, str]] = {}  # rel → (its key's parts, the key) in the last load_all
        self.packed: dict[str, tuple] | None = None  # key → (parts, Loaded): the pack's entries not used yet; None: not read
        self.pack_keys: set[str] = set()  # the keys of the pack's entries whose files were unchanged

    def load_all(self, sources: list[Source], content_dir: Path, limits: Limits,
                 diagnostics: Diagnostics, inputs: InputState | None = None) -> LoadedSources:
        """`inputs`: this build's input state, whose digests of unchanged files
        stand for reading and hashing their bytes again."""
        result = LoadedSources()
        used: dict[str, Loaded] = {}
        by_source: dict[str, Loaded] = {}
        found: dict[str, tuple[tuple, str]] = {}
        limits_key = repr(limits)
        packed = self._read_pack()
        last = self.found or {entry[0][1]: (entry[0], key) for key, entry in packed.items()}
        helper = self._helper(sources, packed, content_dir, limits, inputs, limits_key)
        try:
            for index, source in enumerate(sources):
                if helper is not None and index == helper.first:
                    helper.wait()
                parts, key, loaded = self._unchanged(source, inputs, last, limits_key, content_dir, packed)
                if loaded is None:
                    # Incremental rebuilds fingerprint exactly the bytes that were parsed: a
                    # file saved again mid-build must not pair new bytes with an old render.
                    data, digest = _read(source, inputs)
                    result.source_bytes[source.rel] = data
                    parts = _parts(source, digest, limits_key)
                    key = _key(parts)
                    loaded = self._cached(key, content_dir, packed, data)
                    if loaded is not None and helper is not None and index >= helper.first:
                        result.parsed.append(source.rel)  # by the helper, in this build
                if loaded is None:
                    loaded = _load(source, content_dir, data, limits)
                    result.parsed.append(source.rel)
                    if self.folder is not None:
                        self._store(key, loaded, data)
                result.source_digests[source.rel] = parts[-1]
                found[source.rel] = parts, key
                used[key] = by_source[source.rel] = loaded
                if loaded.diagnostics or loaded.orphan_refs:  # most have none: 13,000 calls saved
                    diagnostics.extend(loaded.diagnostics)
                    result.orphan_refs.extend(loaded.orphan_refs)
                if loaded.item is None:
                    result.broken.setdefault(source.kind, set()).add(source.slug)
                else:
                    result.items.append(loaded.item)
        finally:
            if helper is not None:
                helper.stop()  # done already, unless loading stopped early
        # What a session keeps: this build's sources, no more.
        self.memory, self.by_source, self.found = used, by_source, found
        self.packed = {}  # the rest of the pack is outdated
        if self.folder is not None:
            if result.parsed:
                self.folder.keep_only(FOLDER, set(used))
            if len(used.keys() - self.pack_keys) > len(used) // 8:
                self._write_pack({key: (parts, by_source[rel]) for rel, (parts, key) in found.items()})
        return result

    def _helper(self, sources: list[Source], packed: dict, content_dir: Path, limits: Limits,
                inputs: InputState | None, limits_key: str) -> "_LoadHelper | None":
        """A helper process for the second half of the sources, when every source
        is to be parsed (nothing in memory or in the pack: a clean build, or a new
        generator version) and there are enough of them to pay for a fork. Not in
        a process with other threads (watch): a fork copies only this one."""
        if (self.folder is None or packed or self.memory or len(sources) < HELPER_MIN_SOURCES
                or not hasattr(os, "fork") or threading.active_count() > 1 or available_cpus() < 2):
            return None
        first = len(sources) // 2
        pid = os.fork()
        if pid == 0:  # the helper: parse, write the entry files, leave without running anything else
            try:
                for source in sources[first:]:
                    data, digest = _read(source, inputs)
                    self._store(_key(_parts(source, digest, limits_key)), _load(source, content_dir, data, limits),
                                data)
            finally:
                os._exit(0)
        return _LoadHelper(pid, first)

    def _store(self, key: str, loaded: Loaded, data: bytes) -> None:
        """The entry file of a source just parsed."""
        self.folder.write(f"{FOLDER}/{key}", pickle.dumps(_stored(loaded, data), pickle.HIGHEST_PROTOCOL))

    def _unchanged(self, source: Source, inputs: InputState | None, last: dict[str, tuple[tuple, str]],
                   limits_key: str, content_dir: Path, packed: dict) -> tuple[tuple | None, str | None, Loaded | None]:
        """A source whose digest in the input state is the one the last build (or
        the pack) parsed, loaded as it was then: not read. (None, None, None)
        when it must be read."""
        before = last.get(source.rel)
        recorded = inputs.files.get(source.rel) if inputs is not None else None
        if before is None or recorded is None:
            return None, None, None
        parts = _parts(source, recorded[3], limits_key)
        if parts != before[0]:
            return None, None, None
        return parts, before[1], self._cached(before[1], content_dir, packed)

    def load_one(self, source: Source, content_dir: Path, data: bytes, limits: Limits) -> Loaded:
        """One source, loaded (or found) the way load_all would; kept for the next
        load_all, and in its entry file as load_all keeps it (a plan kept with
        this source compares its next edit with that file: plan_snapshot.py)."""
        key = _key(_parts(source, file_digest(data), repr(limits)))
        loaded = self._cached(key, content_dir, {}, data)
        if loaded is None:
            loaded = _load(source, content_dir, data, limits)
            if self.folder is not None:
                self._store(key, loaded, data)
        self.memory[key] = loaded
        return loaded

    def stored_front(self, key: str) -> Loaded | None:
        """The entry file of `key` as it was parsed, without its body (plan_snapshot.py
        compares the rest); None when there is none."""
        payload = self.folder.read(f"{FOLDER}/{key}") if self.folder is not None else None
        loaded = _from_stored(_unpickle(payload), b"") if payload is not None else None  # b"": cut no body
        if loaded is None or loaded.item is None:
            return loaded
        return replace(loaded, item=replace(loaded.item, body=""))

    def _cached(self, key: str, content_dir: Path, packed: dict[str, tuple],
                data: bytes | None = None) -> Loaded | None:
        """The Loaded of `key` from memory, the pack or (given the source's bytes,
        whose end its body is) its entry file."""
        loaded = self.memory.get(key)
        if loaded is None and key in packed:
            loaded = packed.pop(key)[1]
        if loaded is None and data is not None and self.folder is not None:
            payload = self.folder.read(f"{FOLDER}/{key}")
            loaded = _from_stored(_unpickle(payload), data) if payload is not None else None
        if loaded is None:
            return None
        if loaded.file_checks and any(_usable_file(f"{content_dir}/{rel}") != ok for rel, ok in loaded.file_checks):
            return None  # a file it names appeared or went: load it again
        return loaded

    def _read_pack(self) -> dict[str, tuple]:
        """The pack's entries whose entry files are unchanged since it was written, read once."""
        if self.packed is None and self.folder is not None:
            self.packed = _unpacked(self.folder.read_view(PACK), _entry_files(self.folder))
            self.pack_keys = set(self.packed)
        return self.packed or {}

    def _write_pack(self, entries: dict[str, tuple[tuple, Loaded]]) -> None:
        """The pack of `entries` (key → (parts, Loaded)) that have an entry file."""
        self.folder.write(PACK, *_packed(entries, _entry_files(self.folder)))
        self.pack_keys = set(entries)  # those without a file (load_one's) come in with the next pack


HELPER_MIN_SOURCES = 2000  # fewer to parse: one process is done before a helper would pay off


@dataclass
class _LoadHelper:
    """A forked process parsing sources[first:] into their entry files, while
    this one parses the first half: the two cores share a clean build's
    loading, which was its longest stretch with one core idle (10 s at 10,000
    posts). Its entry files are read as any cache entry is: checked, never
    trusted; a source it did not finish (it died, its write failed) is parsed
    here. Everything else stays in this process and in discovery order."""

    pid: int
    first: int

    def wait(self) -> None:
        if self.pid:
            try:
                os.waitpid(self.pid, 0)
            except ChildProcessError:  # already reaped
                pass
            self.pid = 0

    def stop(self) -> None:
        """Ended, waiting for it if need be: loading stopped before its half."""
        if self.pid:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.wait()


def _packed(entries: dict[str, tuple[tuple, Loaded]], files: dict[str, tuple]) -> list[bytes]:
    """The pack's payload, in parts: the length of a pickle of the entries, that
    pickle, then every body, UTF-8, one after another. An entry is (its file's
    identity, its key's parts, where its body lies in that tail, the Loaded
    without the body): 13,000 bodies (60 MB) decode from one buffer in a
    fraction of what unpickling them one by one cost.

    Members come first, and every other item's people point at the members
    stored (graph.with_members): unpickled, they are the very members the next
    build indexes, so its graph keeps those references instead of making them
    again (a third of building the graph)."""
    shared: dict[tuple, tuple] = {}
    bodies: list[bytes] = []
    pack, members, at = {}, {}, 0
    for key, (parts, loaded) in sorted(entries.items(), key=lambda entry: (entry[1][0][0] != "members", entry[1][0][1])):
        if key not in files:
            continue
        span, item = None, loaded.item
        if item is not None:
            if item.body:
                bodies.append(item.body.encode("utf-8", "surrogatepass"))
                span, at = (at, at + len(bodies[-1])), at + len(bodies[-1])
            loaded = replace(loaded, item=replace(with_members(item, members), body="",
                                                  positions=shared_positions(item.positions, shared)))
            if item.kind == "members":
                members.setdefault(item.slug, loaded.item)
        pack[key] = (files[key], parts, span, loaded)
    data = pickle.dumps(pack, pickle.HIGHEST_PROTOCOL)
    return [b"%d\n" % len(data), data, *bodies]


def _unpacked(payload: memoryview | None, files: dict[str, tuple]) -> dict[str, tuple]:
    """What _packed wrote: key → (parts, Loaded with its body) for each entry whose
    file is still the one packed; {} for no pack, or a damaged or foreign one."""
    try:
        end = bytes(payload[:24]).index(b"\n")
        size = int(bytes(payload[:end]))
        pack = _unpickle(payload[end + 1:end + 1 + size])
        bodies = payload[end + 1 + size:]
    except (TypeError, ValueError):
        return {}
    entries = {}
    for key, entry in pack.items() if type(pack) is dict else ():
        if not (type(entry) is tuple and len(entry) == 4 and files.get(key) == entry[0]):
            continue
        _, parts, span, loaded = entry
        if not (type(parts) is tuple and len(parts) == 6 and type(loaded) is Loaded):
            continue
        if span is not None:
            try:
                body = str(bodies[span[0]:span[1]], "utf-8")
            except (TypeError, ValueError, IndexError, KeyError):
                continue
            # Just unpickled, held by nothing else: its body is set in place, as its
            # own __init__ does, rather than building every item twice.
            object.__setattr__(loaded.item, "body", body)
        entries[key] = parts, loaded
    return entries


def _entry_files(folder: CacheFolder) -> dict[str, tuple[int, int, int]]:
    """Each entry file's name → (size, mtime, inode): a file written or changed since is another."""
    try:
        with os.scandir(folder.folder / FOLDER) as entries:
            return {entry.name: _identity(entry.stat()) for entry in entries}
    except OSError:
        return {}


def _identity(info: os.stat_result) -> tuple[int, int, int]:
    return info.st_size, info.st_mtime_ns, info.st_ino


def _read(source: Source, inputs: InputState | None) -> tuple[bytes, str]:
    """The source's bytes and their digest: the input state's when it hashed this
    very stat, else hashed here."""
    data, info = read_file_and_stat(source.path)
    return data, (inputs and inputs.digest_of(source.rel, info)) or file_digest(data)


def _parts(source: Source, digest: str | None, limits_key: str) -> tuple:
    """What a source's key is made of, its digest last: compared as they are, they
    stand for the key (hashing 13,000 keys again cost 0.04 s)."""
    return source.kind, source.rel, source.slug, source.name_date or "", limits_key, digest


def _key(parts: tuple) -> str:
    return hashlib.blake2b("\x00".join(parts).encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def _load(source: Source, content_dir: Path, data: bytes, limits: Limits) -> Loaded:
    own, orphans, checks = Diagnostics(), [], []
    item = load_source(source, content_dir, own, orphans, data, limits, checks)
    return Loaded(item, tuple(own.items), tuple(orphans), tuple(checks))


def _stored(loaded: Loaded, data: bytes) -> tuple[int | None, Loaded]:
    """What an entry file keeps of a loaded source: (where its body starts in the
    source's bytes, the Loaded without it), or (None, the Loaded) when the body is
    not the end of the bytes (a `body:` field, CRLF line ends, or no body)."""
    item = loaded.item
    if item is not None and item.body:
        body = item.body.encode("utf-8", "surrogatepass")
        if data.endswith(body):
            return len(data) - len(body), replace(loaded, item=replace(item, body=""))
    return None, loaded


def shared_positions(positions: dict, shared: dict[tuple, tuple]) -> dict:
    """The positions, each equal key and value one object across the pack: pickle
    writes an object it has seen as a reference, so 13,000 items' 300,000 little
    tuples ({("title",): (2, 1)}) come back as a few thousand (a sixth of
    unpickling the pack, and memory that lasts the whole build)."""
    return {shared.setdefault(key, key): shared.setdefault(at, at) for key, at in positions.items()}


def _from_stored(stored: object, data: bytes) -> Loaded | None:
    """The Loaded of a stored entry, its body cut from `data` again (the bytes its key covers)."""
    if not (type(stored) is tuple and len(stored) == 2 and isinstance(stored[1], Loaded)):
        return None
    body_at, loaded = stored
    if body_at is None:
        return loaded
    if type(body_at) is not int or loaded.item is None:
        return None
    try:
        body = str(memoryview(data)[body_at:], "utf-8")  # decoded where it lies, not copied first
    except UnicodeDecodeError:
        return None
    # The item was just unpickled and nothing else holds it: its body is set in
    # place, as its own __init__ does, rather than building every item twice.
    object.__setattr__(loaded.item, "body", body)
    return loaded


def _usable_file(path: str) -> bool:
    """The test content.fields.ContentFile makes (a file, not a link), in one lstat."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except (OSError, ValueError):
        return False


# Only these may be rebuilt from a cache entry: our models and the plain types in them.
_ALLOWED = {
    "generator.parsed_sources": {"Loaded"},
    "generator.diagnostics": {"Diagnostic", "Location"},
    "generator.content.fields": {"Ref"},
    "generator.content.models": {"Member", "PersonRef", "Project", "Series", "Event", "Post", "RFP", "Page"},
    "datetime": {"date", "datetime", "timedelta", "timezone", "time"},
    "builtins": {"frozenset", "set", "tuple", "list", "dict"},
}


def allowed_in_cache(module: str, name: str) -> bool:
    """Whether a cache entry may make this class (plan_snapshot.py allows a few more)."""
    return name in _ALLOWED.get(module, ())


class _ModelsOnly(pickle.Unpickler):
    # The allowed classes as found once: a rebuild unpickles 13,000 entries of five
    # classes each, and the import machinery behind find_class was a third of that.
    found: dict[tuple[str, str], object] = {}

    def find_class(self, module: str, name: str):
        cls = self.found.get((module, name))
        if cls is not None:
            return cls
        if name in _ALLOWED.get(module, ()):
            cls = self.found[module, name] = super().find_class(module, name)
            return cls
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a cache entry")


def _unpickle(payload: bytes) -> object | None:
    try:
        return _ModelsOnly(io.BytesIO(payload)).load()
    except Exception:  # corrupt or foreign: a miss, never an error
        return None
