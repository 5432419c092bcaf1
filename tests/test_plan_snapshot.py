"""`mlcsite build` rebuilding an output folder keeps its plan, and a rebuild whose
edits are to Markdown bodies alone uses it instead of planning
(generator/plan_snapshot.py). Every other edit plans afresh, and so does a
damaged or foreign snapshot; either way output/ is the clean build's, byte for
byte, and the same problems are reported. A first build, which renders every
output, keeps its plan too; a build into a new output folder with a warm cache
folder (CI's) keeps none."""

from __future__ import annotations

import datetime as dt
import os
import pickle
import shutil

import pytest

from conftest import run_mlcsite
from generator import pipeline, plan_snapshot
from generator.build_cache import CACHE_DIR, CacheFolder
from generator.incremental import Fingerprints, RenderCache
from generator.plan_snapshot import NAME
from test_incremental import NOW
from test_watch import copy_sample_site, differences, tree

POST = "content/posts/2021-06-21-a-year-of-mlc.md"
OTHER_POST = "content/posts/2020-10-02-how-to-run-an-open-collab.md"
WARM_UP = "content/posts/2023-03-10-dlct-at-100-sessions.md"


@pytest.fixture
def planned(monkeypatch) -> list[str]:
    """The plans made afresh of the site under test (not of its clean copies), one entry a plan."""
    calls: list[str] = []
    real = pipeline._plan_site
    monkeypatch.setattr(pipeline, "_plan_site", lambda options, *rest: (options.root.name == "site"
                                                                         and calls.append("site"))
                        or real(options, *rest))
    return calls


def cli_build(root, out, now=NOW) -> pipeline.BuildResult:
    """What `mlcsite build` does: the cache loaded afresh from the cache folder."""
    result = pipeline.build(pipeline.Options(root=root, out=out, now=now),
                            RenderCache.persistent(root, out, in_place=False))
    assert not result.diagnostics.has_errors(), result.diagnostics.items
    return result


def clean_tree(root, tmp_path, now=NOW) -> dict[str, bytes]:
    """The same site built without any cache, in a copy without its cache folder."""
    copy = tmp_path / "clean-site"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns(CACHE_DIR, "out*"))
    out = tmp_path / "clean-out"
    shutil.rmtree(out, ignore_errors=True)
    pipeline.build(pipeline.Options(root=copy, out=out, now=now), None)
    return tree(out)


def built_and_kept(root, out, planned: list[str], now=NOW) -> None:
    """A first build, which plans and keeps its plan, then a rebuild after an
    edit to a body, which uses it; `planned` starts empty after them."""
    cli_build(root, out, now)
    assert planned == ["site"] and (CacheFolder(root).folder / NAME).is_file()
    append_to_body(root, WARM_UP, "\nA first edit.\n")
    cli_build(root, out, now)
    assert planned == ["site"]
    planned.clear()


def append_to_body(root, rel: str, text: str) -> None:
    path = root / rel
    path.write_text(path.read_text("utf-8") + text, "utf-8")


def replace_in(root, rel: str, old: str, new: str) -> None:
    path = root / rel
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), "utf-8")


def test_body_edits_reuse_the_kept_plan_and_give_the_clean_build(tmp_path, planned):
    root = copy_sample_site(tmp_path / "site")
    out = tmp_path / "out"
    built_and_kept(root, out, planned)

    append_to_body(root, POST, "\nA closing paragraph, with *emphasis* and a [link](https://example.org/).\n")
    result = cli_build(root, out)
    assert planned == []  # not planned again
    assert "posts/a-year-of-mlc/index.html" in result.rendered
    assert differences(tree(out), clean_tree(root, tmp_path)) == []

    # A second body edit, of another post: both edits since the snapshot are put in.
    append_to_body(root, OTHER_POST, "\n## A new heading\n\nMore words under it.\n")
    cli_build(root, out)
    assert planned == []
    assert differences(tree(out), clean_tree(root, tmp_path)) == []

    # The first post put back as it was planned: its snapshot body is the right one again.
    replace_in(root, POST, "\nA closing paragraph, with *emphasis* and a [link](https://example.org/).\n", "")
    cli_build(root, out)
    assert planned == []
    assert differences(tree(out), clean_tree(root, tmp_path)) == []



@pytest.fixture
def keyed(monkeypatch) -> list[str]:
    """The outputs keyed afresh (Fingerprints.of), by path."""
    calls: list[str] = []
    real = Fingerprints.of
    monkeypatch.setattr(Fingerprints, "of", lambda self, output: calls.append(output.path) or real(self, output))
    return calls


def outputs_naming(root, *sources: str) -> set[str]:
    """The outputs whose declared inputs name any of `sources` (a plan of its own)."""
    plan = pipeline.plan_site(pipeline.Options(root=root, now=NOW))
    return {output.path for output in plan.outputs if output.inputs & set(sources)}


def test_a_build_on_the_kept_plan_keys_again_only_the_outputs_of_what_changed(tmp_path, planned, keyed):
    root = copy_sample_site(tmp_path / "site")
    out = tmp_path / "out"
    built_and_kept(root, out, planned)
    naming = {sources: outputs_naming(root, *sources) for sources in [(POST,), (POST, OTHER_POST)]}
    planned.clear()
    keyed.clear()

    append_to_body(root, POST, "\nA closing paragraph.\n")
    cli_build(root, out)
    assert planned == []
    assert set(keyed) == naming[POST,] and "posts/a-year-of-mlc/index.html" in keyed
    assert differences(tree(out), clean_tree(root, tmp_path)) == []

    # Another post edited, the first put back: both changed since the last build, and
    # the first's outputs must show the planned body again.
    keyed.clear()
    append_to_body(root, OTHER_POST, "\nMore words.\n")
    replace_in(root, POST, "\nA closing paragraph.\n", "")
    cli_build(root, out)
    assert planned == []
    assert set(keyed) == naming[POST, OTHER_POST]
    assert differences(tree(out), clean_tree(root, tmp_path)) == []


def test_a_build_on_the_kept_plan_whose_clock_passed_an_end_keys_the_clock_readers_again(tmp_path, planned, keyed):
    root = copy_sample_site(tmp_path / "site")
    (root / "content/events/afternoon.md").write_text(
        "---\ntitle: An afternoon talk\nstart: 2026-11-27 14:00\ntimezone: UTC\nduration: 1h\n---\nA talk.\n", "utf-8")
    out = tmp_path / "out"
    built_and_kept(root, out, planned)  # at 12:00 UTC: the talk is upcoming
    later = NOW + dt.timedelta(hours=3, minutes=30)  # 15:30 UTC, still 27 November in Los Angeles
    keyed.clear()
    append_to_body(root, POST, "\nA closing paragraph.\n")
    cli_build(root, out, later)
    assert planned == []
    assert {"events/afternoon/index.html", "events/index.html", "index.html"} <= set(keyed)
    assert differences(tree(out), clean_tree(root, tmp_path, later)) == []

EDITS_THAT_PLAN = {
    "a front matter field": lambda root: replace_in(root, POST, "title: ", "title: Retitled "),
    "a tag": lambda root: replace_in(root, POST, "tags:\n", "tags:\n  - brand-new-tag\n"),
    "an image in the body": lambda root: append_to_body(
        root, POST, "\n![Sign-ups](/images/posts/lagos-sign-ups.jpg)\n"),
    "a new post": lambda root: (root / "content/posts/2026-01-05-new.md").write_text(
        "---\ntitle: New\nauthors: [jordan-ellis]\n---\nHello.\n", "utf-8"),
    "a YAML source": lambda root: replace_in(root, "content/members/jordan-ellis.yaml", "affiliation: ",
                                             "affiliation: Also "),
    "a template": lambda root: append_to_body(root, "templates/post.html", "\n<!-- edited -->\n"),
    "site.yaml": lambda root: replace_in(root, "site.yaml", "title: ", "title: Renamed "),
    "a post's body and another's title": lambda root: (
        append_to_body(root, OTHER_POST, "\nMore.\n"), replace_in(root, POST, "title: ", "title: Re ")),
}


@pytest.mark.parametrize("edit", EDITS_THAT_PLAN)
def test_edits_that_can_change_the_plan_plan_afresh(tmp_path, planned, edit):
    root = copy_sample_site(tmp_path / "site")
    out = tmp_path / "out"
    built_and_kept(root, out, planned)
    EDITS_THAT_PLAN[edit](root)
    cli_build(root, out)
    assert planned == ["site"]
    assert differences(tree(out), clean_tree(root, tmp_path)) == []
    # The new plan is kept in turn: a body edit now starts from it.
    append_to_body(root, OTHER_POST, "\nAnd a last line.\n")
    cli_build(root, out)
    assert planned == ["site"]
    assert differences(tree(out), clean_tree(root, tmp_path)) == []


def test_an_edit_that_plans_afresh_reads_only_the_snapshots_header(tmp_path, planned, monkeypatch):
    """Whether the kept plan can be used is told by the snapshot's header (the
    input digests, the frame, the settings): an edit that plans afresh never
    unpickles the plan itself (0.45 s at 10,000 posts); a body edit does."""
    root = copy_sample_site(tmp_path / "site")
    out = tmp_path / "out"
    built_and_kept(root, out, planned)
    made: list[str] = []
    real_find_class = plan_snapshot._PlanOnly.find_class
    monkeypatch.setattr(plan_snapshot._PlanOnly, "find_class",
                        lambda self, module, name: made.append(name) or real_find_class(self, module, name))
    replace_in(root, POST, "title: ", "title: Retitled ")
    cli_build(root, out)
    assert planned == ["site"] and "Settings" in made and "Site" not in made and "Output" not in made
    made.clear()
    append_to_body(root, OTHER_POST, "\nAnd a last line.\n")
    cli_build(root, out)
    assert planned == ["site"] and "Site" in made and "Output" in made  # the plan, used
    assert differences(tree(out), clean_tree(root, tmp_path)) == []


def test_a_new_day_plans_afresh(tmp_path, planned):
    """Planning leaves out posts dated after the build's day: a day later they are in."""
    root = copy_sample_site(tmp_path / "site")
    (root / "content/posts/2026-11-28-tomorrow.md").write_text(
        "---\ntitle: Tomorrow's post\nauthors: [jordan-ellis]\n---\nNot yet.\n", "utf-8")
    out = tmp_path / "out"
    built_and_kept(root, out, planned)
    assert not (out / "posts/tomorrow").exists()
    append_to_body(root, POST, "\nA day later.\n")
    later = NOW + dt.timedelta(days=1)
    cli_build(root, out, later)
    assert planned == ["site"]
    assert (out / "posts/tomorrow/index.html").is_file()
    assert differences(tree(out), clean_tree(root, tmp_path, later)) == []


def test_the_same_problems_are_reported_from_the_kept_plan(tmp_path, planned):
    root = copy_sample_site(tmp_path / "site")
    replace_in(root, OTHER_POST, "  - community\n", "  - Community\n")  # a tag spelled two ways: a warning
    out = tmp_path / "out"
    first = cli_build(root, out)
    warnings = [(d.location, d.message) for d in first.diagnostics.items]
    assert any('"Community"' in message for _, message in warnings)
    append_to_body(root, WARM_UP, "\nA first edit.\n")
    cli_build(root, out)  # on the first build's plan
    append_to_body(root, OTHER_POST, "\nOne more line.\n")
    again = cli_build(root, out)
    assert planned == ["site"]
    assert [(d.location, d.message) for d in again.diagnostics.items] == warnings


class Foreign:
    """A pickle that runs a command when loaded."""

    def __init__(self, marker) -> None:
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


@pytest.mark.parametrize("damage", ["cut short", "a byte changed", "foreign"])
def test_a_damaged_or_foreign_snapshot_is_a_miss(tmp_path, planned, damage):
    root = copy_sample_site(tmp_path / "site")
    out = tmp_path / "out"
    built_and_kept(root, out, planned)
    folder = CacheFolder(root)
    path = folder.folder / NAME
    marker = tmp_path / "ran"
    if damage == "cut short":
        path.write_bytes(path.read_bytes()[:-100])
    elif damage == "a byte changed":
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0x20
        path.write_bytes(bytes(data))
    else:
        folder.write(NAME, pickle.dumps({"site": Foreign(marker)}))  # a good checksum, a hostile payload
    append_to_body(root, POST, "\nAfter the damage.\n")
    cli_build(root, out)
    assert planned == ["site"]
    assert not marker.exists()
    assert differences(tree(out), clean_tree(root, tmp_path)) == []


def test_the_cli_keeps_its_plan_and_a_body_edit_gives_the_clean_build(tmp_path):
    root = copy_sample_site(tmp_path / "site")
    now = NOW.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert run_mlcsite("build", "--now", now, cwd=root).returncode == 0
    snapshot = CacheFolder(root).folder / NAME
    written = snapshot.stat().st_mtime_ns  # a first build keeps its plan
    append_to_body(root, POST, "\nEdited from the command line.\n")
    built = run_mlcsite("build", "--now", now, cwd=root)
    assert built.returncode == 0, built.stderr
    assert snapshot.stat().st_mtime_ns == written  # used, not written again
    assert differences(tree(root / "output"), clean_tree(root, tmp_path)) == []


def test_only_a_build_that_renders_every_output_keeps_its_plan_for_a_new_output_folder(tmp_path, planned):
    """Pickling the plan costs a second beside the rendering at 10,000 posts: 1 %
    of a first build, a tenth of a build into a new output folder whose cache
    folder is warm (CI's fresh clone), whose plan no later build would use."""
    root = copy_sample_site(tmp_path / "site")
    snapshot = CacheFolder(root).folder / NAME
    cli_build(root, tmp_path / "first")  # nothing in the cache folder: every output rendered
    assert snapshot.is_file()
    snapshot.unlink()
    cli_build(root, tmp_path / "ci")  # a new output folder, the cache folder warm
    assert not snapshot.exists()
    now = NOW.strftime("%Y-%m-%dT%H:%M:%SZ")
    for options in (["--no-cache"], []):
        built = run_mlcsite("build", *options, "--now", now, "--out", str(tmp_path / "ci"), cwd=root)
        assert built.returncode == 0, built.stderr
        if options:
            assert snapshot.is_file()  # --no-cache renders every output too
            written = snapshot.stat().st_mtime_ns
            append_to_body(root, POST, "\nAfter --no-cache.\n")
    assert snapshot.stat().st_mtime_ns == written  # used, not written again
    assert differences(tree(tmp_path / "ci"), clean_tree(root, tmp_path)) == []
