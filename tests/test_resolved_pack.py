"""The pack stores items with their people already pointing at the members
stored with them (parsed_sources._packed, graph.with_members): the next build's
graph keeps those references, and only those, that name its own members."""

from __future__ import annotations

import datetime as dt

from generator.build_cache import CacheFolder
from generator.diagnostics import Diagnostics
from generator.graph import build_graph
from generator.parsed_sources import ParsedSources
from generator.settings import load_settings
from test_parsed_sources import load
from test_watch import copy_sample_site


def graph_of(root, loaded):
    diagnostics = Diagnostics()
    settings = load_settings(root, diagnostics, None)
    site = build_graph(loaded.items, settings, diagnostics, broken=loaded.broken,
                       orphan_refs=loaded.orphan_refs, today=dt.date(2030, 1, 1))
    return site, diagnostics


def authored(loaded):
    """The loaded posts with at least one member author."""
    return {item.slug: item for item in loaded.items if item.kind == "posts" and any(a.slug for a in item.authors)}


def test_items_from_the_pack_point_at_the_members_loaded_with_them_and_the_graph_keeps_them(tmp_path):
    root = copy_sample_site(tmp_path / "site")
    load(root, ParsedSources(CacheFolder(root)))  # parses, writes the pack
    packed, _ = load(root, ParsedSources(CacheFolder(root)))
    members = {item.slug: item for item in packed.items if item.kind == "members"}
    posts = authored(packed)
    assert posts
    for post in posts.values():
        assert all(a.member is members[a.slug] for a in post.authors if a.slug)
    site, diagnostics = graph_of(root, packed)
    assert all(site.posts[slug] is post for slug, post in posts.items() if slug in site.posts)
    fresh, _ = load(root, ParsedSources())  # parsed anew, nothing resolved: the same graph, the same reports
    fresh_site, fresh_diagnostics = graph_of(root, fresh)
    assert site.posts == fresh_site.posts and site.posts_by_member.keys() == fresh_site.posts_by_member.keys()
    assert diagnostics.sorted() == fresh_diagnostics.sorted()


def test_a_reference_to_a_member_that_changed_or_went_is_resolved_again(tmp_path):
    root = copy_sample_site(tmp_path / "site")
    load(root, ParsedSources(CacheFolder(root)))
    post = next(iter(authored(load(root, ParsedSources(CacheFolder(root)))[0]).values()))
    slug = next(a.slug for a in post.authors if a.slug)
    member_file = root / f"content/members/{slug}.yaml"
    member_file.write_text(member_file.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    edited, _ = load(root, ParsedSources(CacheFolder(root)))
    site, _ = graph_of(root, edited)
    assert all(a.member is site.members[a.slug] for a in site.posts[post.slug].authors if a.slug)
    member_file.unlink()
    gone, _ = load(root, ParsedSources(CacheFolder(root)))
    site, diagnostics = graph_of(root, gone)
    assert all(a.member is None for a in site.posts[post.slug].authors if a.slug == slug)
    assert any(f'no member with the slug "{slug}"' in d.message for d in diagnostics.errors)
