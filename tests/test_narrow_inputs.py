"""Pages that show a few of many items declare only those few, soundly.

The home page shows the newest posts, the featured projects, the open RFPs and
the events coming up; a posts feed shows its newest N posts. Both choose what
they show when the site is planned and declare only that (render/pages.py,
render/feeds.py), so an edit to an old post renders neither again. That is only
right if every edit that changes their bytes changes their cache key: here each
content file of the sample site is edited in turn (a visible field, the body,
a post's date, an RFP's status), the home page and the feeds are rendered, and
any output whose bytes changed must have a new key.
"""

from __future__ import annotations

import re
from pathlib import Path

from lxml import etree

from conftest import ScratchSite
from generator import pipeline
from generator.incremental import RenderCache
from test_history import SITEMAP, commit, git, stamp
from test_incremental import NOW, split_source, write_source
from test_watch import copy_sample_site

FEED_ITEMS = 2  # fewer than the sample site's posts: some are left out of every feed


def keyed_render(options: pipeline.Options) -> dict[str, tuple[str, bytes]]:
    """url → (cache key, bytes) of the home page and every feed."""
    plan = pipeline.plan_site(options)
    assert not plan.diagnostics.has_errors(), plan.diagnostics.errors
    ctx = pipeline._render_context(plan, options)
    plan.outputs = [o for o in plan.outputs if o.url == "/" or o.kind == "feed"]
    fingerprints = RenderCache().begin(ctx, plan.source_digests)  # one per build, as a build keys
    keys = {o.url: fingerprints.of(o) for o in plan.outputs}
    files = pipeline.render_outputs(plan, options)
    return {o.url: (keys[o.url], files[o.path]) for o in plan.outputs}


def edits_of(path: Path) -> list:
    """Ways to change what a file shows: each returns its new (data, body)."""
    data, body = split_source(path)
    name = "name" if "name" in data else "title"
    edits = [lambda: ({**data, name: f"{data.get(name, '')} (edited)"}, body)]
    if body is not None:
        edits.append(lambda: (data, "An edited first paragraph.\n\n" + body))
    if "date" in data and path.parent.name == "posts":
        edits.append(lambda: ({**data, "date": NOW.date()}, body))  # now the newest
    if "status" in data and path.parent.name == "rfps":
        edits.append(lambda: ({**data, "status": "taken" if data["status"] == "open" else "open"}, body))
    return edits


def test_every_edit_that_changes_home_or_a_feed_changes_its_key(tmp_path):
    root = copy_sample_site(tmp_path / "site")
    settings = root / "site.yaml"
    settings.write_text(re.sub(r"(?m)^feed_items: .*$", f"feed_items: {FEED_ITEMS}", settings.read_text("utf-8")),
                        "utf-8")
    options = pipeline.Options(root=root, now=NOW)
    before = keyed_render(options)
    untouched = set()  # (file, url): an edit that left that output's key alone
    sources = sorted(p for p in (root / "content").rglob("*") if p.suffix in (".md", ".yaml", ".yml"))
    for source in sources:
        original = source.read_bytes()
        for edit in edits_of(source):
            write_source(source, *edit())
            after = keyed_render(options)
            assert after.keys() == before.keys()
            for url, (key, data) in after.items():
                if data != before[url][1]:
                    assert key != before[url][0], f"editing {source.relative_to(root)} changed {url} but not its key"
                elif key == before[url][0]:
                    untouched.add((source.relative_to(root).as_posix(), url))
            source.write_bytes(original)
    oldest = "content/posts/2020-10-02-how-to-run-an-open-collab.md"
    assert (oldest, "/") in untouched and (oldest, "/feed.xml") in untouched  # an old post is not shown there


def test_the_home_page_lastmod_is_the_newest_change_of_the_site(tmp_path):
    """The home page sums up the site: its sitemap <lastmod> is the newest commit of
    any source, even of an old post it no longer shows."""
    site = ScratchSite(tmp_path / "site")
    git(site.root, "init", "-q")
    post = "---\ntitle: {title}\ndate: {date}\n---\nA post.\n"
    posts = {f"content/posts/2026-0{n}-01-p{n}.md": post.format(title=f"P{n}", date=f"2026-0{n}-01") for n in range(1, 6)}
    commit(site, "2026-03-01T09:00:00Z", posts)
    commit(site, "2026-04-02T08:15:00Z", {"content/posts/2026-01-01-p1.md": post.format(title="New", date="2026-01-01")})
    result = site.cli("build", "--now", "2026-11-27T12:00:00Z")
    assert result.returncode == 0, result.output
    sitemap = etree.parse(str(site.output / "sitemap.xml"))
    lastmod = {url.findtext("s:loc", namespaces=SITEMAP): stamp(url.findtext("s:lastmod", namespaces=SITEMAP))
               for url in sitemap.xpath("//s:url[s:lastmod]", namespaces=SITEMAP)}
    assert lastmod["https://example.org/posts/p1/"] == stamp("2026-04-02T08:15:00Z")
    assert lastmod["https://example.org/posts/p5/"] == stamp("2026-03-01T09:00:00Z")
    assert lastmod["https://example.org/"] == stamp("2026-04-02T08:15:00Z")  # p1 is not on the home page
