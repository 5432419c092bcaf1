"""The build cache never changes what a build writes (STYLE 10, issue 9).

Random edits of every content kind, of templates (pages and theme assets), of
site.yaml and of copied content files are applied to a copy of the sample site.
After each edit the site is built three ways:

- incrementally, as watch does (one RenderCache for the session, output/
  updated in place);
- as `mlcsite build` does (a RenderCache loaded afresh from .mlcsite-cache/,
  output/ staged and swapped);
- and, every few edits, clean (no cache at all).

All three must be byte-identical, file set included. The seed is printed on
failure; MLCSITE_SEED=<n> replays a run.
"""

from __future__ import annotations

import json
import random
import re
import shutil
from pathlib import Path

import yaml

from conftest import SAMPLE_NOW, run_mlcsite
from generator import pipeline
from generator.build_cache import CACHE_DIR
from generator.incremental import RenderCache
from test_incremental import NOW, TAGS, SiteEditor, seed_for, split_source, write_source
from test_watch import copy_sample_site, differences, tree

EDITS, COMPARE_EVERY = 70, 7
TEMPLATES = ["base.html", "post.html", "posts.html", "member.html", "event.html", "project.html", "rfp.html",
             "page.html", "tag.html", "home.html", "series.html", "redirect.html", "404.html"]


class EveryKindEditor(SiteEditor):
    """SiteEditor's edits, plus RFPs, free pages, projects, series bodies,
    templates, theme assets, site.yaml and copied content files."""

    def random_edit(self) -> str:
        extra = [self.add_rfp, self.edit_rfp, self.remove_rfp, self.add_page, self.edit_page, self.remove_page,
                 self.add_project, self.remove_project, self.edit_project_body, self.edit_series_body,
                 self.add_alias, self.edit_template, self.edit_static, self.edit_settings, self.edit_settings,
                 self.copied_file]
        if self.rng.random() < 0.5:
            return super().random_edit()
        self.undo = {}
        return self.rng.choice(extra)()

    def project_slugs(self) -> list[str]:
        return [p.stem for p in self.files("projects")]

    def add_rfp(self) -> str:
        path = self.content / f"rfps/{self.new_slug('rfp')}.md"
        self.remember(path)
        data = {"title": self.words(4), "authors": self.people(0, 2), "date": self.date(),
                "status": self.rng.choice(["open", "taken", "done"])}
        if self.rng.random() < 0.6:
            data["project"] = self.rng.choice(self.project_slugs())
        write_source(path, data, f"{self.words(15)}.\n")
        return f"add rfp {path.name}"

    def edit_rfp(self) -> str:
        if not self.files("rfps"):
            return self.add_rfp()
        path = self.rng.choice(self.files("rfps"))
        field = self.rng.choice(["title", "status", "project", "body", "authors"])

        def mutate(data: dict, body: str) -> str:
            if field == "title":
                data["title"] = self.words(4)
            elif field == "status":
                data["status"] = self.rng.choice(["open", "taken", "done"])
            elif field == "project":
                data["project"] = self.rng.choice(self.project_slugs())
            elif field == "authors":
                data["authors"] = self.people(0, 2)
            return body + f"\n{self.words(5)}.\n" if field == "body" else body
        self.change(path, mutate)
        return f"edit rfp {path.name}: {field}"

    def remove_rfp(self) -> str:
        if not self.files("rfps"):
            return self.add_rfp()
        path = self.rng.choice(self.files("rfps"))
        self.delete(path)
        return f"remove rfp {path.name}"

    def add_page(self) -> str:
        path = self.content / f"pages/{self.new_slug('page')}.md"
        self.remember(path)
        data = {"title": self.words(2)}
        if self.rng.random() < 0.5:
            data["menu"] = self.rng.randint(1, 9)
        write_source(path, data, f"## {self.words(2)}\n\n{self.words(12)}.\n")
        return f"add page {path.name}"

    def edit_page(self) -> str:
        path = self.rng.choice(self.files("pages"))
        field = self.rng.choice(["title", "description", "body"])

        def mutate(data: dict, body: str) -> str:
            if field == "body":
                return body + f"\n{self.words(7)}.\n"
            data[field] = self.words(3)
            return body
        self.change(path, mutate)
        return f"edit page {path.relative_to(self.content).as_posix()}: {field}"

    def remove_page(self) -> str:
        pages = [p for p in self.files("pages") if self.references(p.stem) == []]
        if not pages:
            return self.add_page()
        path = self.rng.choice(pages)
        self.delete(path)
        return f"remove page {path.relative_to(self.content).as_posix()}"

    def add_project(self) -> str:
        path = self.content / f"projects/{self.new_slug('project')}.md"
        self.remember(path)
        write_source(path, {"title": self.words(3), "authors": self.people(1, 2), "year": self.rng.randint(2018, 2027),
                            "tags": self.rng.sample(TAGS, self.rng.randint(0, 2))}, f"{self.words(20)}.\n")
        return f"add project {path.name}"

    def remove_project(self) -> str:
        free = [p for p in self.files("projects") if not self.references(p.stem)]
        if not free:
            return self.add_project()
        path = self.rng.choice(free)
        self.delete(path)
        return f"remove project {path.name}"

    def edit_project_body(self) -> str:
        path = self.rng.choice(self.files("projects"))
        self.change(path, lambda data, body: (body or "") + f"\n{self.words(9)}.\n")
        return f"edit project {path.name}: body"

    def edit_series_body(self) -> str:
        path = self.rng.choice(self.files("series"))

        def mutate(data: dict, body):
            if body is None:
                data["description"] = self.words(6) + "."
                return None
            return body + f"\n{self.words(6)}.\n"
        self.change(path, mutate)
        return f"edit series {path.name}: body"

    def add_alias(self) -> str:
        path = self.rng.choice(self.files("posts") + self.files("projects"))
        alias = f"/old/{self.new_slug('alias')}/"
        self.change(path, lambda data, body: (data.setdefault("aliases", []).append(alias), body)[1])
        return f"alias {alias} for {path.name}"

    def edit_template(self) -> str:
        path = self.root / "templates" / self.rng.choice(TEMPLATES)
        self.remember(path)
        text = path.read_text(encoding="utf-8")
        marker = f"<!-- edit {self.words(2)} -->"
        text = re.sub(r"(</body>|{% endblock %})", marker + r"\1", text, count=1) if self.rng.random() < 0.8 \
            else text + marker
        path.write_text(text, encoding="utf-8")
        return f"edit template {path.name}"

    def edit_static(self) -> str:
        path = self.root / "templates/static" / self.rng.choice(["style.css", "site.js", f"new-{self.counter}.txt"])
        self.remember(path)
        with path.open("a", encoding="utf-8") as handle:
            handle.write(f"\n/* {self.words(3)} */\n")
        return f"edit theme asset {path.name}"

    def edit_settings(self) -> str:
        path = self.root / "site.yaml"
        self.remember(path)
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        field = self.rng.choice(["title", "description", "feed_items", "mission", "nav", "base_url", "featured"])
        if field == "feed_items":
            data["feed_items"] = self.rng.randint(1, 25)
        elif field == "nav":
            data["nav"] = data["nav"][1:] + data["nav"][:1]
        elif field == "base_url":
            data["base_url"] = self.rng.choice(["https://mlcollective.org", "https://example.org/pr-7/"])
        elif field == "featured":
            data["featured_projects"] = self.rng.sample(self.project_slugs(), 2)
        else:
            data[field] = self.words(5)
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000), encoding="utf-8")
        return f"edit site.yaml: {field}"

    def copied_file(self) -> str:
        path = self.content / "files" / f"notes-{self.rng.randrange(3)}.txt"
        self.remember(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists() and self.rng.random() < 0.4:
            path.unlink()
            return f"remove copied file {path.name}"
        path.write_text(self.words(6) + "\n", encoding="utf-8")
        return f"write copied file {path.name}"


def build_ok(options: pipeline.Options, cache: RenderCache | None) -> pipeline.BuildResult | None:
    result = pipeline.build(options, cache)
    return None if result.diagnostics.has_errors() else result


def test_random_edits_of_every_kind_give_the_same_bytes_watched_cached_and_clean(tmp_path):
    seed = seed_for()
    root = copy_sample_site(tmp_path / "site")
    watched, cached, clean = tmp_path / "watched", tmp_path / "cached", tmp_path / "clean"
    session = RenderCache()
    build_ok(pipeline.Options(root=root, out=watched, now=NOW), session)
    editor = EveryKindEditor(root, random.Random(seed))
    recent: list[str] = []
    reused = 0
    for number in range(1, EDITS + 1):
        recent.append(f"  {number}. {editor.random_edit()}")
        if pipeline.plan_site(pipeline.Options(root=root, now=NOW)).diagnostics.has_errors():
            editor.revert()
            recent[-1] += " (invalid: undone)"
        assert build_ok(pipeline.Options(root=root, out=watched, now=NOW), session), f"seed {seed}"
        as_cli = RenderCache.persistent(root, cached, in_place=False)  # what a new `mlcsite build` loads
        result = build_ok(pipeline.Options(root=root, out=cached, now=NOW), as_cli)
        reused += result.file_count - len(result.rendered)
        if number % COMPARE_EVERY == 0:
            shutil.rmtree(clean, ignore_errors=True)
            assert build_ok(pipeline.Options(root=root, out=clean, now=NOW), None)
            want = tree(clean)
            context = f"seed {seed} (replay with MLCSITE_SEED={seed}); edits:\n" + "\n".join(recent)
            assert differences(tree(watched), want) == [], context
            assert differences(tree(cached), want) == [], context
            recent = []
    assert reused > EDITS * 20, "the cache hardly ever reused an output: nothing was tested"


def test_a_build_with_nothing_changed_renders_and_writes_nothing(tmp_path):
    root = copy_sample_site(tmp_path / "site")
    options = pipeline.Options(root=root, now=NOW)
    first = pipeline.build(options, RenderCache.persistent(root, options.output_dir, in_place=False))
    inode = options.output_dir.stat().st_ino
    again = pipeline.build(options, RenderCache.persistent(root, options.output_dir, in_place=False))
    assert first.rendered and (again.rendered, again.written) == ([], [])
    assert options.output_dir.stat().st_ino == inode  # not even swapped


def test_editing_one_post_renders_only_the_outputs_that_show_it(tmp_path):
    root = copy_sample_site(tmp_path / "site")
    options = pipeline.Options(root=root, now=NOW)
    pipeline.build(options, RenderCache.persistent(root, options.output_dir, in_place=False))
    post = root / "content/posts/2021-06-21-a-year-of-mlc.md"
    data, body = split_source(post)
    write_source(post, data, body + "\nOne more sentence.\n")
    result = pipeline.build(options, RenderCache.persistent(root, options.output_dir, in_place=False))
    plan = pipeline.plan_site(options)
    showing = sorted(o.path for o in plan.outputs if "content/posts/2021-06-21-a-year-of-mlc.md" in o.inputs)
    assert sorted(result.rendered) == showing
    assert "posts/a-year-of-mlc/index.html" in result.written and len(showing) < len(plan.outputs) / 4


def test_the_cli_uses_the_cache_and_no_cache_renders_everything(tmp_path):
    root = copy_sample_site(tmp_path / "site")
    first = run_mlcsite("build", "--now", SAMPLE_NOW, cwd=root)
    assert first.returncode == 0, first.output
    built = tree(root / "output")
    assert (root / CACHE_DIR).is_dir() and (root / CACHE_DIR / ".gitignore").read_text() == "*\n"
    again = run_mlcsite("build", "--now", SAMPLE_NOW, cwd=root)
    forced = run_mlcsite("build", "--no-cache", "--now", SAMPLE_NOW, cwd=root)
    assert again.returncode == forced.returncode == 0
    assert tree(root / "output") == built
    shutil.rmtree(root / "output")  # output/ gone: the cache's record of it is not trusted
    assert run_mlcsite("build", "--now", SAMPLE_NOW, cwd=root).returncode == 0
    assert tree(root / "output") == built


def test_a_corrupt_or_foreign_cache_is_ignored(tmp_path):
    root = copy_sample_site(tmp_path / "site")
    assert run_mlcsite("build", "--now", SAMPLE_NOW, cwd=root).returncode == 0
    built = tree(root / "output")
    (root / "content/pages/about.md").write_text("---\ntitle: About us\n---\nChanged.\n", encoding="utf-8")
    for path in (root / CACHE_DIR).rglob("*"):
        if path.is_file() and path.name != ".gitignore":
            data = path.read_bytes()
            path.write_bytes(data[:len(data) // 2] + b"garbage")  # corrupt every entry
    (root / CACHE_DIR / "0123456789abcdef").mkdir()  # another version's folder
    (root / CACHE_DIR / "0123456789abcdef" / "manifest.json").write_text(json.dumps({"files": {}}))
    result = run_mlcsite("build", "--now", SAMPLE_NOW, cwd=root)
    assert result.returncode == 0 and "Traceback" not in result.output
    shutil.rmtree(clean := tmp_path / "clean", ignore_errors=True)
    assert build_ok(pipeline.Options(root=root, out=clean, now=NOW), None)
    assert differences(tree(root / "output"), tree(clean)) == []
    assert tree(root / "output") != built
    assert not (root / CACHE_DIR / "0123456789abcdef").exists()
