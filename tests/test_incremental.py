"""Incremental rendering equals a clean build (STYLE 10).

Random edits — posts, members, events, projects, pages and series added, removed,
renamed and changed — are applied to a copy of the sample site. After each one
the site is rebuilt incrementally (the render cache that watch uses), and every
few edits the output folder is compared, file set and bytes, with a clean build
of the same files. A subset runs through the real `mlcsite watch`. The seed is
printed on failure; MLCSITE_SEED=<n> replays a run.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import re
import shutil
from pathlib import Path

import yaml

from conftest import SAMPLE_NOW
from generator import pipeline
from generator.cli import _parse_now
from generator.incremental import RenderCache
from generator.render.outputs import CLOCK
from test_watch import WatchProcess, copy_sample_site, differences, tree, wait_until

NOW = _parse_now(SAMPLE_NOW)
WORDS = ["loss", "landscape", "sparse", "gradient", "Yorùbá", "tokens", "curriculum", "noise", "atlas", "drift",
         "benchmark", "jam", "reading", "group", "scaling", "probe", "mirage", "chapter", "研究", "données"]
TAGS = ["community", "announcements", "dlct", "open-collab", "how-to", "scaling", "vision", "new-tag", "nlp"]
EDITS_VIA_API, EDITS_VIA_WATCH, COMPARE_EVERY = 200, 20, 20


def split_source(path: Path) -> tuple[dict, str | None]:
    text = path.read_text(encoding="utf-8")
    if path.suffix != ".md":
        return yaml.safe_load(text) or {}, None
    _, front, body = text.split("---\n", 2)
    return yaml.safe_load(front) or {}, body


def write_source(path: Path, data: dict, body: str | None) -> None:
    dumped = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dumped if body is None else f"---\n{dumped}---\n{body}", encoding="utf-8")


class SiteEditor:
    """Random, mostly valid edits to a site's content. Every edit remembers the
    files it changed, so an edit that made the site invalid can be undone."""

    def __init__(self, root: Path, rng: random.Random) -> None:
        self.root, self.rng = root, rng
        self.content = root / "content"
        self.undo: dict[Path, bytes | None] = {}
        self.counter = 0

    # ── bookkeeping ──
    def files(self, kind: str) -> list[Path]:
        return sorted(p for p in (self.content / kind).rglob("*") if p.suffix in (".md", ".yaml") and p.is_file())

    def remember(self, path: Path) -> None:
        if path not in self.undo:
            self.undo[path] = path.read_bytes() if path.exists() else None

    def revert(self) -> None:
        for path, data in self.undo.items():
            if data is None:
                path.unlink(missing_ok=True)
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
        self.undo = {}

    def member_slugs(self) -> list[str]:
        return [p.stem for p in self.files("members")]

    def words(self, n: int) -> str:
        return " ".join(self.rng.choice(WORDS) for _ in range(n)).capitalize()

    def new_slug(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}-{self.counter}-{self.rng.randrange(10**6)}"

    def people(self, low: int = 1, high: int = 3) -> list:
        members = self.member_slugs()
        chosen: list = self.rng.sample(members, min(len(members), self.rng.randint(low, high)))
        if self.rng.random() < 0.2:
            chosen.append({"name": self.words(2), "url": "https://example.org/someone"})
        return chosen

    def date(self) -> dt.date:
        return dt.date(2019, 1, 1) + dt.timedelta(days=self.rng.randrange(9 * 365))

    def change(self, path: Path, mutate) -> None:
        self.remember(path)
        data, body = split_source(path)
        body = mutate(data, body)
        write_source(path, data, body)

    def move(self, src: Path, dest: Path) -> None:
        self.remember(src)
        self.remember(dest)
        os.replace(src, dest)

    def delete(self, path: Path) -> None:
        self.remember(path)
        path.unlink()

    # ── the edits ──
    def random_edit(self) -> str:
        self.undo = {}
        edits = [self.add_post, self.remove_post, self.rename_post, self.edit_post, self.edit_post,
                 self.add_member, self.remove_member, self.rename_member, self.edit_member,
                 self.add_event, self.remove_event, self.rename_event, self.edit_event, self.edit_event,
                 self.edit_project, self.edit_series, self.toggle_menu]
        edit = self.rng.choice(edits)
        kind = edit.__name__.rsplit("_", 1)[-1] + "s"
        if kind in ("posts", "members", "events") and not self.files(kind) and not edit.__name__.startswith("add"):
            edit = getattr(self, f"add_{kind[:-1]}")  # nothing left to change: add one instead
        return edit()

    def add_post(self) -> str:
        slug, day = self.new_slug("post"), self.date()
        data = {"title": self.words(3), "authors": self.people(0, 2),
                "tags": self.rng.sample(TAGS, self.rng.randint(0, 3))}
        if self.rng.random() < 0.15:
            data["draft"] = True
        path = self.content / f"posts/{day}-{slug}.md"
        self.remember(path)
        write_source(path, data, f"{self.words(12)}.\n\nSee [the events](/events/).\n")
        return f"add post {path.name}"

    def remove_post(self) -> str:
        path = self.rng.choice(self.files("posts"))
        self.delete(path)
        return f"remove post {path.name}"

    def rename_post(self) -> str:
        path = self.rng.choice(self.files("posts"))
        new_date = self.date() if self.rng.random() < 0.5 else path.name[:10]
        dest = path.with_name(f"{new_date}-{self.new_slug('renamed')}.md")
        self.move(path, dest)
        return f"rename post {path.name} -> {dest.name}"

    def edit_post(self) -> str:
        path = self.rng.choice(self.files("posts"))
        field = self.rng.choice(["title", "tags", "authors", "date", "summary", "body", "draft"])

        def mutate(data: dict, body: str) -> str:
            if field == "title":
                data["title"] = self.words(4)
            elif field == "tags":
                data["tags"] = self.rng.sample(TAGS, self.rng.randint(0, 3))
            elif field == "authors":
                data["authors"] = self.people(0, 3)
            elif field == "date":
                data["date"] = self.date()
            elif field == "summary":
                data["summary"] = self.words(8) + "."
            elif field == "draft":
                data["draft"] = not data.get("draft", False)
            return body + f"\n{self.words(6)}.\n" if field == "body" else body
        self.change(path, mutate)
        return f"edit post {path.name}: {field}"

    def add_member(self) -> str:
        path = self.content / f"members/{self.new_slug('member')}.yaml"
        self.remember(path)
        write_source(path, {"name": self.words(2), "role": "Volunteer",
                            "status": self.rng.choice(["active", "alumni"])}, None)
        return f"add member {path.name}"

    def references(self, slug: str) -> list[Path]:
        pattern = re.compile(rf"(?<![\w-]){re.escape(slug)}(?![\w-])")
        return [p for p in self.content.rglob("*") if p.is_file() and p.suffix in (".md", ".yaml")
                and pattern.search(p.read_text(encoding="utf-8")) and p.stem != slug]

    def remove_member(self) -> str:
        path = self.rng.choice(self.files("members"))
        if self.references(path.stem):
            return self.edit_member()  # still referenced: removing it would be an error
        self.delete(path)
        return f"remove member {path.name}"

    def rename_member(self) -> str:
        path = self.rng.choice(self.files("members"))
        old, new = path.stem, self.new_slug("renamed")
        pattern = re.compile(rf"(?<![\w-]){re.escape(old)}(?![\w-])")
        for ref in self.references(old):  # a rename updates every reference, as a contributor would
            self.remember(ref)
            ref.write_text(pattern.sub(new, ref.read_text(encoding="utf-8")), encoding="utf-8")
        self.move(path, path.with_name(new + path.suffix))
        return f"rename member {old} -> {new}"

    def edit_member(self) -> str:
        path = self.rng.choice(self.files("members"))
        field = self.rng.choice(["name", "role", "status", "affiliation"])

        def mutate(data: dict, body):
            data[field] = {"name": self.words(2), "role": self.words(2), "affiliation": self.words(3),
                           "status": "alumni" if data.get("status", "active") == "active" else "active"}[field]
            return body
        self.change(path, mutate)
        return f"edit member {path.name}: {field}"

    def plain_series(self) -> list[str]:
        return [p.stem for p in self.files("series") if not split_source(p)[0].get("numbered")]

    def event_start(self) -> str:
        start = NOW + dt.timedelta(hours=self.rng.randrange(-24 * 120, 24 * 120))
        return f"{start:%Y-%m-%d} {self.rng.choice(['09:00', '10:30', '18:00', '23:30'])}"

    def add_event(self) -> str:
        data = {"title": self.words(3), "start": self.event_start(),
                "duration": self.rng.choice(["45m", "1h", "1h30m"]), "speakers": self.people(0, 2),
                "tags": self.rng.sample(TAGS, self.rng.randint(0, 2))}
        if self.rng.random() < 0.6:
            data["series"] = self.rng.choice(self.plain_series())
        path = self.content / f"events/{self.new_slug('event')}.md"
        self.remember(path)
        write_source(path, data, f"{self.words(10)}.\n")
        return f"add event {path.name}"

    def remove_event(self) -> str:
        path = self.rng.choice(self.files("events"))
        self.delete(path)
        return f"remove event {path.name}"

    def rename_event(self) -> str:
        path = self.rng.choice(self.files("events"))
        dest = path.with_name(self.new_slug("event") + path.suffix)
        self.move(path, dest)
        return f"rename event {path.name} -> {dest.name}"

    def edit_event(self) -> str:
        path = self.rng.choice(self.files("events"))
        field = self.rng.choice(["title", "start", "status", "speakers", "tags", "timezone"])

        def mutate(data: dict, body):
            if field == "start" and "recurrence" not in data and "end" not in data:
                data["start"] = self.event_start()
            elif field == "title":
                data["title"] = self.words(3)
            elif field == "status":
                data["status"] = self.rng.choice(["confirmed", "tentative", "cancelled"])
            elif field == "speakers":
                data["speakers"] = self.people(0, 2)
            elif field == "tags":
                data["tags"] = self.rng.sample(TAGS, self.rng.randint(0, 2))
            elif field == "timezone":
                data["timezone"] = self.rng.choice(["Europe/Berlin", "Asia/Kolkata", "America/New_York"])
            return body
        self.change(path, mutate)
        return f"edit event {path.name}: {field}"

    def edit_project(self) -> str:
        path = self.rng.choice(self.files("projects"))
        field = self.rng.choice(["title", "tags", "year", "authors"])

        def mutate(data: dict, body):
            data[field] = {"title": self.words(4), "tags": self.rng.sample(TAGS, self.rng.randint(0, 3)),
                           "year": self.rng.randint(2018, 2027), "authors": self.people(1, 3)}[field]
            return body
        self.change(path, mutate)
        return f"edit project {path.name}: {field}"

    def edit_series(self) -> str:
        path = self.rng.choice(self.files("series"))
        field = self.rng.choice(["title", "timezone", "organizers"])

        def mutate(data: dict, body):
            data[field] = {"title": self.words(3), "organizers": self.people(1, 2),
                           "timezone": self.rng.choice(["Europe/London", "America/Los_Angeles"])}[field]
            return body
        self.change(path, mutate)
        return f"edit series {path.name}: {field}"

    def toggle_menu(self) -> str:
        path = self.rng.choice(self.files("pages"))

        def mutate(data: dict, body):
            if "menu" in data:
                del data["menu"]
            else:
                data["menu"] = self.rng.randint(1, 9)
            return body
        self.change(path, mutate)
        return f"toggle menu of {path.relative_to(self.content).as_posix()}"


def seed_for() -> int:
    seed = int(os.environ.get("MLCSITE_SEED") or random.SystemRandom().randrange(10**9))
    print(f"random edits with seed {seed}; replay with MLCSITE_SEED={seed}")  # shown on failure
    return seed


def explain(root: Path, out: Path, clean: Path, recent: list[str], seed: int) -> str:
    """Which outputs differ, and the files they declare as inputs: the edit that
    changed one of those outputs names a file missing from its inputs."""
    plan = pipeline.plan_site(pipeline.Options(root=root, now=NOW))
    inputs = {o.path: sorted(o.inputs) for o in plan.outputs}
    diffs = differences(tree(out), tree(clean))
    lines = [f"seed {seed} (replay with MLCSITE_SEED={seed}); edits since the last match:", *recent, "differences:"]
    lines += [f"  {d}  inputs: {inputs.get(d.split(' ', 1)[1], '?')}" for d in diffs[:20]]
    return "\n".join(lines)


def test_random_edits_rendered_incrementally_equal_a_clean_build(tmp_path):
    seed = seed_for()
    rng = random.Random(seed)
    root = copy_sample_site(tmp_path / "site")
    out, clean = tmp_path / "out", tmp_path / "clean"
    options = pipeline.Options(root=root, out=out, now=NOW)
    cache = RenderCache()
    assert not pipeline.build(options, cache).diagnostics.has_errors()
    editor = SiteEditor(root, rng)
    recent: list[str] = []
    reverted = reused = 0
    for number in range(1, EDITS_VIA_API + 1):
        recent.append(f"  {number}. {editor.random_edit()}")
        result = pipeline.build(options, cache)
        if result.diagnostics.has_errors():  # an edit that broke the site: undo it, as its author would
            recent.append(f"     (invalid: {result.diagnostics.errors[0].message}; undone)")
            reverted += 1
            editor.revert()
            result = pipeline.build(options, cache)
            assert not result.diagnostics.has_errors(), f"seed {seed}: undoing an edit left errors"
        reused += result.file_count - len(result.rendered)
        if number % COMPARE_EVERY == 0 or number == EDITS_VIA_API:
            shutil.rmtree(clean, ignore_errors=True)
            assert not pipeline.build(pipeline.Options(root=root, out=clean, now=NOW)).diagnostics.has_errors()
            assert differences(tree(out), tree(clean)) == [], explain(root, out, clean, recent, seed)
            recent = []
    assert reverted < EDITS_VIA_API // 4, f"seed {seed}: too many edits were invalid to test much"
    assert reused > EDITS_VIA_API * 10, "the cache hardly ever reused a render: nothing incremental was tested"


def test_random_edits_through_the_real_watcher_equal_a_clean_build(tmp_path):
    seed = seed_for()
    root = copy_sample_site(tmp_path / "site")
    watcher = WatchProcess(root, "watch")
    try:
        watcher.wait_for_line(r"Watching content/")
        editor = SiteEditor(root, random.Random(seed))
        done = []
        for _ in range(EDITS_VIA_WATCH):  # no waiting between edits: bursts must be handled too
            done.append(editor.random_edit())
            if pipeline.plan_site(pipeline.Options(root=root, now=NOW)).diagnostics.has_errors():
                editor.revert()
                done[-1] += " (undone)"
        clean = tmp_path / "clean"
        assert not pipeline.build(pipeline.Options(root=root, out=clean, now=NOW)).diagnostics.has_errors()
        want = tree(clean)
        wait_until(lambda: differences(tree(root / "output"), want) == [],
                   f"the watched output to equal a clean build (seed {seed}; edits: {done}; "
                   f"last differences: {differences(tree(root / 'output'), want)[:5]})", timeout=30)
    finally:
        assert watcher.stop() == 0
    assert "Traceback" not in watcher.text


def test_only_outputs_that_declare_the_clock_change_with_it(tmp_path):
    """If an output shows something that depends on "now" without declaring
    "clock", watch would keep serving it stale (render/outputs.py)."""
    root = copy_sample_site(tmp_path / "site")
    rendered = {}
    for when in (NOW, NOW + dt.timedelta(days=45), NOW + dt.timedelta(days=400)):
        options = pipeline.Options(root=root, now=when)
        plan = pipeline.plan_site(options)
        rendered[when] = (pipeline.render_outputs(plan, options), {o.path: o.inputs for o in plan.outputs})
    first, inputs = rendered[NOW]
    undeclared = sorted({path for files, _ in rendered.values() for path in files
                         if path in first and files[path] != first[path] and CLOCK not in inputs[path]})
    assert undeclared == []


def test_an_unchanged_site_renders_nothing_and_writes_nothing(tmp_path):
    root = copy_sample_site(tmp_path / "site")
    options = pipeline.Options(root=root, out=tmp_path / "out", now=NOW)
    cache = RenderCache()
    first = pipeline.build(options, cache)
    again = pipeline.build(options, cache)
    assert first.rendered and (again.rendered, again.written) == ([], [])
    (root / "content/members/wang-fang.md").write_text(
        (root / "content/members/wang-fang.md").read_text(encoding="utf-8").replace("\n", "\n\n", 1), "utf-8")
    after_blank_line = pipeline.build(options, cache)
    assert after_blank_line.written == []  # the member file changed, the site did not
