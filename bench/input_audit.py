"""Which outputs change when a source file changes without declaring it as an input?

For every content source of a site (default: the repository's sample site), this
script edits the file's title (or a member's name), renders the whole site, and
lists each output whose bytes changed although its declared `inputs`
(render/outputs.py) do not name the file and whose identity (the renderer and its
plain arguments) did not change either: the build cache would serve such an output
stale. It also checks the clock the same way.

    .venv/bin/python bench/input_audit.py [SITE_FOLDER]
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from generator import pipeline  # noqa: E402
from generator.render.outputs import CLOCK  # noqa: E402

NOW = dt.datetime(2026, 11, 27, 12, tzinfo=dt.timezone.utc)
_TITLE = re.compile(r"^(title|name): (.*)$", re.MULTILINE)


def render_site(root: Path, now: dt.datetime = NOW) -> tuple[dict[str, bytes], dict[str, tuple]]:
    options = pipeline.Options(root=root, now=now)
    plan = pipeline.plan_site(options)
    if plan.diagnostics.has_errors():
        return {}, {}
    return pipeline.render_outputs(plan, options), {o.path: (o.inputs, o.identity) for o in plan.outputs}


def audit(root: Path) -> dict[str, set[str]]:
    """Output path → the sources (or "clock") that change it without being declared."""
    baseline, declared = render_site(root)
    missing: dict[str, set[str]] = defaultdict(set)
    copied_kinds: set[str] = set()
    for source in sorted((root / "content").rglob("*")):
        if source.suffix not in (".md", ".yaml") or not source.is_file():
            continue
        rel = source.relative_to(root).as_posix()
        text = source.read_text(encoding="utf-8")
        retitled = _TITLE.sub(lambda m: f'{m.group(1)}: "Audit {m.group(2).strip(chr(34))}"', text, count=1)
        _compare_after(root, source, retitled, rel, baseline, declared, missing)
        _compare_after(root, source, None, f"{rel} (deleted)", baseline, declared, missing, rel)
        kind = source.relative_to(root / "content").parts[0]
        if kind not in copied_kinds:  # a new item of each kind, next to this one
            copied_kinds.add(kind)
            copy = source.with_name(source.name.replace(source.stem, source.stem + "-audit-copy", 1))
            _compare_after(root, copy, retitled, f"a new {kind} file", baseline, declared, missing,
                           copy.relative_to(root).as_posix())
    for later in (NOW + dt.timedelta(days=45), NOW + dt.timedelta(days=400)):
        files, _ = render_site(root, later)
        for path, data in files.items():
            if path in baseline and data != baseline[path] and CLOCK not in declared[path][0]:
                missing[path].add("clock")
    return missing


def _compare_after(root: Path, path: Path, text: str | None, label: str, baseline: dict, declared: dict,
                   missing: dict, must_declare: str | None = None) -> None:
    """Render with `path` holding `text` (None: deleted), then restore it. A changed
    output must declare the file: before the edit if it was deleted, after it
    otherwise (a new file can only be declared by the new plan)."""
    original = path.read_bytes() if path.exists() else None
    if text is None:
        path.unlink()
    else:
        path.write_text(text, encoding="utf-8")
    try:
        files, declared_after = render_site(root)
    finally:
        if original is None:
            path.unlink()
        else:
            path.write_bytes(original)
    wanted = must_declare or label
    declarations = declared if text is None else declared_after
    for out, data in files.items():
        if out not in baseline or data == baseline[out] or declared[out][1] != declared_after[out][1]:
            continue  # unchanged, or its identity changed: the cache renders it again
        if wanted not in declarations[out][0]:
            missing[out].add(label)


def main() -> int:
    site = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch) / "site"
        for name in ("content", "templates"):
            shutil.copytree(site / name, root / name)
        shutil.copy(site / "site.yaml", root / "site.yaml")
        missing = audit(root)
    for path, sources in sorted(missing.items()):
        print(f"{path}: changes with {', '.join(sorted(sources))} but does not declare it")
    print(f"{len(missing)} outputs with incomplete inputs.")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
