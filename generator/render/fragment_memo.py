"""Rendered list rows (`post_row`, `project_row`, `rfp_row`), kept across builds (issue 9).

Why: editing one post re-renders its tag pages, and each lists hundreds of
other posts through `post_row`: rendering those rows again (Jinja macro calls,
each summary read back from the Markdown store) was most of a one-post
rebuild's rendering. A row is the same bytes whenever what it shows is the
same, so templates call the macro through `fragment("post_row", post)`
(render/environment.py) and the row is kept under a key of exactly that:

- the build: the theme (every file under templates/), the checked settings
  (base path, base URL, …), --drafts;
- the call: the macro's name, its plain arguments by repr, and for each item
  argument its kind/slug and the digest of every source file showing it reads
  (`Site.sources_shown_by`: its file, its people's member files, its images;
  digests from incremental.InputDigests, as the pages' own cache keys).

Nothing of the calling page (its URL, the clock, other items) is in the key, so
a memoized macro may read nothing of it: when a template is first used, each
macro is checked to read only its arguments, other such macros of its template
and filters (which read only their argument and the settings, see
environment.py), never a global (`now`, `site`, `series_of`, …) nor the
`markdown` filter (images). A macro that reads more is rendered every time.

Entries persist in the cache folder (build_cache.CacheFolder: versioned,
checksummed) as one pack per call shape (macro and plain arguments): a
rebuild reads thousands of rows, and one file per row cost more than
rendering them. A corrupt or foreign pack is an empty one, a row that does not
decode is a miss. Render workers send
the rows they make back to the parent with each chunk (render_pool.py), which
saves them. Memory is bounded (watch is a long-running process): past LIMIT
rows, only those the last build used are kept.
"""

from __future__ import annotations

import hashlib
import struct
import sys
from array import array
from itertools import accumulate
from typing import Any, Callable, Iterable

from jinja2 import nodes
from markupsafe import Markup

from ..content.models import Item
from .outputs import SETTINGS, THEME

FOLDER = "fragments"
LIMIT = 40_000  # rows kept (about 600 bytes each): two rows per post of a 10,000-post site, and room
MACROS = "_macros.html"  # the template whose macros `fragment` calls
IMPURE_FILTERS = frozenset({"markdown", "markdown_toc", "random"})  # read more than argument and settings
_PLAIN = (str, int, float, bool, type(None))
_UINT32 = "I" if array("I").itemsize == 4 else "L"  # a pack's row lengths


def _hash(*parts: str) -> str:
    return hashlib.blake2b("\x00".join(parts).encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


class FragmentMemo:
    """Rendered rows by key, in packs by call shape (`signature`)."""

    def __init__(self, folder: Any = None) -> None:
        self.folder = folder  # build_cache.CacheFolder, or None: this process only
        self.packs: dict[str, Pack] = {}  # signature → its rows
        self.reading = False  # whether packs may be read from the folder (not after --no-cache)
        self.digests: Any = None  # incremental.InputDigests of the current build
        self.site: Any = None
        self.build_key = ""
        self.used: set[str] = set()  # keys shown by this build
        self.changed: set[str] = set()  # signatures with rows added by this build
        self.new: list[tuple[str, str, str]] = []  # (signature, key, html) not yet taken (worker → parent)

    def begin(self, digests: Any, site: Any, drafts: bool, reading: bool) -> None:
        """Start a build; rows kept from an earlier one stay valid (keys hold every input)."""
        self.digests, self.site, self.reading = digests, site, reading
        self.build_key = _hash(digests.digest(THEME), digests.digest(SETTINGS), repr(drafts))
        self.used, self.changed, self.new = set(), set(), []

    def rendered(self, macro: Callable, name: str, args: tuple, kwargs: dict) -> Markup:
        found = self._key(name, args, kwargs)
        if found is None:  # an argument with no stable identity: rendered as it is
            return macro(*args, **kwargs)
        signature, key = found
        return Markup(self._found_or_made(signature, key, lambda: str(macro(*args, **kwargs))))

    def kept(self, name: str, parts: tuple[str, ...], make: Callable[[], str]) -> str:
        """A text that depends on `parts` alone (and on the generator and its
        libraries, which version the cache folder), in the pack `name`, kept like
        a row: calendars.py's VTIMEZONEs, whose onsets take a scan of the tz
        database per zone and year (3 % of a build into a new output folder)."""
        signature = _hash(name)
        return self._found_or_made(signature, _hash(signature, *parts), make)

    def _found_or_made(self, signature: str, key: str, make: Callable[[], str]) -> str:
        """The text kept under `key` in the pack `signature`, else made and kept."""
        pack = self._pack(signature)
        text = pack.get(key)
        if text is None:
            text = make()
            pack.put(key, text)
            self.changed.add(signature)
            self.new.append((signature, key, text))
        self.used.add(key)
        return text

    def _key(self, name: str, args: tuple, kwargs: dict) -> tuple[str, str] | None:
        shape, shown = [name], [self.build_key]
        for position, value in [*enumerate(args), *sorted(kwargs.items())]:
            if isinstance(value, Item):
                shape.append(f"{position}=item")
                shown.append(f"{value.key}={self.digests.shown(value)}")
            elif isinstance(value, _PLAIN):
                shape.append(f"{position}={value!r}")
            else:
                return None
        signature = _hash(*shape)
        return signature, _hash(signature, *shown)

    def _pack(self, signature: str) -> "Pack":
        pack = self.packs.get(signature)
        if pack is None:
            payload = self.folder.read(f"{FOLDER}/{signature}") if self.reading and self.folder else None
            pack = self.packs[signature] = Pack.read(payload) if payload is not None else Pack()
        return pack

    def size(self) -> int:
        return sum(map(len, self.packs.values()))

    # ── between processes ──
    def take_new(self) -> list[tuple[str, str, str]]:
        """In a render worker: the rows made since the last call, for the parent."""
        new, self.new = self.new, []
        if self.size() > LIMIT:
            self.packs.clear()
        return new

    def add(self, rows: Iterable[tuple[str, str, str]]) -> None:
        """In the parent: rows a worker made."""
        for signature, key, html in rows:
            self._pack(signature).put(key, html)
            self.changed.add(signature)
            self.used.add(key)

    # ── in the cache folder ──
    def finish(self) -> None:
        """After a build: bound what is kept, then save the packs that changed.
        A build that read nothing (--no-cache) made every pack a build can need
        now: the others are removed."""
        if self.size() > LIMIT:
            for signature, pack in self.packs.items():
                self.packs[signature] = pack.only(self.used)
                self.changed.add(signature)
        if self.folder is None:
            return
        for signature in sorted(self.changed):
            self.folder.write(f"{FOLDER}/{signature}", self.packs[signature].to_bytes())
        if not self.reading:
            self.folder.keep_only(FOLDER, set(self.packs))
        self.changed = set()


class Pack:
    """The rows of one call shape. Stored as: MAGIC, the row count, the keys
    (KEY_BYTES of ASCII each), each row's length in bytes (uint32), then the rows'
    UTF-8 back to back. A rebuild needs a few thousand of a pack's rows: each is
    decoded when asked for, and saving writes the stored bytes back as they are."""

    MAGIC = b"rows1\n"
    KEY_BYTES = 32

    def __init__(self) -> None:
        self.body = b""  # the stored rows
        self.stored: dict[str, tuple[int, int]] = {}  # key → (start, end) in body
        self.added: dict[str, str] = {}  # rows made since it was read

    def __len__(self) -> int:
        return len(self.stored) + len(self.added)

    def get(self, key: str) -> str | None:
        found = self.added.get(key)
        if found is None and key in self.stored:
            start, end = self.stored[key]
            try:
                found = self.body[start:end].decode("utf-8")
            except UnicodeDecodeError:  # not a row we wrote: a miss
                return None
        return found

    def put(self, key: str, html: str) -> None:
        self.added[key] = html

    def only(self, keys: set[str]) -> "Pack":
        kept = Pack()
        kept.added = {key: html for key in [*self.stored, *self.added]
                      if key in keys and (html := self.get(key)) is not None}
        return kept

    def to_bytes(self) -> bytes:
        added = {key: html.encode("utf-8", "surrogatepass") for key, html in self.added.items()
                 if len(key) == self.KEY_BYTES and key.isascii()}
        stored = [key for key in self.stored if key not in added]
        spans = [self.stored[key] for key in stored]
        # Stored rows go back as the bytes they were: in one piece when none was replaced.
        body = self.body if len(stored) == len(self.stored) else b"".join(self.body[s:e] for s, e in spans)
        lengths = array(_UINT32, [end - start for start, end in spans] + [len(row) for row in added.values()])
        if sys.byteorder != "little":
            lengths.byteswap()
        return b"".join([self.MAGIC, struct.pack("<I", len(lengths)), "".join([*stored, *added]).encode("ascii"),
                         lengths.tobytes(), body, *added.values()])

    @classmethod
    def read(cls, payload: bytes) -> "Pack":
        """The pack in payload; an empty one unless payload is exactly what to_bytes makes."""
        pack = cls()
        head = len(cls.MAGIC) + 4
        if not payload.startswith(cls.MAGIC) or len(payload) < head:
            return pack
        (count,) = struct.unpack_from("<I", payload, len(cls.MAGIC))
        keys_end = head + count * cls.KEY_BYTES
        lengths = array(_UINT32)
        lengths.frombytes(payload[keys_end:keys_end + 4 * count])
        if sys.byteorder != "little":
            lengths.byteswap()
        block = payload[head:keys_end]
        body = payload[keys_end + 4 * count:]
        if len(lengths) != count or len(block) != count * cls.KEY_BYTES or not block.isalnum() \
                or sum(lengths) != len(body):
            return pack
        text = block.decode("ascii")
        ends = list(accumulate(lengths))
        pack.body = body
        pack.stored = {text[i * cls.KEY_BYTES:(i + 1) * cls.KEY_BYTES]: (end - length, end)
                       for i, (length, end) in enumerate(zip(lengths, ends))}
        return pack


# ── which macros may be memoized ──
def macros_reading_only_arguments(template: nodes.Template) -> set[str]:
    """The names of the template's macros whose output depends only on their
    arguments (and the settings, through filters): see the module's doc."""
    defined = {m.name: m for m in template.find_all(nodes.Macro)}
    others = {n.name for node in template.body if not isinstance(node, nodes.Macro)
              for n in node.find_all(nodes.Name) if n.ctx in ("store", "param")}
    pure: dict[str, bool] = {}

    def reads_only_arguments(name: str) -> bool:
        if name not in pure:
            pure[name] = False  # while checked: a macro calling itself is not proven
            pure[name] = _reads_only_arguments(defined[name], defined, others, reads_only_arguments)
        return pure[name]

    return {name for name in defined if reads_only_arguments(name)}


def _reads_only_arguments(macro: nodes.Macro, defined: dict, shadowed: set, pure: Callable[[str], bool]) -> bool:
    if any(True for _ in macro.find_all((nodes.Import, nodes.FromImport, nodes.Include, nodes.Extends))):
        return False
    local = {arg.name for arg in macro.args} | {"loop", "caller", "varargs", "kwargs"}
    local |= {n.name for n in macro.find_all(nodes.Name) if n.ctx in ("store", "param")}
    for name in {n.name for n in macro.find_all(nodes.Name) if n.ctx == "load"} - local:
        if name not in defined or name in shadowed or not pure(name):
            return False
    if any(f.name in IMPURE_FILTERS for f in macro.find_all(nodes.Filter)):
        return False
    # A filter can also be named in a string: `map("markdown")`.
    return not any(c.value in IMPURE_FILTERS for c in macro.find_all(nodes.Const) if isinstance(c.value, str))
