"""Loaders: encodings, line endings, links and hostile YAML, read through the real pipeline."""

from __future__ import annotations

import os
import time
import tracemalloc

from generator.content.yaml_source import YamlProblem, parse_yaml
from generator.pipeline import Options, plan_site

from test_invalid_content import reported, write_site


def test_non_utf8_file_is_an_error_naming_the_file_and_line(tmp_path):
    write_site(tmp_path, {})
    (tmp_path / "content/members/latin1.yaml").write_bytes(b"name: Ren\xe9e\nrole: Moderator\n")
    assert reported(tmp_path) == [
        "content/members/latin1.yaml:1:0 error: This file is not UTF-8 text (byte 0xe9 on line 1).",
        '  fix: Save it as UTF-8 in your editor ("Save with encoding" → UTF-8).',
    ]


def test_bom_and_crlf_are_accepted_and_lines_still_count(tmp_path):
    write_site(tmp_path, {})
    text = "\ufeff---\r\ntitle: Windows post\r\nauthors: [ada-lovelace]\r\ntags: [x]\r\n---\r\nHello\r\n"
    (tmp_path / "content/posts").mkdir()
    (tmp_path / "content/posts/2024-01-02-windows.md").write_bytes(text.encode("utf-8"))
    plan = plan_site(Options(root=tmp_path))
    assert not plan.diagnostics.has_errors(), reported(tmp_path)
    post = plan.site.posts["windows"]
    assert post.title == "Windows post" and post.body.strip() == "Hello"
    # A mistake in a CRLF file is still reported on the right line.
    (tmp_path / "content/posts/2024-01-02-windows.md").write_bytes(text.replace("x]", "x]\r\nbogus: 1").encode())
    assert reported(tmp_path)[0].startswith("content/posts/2024-01-02-windows.md:5:1 error: Unknown field")


def test_symlink_pointing_outside_the_repository_is_reported_and_not_followed(tmp_path):
    site = tmp_path / "site"
    write_site(site, {})
    secret = tmp_path / "secret.yaml"
    secret.write_text("name: Secret Person\nrole: Spy\n")
    os.symlink(secret, site / "content/members/spy.yaml")
    os.symlink(tmp_path, site / "content/outside-folder")
    plan = plan_site(Options(root=site))
    assert "spy" not in plan.site.members
    assert reported(site) == [
        "content/members/spy.yaml:0:0 error: This is a link to a file outside the repository; it was not read.",
        "  fix: Replace the link with the file itself.",
        "content/outside-folder:0:0 error: This is a link to a file outside the repository; it was not read.",
        "  fix: Replace the link with the file itself.",
    ]


def test_alias_bomb_is_rejected_quickly_with_bounded_memory():
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefghijklmnopqrstuvwxy", "bcdefghijklmnopqrstuvwxyz"):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    tracemalloc.start()
    started = time.process_time()
    try:
        parse_yaml("\n".join(lines))
        raise AssertionError("the bomb was accepted")
    except YamlProblem as problem:
        assert "anchors and aliases" in problem.message
    cpu = time.process_time() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    # 9**25 nodes if expanded: any expansion would take forever and exhaust memory.
    assert peak < 20_000_000 and cpu < 5


def test_self_referencing_alias_does_not_recurse_forever():
    try:
        parse_yaml("a: &a [*a]\n")
    except YamlProblem as problem:
        assert problem.line == 1
    else:
        raise AssertionError("accepted")


def test_yaml_and_markdown_sources_carry_the_body(tmp_path):
    write_site(tmp_path, {
        "content/members/grace.yaml": "name: Grace Hopper\nrole: Mod\nbody: |\n  Compilers *first*.\n",
        "content/pages/about.md": "---\ntitle: About\n---\nWe are **open**.\n",
    })
    plan = plan_site(Options(root=tmp_path))
    assert plan.site.members["grace"].body == "Compilers *first*.\n"
    assert plan.site.pages["about"].body == "We are **open**.\n"


def test_text_fields_keep_the_contributors_spelling_of_yaml_specials(tmp_path):
    # YAML 1.1 reads `No` as false and 2001 as a number; a title is text.
    write_site(tmp_path, {"content/pages/no.md": "---\ntitle: No\ndescription: 2001\n---\n"})
    page = plan_site(Options(root=tmp_path)).site.pages["no"]
    assert (page.title, page.description) == ("No", "2001")


def test_a_single_tag_written_without_brackets_is_a_list(tmp_path):
    write_site(tmp_path, {"content/posts/2024-05-01-one.md": "---\ntitle: One\ntags: dlct\n---\nx\n"})
    assert plan_site(Options(root=tmp_path)).site.posts["one"].tags == ("dlct",)


def test_nested_pages_take_their_path_as_slug(tmp_path):
    write_site(tmp_path, {"content/pages/wiki/getting-started.md": "---\ntitle: Start\n---\n"})
    plan = plan_site(Options(root=tmp_path))
    assert "wiki/getting-started" in plan.site.pages
    assert any(o.url == "/wiki/getting-started/" for o in plan.outputs)


def test_drafts_are_checked_but_left_out_unless_asked(tmp_path):
    write_site(tmp_path, {"content/posts/2024-05-01-wip.md": "---\ntitle: WIP\ndraft: true\n---\nx\n"})
    assert "wip" not in plan_site(Options(root=tmp_path)).site.posts
    assert "wip" in plan_site(Options(root=tmp_path, drafts=True)).site.posts
