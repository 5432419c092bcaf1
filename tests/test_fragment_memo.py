"""Rows kept between builds (render/fragment_memo.py) never change what a build writes.

Each edit below changes what some list rows show (a post's title, tags,
author, date or summary, a member's name, site.yaml, a template); after it, a
build as `mlcsite build` makes it (the cache folder read afresh, rows taken from
it) must equal a clean build byte for byte. A row whose key missed one of those
inputs would come back as the last build made it, and the comparison fails.
"""

from __future__ import annotations

import jinja2
import pytest
import yaml

from conftest import SAMPLE_NOW, run_mlcsite
from generator import pipeline
from generator.build_cache import CacheFolder
from generator.incremental import RenderCache
from generator.render.fragment_memo import FOLDER, FragmentMemo, Pack, macros_reading_only_arguments
from test_incremental import NOW, split_source, write_source
from test_watch import copy_sample_site, differences, tree

POST = "content/posts/2023-03-10-dlct-at-100-sessions.md"  # by mateo-fernandez and nguyen-thi-mai, tagged dlct
AUTHOR = "content/members/mateo-fernandez.yaml"


def cached_build(root, out) -> tuple[pipeline.BuildResult, RenderCache]:
    cache = RenderCache.persistent(root, out, in_place=False)  # what a new `mlcsite build` loads
    result = pipeline.build(pipeline.Options(root=root, out=out, now=NOW), cache)
    assert not result.diagnostics.has_errors(), result.diagnostics
    return result, cache


def assert_equals_clean_build(root, out, tmp_path) -> None:
    clean = tmp_path / "clean"
    result = pipeline.build(pipeline.Options(root=root, out=clean, now=NOW), None)
    assert not result.diagnostics.has_errors(), result.diagnostics
    assert differences(tree(out), tree(clean)) == []


def edit_post(root, **fields) -> None:
    data, body = split_source(root / POST)
    write_source(root / POST, {**data, **fields}, body)


def rename_author(root) -> None:
    path = root / AUTHOR
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    path.write_text(yaml.safe_dump({**data, "name": "Mateo Fernández-Renamed"}, allow_unicode=True), encoding="utf-8")


def edit_settings(root) -> None:
    path = root / "site.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("base_url: https://mlcollective.org",
                                                             "base_url: https://example.org/preview/"),
                    encoding="utf-8")


def edit_template(root) -> None:
    path = root / "templates/_macros.html"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('<p class="summary">{{ post.summary', '<p class="summary edited">{{ post.summary'),
                    encoding="utf-8")


EDITS = {
    "post title": lambda root: edit_post(root, title="A Renamed Post"),
    "post tags": lambda root: edit_post(root, tags=["dlct", "brand-new-tag"]),
    "post authors": lambda root: edit_post(root, authors=["jordan-ellis", "mateo-fernandez"]),
    "post date": lambda root: edit_post(root, date="2023-04-01"),
    "post summary": lambda root: edit_post(root, summary="A different first paragraph."),
    "member name": rename_author,
    "site.yaml": edit_settings,
    "template": edit_template,
}


@pytest.mark.parametrize("edit", EDITS)
def test_rows_kept_between_builds_follow_every_input_they_show(tmp_path, edit):
    root = copy_sample_site(tmp_path / "site")
    out = tmp_path / "out"
    cached_build(root, out)
    EDITS[edit](root)
    result, cache = cached_build(root, out)
    assert result.rendered, "the edit changed nothing: nothing was tested"
    assert_equals_clean_build(root, out, tmp_path)


def test_a_rebuild_takes_the_rows_it_did_not_change_from_the_cache(tmp_path):
    """Else the tests above would pass without the memo doing anything."""
    root = copy_sample_site(tmp_path / "site")
    out = tmp_path / "out"
    _, first = cached_build(root, out)
    assert (first.folder.folder / FOLDER).is_dir() and first.fragments.used
    rename_author(root)
    _, second = cached_build(root, out)
    shown = len(second.fragments.used)
    made = {key for _, key, _ in second.fragments.new}
    assert 0 < len(made) < shown / 2  # the renamed author's rows only
    assert_equals_clean_build(root, out, tmp_path)


def test_rows_made_in_render_workers_reach_the_cache(tmp_path):
    root = copy_sample_site(tmp_path / "site")
    out = tmp_path / "out"
    cache = RenderCache.persistent(root, out, in_place=False)
    pipeline.build(pipeline.Options(root=root, out=out, now=NOW, jobs=2), cache)
    assert cache.fragments.used and not cache.fragments.new  # made in the workers, sent back
    edit_post(root, title="Seen from a worker's rows")
    _, again = cached_build(root, out)
    assert len({key for _, key, _ in again.fragments.new}) < len(again.fragments.used) / 2
    assert_equals_clean_build(root, out, tmp_path)


MACROS = """
{% macro badge(text) %}<b>{{ text | upper }}</b>{% endmacro %}
{% macro row(post, flag=True) %}{% set t = post.title %}{{ badge(t) }}{% for a in post.authors %}{{ a.name | url }}{{ loop.index }}{% endfor %}{% endmacro %}
{% macro with_clock(post) %}{{ post.title }} {{ now.year }}{% endmacro %}
{% macro with_site(post) %}{{ site.title }}{% endmacro %}
{% macro calls_impure(post) %}{{ with_clock(post) }}{% endmacro %}
{% macro with_markdown(post) %}{{ post.body | markdown }}{% endmacro %}
{% macro with_markdown_by_name(post) %}{{ [post.body] | map("markdown") | join }}{% endmacro %}
{% macro with_import(post) %}{% from "x.html" import y %}{{ y(post) }}{% endmacro %}
{% macro recursive(n) %}{% if n %}{{ recursive(n - 1) }}{% endif %}{% endmacro %}
"""


def test_only_macros_that_read_nothing_but_their_arguments_are_kept():
    found = macros_reading_only_arguments(jinja2.Environment().parse(MACROS))
    assert found == {"badge", "row"}


def test_a_malformed_pack_is_an_empty_one_and_a_row_that_does_not_decode_a_miss():
    pack = Pack()
    pack.put("a" * 32, "<li>é</li>")
    pack.put("b" * 32, "<li>\n</li>")
    packed = pack.to_bytes()
    again = Pack.read(packed)
    assert (again.get("a" * 32), again.get("b" * 32), len(again)) == ("<li>é</li>", "<li>\n</li>", 2)
    again.put("c" * 32, "<li>new</li>")
    assert Pack.read(again.to_bytes()).get("c" * 32) == "<li>new</li>"
    for broken in (packed[:-1], packed + b"x", b"rows1\n", b"", packed.replace(b"a" * 32, b"a" * 31 + b"!"),
                   packed[:6] + b"\xff\xff\xff\x7f" + packed[10:]):
        assert len(Pack.read(broken)) == 0
    assert Pack.read(packed.replace("é".encode(), b"\xff\xfe")).get("a" * 32) is None


def test_rows_kept_in_memory_are_bounded(monkeypatch):
    from generator.render import fragment_memo
    monkeypatch.setattr(fragment_memo, "LIMIT", 3)
    memo = FragmentMemo()
    memo.add([("s", f"{n}" * 32, "<li></li>") for n in range(5)])
    memo.used = {"4" * 32}
    memo.finish()
    assert len(memo.packs["s"]) == 1 and memo.packs["s"].get("4" * 32) == "<li></li>"


def test_a_fragment_of_no_macro_is_a_template_error(tmp_path):
    root = copy_sample_site(tmp_path / "site")
    tag = root / "templates/tag.html"
    tag.write_text(tag.read_text(encoding="utf-8").replace('fragment("post_row"', 'fragment("no_such_row"'),
                   encoding="utf-8")
    result = pipeline.build(pipeline.Options(root=root, out=tmp_path / "out", now=NOW), None)
    assert result.diagnostics.has_errors()
    assert "no_such_row" in str(result.diagnostics) and "tag.html" in str(result.diagnostics)


def test_a_build_into_a_new_output_folder_takes_rows_from_the_cache_and_no_cache_renders_them(tmp_path):
    """Like rendered Markdown (test_markdown_store.py): a full build into a new
    folder (CI with a restored cache folder, a preview) reads the rows earlier
    builds rendered; --no-cache renders every row again. Seen by rows changed
    here (written as the cache writes them)."""
    root = copy_sample_site(tmp_path / "site")
    assert run_mlcsite("build", "--now", SAMPLE_NOW, cwd=root).returncode == 0
    built = tree(root / "output")
    folder = CacheFolder(root)
    for path in sorted((folder.folder / FOLDER).iterdir()):
        pack = Pack.read(folder.read(f"{FOLDER}/{path.name}"))
        for key in list(pack.stored):
            pack.put(key, "<li>Rendered by an earlier build</li>")
        folder.write(f"{FOLDER}/{path.name}", pack.to_bytes())
    other = tmp_path / "preview"
    assert run_mlcsite("build", "--now", SAMPLE_NOW, "--out", str(other), cwd=root).returncode == 0
    assert any(b"Rendered by an earlier build" in data for data in tree(other).values())
    assert run_mlcsite("build", "--no-cache", "--now", SAMPLE_NOW, cwd=root).returncode == 0
    assert tree(root / "output") == built


# VEVENTs are kept like rows (render/calendars.py, `_vevent`): by what showing the event reads.
EVENT = "content/events/dlct-2026-09-04.md"  # in the dlct series, with darya-sokolova speaking
SERIES = "content/series/dlct.yaml"  # organized by mateo-fernandez (AUTHOR) and nguyen-thi-mai


def edit_yaml(root, rel, **fields) -> None:
    path = root / rel
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    path.write_text(yaml.safe_dump({**data, **fields}, allow_unicode=True), encoding="utf-8")


def edit_event(root, **fields) -> None:
    data, body = split_source(root / EVENT)
    write_source(root / EVENT, {**data, **fields}, body)


VEVENT_EDITS = {
    "event title": lambda root: edit_event(root, title="DLCT: A Renamed Session"),
    "event status": lambda root: edit_event(root, status="cancelled"),
    "series name": lambda root: edit_yaml(root, SERIES, short="DLCT-renamed"),
    "series zone": lambda root: edit_yaml(root, SERIES, timezone="Europe/Berlin"),
    "series join link": lambda root: edit_yaml(root, SERIES, join={"url": "https://example.org/new-room"}),
    "organizer's email": lambda root: edit_yaml(root, AUTHOR, links={"email": "mateo@example.org"}),
    "speaker's name": lambda root: edit_yaml(root, "content/members/darya-sokolova.yaml", name="Darya S."),
    "site.yaml": edit_settings,
}


@pytest.mark.parametrize("edit", VEVENT_EDITS)
def test_vevents_kept_between_builds_follow_every_input_they_show(tmp_path, edit):
    root = copy_sample_site(tmp_path / "site")
    out = tmp_path / "out"
    cached_build(root, out)
    VEVENT_EDITS[edit](root)
    result, _ = cached_build(root, out)
    assert any(path.endswith(".ics") for path in result.rendered), "no calendar changed: nothing was tested"
    assert_equals_clean_build(root, out, tmp_path)


def altered_in_cache(root, begins: str, old: str, new: str) -> list[str]:
    """Every kept text of the cache folder's packs that begins with `begins`,
    its first `old` replaced by `new`, written as the cache writes packs; the
    texts as they were."""
    folder = CacheFolder(root)
    found = []
    for path in sorted((folder.folder / FOLDER).iterdir()):
        pack = Pack.read(folder.read(f"{FOLDER}/{path.name}"))
        for key in [key for key in pack.stored if pack.get(key).startswith(begins)]:
            found.append(pack.get(key))
            pack.put(key, found[-1].replace(old, new, 1))
        folder.write(f"{FOLDER}/{path.name}", pack.to_bytes())
    return found


def test_a_build_into_a_new_output_folder_takes_vevents_from_the_cache_and_no_cache_makes_them(tmp_path):
    """Seen by a VEVENT changed in the cache folder (written as the cache writes it)."""
    root = copy_sample_site(tmp_path / "site")
    assert run_mlcsite("build", "--now", SAMPLE_NOW, cwd=root).returncode == 0
    built = tree(root / "output")
    changed = altered_in_cache(root, "BEGIN:VEVENT", "SUMMARY:", "SUMMARY:Kept by an earlier build: ")
    assert len(changed) == len(list((root / "content/events").iterdir()))
    other = tmp_path / "preview"
    assert run_mlcsite("build", "--now", SAMPLE_NOW, "--out", str(other), cwd=root).returncode == 0
    assert b"SUMMARY:Kept by an earlier build: " in tree(other)["calendar.ics"]
    assert run_mlcsite("build", "--no-cache", "--now", SAMPLE_NOW, cwd=root).returncode == 0
    assert tree(root / "output") == built


def test_a_build_into_a_new_output_folder_takes_vtimezones_from_the_cache_and_no_cache_makes_them(tmp_path):
    """A VTIMEZONE is kept by its zone and years (calendars._vtimezone): seen by
    one changed in the cache folder, in every calendar that lists its zone."""
    root = copy_sample_site(tmp_path / "site")
    assert run_mlcsite("build", "--now", SAMPLE_NOW, cwd=root).returncode == 0
    built = tree(root / "output")
    changed = altered_in_cache(root, "BEGIN:VTIMEZONE", "COMMENT:", "COMMENT:Kept by an earlier build. ")
    zones = {text.split("TZID:", 1)[1].split("\r\n", 1)[0] for text in changed}
    in_calendars = {line.removeprefix(b"TZID:").decode() for path, data in built.items() if path.endswith(".ics")
                    for line in data.split(b"\r\n") if line.startswith(b"TZID:")}
    assert zones == in_calendars and len(zones) > 1
    other = tmp_path / "preview"
    assert run_mlcsite("build", "--now", SAMPLE_NOW, "--out", str(other), cwd=root).returncode == 0
    calendars = {path: data for path, data in tree(other).items() if path.endswith(".ics")}
    kept = {path: data.count(b"COMMENT:Kept by an earlier build. ") for path, data in calendars.items()}
    assert kept == {path: data.count(b"BEGIN:VTIMEZONE") for path, data in calendars.items()}  # all-day: none
    assert kept["calendar.ics"] == len(zones)
    assert run_mlcsite("build", "--no-cache", "--now", SAMPLE_NOW, cwd=root).returncode == 0
    assert tree(root / "output") == built
