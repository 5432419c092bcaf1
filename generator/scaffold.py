"""`mlcsite new KIND SLUG`: a filled-in starter file, written from the schema table.

Required fields get an example value; optional ones are listed as comments with
their help text, so a contributor sees every field in the place they edit.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

from .content.fields import Field
from .content.schemas import SCHEMAS, check_slug

KIND_FOLDERS = {"member": "members", "project": "projects", "series": "series", "event": "events",
                "post": "posts", "page": "pages", "rfp": "rfps"}
EXIT_OK, EXIT_USAGE = 0, 2


def write_starter(root: Path, kind: str, slug: str, today: dt.date | None = None) -> int:
    folder = KIND_FOLDERS[kind]
    problem = check_slug(slug)
    if problem:
        suggestion = problem.hint.partition('"')[2].partition('"')[0]
        print(f'mlcsite new: "{slug}" is not a valid slug: use lowercase letters a-z, digits and hyphens'
              + (f', e.g. "{suggestion}".' if suggestion else "."), file=sys.stderr)
        return EXIT_USAGE
    today = today or dt.date.today()
    name = f"{today.isoformat()}-{slug}" if folder == "posts" else slug
    suffix = ".yaml" if folder == "members" else ".md"
    path = root / "content" / folder / f"{name}{suffix}"
    if path.exists() or any((root / "content" / folder).glob(f"{name}.*")):
        print(f"mlcsite new: content/{folder}/{name}{suffix} already exists; nothing was written.", file=sys.stderr)
        return EXIT_USAGE
    member = _some_member(root)
    text = starter_text(folder, member, today)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    print(f"Wrote content/{folder}/{path.name}: fill it in, then run `mlcsite check`.")
    return EXIT_OK


def _some_member(root: Path) -> str | None:
    members = sorted(p.stem for p in (root / "content" / "members").glob("*.*")
                     if p.suffix in (".yaml", ".yml", ".md"))
    return members[0] if members else None


def starter_text(folder: str, member: str | None, today: dt.date) -> str:
    fields = [f for f in SCHEMAS[folder] if f.name not in ("body", "aliases")]
    lines = []
    for field in fields:
        value = _starter_value(folder, field, member, today)
        if value is not None:
            lines.append(f"{field.name}: {value}")
        else:
            lines.append(f"# {field.name}: {field.help}")
    body = "Write the text here, in Markdown.\n"
    if folder == "members":  # members are .yaml files: the bio goes in `body`
        return "\n".join(lines) + "\nbody: |\n  A few sentences about them, in Markdown.\n"
    return "---\n" + "\n".join(lines) + "\n---\n\n" + body


def _starter_value(folder: str, field: Field, member: str | None, today: dt.date) -> str | None:
    if field.name in ("authors", "speakers", "organizers"):
        if field.required or folder in ("posts", "rfps"):
            return f"[{member or 'your-member-slug'}]"
        return None
    if folder == "events" and field.name == "start":
        return f"{today.isoformat()} 10:00"
    if folder == "posts" and field.name == "date":
        return None  # taken from the file name
    if not field.required:
        return None
    example = field.example if field.example is not None else field.type.example
    return f'"{example}"' if isinstance(example, str) and ":" in example else str(example)
