"""The build cache folder, `.mlcsite-cache/` in the site's root (git-ignored).

It remembers, between runs of `mlcsite build`, what output/ holds (a manifest:
each file's cache key, digest and size) and the compiled templates, so a build
renders only the outputs whose key changed and links the rest from output/.

- Versioned: everything lives under a folder named by a hash of the generator's
  own code and the versions of the libraries that shape the output, so another
  version never reads it (and its folder is removed).
- Safe to delete at any time: a missing cache is a full build.
- Never trusted: every file carries a checksum of its payload; a corrupt,
  truncated or foreign file is ignored. Writes are temp file + rename, so two
  builds at once never see half a file.
"""

from __future__ import annotations

import hashlib
import itertools
import marshal
import mmap
import os
import re
import shutil
import sys
import zlib
from functools import lru_cache, partial
from operator import itemgetter
from pathlib import Path
from typing import BinaryIO, Callable, NamedTuple

CACHE_DIR = ".mlcsite-cache"
# The libraries whose versions can change what a build writes.
_SHAPING = ("jinja2", "markupsafe", "markdown", "pygments", "nh3", "feedgen", "lxml", "icalendar", "pyyaml",
            "python-dateutil", "latex2mathml", "tzdata")
_GENERATOR = Path(__file__).resolve().parent


def _digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def _checksum(parts) -> bytes:
    """What guards a cache file against damage (a truncated or altered file).
    CRC-32, not a cryptographic hash: it catches every short burst of damage
    and misses random damage once in four billion, and a file that holds every
    parsed body (60 MB at 10,000 posts) is checked in a third of the time
    blake2b took. The cache folder is this machine's own, not content from a
    pull request; what a file says is checked by its reader anyway: a payload
    that is not ours is a miss (foreign), whatever its checksum."""
    crc = 0
    for part in parts:
        crc = zlib.crc32(part, crc)
    return b"%08x" % crc


def cache_version() -> str:
    """Generator code + library versions + Python + the system's tz database: a
    change to any is a new cache."""
    parts = [sys.version, f"tz={tz_database_version()}"]
    for name in _SHAPING:
        parts.append(f"{name}={installed_version(name) or 'none'}")
    for path in sorted(_GENERATOR.rglob("*.py")):
        parts.append(f"{path.relative_to(_GENERATOR).as_posix()}={_digest(path.read_bytes())}")
    return _digest("\n".join(parts).encode("utf-8"))[:16]


def tz_database_version() -> str:
    """The release of the tz database zoneinfo reads, e.g. "2025b": pages,
    feeds and calendars show local times and offsets from it ("PST (UTC−8)",
    a VTIMEZONE's onsets, an RRULE's UNTIL in UTC), and the operating system
    updates it apart from any library. zoneinfo reads the first folder of
    zoneinfo.TZPATH that holds a zone; its release is the first line of
    tzdata.zi ("# version 2025b") or the file +VERSION. Without such a folder
    zoneinfo falls back to the tzdata package, whose version is in _SHAPING.
    A folder without a release file is known by its modification time."""
    import zoneinfo
    for folder in zoneinfo.TZPATH:
        if not os.path.isfile(os.path.join(folder, "UTC")):
            continue
        for name in ("tzdata.zi", "+VERSION"):
            try:
                with open(os.path.join(folder, name), "rb") as handle:
                    line = handle.readline(200).decode("ascii", "replace").strip()
            except OSError:
                continue
            return f"{folder}:{line.removeprefix('# version ')}"
        return f"{folder}:changed-{os.stat(folder).st_mtime_ns}"  # an update renames files into it
    return "package"


def installed_version(name: str) -> str | None:
    """A distribution's version (None: not installed), from the name of its
    `<name>-<version>.dist-info` folder, which installers write (the wheel
    spec): importlib.metadata, its email parser and a METADATA file parsed per
    library were 30 ms of every build's start. Anything else (an egg) is asked
    of importlib.metadata, imported only then."""
    version = _dist_info_versions().get(_normal_name(name))
    if version is not None:
        return version
    from importlib import metadata
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


@lru_cache(maxsize=1)
def _dist_info_versions() -> dict[str, str]:
    """Normalized name → version of each dist-info folder on sys.path, the first
    one found winning, as importlib.metadata finds them."""
    found: dict[str, str] = {}
    for folder in sys.path:
        try:
            names = os.listdir(folder or ".")
        except OSError:  # not a folder (a zip), or gone
            continue
        for entry in names:
            name, dash, version = entry.removesuffix(".dist-info").partition("-")
            if entry.endswith(".dist-info") and dash and version and "-" not in version:
                found.setdefault(_normal_name(name), version)
    return found


def _normal_name(name: str) -> str:
    """A distribution name as dist-info folders spell it (PEP 503, `-` and `.` as `_`)."""
    return re.sub(r"[-_.]+", "_", name).lower()


def read_file(path: str | os.PathLike) -> bytes:
    """A whole file's bytes, in a few system calls and no buffered file object:
    a rebuild reads 26,000 small files (sources and their cache entries), where
    open() and pathlib cost more than the reading."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        return _read_all(fd)
    finally:
        os.close(fd)


def read_file_and_stat(path: str | os.PathLike) -> tuple[bytes, os.stat_result]:
    """The bytes, and the file's stat taken after reading them: a stat still equal
    to one recorded earlier then says no write came between (input_state.py)."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        data = _read_all(fd)
        return data, os.fstat(fd)
    finally:
        os.close(fd)


_FIRST_READ = 1 << 16  # most sources and cache entries are smaller: one read, no fstat for the size


def _read_all(fd: int) -> bytes:
    first = os.read(fd, _FIRST_READ)
    if len(first) < _FIRST_READ:  # a regular file reads short only at its end
        return first
    # Larger: read whole again in one piece (pieces joined were copied once more).
    size = os.fstat(fd).st_size
    data = os.pread(fd, max(size, len(first)) + 1, 0)
    if len(data) <= size:
        return data
    chunks = [data]  # grown since the fstat, or a size the file system does not report
    while chunks[-1]:
        chunks.append(os.read(fd, 1 << 16))
    return b"".join(chunks)


def digest_of(data: bytes) -> str:
    """The digest of a file's bytes: each output's (Written.digest) and each
    input's (input_state.file_digest). SHA-256 cut to 128 bits: a CPU with SHA
    instructions hashes a 15 KB page in 11 µs where blake2b took 30 (16,300
    pages and 13,200 sources in a full build at 10,000 posts), and one without
    them about as fast as blake2b."""
    return hashlib.sha256(data).hexdigest()[:32]


class Written(NamedTuple):
    """One file of output/ as the last build left it. A named tuple, not a frozen
    dataclass: a rebuild makes one for each of 16,000 files from the manifest, and
    a dataclass's __init__ cost more than reading them."""

    key: str  # the output's cache key (incremental.Fingerprints)
    digest: str  # of its bytes
    size: int


_TEMP_SERIAL = itertools.count()


def _new_temp_file(folder: str) -> tuple[int, str]:
    """A new file beside the one it will replace, open for writing, named by the
    process and a counter: a build writes 30,000 cache files, and tempfile's
    random names and pathlib cost more than the system calls. O_EXCL: a name
    left by a process killed long ago is never written into (OSError)."""
    temp = f"{folder}/.tmp-{os.getpid()}-{next(_TEMP_SERIAL)}"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
    try:
        return os.open(temp, flags, 0o600), temp
    except FileNotFoundError:  # the first file of its folder
        os.makedirs(folder, exist_ok=True)
        return os.open(temp, flags, 0o600), temp


def _unlink_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


class _Summed:
    """A file that keeps the CRC-32 of what is written to it (_checksum's)."""

    def __init__(self, handle: BinaryIO) -> None:
        self.handle, self.crc = handle, 0

    def write(self, data) -> int:
        self.crc = zlib.crc32(data, self.crc)
        return self.handle.write(data)


class CacheFolder:
    """The versioned folder and the checksummed files in it."""

    def __init__(self, root: Path) -> None:
        base = root / CACHE_DIR
        self.folder = base / cache_version()
        self.folder.mkdir(parents=True, exist_ok=True)
        _ignore_in_git(base)
        for old in base.iterdir():  # other versions' caches can never be read again
            if old.is_dir() and old != self.folder and old.name != "images":  # images: keyed by content, kept (render/images.py)
                shutil.rmtree(old, ignore_errors=True)

    # ── checksummed files ──
    def read(self, name: str, written_since_ns: int | None = None) -> bytes | None:
        """The payload, if its checksum holds; with `written_since_ns`, only if
        the file was written at or after that time (time.time_ns())."""
        try:
            if written_since_ns is None:
                data = read_file(f"{self.folder}/{name}")
            else:
                data, info = read_file_and_stat(f"{self.folder}/{name}")
                if info.st_mtime_ns < written_since_ns:
                    return None
        except OSError:
            return None
        return _verified(data)

    def read_marking_used(self, name: str, since_ns: int) -> bytes | None:
        """The payload, if its checksum holds; a file older than `since_ns` is
        marked used (its mtime set to now), so that a prune of the files older
        than that keeps it (markdown_store.py)."""
        path = f"{self.folder}/{name}"
        try:
            data, info = read_file_and_stat(path)
        except OSError:
            return None
        payload = _verified(data)
        if payload is not None and info.st_mtime_ns < since_ns:
            try:
                os.utime(path)
            except OSError:  # removed meanwhile: the payload read is still good
                pass
        return payload

    def read_view(self, name: str) -> memoryview | None:
        """The payload as a view of the file mapped into memory: a large file
        (the parsed sources' pack, 70 MB at 10,000 posts) is neither copied nor
        kept in the process's own memory. Safe because every file here is
        replaced whole (write), never cut short in place under a reader."""
        mapped = self._mapped_if_intact(name)
        return memoryview(mapped)[mapped.tell():] if mapped is not None else None

    def open_verified(self, name: str) -> mmap.mmap | None:
        """The file mapped into memory, positioned at its payload, if its checksum
        holds: a reader (an unpickler) takes it piece by piece, where `read`
        copied 80 MB twice (plan_snapshot.py). Close it when done."""
        return self._mapped_if_intact(name)

    def _mapped_if_intact(self, name: str) -> mmap.mmap | None:
        try:
            with open(f"{self.folder}/{name}", "rb") as handle:
                mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        except (OSError, ValueError):  # ValueError: an empty file cannot be mapped
            return None
        end = mapped.find(b"\n", 0, 64)
        with memoryview(mapped) as view, view[end + 1:] as payload:
            intact = end >= 0 and mapped[:end] == _checksum((payload,))
        if not intact:
            mapped.close()
            return None
        mapped.seek(end + 1)
        return mapped

    def write(self, name: str, payload: bytes, *more: bytes) -> None:
        """Best effort: a cache that cannot be written (deleted meanwhile, disk
        full) costs the next build time, never this one its result. `more`: the
        payload's further parts, written after it (not joined first: a large
        payload would be held twice)."""
        def fill(handle: BinaryIO) -> None:
            handle.write(_checksum((payload, *more)) + b"\n")
            handle.writelines((payload, *more))
        self._replace(name, fill)

    def write_streamed(self, name: str, dump: Callable[[BinaryIO], None]) -> None:
        """`write`, for a payload that `dump` writes to a file as it is made
        (plan_snapshot.py: 80 MB at 10,000 posts, never held whole): the
        checksum line is written last, over the placeholder it leaves."""
        def fill(handle: BinaryIO) -> None:
            handle.write(_checksum(()) + b"\n")
            summed = _Summed(handle)
            dump(summed)
            handle.seek(0)
            handle.write(b"%08x" % summed.crc)
        self._replace(name, fill)

    def _replace(self, name: str, fill: Callable[[BinaryIO], None]) -> None:
        """The file `name` replaced whole by what `fill` writes, or left as it was."""
        target = f"{self.folder}/{name}"  # a name may hold one folder: "parsed/<key>"
        try:
            fd, temp = _new_temp_file(os.path.dirname(target))
        except OSError:
            return
        try:
            with os.fdopen(fd, "wb") as handle:
                fill(handle)
            os.replace(temp, target)
        except OSError:
            _unlink_quietly(temp)
        except BaseException:
            _unlink_quietly(temp)
            raise

    def keep_only(self, subfolder: str, names: set[str]) -> None:
        """Remove the entries of a subfolder that are not in `names` (outdated
        ones, which nothing can ask for again)."""
        try:
            with os.scandir(self.folder / subfolder) as entries:
                stale = [entry.path for entry in entries if entry.name not in names]
        except OSError:
            return
        for path in stale:
            Path(path).unlink(missing_ok=True)

    # ── the manifest of an output folder ──
    def _manifest_name(self, out_dir: Path) -> str:
        return f"manifest-{_digest(str(out_dir.resolve()).encode('utf-8'))[:16]}"

    def load_manifest(self, out_dir: Path) -> tuple[dict[str, Written], dict]:
        """What out_dir holds, if it is still the folder the last build left, and
        the build's record (its inputs, incremental.RenderCache); else nothing (a
        full build)."""
        data = load_plain(self.read(self._manifest_name(out_dir)))
        try:
            if data["folder"] != _folder_identity(out_dir):
                return {}, {}
            files = data["files"]
            written = dict(zip(files, map(_as_written, files.values())))
            if not _all_written(written.values()):
                return {}, {}
            return written, data.get("record") if isinstance(data.get("record"), dict) else {}
        except (KeyError, TypeError, ValueError, AttributeError):
            return {}, {}

    def forget_manifest(self, out_dir: Path) -> None:
        (self.folder / self._manifest_name(out_dir)).unlink(missing_ok=True)

    def save_manifest(self, out_dir: Path, files: dict[str, Written], record: dict | None = None) -> None:
        data = {"folder": _folder_identity(out_dir), "record": record or {},
                "files": dict(zip(files, map(tuple, files.values())))}  # marshal takes no named tuple
        self.write(self._manifest_name(out_dir), dump_plain(data))


# A manifest's 16,000 rows made Written and checked without a line of Python per
# row (Written._make and a generator of type tests were most of loading one):
# tuple.__new__ makes the named tuple from the stored one as it is, and the
# checks go a field at a time.
_as_written = partial(tuple.__new__, Written)


def _all_written(rows) -> bool:
    """Whether every row is a Written of a str key, a str digest and an int size."""
    return (set(map(len, rows)) <= {3} and set(map(type, map(itemgetter(0), rows))) <= {str}
            and set(map(type, map(itemgetter(1), rows))) <= {str} and set(map(type, map(itemgetter(2), rows))) <= {int})


def _verified(data: bytes) -> bytes | None:
    """A cache file's payload if the checksum line above it holds, else None."""
    checksum, _, payload = data.partition(b"\n")
    return payload if checksum == _checksum((payload,)) else None


def dump_plain(data) -> bytes:
    """Plain data (dicts, lists, tuples, str, int, None) as bytes for a cache
    file. marshal, not JSON: the manifest and the search state of 16,000 files
    cost a tenth of a rebuild to parse and write as JSON, five times less so.
    Its format changes only with Python, which versions the cache folder."""
    return marshal.dumps(data)


def load_plain(payload: bytes | None) -> dict:
    """What dump_plain wrote; {} for no file or anything else (a foreign or
    damaged payload is a miss, never trusted: the caller checks each value)."""
    if payload is None:
        return {}
    try:
        data = marshal.loads(payload)
    except Exception:  # marshal raises ValueError, EOFError or TypeError on bad bytes
        return {}
    return data if type(data) is dict else {}


def _folder_identity(folder: Path) -> list[int] | None:
    """Each build swaps in a new folder: its inode tells whether output/ is still
    the one a manifest describes (deleted or replaced by hand: it is not)."""
    try:
        info = folder.stat()
    except OSError:
        return None
    return [info.st_dev, info.st_ino]


def _ignore_in_git(base: Path) -> None:
    """The cache must never be committed, even in a site whose .gitignore forgot it."""
    marker = base / ".gitignore"
    if not marker.exists():
        marker.write_text("*\n", encoding="utf-8")
