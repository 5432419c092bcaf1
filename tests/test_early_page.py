"""Watch writes a saved item's own page first (early_page.py, issue 9), then
rebuilds the rest: the final output/ equals a clean build byte for byte, edits
that change which outputs exist take the full path, and a rebuild that fails
puts the early page back."""

from __future__ import annotations

import datetime as dt

import pytest

from generator import pipeline
from generator.watcher import WatchSession
from test_incremental import NOW, split_source, write_source
from test_watch import copy_sample_site, differences, tree

POST = "content/posts/2021-06-21-a-year-of-mlc.md"
PAGE = "posts/a-year-of-mlc/index.html"


def session_for(root):
    lines: list[str] = []
    session = WatchSession(pipeline.Options(root=root, now=NOW), lines.append, lines.append)
    assert session.rebuild([])
    return session, lines


def edit(root, rel, change) -> None:
    data, body = split_source(root / rel)
    body = change(data, body)
    write_source(root / rel, data, body)


def clean_tree(root, tmp_path):
    clean = tmp_path / "clean"
    assert not pipeline.build(pipeline.Options(root=root, out=clean, now=NOW)).diagnostics.has_errors()
    return tree(clean)


def retitled(data, body):
    data["title"] = "A brand new title"
    return body + "\nAnd a new closing line.\n"


def test_a_title_and_text_edit_writes_the_page_first_and_ends_as_a_clean_build(tmp_path):
    root = copy_sample_site(tmp_path / "site")
    session, lines = session_for(root)
    edit(root, POST, retitled)
    assert session.rebuild([POST])
    assert any(line.endswith("now the pages that list it…") and PAGE in line for line in lines), lines
    assert "A brand new title" in (root / "output" / PAGE).read_text(encoding="utf-8")
    assert differences(tree(root / "output"), clean_tree(root, tmp_path)) == []


def tagged(data, body):
    data["tags"] = [*data.get("tags", []), "brand-new-tag"]
    return body


def drafted(data, body):
    data["draft"] = True
    return body


def scheduled(data, body):
    data["date"] = NOW.date() + dt.timedelta(days=30)
    return body


def authored(data, body):
    data["authors"] = ["someone-unknown-here"]
    return body


@pytest.mark.parametrize("change", [tagged, drafted, scheduled], ids=["new tag", "draft", "date in the future"])
def test_an_edit_that_changes_which_outputs_exist_takes_the_full_path(tmp_path, change):
    root = copy_sample_site(tmp_path / "site")
    session, lines = session_for(root)
    edit(root, POST, lambda data, body: change(data, retitled(data, body)))
    assert session.rebuild([POST])
    assert not any("shown first" in line for line in lines), lines
    assert differences(tree(root / "output"), clean_tree(root, tmp_path)) == []


def test_an_edit_that_breaks_the_build_writes_nothing_early(tmp_path):
    root = copy_sample_site(tmp_path / "site")
    session, lines = session_for(root)
    before = tree(root / "output")
    edit(root, POST, lambda data, body: authored(data, retitled(data, body)))
    assert not session.rebuild([POST])
    assert tree(root / "output") == before


def test_a_rebuild_that_fails_after_the_early_page_puts_it_back(tmp_path):
    root = copy_sample_site(tmp_path / "site")
    session, lines = session_for(root)
    before = tree(root / "output")
    edit(root, POST, retitled)
    (root / "content/members/broken.yaml").write_text("name: [unclosed\n", encoding="utf-8")  # no event yet
    assert not session.rebuild([POST])
    assert any("shown first" in line for line in lines), lines
    assert tree(root / "output") == before
    (root / "content/members/broken.yaml").unlink()
    assert session.rebuild(["content/members/broken.yaml"])
    assert differences(tree(root / "output"), clean_tree(root, tmp_path)) == []


def test_saving_again_between_the_early_page_and_the_rebuild_ends_as_a_clean_build(tmp_path):
    root = copy_sample_site(tmp_path / "site")
    session, lines = session_for(root)
    original = (root / POST).read_bytes()
    for _ in range(2):
        edit(root, POST, retitled)
        assert session.rebuild([POST])
        (root / POST).write_bytes(original)  # saved back before the next rebuild
        assert session.rebuild([POST])
    assert differences(tree(root / "output"), clean_tree(root, tmp_path)) == []


OTHER = "content/posts/2023-03-10-dlct-at-100-sessions.md"


@pytest.mark.parametrize("breaks", [False, True], ids=["builds", "fails"])
def test_saves_in_a_row_each_write_their_page_first_then_one_rebuild(tmp_path, breaks):
    root = copy_sample_site(tmp_path / "site")
    session, lines = session_for(root)
    before = tree(root / "output")
    edit(root, POST, retitled)
    edit(root, OTHER, retitled)
    if breaks:
        (root / "content/members/broken.yaml").write_text("name: [unclosed\n", encoding="utf-8")
    session.inbox.changes.put(OTHER)  # saved while the first page was being written
    assert session.rebuild([POST]) is not breaks
    assert len([line for line in lines if "shown first" in line]) == 2, lines
    if breaks:
        assert tree(root / "output") == before
    else:
        assert differences(tree(root / "output"), clean_tree(root, tmp_path)) == []


def test_a_burst_cut_short_by_a_whole_file_is_waited_out_before_the_rebuild(tmp_path):
    """A save of a template ends its burst once the file is whole (watcher.Inbox),
    but a checkout writes file after file: what comes within the quiet window
    is built by the same rebuild, which equals a clean build."""
    root = copy_sample_site(tmp_path / "site")
    session, lines = session_for(root)
    template = root / "templates/post.html"
    template.write_text(template.read_text("utf-8").replace("</article>", "<p>Checked out.</p></article>", 1), "utf-8")
    edit(root, POST, retitled)
    session.inbox.whole["templates/post.html"] = True
    session.inbox.changes.put("templates/post.html")
    burst = session.inbox.next_burst(wait=1)
    assert burst == ["templates/post.html"] and session.inbox.cut_short
    session.inbox.whole[POST] = True
    session.inbox.changes.put(POST)  # the checkout's next file
    assert session.rebuild(burst)
    assert session.inbox.changes.empty()
    assert differences(tree(root / "output"), clean_tree(root, tmp_path)) == []


def test_a_save_through_a_copy_renamed_over_the_file_writes_the_page_first(tmp_path):
    """`sed -i` and tools that save atomically write a copy beside the file
    (sedXXXXXX, tmpXXXXXX: no editor-junk rule knows those names) and rename it
    over the file: the burst names both. The copy is gone and was never read:
    the page is still written first, and the rebuild equals a clean build."""
    root = copy_sample_site(tmp_path / "site")
    session, lines = session_for(root)
    original = (root / POST).read_bytes()
    edit(root, POST, retitled)
    aside, saved = root / "content/posts/sedX4kQ2z", (root / POST).read_bytes()
    (root / POST).write_bytes(original)
    aside.write_bytes(saved)
    aside.rename(root / POST)
    assert session.rebuild(["content/posts/sedX4kQ2z", POST, "content/posts/sedX4kQ2z"])
    assert any("shown first" in line for line in lines), lines
    assert differences(tree(root / "output"), clean_tree(root, tmp_path)) == []


def test_a_page_written_early_then_drafted_before_the_rebuild_is_removed(tmp_path):
    """The page of a retitled post is written first; the post is saved again as a
    draft before the rest is rebuilt. The rebuild no longer plans that page, and
    removes it: output/ equals a clean build (the page used to stay, left out of
    the record the rebuild compares output/ with)."""
    root = copy_sample_site(tmp_path / "site")
    session, lines = session_for(root)
    edit(root, POST, retitled)
    real_early_write, drafted = session._early_write, []

    def then_drafted(changes, started):
        early = real_early_write(changes, started)
        if early is not None and not drafted:
            drafted.append(POST)
            data, body = split_source(root / POST)
            write_source(root / POST, {**data, "draft": True}, body)
            session.inbox.changes.put(POST)  # saved again right after its page was written
        return early
    session._early_write = then_drafted
    assert session.rebuild([POST])
    assert any("shown first" in line for line in lines), lines
    assert not (root / "output" / PAGE).exists()
    assert differences(tree(root / "output"), clean_tree(root, tmp_path)) == []


def test_the_rebuilds_line_names_the_saved_file_not_the_copy_renamed_over_it(tmp_path):
    """The copy `sed -i` renames over the file changed nothing the site reads: the
    summary says which file changed, as for an editor's save. A file the last
    build read and that is gone now (a deleted post) is still named."""
    root = copy_sample_site(tmp_path / "site")
    session, lines = session_for(root)
    edit(root, POST, retitled)
    assert session.rebuild(["content/posts/sedX4kQ2z", POST])
    assert f"] {POST} changed: rendered" in lines[-1], lines[-1]
    (root / POST).unlink()
    assert session.rebuild([POST, "content/posts/sedY7pL1a"])
    assert f"] {POST} changed: rendered" in lines[-1], lines[-1]
