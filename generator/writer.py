"""Putting the rendered site on disk without ever leaving half of it.

`build` renders into a staging folder beside output/ and swaps it in (an atomic
exchange where Linux offers it), so a failed or interrupted build leaves the
previous output/ exactly as it was. `watch` updates output/ file by file (temp
file + os.replace), touching only what changed and removing what went away.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import shutil
import tempfile
from pathlib import Path

_RENAME_EXCHANGE = 2


def write_site(files: dict[str, bytes], out_dir: Path) -> None:
    """Replace out_dir by exactly `files` (paths relative to it)."""
    out_dir = out_dir.absolute()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.staging-", dir=out_dir.parent))
    try:
        for rel, data in files.items():
            target = staging / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        staging.chmod(0o755)
        _swap_in(staging, out_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)  # after the swap: the previous site


def _swap_in(staging: Path, out_dir: Path) -> None:
    if out_dir.exists() and _exchange(staging, out_dir):
        return
    if out_dir.exists():  # fallback: two renames, a moment apart
        old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=out_dir.parent))
        old.rmdir()
        os.rename(out_dir, old)
        os.rename(staging, out_dir)
        os.rename(old, staging)  # cleaned up by the caller
    else:
        os.rename(staging, out_dir)


def _exchange(a: Path, b: Path) -> bool:
    """renameat2(RENAME_EXCHANGE): both names swap in one step, or nothing happens."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError, TypeError):
        return False
    at_fdcwd = -100
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE)
    return result == 0


def sync_site(files: dict[str, bytes], out_dir: Path) -> list[str]:
    """Make out_dir hold exactly `files`, writing only what differs. Returns the
    paths written or removed, sorted. Each write is a temp file + os.replace, so a
    reader (the dev server) never sees half a file; unchanged files keep their
    modification time. Stale files go first, so a file that becomes a folder (or
    the reverse) never blocks the write."""
    out_dir.mkdir(parents=True, exist_ok=True)
    changed = _remove_stale(out_dir, set(files))
    for rel, data in files.items():
        target = out_dir / rel
        if _holds(target, data):
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        _replace_file(target, data)
        changed.append(rel)
    return sorted(changed)


def _holds(target: Path, data: bytes) -> bool:
    try:
        return target.stat().st_size == len(data) and target.read_bytes() == data
    except OSError:
        return False


def _replace_file(target: Path, data: bytes) -> None:
    fd, temp = tempfile.mkstemp(prefix=".tmp-", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(temp, 0o644)
        os.replace(temp, target)
    except BaseException:  # Ctrl-C or a full disk: leave no temp file behind
        Path(temp).unlink(missing_ok=True)
        raise


def _remove_stale(out_dir: Path, wanted: set[str]) -> list[str]:
    """Delete files that are not wanted (and folders left empty), deepest first."""
    wanted_dirs = {parent.as_posix() for rel in wanted for parent in Path(rel).parents}
    removed = []
    for path in sorted(out_dir.rglob("*"), key=lambda p: p.as_posix(), reverse=True):
        rel = path.relative_to(out_dir).as_posix()
        if path.is_dir() and not path.is_symlink():
            if rel not in wanted_dirs and not any(path.iterdir()):
                path.rmdir()
        elif rel not in wanted:
            path.unlink()
            removed.append(rel)
    return removed
