"""A source's bytes are hashed once a build (parsed_sources.py, input_state.py):
the digest the input state recorded stands in for hashing them again only while
the file's stat, taken after reading it, is the recorded one and old enough that
a write since would have moved its mtime."""

from __future__ import annotations

import os
import time

from generator.build_cache import CacheFolder
from generator.input_state import current_inputs, file_digest
from generator.parsed_sources import ParsedSources
from test_parsed_sources import load as load_without_inputs
from test_watch import copy_sample_site

POST = "content/posts/2021-06-21-a-year-of-mlc.md"
FORGED = "f" * 32  # no file has this digest: seeing it proves the recorded one was used


def load(root, inputs):
    cache = ParsedSources(CacheFolder(root))
    original = cache.load_all
    cache.load_all = lambda *args: original(*args, inputs)
    return load_without_inputs(root, cache)[0]


def inputs_with_forged_digest(root):
    inputs = current_inputs(root, root / "templates", "options", None)
    inputs.files[POST][3] = FORGED
    return inputs


def age(root, seconds: int) -> None:
    then = time.time_ns() - seconds * 1_000_000_000
    for folder, _, names in os.walk(root / "content"):
        for name in names:
            os.utime(os.path.join(folder, name), ns=(then, then))


def test_an_old_unchanged_file_takes_the_digest_the_inputs_recorded(tmp_path):
    root = copy_sample_site(tmp_path / "site")
    age(root, 3600)
    loaded = load(root, inputs_with_forged_digest(root))
    assert loaded.source_digests[POST] == FORGED
    other = "content/posts/2020-10-02-how-to-run-an-open-collab.md"
    assert loaded.source_digests[other] == file_digest((root / other).read_bytes())


def test_a_file_written_just_before_the_inputs_were_taken_is_hashed_again(tmp_path):
    root = copy_sample_site(tmp_path / "site")
    age(root, 3600)
    post = root / POST
    post.write_bytes(post.read_bytes())  # its mtime is now: a same-size write could still keep it
    loaded = load(root, inputs_with_forged_digest(root))
    assert loaded.source_digests[POST] == file_digest(post.read_bytes())


def test_a_file_changed_after_the_inputs_were_taken_is_hashed_and_parsed_again(tmp_path):
    root = copy_sample_site(tmp_path / "site")
    age(root, 3600)
    inputs = inputs_with_forged_digest(root)
    post = root / POST
    data = post.read_bytes()
    changed = data.replace(b"Year", b"YEAR", 1)
    assert changed != data and len(changed) == len(data)
    post.write_bytes(changed)
    info = post.stat()
    os.utime(post, ns=(info.st_atime_ns, info.st_mtime_ns - 1_800_000_000_000))  # old, but not the recorded time
    loaded = load(root, inputs)
    assert loaded.source_digests[POST] == file_digest(changed)
    assert POST in loaded.parsed and "YEAR" in next(i.title for i in loaded.items if i.source == POST)
