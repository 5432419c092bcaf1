"""Render only what changed: a cache of rendered bytes keyed by each output's fingerprint.

An output's fingerprint hashes everything its bytes can depend on:

- its URL, kind and file path;
- how it renders: the renderer function and its arguments, model objects
  included field by field (a page's `post=` argument carries the post's data);
- the inputs it declares (render/outputs.py) and the content of each: a source
  file's bytes as the loader parsed them with its commit dates (history.py:
  a commit moves "updated" without changing the bytes), every file under templates/ for
  "templates", the checked settings (with --base-url) for "site.yaml", the
  build clock for "clock";
- the --drafts option.

An output whose fingerprint is unchanged is not rendered again. STYLE 10: the
result must equal a clean build byte for byte; tests/test_incremental.py checks
that after random edits. A renderer argument whose repr shows a memory address
cannot be fingerprinted soundly, so such an output is always rendered.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import jinja2

from .history import HistoryMemo
from .render.outputs import CLOCK, SETTINGS, THEME, Output, RenderContext

_PLAIN = (str, bytes, int, float, bool, type(None), dt.date, dt.time, dt.timedelta, Path)


class Unfingerprintable(Exception):
    """A renderer argument has no stable description; render the output every time."""


def _hash(*parts: str) -> str:
    digest = hashlib.blake2b(digest_size=16)
    for part in parts:
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\x00")
    return digest.hexdigest()


class TemplateCodeCache(jinja2.BytecodeCache):
    """Compiled templates kept between rebuilds (compiling is most of a small
    rebuild's time). Jinja keys each entry by the template's name and checks the
    source's checksum, so an edited template is always compiled again."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


@dataclass
class RenderCache:
    """Output path → (fingerprint, bytes) of the last render, and the compiled
    templates. Lives as long as the watch session; a restart starts empty, so
    changes to the generator's code need no key."""

    entries: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    templates: TemplateCodeCache = field(default_factory=TemplateCodeCache)
    rendered: list[str] = field(default_factory=list)  # paths rendered (not reused) by the last build
    history: HistoryMemo = field(default_factory=HistoryMemo)  # the last git log read

    def begin(self, ctx: RenderContext, parsed: dict[str, bytes]) -> "Fingerprints":
        """Start one build: compiled templates are reused, fingerprints computed afresh."""
        ctx.env.bytecode_cache = self.templates  # before any template loads
        self.rendered = []
        return Fingerprints(ctx, parsed)

    def get(self, path: str, fingerprint: str | None) -> bytes | None:
        entry = self.entries.get(path)
        if fingerprint is None or entry is None or entry[0] != fingerprint:
            return None
        return entry[1]

    def put(self, path: str, fingerprint: str | None, data: bytes) -> None:
        self.rendered.append(path)
        if fingerprint is None:
            self.entries.pop(path, None)
        else:
            self.entries[path] = (fingerprint, data)

    def keep_only(self, paths: set[str]) -> None:
        """Forget outputs that are no longer planned (deleted or renamed items)."""
        for path in [p for p in self.entries if p not in paths]:
            del self.entries[path]


class InputDigests:
    """The digest of each input token, computed at most once per build."""

    def __init__(self, root: Path, template_dir: Path, settings_repr: str, now: dt.datetime,
                 parsed: dict[str, bytes], dates: dict | None = None) -> None:
        self.root, self.template_dir = root, template_dir
        self.parsed = parsed  # the bytes the loader parsed, by source path
        self.dates = dates or {}  # their commit dates, by source path
        self.settings_repr, self.now = settings_repr, now
        self._memo: dict[str, str] = {}
        self._sets: dict[frozenset, str] = {}

    def combined(self, tokens: frozenset[str]) -> str:
        """One digest for a set of inputs; many outputs declare the same set
        (every posts page: all posts), so each set is hashed once per build."""
        if tokens not in self._sets:
            self._sets[tokens] = _hash(*(f"{token}={self.digest(token)}" for token in sorted(tokens)))
        return self._sets[tokens]

    def digest(self, token: str) -> str:
        if token not in self._memo:
            self._memo[token] = self._compute(token)
        return self._memo[token]

    def _compute(self, token: str) -> str:
        if token == CLOCK:
            return self.now.isoformat()
        if token == THEME:
            return self._folder_digest(self.template_dir)
        if token == SETTINGS:  # the checked settings, which is what rendering reads
            return _hash(self.settings_repr)
        if token in self.parsed:  # what a source shows: its bytes, and its commit dates (history.py)
            return _hash(hashlib.blake2b(self.parsed[token], digest_size=16).hexdigest(), repr(self.dates.get(token)))
        return self._file_digest(self.root / token)

    @staticmethod
    def _file_digest(path: Path) -> str:
        try:
            return hashlib.blake2b(path.read_bytes(), digest_size=16).hexdigest()
        except OSError:  # missing, or a folder: both differ from any file's digest
            return "missing" if not path.is_dir() else "folder"

    def _folder_digest(self, folder: Path) -> str:
        if not folder.is_dir():
            return "missing"
        files = sorted(p for p in folder.rglob("*") if p.is_file())
        return _hash(*(f"{p.relative_to(folder).as_posix()}={self._file_digest(p)}" for p in files))


class ValueDigests:
    """Stable digests of renderer arguments. Model objects are shared by many
    outputs, so each object is digested once per build (memoized by identity;
    the memo keeps the object alive, so an id is never reused meanwhile)."""

    def __init__(self) -> None:
        self._memo: dict[int, tuple[Any, str]] = {}

    def of(self, value: Any) -> str:
        if isinstance(value, _PLAIN):
            return f"{type(value).__name__}:{value!r}"
        key = id(value)
        if key in self._memo:
            digest = self._memo[key][1]
            if digest is None:  # a cycle: no finite description
                raise Unfingerprintable(type(value).__name__)
            return digest
        self._memo[key] = (value, None)
        digest = self._compute(value)
        self._memo[key] = (value, digest)
        return digest

    def _compute(self, value: Any) -> str:
        name = f"{type(value).__module__}.{type(value).__qualname__}"
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return _hash(name, *(f"{f.name}={self.of(getattr(value, f.name))}" for f in dataclasses.fields(value)
                                 if f.metadata.get("fingerprint", True)))
        if isinstance(value, (list, tuple)):
            return _hash(name, *(self.of(v) for v in value))
        if isinstance(value, (set, frozenset)):
            return _hash(name, *sorted(self.of(v) for v in value))
        if isinstance(value, dict):  # insertion order matters: templates iterate it
            return _hash(name, *(f"{self.of(k)}={self.of(v)}" for k, v in value.items()))
        if callable(value):
            return self._callable(value)
        text = repr(value)
        if " at 0x" in text:
            raise Unfingerprintable(name)
        return _hash(name, text)

    def _callable(self, func: Callable) -> str:
        if isinstance(func, functools.partial):
            keywords = [f"{k}={self.of(v)}" for k, v in sorted(func.keywords.items())]
            return _hash("partial", self.of(func.func), *(self.of(a) for a in func.args), *keywords)
        if hasattr(func, "__self__"):  # a bound method: its object matters too
            return _hash("method", func.__qualname__, self.of(func.__self__))
        qualname = getattr(func, "__qualname__", None)
        if qualname is None:
            raise Unfingerprintable(type(func).__name__)
        # A closure's captured values and default arguments are part of what it renders.
        cells = [self.of(c.cell_contents) for c in getattr(func, "__closure__", None) or ()]
        defaults = [self.of(d) for d in getattr(func, "__defaults__", None) or ()]
        return _hash("function", func.__module__, qualname, *cells, "|", *defaults)


class Fingerprints:
    """The cache keys of one build's outputs."""

    def __init__(self, ctx: RenderContext, parsed: dict[str, bytes]) -> None:
        settings = ctx.site.settings  # includes --base-url
        self.inputs = InputDigests(ctx.root, ctx.template_dir, repr(settings), ctx.now, parsed, ctx.site.dates)
        self.values = ValueDigests()
        self.salt = _hash(repr(ctx.drafts), str(ctx.template_dir))

    def of(self, output: Output) -> str | None:
        """The output's cache key, or None when it cannot be fingerprinted soundly."""
        try:
            renderer = self.values.of(output.render)
        except Unfingerprintable:
            return None
        return _hash(self.salt, output.url, output.path, output.kind, renderer,
                     self.inputs.combined(frozenset(output.inputs)))
