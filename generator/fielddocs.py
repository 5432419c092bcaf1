"""The field reference (docs/fields.md), written from the schema tables.

Refresh with: python -m generator.fielddocs > docs/fields.md  (a test checks it is current)
"""

from __future__ import annotations

from .content.fields import Field, ListOf, Object, OneOf
from .content.schemas import SCHEMAS
from .settings import SITE_FIELDS

INTRO = """# Content fields

Written from the schema tables in `generator/content/schemas.py` and
`generator/settings.py`; refresh with `python -m generator.fielddocs > docs/fields.md`.
Every content file is `NAME.md` (YAML front matter between `---` lines, then
Markdown) or `NAME.yaml` (the Markdown in `body`). The file name is the slug:
lowercase letters a-z, digits and hyphens. Unknown fields are errors.
"""


def field_rows(fields: list[Field], prefix: str = "") -> list[str]:
    rows = []
    for field in fields:
        kind = field.type.describe.replace("|", "\\|")
        required = "yes" if field.required else ""
        rows.append(f"| `{prefix}{field.name}` | {required} | {kind} | {field.help.replace('|', chr(92) + '|')} |")
        nested = field.type.item if isinstance(field.type, ListOf) else field.type
        nested = nested.obj if isinstance(nested, OneOf) else nested
        if isinstance(nested, Object):
            rows.extend(field_rows(list(nested.fields.values()), f"{prefix}{field.name}."))
    return rows


def render_field_docs() -> str:
    parts = [INTRO]
    tables = [("site.yaml", SITE_FIELDS)] + [(f"content/{kind}/", fields) for kind, fields in SCHEMAS.items()]
    for title, fields in tables:
        parts.append(f"\n## {title}\n\n| field | required | value | meaning |\n|---|---|---|---|")
        parts.extend(field_rows(fields))
    return "\n".join(parts) + "\n"


if __name__ == "__main__":
    print(render_field_docs(), end="")
