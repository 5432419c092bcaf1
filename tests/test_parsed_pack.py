"""The pack of parsed sources (parsed_sources.py, issue 9): one file that holds
every cache entry, used for an entry only while that entry's own file is the one
it packed, never trusted over the sources, and the same items as parsing again."""

from __future__ import annotations

import os
import pickle

from conftest import SAMPLE_NOW, run_mlcsite
from generator import pipeline
from generator.build_cache import CACHE_DIR, CacheFolder
from generator.input_state import current_inputs
from generator.parsed_sources import FOLDER, PACK, ParsedSources
from test_incremental import NOW
from test_parsed_sources import _RunsCode, entries, load
from test_source_digests import load as load_with_inputs
from test_watch import copy_sample_site, differences, tree

POST = "content/posts/2021-06-21-a-year-of-mlc.md"


def pack_file(root):
    return next((root / CACHE_DIR).glob(f"*/{PACK}"))


def bodies(loaded) -> dict[str, str]:
    return {item.source: item.body for item in loaded.items}


def test_a_rebuild_takes_every_unchanged_entry_from_the_pack(tmp_path):
    root = copy_sample_site(tmp_path / "site")
    first, _ = load(root, ParsedSources(CacheFolder(root)))
    for path in entries(root):  # spoil each file but keep its size and times: the pack must be what is read
        info = path.stat()
        path.write_bytes(b"x" * info.st_size)
        os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))
    again, _ = load(root, ParsedSources(CacheFolder(root)))
    assert again.parsed == [] and again.items == first.items and bodies(again) == bodies(first)


def test_an_entry_whose_file_went_or_changed_is_not_taken_from_the_pack(tmp_path):
    root = copy_sample_site(tmp_path / "site")
    first, _ = load(root, ParsedSources(CacheFolder(root)))
    gone, changed = sorted(entries(root))[:2]
    gone.unlink()
    changed.write_bytes(changed.read_bytes() + b"\n")  # its checksum fails now
    again, _ = load(root, ParsedSources(CacheFolder(root)))
    assert len(again.parsed) == 2 and again.items == first.items


def test_a_corrupt_or_foreign_pack_is_ignored(tmp_path):
    root = copy_sample_site(tmp_path / "site")
    first, _ = load(root, ParsedSources(CacheFolder(root)))
    pack = pack_file(root)
    pack.write_bytes(pack.read_bytes()[:1000])
    again, _ = load(root, ParsedSources(CacheFolder(root)))
    assert again.parsed == [] and again.items == first.items  # read from the entry files instead
    marker = tmp_path / "ran"
    CacheFolder(root).write(PACK, pickle.dumps({"key": ((1, 2, 3), _RunsCode(str(marker)))}))
    again, _ = load(root, ParsedSources(CacheFolder(root)))
    assert again.parsed == [] and again.items == first.items and not marker.exists()


def test_an_edited_source_is_parsed_again_though_the_pack_holds_its_old_entry(tmp_path):
    root = copy_sample_site(tmp_path / "site")
    load(root, ParsedSources(CacheFolder(root)))
    post = root / POST
    post.write_text(post.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
    edited, _ = load(root, ParsedSources(CacheFolder(root)))
    assert edited.parsed == [POST] and bodies(edited)[POST].endswith("\nOne more line.\n")


def test_bodies_come_back_exactly_whatever_their_line_ends_and_encoding(tmp_path):
    root = copy_sample_site(tmp_path / "site")
    post = root / POST
    text = post.read_text(encoding="utf-8")
    post.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))  # a BOM and CRLF
    other = root / "content/posts/2020-10-02-how-to-run-an-open-collab.md"
    other.write_text(other.read_text(encoding="utf-8") + "\nZoë Ødegård — ∑ 🙂\n", encoding="utf-8")
    first, _ = load(root, ParsedSources(CacheFolder(root)))
    assert "\r" not in bodies(first)[POST] and bodies(first)[POST].endswith("\n")
    for fresh in (True, False):  # from the pack, then from the entry files alone
        if not fresh:
            pack_file(root).unlink()
        again, _ = load(root, ParsedSources(CacheFolder(root)))
        assert again.parsed == [] and bodies(again) == bodies(first) and again.items == first.items


def test_the_pack_is_written_again_only_when_many_entries_came_from_their_files(tmp_path):
    root = copy_sample_site(tmp_path / "site")
    load(root, ParsedSources(CacheFolder(root)))
    packed = pack_file(root).stat()
    post = root / POST
    post.write_text(post.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
    load(root, ParsedSources(CacheFolder(root)))
    assert pack_file(root).stat().st_ino == packed.st_ino  # one entry among many: read from its file
    for path in sorted((root / "content/members").iterdir()):
        path.write_text(path.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    load(root, ParsedSources(CacheFolder(root)))
    assert pack_file(root).stat().st_ino != packed.st_ino
    cache = ParsedSources(CacheFolder(root))
    load(root, cache)
    assert cache.pack_keys == {path.name for path in (root / CACHE_DIR).glob(f"*/{FOLDER}/*")}


# ── the bodies in the pack: sources the input state vouches for are not read ──

def test_a_source_whose_recorded_digest_was_parsed_last_is_taken_from_the_pack_unread(tmp_path):
    root = copy_sample_site(tmp_path / "site")
    inputs = current_inputs(root, root / "templates", "options", None)
    first = load_with_inputs(root, inputs)
    post = root / POST
    post.write_bytes(b"no front matter")  # after the input state was taken: this build keeps what it recorded
    again = load_with_inputs(root, inputs)
    assert again.parsed == [] and POST not in again.source_bytes
    assert again.items == first.items and bodies(again) == bodies(first)
    seen = load_with_inputs(root, current_inputs(root, root / "templates", "options", inputs))
    assert seen.parsed == [POST] and POST in seen.source_bytes and POST not in bodies(seen)


def test_a_same_size_edit_that_keeps_the_stat_is_seen_while_the_file_was_recent(tmp_path):
    root = copy_sample_site(tmp_path / "site")
    post = root / POST
    post.write_bytes(post.read_bytes())  # written just now: "racily clean" when the input state is taken
    inputs = current_inputs(root, root / "templates", "options", None)
    load_with_inputs(root, inputs)
    info = post.stat()
    data = post.read_bytes()
    post.write_bytes(data[:-6] + b"SAME.\n")
    os.utime(post, ns=(info.st_atime_ns, info.st_mtime_ns))  # size, time and inode as recorded
    assert post.stat().st_ino == info.st_ino and post.stat().st_size == info.st_size
    edited = load_with_inputs(root, current_inputs(root, root / "templates", "options", inputs))
    assert edited.parsed == [POST] and bodies(edited)[POST].endswith("SAME.\n")


def test_a_body_edited_through_the_cli_is_shown_and_equals_a_clean_build(tmp_path):
    root = copy_sample_site(tmp_path / "site")
    assert run_mlcsite("build", "--now", SAMPLE_NOW, cwd=root).returncode == 0
    assert run_mlcsite("build", "--now", SAMPLE_NOW, cwd=root).returncode == 0  # a pack in use, nothing read
    post = root / POST
    post.write_text(post.read_text(encoding="utf-8") + "\nA sentence only this edit wrote.\n", encoding="utf-8")
    assert run_mlcsite("build", "--now", SAMPLE_NOW, cwd=root).returncode == 0
    assert any("A sentence only this edit wrote." in path.read_text(encoding="utf-8")
               for path in (root / "output").rglob("*.html"))
    clean = tmp_path / "clean"
    assert not pipeline.build(pipeline.Options(root=root, out=clean, now=NOW)).diagnostics.has_errors()
    assert differences(tree(root / "output"), tree(clean)) == []


def test_a_pack_whose_body_is_damaged_behind_a_valid_checksum_loses_that_entry_only(tmp_path):
    root = copy_sample_site(tmp_path / "site")
    inputs = current_inputs(root, root / "templates", "options", None)
    first = load_with_inputs(root, inputs)
    folder = CacheFolder(root)
    payload = bytearray(folder.read(PACK))
    payload[-2] = 0xFF  # in the last body: no longer UTF-8
    folder.write(PACK, bytes(payload))
    for with_inputs in (inputs, None):
        cache = ParsedSources(CacheFolder(root))
        again = load_with_inputs(root, with_inputs) if with_inputs else load(root, cache)[0]
        assert again.parsed == [] and again.items == first.items and bodies(again) == bodies(first)
    folder.write(PACK, b"99999999\n" + bytes(payload))  # a length past the end: foreign
    again = load_with_inputs(root, inputs)
    assert again.parsed == [] and bodies(again) == bodies(first)
