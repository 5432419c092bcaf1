"""A build whose inputs did not change stops before loading anything
(input_state.py, issue 9); any change to an input still builds."""

from __future__ import annotations

import datetime as dt
import os
import shutil

from conftest import SAMPLE_NOW, run_mlcsite
from generator import pipeline
from generator.incremental import RenderCache
from generator.input_state import current_inputs
from test_incremental import NOW
from test_watch import copy_sample_site, differences, tree


def cli_build(root, *extra):
    result = run_mlcsite("build", "--now", SAMPLE_NOW, *extra, cwd=root)
    assert result.returncode == 0, result.output
    return result


def fresh(root, options):
    """What a new `mlcsite build` process loads."""
    return RenderCache.persistent(root, options.output_dir, in_place=False)


def test_nothing_changed_loads_nothing_and_reports_the_same_warnings(tmp_path):
    root = copy_sample_site(tmp_path / "site")
    post = root / "content/posts/2021-06-21-a-year-of-mlc.md"
    post.write_text(post.read_text(encoding="utf-8").replace("title: ", "title: A # cut ", 1), encoding="utf-8")
    first = cli_build(root)
    assert "comment" in first.stderr
    options = pipeline.Options(root=root, now=NOW)
    cache = fresh(root, options)
    loaded = []
    cache.parsed.load_all = lambda *args: loaded.append(args)  # would be called by any real build
    again = pipeline.build(options, cache)
    assert loaded == [] and again.rendered == [] and again.written == []
    assert again.file_count == len(cache.written) > 100
    assert cli_build(root).stderr == first.stderr


def test_a_same_size_edit_in_the_same_mtime_tick_as_the_last_is_seen(tmp_path):
    """Saved, built, saved again with the same size within the file system's
    mtime step: the stat is what was recorded, the bytes are not ("racily clean")."""
    root = copy_sample_site(tmp_path / "site")
    options = pipeline.Options(root=root, now=NOW)
    page = root / "content/pages/about.md"
    text = page.read_text(encoding="utf-8")
    page.write_text(text.replace("About", "Abuot", 1), encoding="utf-8")
    info = page.stat()
    pipeline.build(options, fresh(root, options))
    page.write_text(text.replace("About", "Aobut", 1), encoding="utf-8")
    os.utime(page, ns=(info.st_atime_ns, info.st_mtime_ns))  # same size, same mtime, same inode
    result = pipeline.build(options, fresh(root, options))
    assert "about/index.html" in result.written


def test_every_kind_of_input_counts(tmp_path):
    root = copy_sample_site(tmp_path / "site")
    options = pipeline.Options(root=root, now=NOW)
    pipeline.build(options, fresh(root, options))
    base = current_inputs(root, root / "templates", "options", None).digest
    changes = [
        lambda: (root / "templates/static/extra.css").write_text("a {}\n", encoding="utf-8"),
        lambda: (root / "site.yaml").write_text((root / "site.yaml").read_text(encoding="utf-8") + "\n"),
        lambda: (root / "content/images/new.txt").write_text("x", encoding="utf-8"),
        lambda: (root / "content/pages/about.md").rename(root / "content/pages/about-us.md"),
    ]
    seen = {base}
    for change in changes:
        change()
        seen.add(current_inputs(root, root / "templates", "options", None).digest)
    assert len(seen) == len(changes) + 1
    assert current_inputs(root, root / "templates", "other options", None).digest not in seen


def test_options_the_clock_and_a_removed_output_folder_build_again(tmp_path):
    root = copy_sample_site(tmp_path / "site")
    options = pipeline.Options(root=root, now=NOW)
    pipeline.build(options, fresh(root, options))
    for other in (pipeline.Options(root=root, now=NOW + dt.timedelta(days=400)),
                  pipeline.Options(root=root, now=NOW, drafts=True),
                  pipeline.Options(root=root, now=NOW, base_url="https://example.org/sub")):
        assert pipeline.build(other, fresh(root, other)).written
        assert pipeline.build(options, fresh(root, options)).written  # and back
    shutil.rmtree(root / "output")
    assert pipeline.build(options, fresh(root, options)).rendered
    clean = tmp_path / "clean"
    pipeline.build(pipeline.Options(root=root, out=clean, now=NOW))
    assert differences(tree(root / "output"), tree(clean)) == []
