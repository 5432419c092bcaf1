"""Render only what changed: a cache of rendered bytes keyed by each output's fingerprint.

An output's fingerprint hashes everything its bytes can depend on:

- its URL, kind and file path;
- its identity: the renderer and its plain arguments (render/outputs.py);
- the inputs it declares and the content of each: a source file's bytes as the
  loader parsed them with its commit dates (history.py: a commit moves
  "updated" without changing the bytes), every file under templates/ for
  "templates", the checked settings (with --base-url) for "site.yaml", the
  build clock for "clock";
- the --drafts option.

An output whose fingerprint is unchanged is not rendered again. STYLE 10: the
result must equal a clean build byte for byte; tests/test_incremental.py and
tests/test_build_cache.py check that after random edits.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from array import array
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Callable, Iterable

import jinja2

from . import event_times
from .history import HistoryMemo
from .input_state import InputState
from .markdown_store import MarkdownStore
from .build_cache import CacheFolder, Written, digest_of
from .content.models import Item
from .graph import Site
from .parsed_sources import ParsedSources
from .render.environment import occurrences_of
from .render.fragment_memo import FragmentMemo
from .render.markdown_memo import MarkdownMemo
from .render.outputs import CLOCK, SETTINGS, THEME, Output, RenderContext
from .search.index import SearchIndex


def _hash(*parts: str) -> str:
    """The parts, each ended by a NUL, hashed. Joined first: one encode and one
    update instead of two per part (30,000 calls plan a 10,000-post site)."""
    joined = "\x00".join(parts) + "\x00"
    return hashlib.blake2b(joined.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


class TemplateCodeCache(jinja2.BytecodeCache):
    """Compiled templates kept between rebuilds (compiling is most of a small
    rebuild's time), in memory and, for `mlcsite build`, in the cache folder.
    Jinja keys each entry by the template's name and checks the source's
    checksum, so an edited template is always compiled again. Jinja also folds
    filters over constants into the code (`'/x' | url` holds the base path), so
    entries are keyed by the settings too (`salt`)."""

    def __init__(self, folder: CacheFolder | None = None) -> None:
        self._code: dict[str, bytes] = {}
        self.folder = folder
        self.salt = ""

    def _name(self, bucket: jinja2.bccache.Bucket) -> str:
        return "template-" + _hash(self.salt, bucket.key)

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        name = self._name(bucket)
        code = self._code.get(name)
        if code is None and self.folder is not None:
            code = self.folder.read(name)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        name = self._name(bucket)
        self._code[name] = bucket.bytecode_to_string()
        if self.folder is not None:
            self.folder.write(name, self._code[name])


@dataclass
class RenderCache:
    """What output/ holds after the last build (path → Written: the output's key
    and its bytes' digest) and the compiled templates. Watch keeps one for the
    session (`in_place`: output/ is updated file by file); `mlcsite build` loads
    one from the cache folder and stages a new output/. Either way only outputs
    whose key changed are rendered."""

    written: dict[str, Written] = field(default_factory=dict)
    templates: TemplateCodeCache = field(default_factory=TemplateCodeCache)
    rendered: list[str] = field(default_factory=list)  # paths rendered (not reused) by the last build
    history: HistoryMemo = field(default_factory=HistoryMemo)  # the last git log read
    folder: CacheFolder | None = None  # where it persists between runs, if anywhere
    parsed: ParsedSources = field(default_factory=ParsedSources)  # sources loaded before, by content
    in_place: bool = True
    search: SearchIndex | None = None  # the search index's own memory (search/index.py), made on first use
    inputs: InputState | None = None  # what the build that left output/ read
    outcome: dict = field(default_factory=dict)  # and what it reported (pipeline.BuildResult)
    last_build: tuple | None = None  # (RenderContext, outputs) of the last build, for watch's early page
    markdown: MarkdownMemo = field(default_factory=MarkdownMemo)  # rendered Markdown, for every build
    others: list[str] | None = None  # output/'s files that are not outputs (the search index), when known
    present: list[str] | None = None  # every file output/ holds, as recorded (None: unknown, stage a new one)
    fragments: FragmentMemo = field(default_factory=FragmentMemo)  # rendered list rows (render/fragment_memo.py)
    reuse_rendered: bool = True  # False (--no-cache): no Markdown or list row of an earlier build is reused
    keyed: dict[str, str] = field(default_factory=dict)  # what the last build's keys were made of (Fingerprints.keyed)

    @classmethod
    def persistent(cls, root: Path, out_dir: Path, in_place: bool) -> "RenderCache":
        folder = CacheFolder(root)
        written, record = folder.load_manifest(out_dir)
        outcome, others = record.get("outcome"), _paths(record.get("others"))
        return cls(written=written, templates=TemplateCodeCache(folder), folder=folder, in_place=in_place,
                   history=HistoryMemo(folder=folder),
                   parsed=ParsedSources(folder), markdown=MarkdownMemo(store=MarkdownStore(folder)),
                   fragments=FragmentMemo(folder),
                   inputs=InputState.from_plain(record.get("inputs")),
                   outcome=outcome if isinstance(outcome, dict) else {}, others=others,
                   present=[*written, *others] if written and others is not None else None,
                   keyed=_keyed(record.get("keyed")))

    def unchanged_since_last(self, inputs: InputState) -> dict | None:
        """The last build's outcome when it read exactly these inputs and output/
        is what it left; else None. Watch (in place) plans its first build anyway:
        its early page (early_page.py) needs the last plan."""
        if self.in_place and self.last_build is None:
            return None
        if self.written and self.inputs is not None and self.inputs.digest == inputs.digest and self.outcome:
            return self.outcome
        return None

    def begin(self, ctx: RenderContext, parsed: dict[str, str]) -> "Fingerprints":
        """Start one build: compiled templates are reused, fingerprints computed afresh."""
        self.templates.salt = _hash(repr(ctx.site.settings), repr(ctx.drafts))
        ctx.env.bytecode_cache = self.templates  # before any template loads
        self.markdown.seconds, ctx.markdown = ctx.markdown.seconds, self.markdown  # the site's budget, our entries
        if self.markdown.store is not None:
            # A full build into a new output folder still reads what earlier builds converted,
            # and the list rows they rendered.
            self.markdown.store.reading, self.markdown.store.full = self.reuse_rendered, not self.written
            self.markdown.store.started_ns = time.time_ns()
        self.rendered = []
        fingerprints = Fingerprints(ctx, parsed)
        self.fragments.begin(fingerprints.inputs, ctx.site, ctx.drafts, reading=self.reuse_rendered)
        ctx.fragments = self.fragments
        return fingerprints

    def forget_persisted(self, out_dir: Path) -> None:
        """output/ is about to differ from what the saved record says (watch's early
        page): drop the record, so a session killed now leaves a full build next,
        and the outcome, so the next build is never skipped as unchanged. The input
        state stays: it describes the files, not output/, and the next build reuses
        its digests (hashing 13,000 files again took 0.16 s) and finds the edited
        sources by it (edited_first.py)."""
        self.outcome = {}
        if self.folder is not None:
            self.folder.forget_manifest(out_dir)

    def finish(self, out_dir: Path, written: dict[str, Written], inputs: InputState | None = None,
               outcome: dict | None = None, others: list[str] | None = None, keyed: dict | None = None) -> None:
        self.written, self.inputs, self.outcome, self.others = written, inputs, outcome or {}, others
        self.present = [*written, *others] if others is not None else None
        self.keyed = keyed or {}
        if self.folder is not None:
            record = {"inputs": inputs.as_plain(), "outcome": self.outcome} if inputs is not None else {}
            if others is not None:
                record["others"] = others
            if keyed:
                record["keyed"] = keyed
            self.folder.save_manifest(out_dir, written, record)
        if self.markdown.store is not None:
            self.markdown.store.prune()
        self.fragments.finish()


def _keyed(value) -> dict[str, str]:
    """A recorded Fingerprints.keyed, or {} when it is missing or not one."""
    if isinstance(value, dict) and value.keys() == set(KEYED) and all(type(v) is str for v in value.values()):
        return value
    return {}


def _paths(value) -> list[str] | None:
    """A recorded list of paths, or None when it is missing or not one."""
    if isinstance(value, list) and all(isinstance(path, str) for path in value):
        return value
    return None


class InputDigests:
    """The digest of each input token, computed at most once per build."""

    def __init__(self, root: Path, template_dir: Path, settings_repr: str, now: dt.datetime,
                 parsed: dict[str, str], dates: dict | None, site: Site, *, clock: Callable[[], str],
                 theme_reads_now: Callable[[], bool]) -> None:
        self.root, self.template_dir = root, template_dir
        self.parsed = parsed  # the digest of the bytes the loader parsed, by source path
        self.dates = dates or {}  # their commit dates, by source path
        self.settings_repr, self.now = settings_repr, now
        self.clock = clock  # what the clock means to the outputs that read it (clock_meaning)
        self.theme_reads_now = theme_reads_now
        self.site = site  # what showing an item reads: site.sources_shown_by
        self._memo: dict[str, str] = {}
        self._sets: dict[frozenset, str] = {}
        self._shown: dict[int, str] = {}  # item's id → what showing it reads, digested
        self._kept: list[Item] = []  # the items of _shown: an id is theirs while they live
        self._parts = _Parts(self.digest)  # token → b"token=digest\0", what a set's digest is made of

    def combined(self, tokens: frozenset[str]) -> str:
        """One digest for a set of inputs; many outputs declare the same set
        (every page's chrome), so each set is hashed once per build. A set costs
        one join and one hash of its parts, each part made once per build."""
        found = self._sets.get(tokens)
        if found is None:
            found = self._sets[tokens] = self._digest_of(tokens)
        return found

    def _digest_of(self, tokens: frozenset[str]) -> str:
        joined = b"".join(map(self._parts.__getitem__, sorted(tokens)))
        return hashlib.blake2b(joined, digest_size=16).hexdigest()

    def shown(self, item: Item) -> str:
        """The digest of what showing the item reads (Site.sources_shown_by), once
        per build: a 10,000-post site's outputs show 86,000 items, 13,000 different."""
        found = self._shown.get(id(item))
        if found is None:
            self._kept.append(item)
            found = self._shown[id(item)] = self._digest_of(self.site.sources_shown_by(item))
        return found

    def shown_each(self, items: tuple[Item, ...]) -> list[str]:
        """`shown` of each item: looked up in C once each item has been met."""
        try:
            return list(map(self._shown.__getitem__, map(id, items)))
        except KeyError:
            return list(map(self.shown, items))

    def assume(self, token: str, digest: str) -> None:
        """The token's digest is known: the last build's, which still holds."""
        self._memo[token] = digest

    def digest(self, token: str) -> str:
        if token not in self._memo:
            self._memo[token] = self._compute(token)
        return self._memo[token]

    def _compute(self, token: str) -> str:
        if token == CLOCK:
            return self.clock()
        if token == THEME:  # a theme that prints `now` shows the instant on every page it makes
            digest = self._folder_digest(self.template_dir)
            return f"{digest} {self.now.isoformat()}" if self.theme_reads_now() else digest
        if token == SETTINGS:  # the checked settings, which is what rendering reads
            return _hash(self.settings_repr)
        if token in self.parsed:  # what a source shows: its bytes, and its commit dates (history.py)
            return _hash(self.parsed[token], repr(self.dates.get(token)))
        return self._file_digest(self.root / token)

    @staticmethod
    def _file_digest(path: Path) -> str:
        try:
            return digest_of(path.read_bytes())
        except OSError:  # missing, or a folder: both differ from any file's digest
            return "missing" if not path.is_dir() else "folder"

    def _folder_digest(self, folder: Path) -> str:
        if not folder.is_dir():
            return "missing"
        files = sorted(p for p in folder.rglob("*") if p.is_file())
        return _hash(*(f"{p.relative_to(folder).as_posix()}={self._file_digest(p)}" for p in files))


class _Parts(dict):
    """token → b"token=digest\\0", made on first use (a dict, so that looking up the
    300,000 tokens of a big site's outputs stays in C)."""

    def __init__(self, digest) -> None:
        super().__init__()
        self._digest = digest

    def __missing__(self, token: str) -> bytes:
        made = self[token] = f"{token}={self._digest(token)}\x00".encode("utf-8", "surrogatepass")
        return made


class Fingerprints:
    """The cache keys of one build's outputs."""

    def __init__(self, ctx: RenderContext, parsed: dict[str, str]) -> None:
        settings = ctx.site.settings  # includes --base-url
        self.inputs = InputDigests(ctx.root, ctx.template_dir, repr(settings), ctx.now, parsed, ctx.site.dates,
                                   ctx.site, clock=partial(clock_meaning, ctx),
                                   theme_reads_now=partial(theme_reads_now, ctx.env))
        self.salt = _hash(repr(ctx.drafts), str(ctx.template_dir))

    def keyed(self, plan_id: str) -> dict[str, str]:
        """What this build's keys were made with, for the next build that uses the
        same kept plan (`reused`): the plan's name and the digests of the theme,
        the settings and the clock."""
        return {"plan": plan_id, **{token: self.inputs.digest(token) for token in (THEME, SETTINGS, CLOCK)}}

    def reused(self, outputs: list[Output], written: dict[str, Written], keyed: dict[str, str],
               dependents: dict[str, bytes], changed: Iterable[str], now: dt.datetime) -> dict[str, str]:
        """Every output's key, taken from the last build's record when nothing it
        hashes changed since. The caller vouches that this build's plan is the
        one that build's keys were made with (the same kept plan: plan_snapshot.py),
        so an output's key can change only through the digest of an input it
        names: a file in `changed` (those whose digest differs from the last
        build's), the theme, the settings, or the clock. `dependents` lists the
        outputs each input enters (outputs_by_input). Keying all 16,300 outputs of
        a 10,000-post site took 0.5 s of a one-post rebuild; the outputs that show
        the edited post are a few dozen."""
        tokens = set(changed)
        tokens.update(token for token in (THEME, SETTINGS) if self.inputs.digest(token) != keyed[token])
        if _clock_holds(keyed[CLOCK], now):  # the same events (the same plan), the same span
            self.inputs.assume(CLOCK, keyed[CLOCK])
        else:
            tokens.add(CLOCK)
        affected: set[int] = set()
        for token in tokens:
            affected.update(array("I", dependents.get(token, b"")))
        keys = {}
        for number, output in enumerate(outputs):
            old = written.get(output.path)
            keys[output.path] = self.of(output) if old is None or number in affected else old.key
        return keys

    def of(self, output: Output) -> str:
        """The output's cache key: its renderer's identity and its declared inputs,
        as declared (render/outputs.py): what it reads, then each item it shows.
        A change to any file of `output.inputs` changes one of those digests."""
        return _hash(self.salt, output.url, output.path, output.kind, output.identity,
                     self.inputs.combined(output.reads), *self.inputs.shown_each(output.shows))


def clock_meaning(ctx: RenderContext) -> str:
    """The clock as the outputs that read it see it: the span of instants in which
    every upcoming/past decision is the one made now (event_times.clock_period),
    so that a build a minute after the last renders none of them again. (A theme
    that prints `now` itself is keyed by the instant: see InputDigests.)"""
    occurrence_lists = (occurrences_of(ctx, event) for event in ctx.site.events.values())
    low, high = event_times.clock_period(occurrence_lists, ctx.now)
    return f"{low.isoformat()} {high.isoformat()}"


def theme_reads_now(env: jinja2.Environment) -> bool:
    """Whether any template of the theme names `now` in its code (read from the
    tokens, not the parse tree: parsing the theme took 0.08 s; a name `now` that
    is not the global only costs renders). A file that is no template (an image,
    a template with a syntax error) renders nothing, or fails the build."""
    for name in env.list_templates(filter_func=lambda name: not name.startswith("static/")):
        try:
            source = env.loader.get_source(env, name)[0]
            if "now" in source and any(kind == "name" and value == "now" for _, kind, value in env.lex(source)):
                return True
        except (jinja2.TemplateError, UnicodeDecodeError):
            continue
    return False


KEYED = ("plan", THEME, SETTINGS, CLOCK)  # Fingerprints.keyed's names


def _clock_holds(meaning: str, now: dt.datetime) -> bool:
    """Whether `now` is inside a recorded clock span (clock_meaning's "low high")."""
    try:
        low, high = map(dt.datetime.fromisoformat, meaning.split(" "))
        return low <= now < high
    except (ValueError, TypeError):
        return False


def outputs_by_input(site: Site, outputs: list[Output]) -> dict[str, bytes]:
    """For each input token, the indices (in `outputs`) of the outputs whose key
    its digest enters, as Fingerprints.of hashes them: what an output reads, and
    what showing each of its items reads (Site.sources_shown_by). Each as the
    bytes of an array of unsigned ints: 230,000 of them at 10,000 posts."""
    found: dict[str, array] = {}
    shown = site.sources_shown_by
    for number, output in enumerate(outputs):
        tokens = set(output.reads)
        for item in output.shows:
            tokens |= shown(item)
        for token in tokens:
            indices = found.get(token)
            if indices is None:
                indices = found[token] = array("I")
            indices.append(number)
    return {token: indices.tobytes() for token, indices in found.items()}
