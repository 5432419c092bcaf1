"""The output folder (issue 10, case 2): a build replaces only a folder it made,
leaves no staging folder behind (killed, interrupted or not), and `--out` is
refused, with exit 2 and the fix, wherever it would destroy something else."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import REPO, ScratchSite
from test_cli import snapshot
from test_watch import WatchProcess

MARKER = ".mlcsite-output"



def staging_folders(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if ".staging-" in p.name)


# ── which folders --out may replace ──────────────────────────────────────────


@pytest.mark.parametrize("command", ["build", "watch", "serve"])
def test_out_refuses_a_folder_holding_files_the_build_did_not_make(make_site, tmp_path, command):
    site = make_site()
    folder = tmp_path / "v"
    folder.mkdir()
    (folder / "important.txt").write_text("x\n")
    extra = ("--port", "0") if command == "serve" else ()
    result = site.cli(command, "--out", str(folder), *extra, timeout=30)
    assert result.returncode == 2, result.output
    assert f"{folder} already holds files that mlcsite did not write" in result.stderr
    assert "Give --out a new or empty folder" in result.stderr and "Traceback" not in result.output
    assert (folder / "important.txt").read_text() == "x\n"
    assert sorted(p.name for p in folder.iterdir()) == ["important.txt"]


def test_out_refuses_a_regular_file(make_site):
    site = make_site()
    result = site.cli("build", "--out", "site.yaml")
    assert result.returncode == 2
    assert f"--out {site.root / 'site.yaml'} is a file, not a folder" in result.stderr
    assert (site.root / "site.yaml").is_file() and site.cli("check").returncode == 0


def test_out_refuses_a_home_like_folder_outside_the_site(make_site, tmp_path):
    """`--out ~` or `--out /tmp` for a site that lives elsewhere: a folder full of someone's files."""
    site = make_site()
    home = tmp_path / "home"
    (home / "Documents").mkdir(parents=True)
    (home / ".bashrc").write_text("alias ll='ls -l'\n")
    (home / "Documents/thesis.tex").write_text("\\documentclass{article}\n")
    before = snapshot(home)
    assert site.cli("build", "--out", str(home)).returncode == 2
    assert snapshot(home) == before


def test_out_into_a_new_an_empty_and_its_own_earlier_folder_builds(make_site, tmp_path):
    site = make_site({"content/pages/about.md": "---\ntitle: About\n---\nHello.\n"})
    empty = tmp_path / "empty"
    empty.mkdir()
    for folder in (tmp_path / "new", empty, tmp_path / "new"):  # the second build of "new" finds the marker
        result = site.cli("build", "--out", str(folder))
        assert result.returncode == 0, result.output
        assert (folder / "about/index.html").is_file() and (folder / MARKER).is_file()
    assert snapshot(tmp_path / "new") == snapshot(empty)  # the marker is the same bytes in every build
    watcher = WatchProcess(site.root, "watch", "--out", str(empty))
    try:
        watcher.wait_for_line(r"Watching content/")
    finally:
        assert watcher.stop() == 0
    assert (empty / "about/index.html").is_file() and "Traceback" not in watcher.text


def test_the_default_output_built_before_the_marker_existed_is_still_replaced(make_site):
    site = make_site({"content/pages/about.md": "---\ntitle: About\n---\nHello.\n"})
    assert site.cli("build").returncode == 0
    (site.output / MARKER).unlink()  # as an older mlcsite left it (whose cache this one never reads)
    (site.output / "stale.html").write_text("old\n")
    shutil.rmtree(site.root / ".mlcsite-cache")
    result = site.cli("build")
    assert result.returncode == 0, result.output
    assert (site.output / MARKER).is_file() and not (site.output / "stale.html").exists()


def test_the_default_output_holding_something_else_is_refused(make_site):
    site = make_site()
    site.write("output/notes.txt", "my notes\n")
    result = site.cli("build")
    assert result.returncode == 2 and "already holds files that mlcsite did not write" in result.stderr
    assert (site.output / "notes.txt").read_text() == "my notes\n"


def test_an_output_folder_that_is_a_link_stays_a_link(make_site, tmp_path):
    """output -> /var/www/site: the folder it points at is replaced, the link is kept."""
    site = make_site({"content/pages/about.md": "---\ntitle: About\n---\nHello.\n"})
    served = tmp_path / "www/site"
    served.mkdir(parents=True)
    site.output.symlink_to(served)
    for _ in range(2):
        assert site.cli("build", "--no-cache").returncode == 0
        assert site.output.is_symlink() and (served / "about/index.html").is_file()
    assert [p.name for p in site.root.iterdir() if ".staging-" in p.name] == []
    assert sorted(p.name for p in served.parent.iterdir()) == ["site"]


def test_the_marker_is_not_a_change_between_two_sites(make_site, tmp_path):
    site = make_site()
    assert site.cli("build", "--out", str(tmp_path / "old")).returncode == 0
    assert site.cli("build", "--out", str(tmp_path / "new")).returncode == 0
    (tmp_path / "old" / MARKER).unlink()  # the base branch built by a version without it
    result = site.cli("diff", str(tmp_path / "old"), str(tmp_path / "new"))
    assert result.stdout.splitlines()[-1] == "Nothing: the built site is byte for byte the same."


# ── staging folders: never left behind ───────────────────────────────────────

POSTS = 400  # enough that rendering takes a good second: the signal lands mid-build


@pytest.fixture(scope="module")
def built_big_site(tmp_path_factory) -> Path:
    """Built once per module (a minute of CPU saved on a shared machine); each test takes a copy."""
    site = ScratchSite(tmp_path_factory.mktemp("big") / "site")
    for n in range(POSTS):
        code = "\n".join(f"def f{i}_{n}(x):\n    return [y * {i + n} for y in range(x) if y % 3]" for i in range(8))
        text = "\n\n".join(f"Paragraph {i} of post {n}, with *emphasis* and [a link](https://example.org/{n}/{i})."
                           for i in range(8))
        site.write(f"content/posts/2024-01-01-post-{n}.md",
                   f"---\ntitle: Post {n}\ntags: [t{n % 10}]\n---\n{text}\n\n```python\n{code}\n```\n")
    result = site.cli("build", timeout=300)
    assert result.returncode == 0, result.output
    return site.root


@pytest.fixture
def big_site(built_big_site, tmp_path) -> ScratchSite:
    """A built copy, with one post changed since the build."""
    root = tmp_path / "site"
    shutil.copytree(built_big_site, root, symlinks=True)
    site = ScratchSite.__new__(ScratchSite)  # the files are there already: only the helpers are needed
    site.root = root
    site.write("content/posts/2024-01-01-post-0.md", "---\ntitle: Post zero, changed\n---\nChanged.\n")
    return site


def start_build(root: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, "-m", "generator", "build", "--no-cache"], cwd=root, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_until_rendering(proc: subprocess.Popen, root: Path) -> Path:
    """The staging folder once a few pages are in it: the build is mid-render."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        for name in staging_folders(root):
            try:
                if len(os.listdir(root / name)) >= 4:
                    return root / name
            except FileNotFoundError:
                pass
        assert proc.poll() is None, f"the build ended before it could be interrupted: {proc.communicate()}"
        time.sleep(0.005)
    raise AssertionError("no staging folder appeared")


def stopped_mid_render(root: Path, output: Path) -> tuple[subprocess.Popen, dict]:
    """A build stopped (SIGSTOP) while it renders, and output/ as it was before
    that build. The signal a test then sends waits for SIGCONT, so it reaches
    the build mid-render however late this process runs: a loaded machine once
    let the build end between our look at its staging folder and our signal,
    which then reached no build. One that ended before it could be stopped is
    seen to have ended, and started again; so is one stopped after it swapped
    its staging folder in (a loaded CI run once stopped it there, past its
    signal handler, so the signal reached a build that had finished)."""
    for _ in range(3):
        before, folder = snapshot(output), output.stat().st_ino  # the swap puts another folder there
        proc = start_build(root)
        wait_until_rendering(proc, root)
        proc.send_signal(signal.SIGSTOP)  # not sent when Popen finds it ended
        if proc.returncode is None:
            _, status = os.waitpid(proc.pid, os.WUNTRACED)  # until it is stopped, or has ended
            if os.WIFSTOPPED(status):
                if output.stat().st_ino == folder:  # stopped: the swap is still to come
                    return proc, before
                proc.send_signal(signal.SIGCONT)
            else:
                proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here
        proc.communicate(timeout=60)
    raise AssertionError("the build ended each time before it could be stopped")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_build_stopped_by_a_signal_removes_its_staging_folder(big_site, sig):
    proc, before = stopped_mid_render(big_site.root, big_site.output)
    proc.send_signal(sig)
    proc.send_signal(signal.SIGCONT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + sig, (proc.returncode, out, err)
    assert "Traceback" not in err
    assert f"stopped by {signal.Signals(sig).name}; output/ holds the last complete build" in err
    assert staging_folders(big_site.root) == []
    assert snapshot(big_site.output) == before


def test_the_staging_folder_of_a_killed_build_is_removed_by_the_next(big_site):
    proc = start_build(big_site.root)
    left = wait_until_rendering(proc, big_site.root)
    proc.kill()  # SIGKILL: no clean-up is possible
    proc.communicate(timeout=60)
    assert left.is_dir()
    result = big_site.cli("build", timeout=300)
    assert result.returncode == 0, result.output
    assert staging_folders(big_site.root) == []
    assert "Post zero, changed" in (big_site.output / "posts/post-0/index.html").read_text()


def test_a_build_running_beside_another_keeps_its_staging_folder(big_site):
    """The clean-up must tell a live build's staging folder from an abandoned one:
    the first build is paused (SIGSTOP) mid-render while a second runs start to end."""
    first = start_build(big_site.root)
    staging = wait_until_rendering(first, big_site.root)
    first.send_signal(signal.SIGSTOP)
    try:
        second = big_site.cli("build", "--no-cache", timeout=300)
        assert second.returncode == 0, second.output
        assert staging.is_dir()
    finally:
        first.send_signal(signal.SIGCONT)
    out, err = first.communicate(timeout=300)
    assert first.returncode == 0, (out, err)
    assert staging_folders(big_site.root) == []
    assert "Post zero, changed" in (big_site.output / "posts/post-0/index.html").read_text()
