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
rendering them. A corrupt or foreign pack is an empty one. Render workers send
the rows they make back to the parent with each chunk (render_pool.py), which
saves them. Memory is bounded (watch is a long-running process): past LIMIT
rows, only those the last build used are kept.
"""

from __future__ import annotations

import hashlib
import json
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


def _hash(*parts: str) -> str:
    return hashlib.blake2b("\x00".join(parts).encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


class FragmentMemo:
    """Rendered rows by key, in packs by call shape (`signature`)."""

    def __init__(self, folder: Any = None) -> None:
        self.folder = folder  # build_cache.CacheFolder, or None: this process only
        self.packs: dict[str, dict[str, str]] = {}  # signature → {key: html}
        self.reading = False  # whether packs may be read from the folder (a rebuild)
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
        pack = self._pack(signature)
        html = pack.get(key)
        if html is None:
            html = pack[key] = str(macro(*args, **kwargs))
            self.changed.add(signature)
            self.new.append((signature, key, html))
        self.used.add(key)
        return Markup(html)

    def _key(self, name: str, args: tuple, kwargs: dict) -> tuple[str, str] | None:
        shape, shown = [name], [self.build_key]
        for position, value in [*enumerate(args), *sorted(kwargs.items())]:
            if isinstance(value, Item):
                shape.append(f"{position}=item")
                shown.append(f"{value.key}={self.digests.combined(self.site.sources_shown_by(value))}")
            elif isinstance(value, _PLAIN):
                shape.append(f"{position}={value!r}")
            else:
                return None
        signature = _hash(*shape)
        return signature, _hash(signature, *shown)

    def _pack(self, signature: str) -> dict[str, str]:
        pack = self.packs.get(signature)
        if pack is None:
            payload = self.folder.read(f"{FOLDER}/{signature}") if self.reading and self.folder else None
            pack = self.packs[signature] = (_unpacked(payload) if payload is not None else None) or {}
        return pack

    # ── between processes ──
    def take_new(self) -> list[tuple[str, str, str]]:
        """In a render worker: the rows made since the last call, for the parent."""
        new, self.new = self.new, []
        if sum(map(len, self.packs.values())) > LIMIT:
            self.packs.clear()
        return new

    def add(self, rows: Iterable[tuple[str, str, str]]) -> None:
        """In the parent: rows a worker made."""
        for signature, key, html in rows:
            self._pack(signature)[key] = html
            self.changed.add(signature)
            self.used.add(key)

    # ── in the cache folder ──
    def finish(self) -> None:
        """After a build: bound what is kept, then save the packs that changed.
        A full build (one that read nothing) made every pack a build can need
        now: the others are removed."""
        if sum(map(len, self.packs.values())) > LIMIT:
            for signature, pack in self.packs.items():
                self.packs[signature] = {k: v for k, v in pack.items() if k in self.used}
                self.changed.add(signature)
        if self.folder is None:
            return
        for signature in sorted(self.changed):
            self.folder.write(f"{FOLDER}/{signature}", _packed(self.packs[signature]))
        if not self.reading:
            self.folder.keep_only(FOLDER, set(self.packs))
        self.changed = set()


def _packed(pack: dict[str, str]) -> bytes:
    """A header line (keys and lengths, JSON) then the rows back to back: read
    back with one decode and slices, several times faster than a JSON object."""
    header = json.dumps({"keys": list(pack), "lengths": [len(html) for html in pack.values()]})
    return header.encode("utf-8") + b"\n" + "".join(pack.values()).encode("utf-8", "surrogatepass")


def _unpacked(payload: bytes) -> dict[str, str] | None:
    """The pack, or None unless it is exactly what _packed makes."""
    head, _, body = payload.partition(b"\n")
    try:
        header, text = json.loads(head), body.decode("utf-8", "surrogatepass")
        keys, lengths = header["keys"], header["lengths"]
    except (ValueError, TypeError, KeyError):
        return None
    if not (isinstance(keys, list) and isinstance(lengths, list) and len(keys) == len(lengths)
            and all(isinstance(k, str) for k in keys) and all(type(n) is int and n >= 0 for n in lengths)
            and sum(lengths) == len(text)):
        return None
    pack, start = {}, 0
    for key, length in zip(keys, lengths):
        pack[key] = text[start:start + length]
        start += length
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
