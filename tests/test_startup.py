"""What every build pays before it reads a file (issue 9): the modules it
imports, and the library versions the cache folder is named by."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from conftest import REPO
from generator import build_cache
from generator.build_cache import installed_version

# Modules a build that renders a few pages never uses, each costly to import.
NOT_AT_START = ("importlib.metadata", "urllib.request", "http.client", "ssl", "email.parser", "multiprocessing",
                "xml.sax")


def test_a_build_starts_without_importing_what_only_some_builds_use():
    code = ("import sys, generator.cli, generator.pipeline, generator.incremental;"
            "from generator.build_cache import cache_version; cache_version();"
            "from generator.search.service import indexer_version; indexer_version();"
            "from generator.render.markdown_memo import renderer_version; renderer_version();"
            "print(' '.join(sorted(sys.modules)))")
    loaded = set(subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True,
                                check=True).stdout.split())
    assert "generator.pipeline" in loaded and not loaded & set(NOT_AT_START)


def test_installed_versions_are_the_ones_importlib_metadata_reads():
    for name in (*build_cache._SHAPING, "pagefind_bin", "Jinja2", "PyYAML", "python_dateutil"):
        assert installed_version(name) == metadata.version(name), name


def test_a_library_not_installed_has_no_version_and_the_cache_version_says_so(monkeypatch):
    assert installed_version("surely-not-installed-here") is None
    before = build_cache.cache_version()
    monkeypatch.setattr(build_cache, "_SHAPING", (*build_cache._SHAPING, "surely-not-installed-here"))
    assert build_cache.cache_version() != before


def test_a_distribution_without_a_dist_info_folder_is_asked_of_importlib_metadata(tmp_path, monkeypatch):
    egg = tmp_path / "oldstyle.egg-info"  # a legacy install: no version in the folder's name
    egg.mkdir()
    (egg / "PKG-INFO").write_text("Metadata-Version: 1.1\nName: oldstyle\nVersion: 4.5.6\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    build_cache._dist_info_versions.cache_clear()
    try:
        assert installed_version("oldstyle") == "4.5.6"
    finally:
        build_cache._dist_info_versions.cache_clear()


def tz_folder(base, release: str | None):
    """A tz database folder zoneinfo can read (PYTHONTZPATH), of the given release."""
    folder = base / (release or "no-release")
    folder.mkdir()
    for zone in ("UTC", "Europe/London"):
        (folder / zone).parent.mkdir(parents=True, exist_ok=True)
        (folder / zone).write_bytes((Path("/usr/share/zoneinfo") / zone).read_bytes())
    if release:
        (folder / "tzdata.zi").write_text(f"# version {release}\n# ddeps\n", encoding="ascii")
    return folder


def versions_with(folder) -> list[str]:
    code = ("from generator.build_cache import cache_version, tz_database_version;"
            "import zoneinfo; zoneinfo.ZoneInfo('Europe/London');"
            "print(tz_database_version(), cache_version())")
    env = {**os.environ, "PYTHONTZPATH": str(folder)}
    return subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True,
                          env=env).stdout.split()


def test_the_cache_version_follows_the_systems_tz_database(tmp_path):
    """Pages and calendars show offsets and onsets from the tz database, which the
    operating system updates apart from any library: an update is a new cache."""
    old, new, bare = tz_folder(tmp_path, "2025b"), tz_folder(tmp_path, "2099z"), tz_folder(tmp_path, None)
    old_tz, old_cache = versions_with(old)
    new_tz, new_cache = versions_with(new)
    assert (old_tz, new_tz) == (f"{old}:2025b", f"{new}:2099z")
    assert new_cache != old_cache and versions_with(old)[1] == old_cache
    bare_tz, bare_cache = versions_with(bare)
    assert bare_tz.startswith(f"{bare}:changed-") and bare_cache not in (old_cache, new_cache)
    (bare / "Asia").mkdir()  # a zone added by an update
    os.utime(bare, ns=(1, 1))
    assert versions_with(bare)[1] != bare_cache
