"""Which folder a build may replace (issue 10, case 2).

A build replaces its output folder whole, so it must never be pointed at a folder
holding anything else. Every build leaves a marker file, MARKER, in what it
writes; a folder may be replaced when it

- does not exist yet, or is empty;
- carries the marker (an earlier build wrote it); or
- is the site's default output/ and holds a built home page (index.html): the
  folder the README names, where versions older than the marker built, and the
  one `/output/` in .gitignore keeps out of git. Anything else there is refused.

Never, whatever it holds: the site's own folder or a folder around it, content/,
templates/, the generator, tests/ or .git/, and a path that is a file.

The marker is a hidden file with a fixed sentence (no path, time or version, so
two builds stay byte-identical). It is deployed with the site (GitHub Pages
publishes dot-files) where it says nothing a visitor could use; the dev server
never serves dot-files, and `mlcsite diff` does not compare it.
"""

from __future__ import annotations

from pathlib import Path

MARKER = ".mlcsite-output"
MARKER_TEXT = (b"This folder is written by mlcsite build, which replaces all of it on every build:\n"
               b"keep nothing here by hand.\n")
_NEVER_REPLACED = ("content", "templates", "generator", "tests", ".git")


def output_folder_problem(out_dir: Path, root: Path, is_default: bool) -> str | None:
    """Why a build must not replace out_dir, in words naming the folder and the fix; None when it may."""
    out, root = out_dir.resolve(), root.resolve()
    if out == root or root.is_relative_to(out):
        return f"--out {out} would replace the site's own folder; choose an empty or build folder."
    for keep in _NEVER_REPLACED:
        if out.is_relative_to(root / keep):
            return f"--out {out} is inside {keep}/, which the build must not replace."
    if out.exists() and not out.is_dir():
        return (f"--out {out} is a file, not a folder; a build writes a whole folder. "
                "Give --out a new or empty folder.")
    if out.is_dir() and not _may_replace(out, is_default):
        return (f"{out} already holds files that mlcsite did not write (it has no {MARKER} file), "
                "and a build replaces the whole folder. Give --out a new or empty folder, "
                "or move those files away first.")
    return None


def _may_replace(folder: Path, is_default: bool) -> bool:
    try:
        names = {entry.name for entry in folder.iterdir()}
    except OSError:  # unreadable: the write will say why, naming the folder
        return True
    if not names or MARKER in names:
        return True
    return is_default and (folder / "index.html").is_file()  # a site built before the marker existed
