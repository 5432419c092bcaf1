"""Read one content source into a model, reporting every problem in it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ..diagnostics import Diagnostics, Location
from . import models
from .discover import Source
from .fields import FieldContext, Ref, check_each_field
from .limits import Limits, check_markdown
from .schemas import FIELDS, MODELS, RULES, check_slug
from .yaml_source import Document, YamlProblem, parse_yaml


def read_text(path: Path, rel: str, diagnostics: Diagnostics, data: bytes | None = None) -> str | None:
    """The file as text: UTF-8, a BOM dropped, CRLF and CR made LF."""
    data = path.read_bytes() if data is None else data
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        diagnostics.error(Location(rel, line), f"This file is not UTF-8 text (byte 0x{data[exc.start]:02x} on line {line}).",
                          "Save it as UTF-8 in your editor (\"Save with encoding\" → UTF-8).")
        return None
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def split_front_matter(text: str, rel: str, diagnostics: Diagnostics) -> tuple[str, str, int, int] | None:
    """(yaml, body, line of the first YAML line, line of the first body line) of a Markdown source."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        diagnostics.error(Location(rel, 1, 1), "The file does not start with front matter.",
                          "Start it with a line `---`, the fields (like `title: …`), then another `---` line.")
        return None
    for index in range(1, len(lines)):
        if lines[index].strip() in ("---", "..."):
            yaml_text = "\n".join(lines[1:index]) + "\n"
            body = "\n".join(lines[index + 1:])
            return yaml_text, body, 2, index + 2
    diagnostics.error(Location(rel, 1, 1), "The front matter is never closed.",
                      "Add a line with only `---` after the last field, before the text.")
    return None


def load_source(source: Source, content_dir: Path, diagnostics: Diagnostics,
                orphan_refs: list[Ref] | None = None, data: bytes | None = None,
                limits: Limits = Limits(), file_checks: list | None = None) -> models.Item | None:
    """The model of one source, or None when it has errors (all of them reported).
    The references of a file that failed are appended to `orphan_refs`, so the
    graph still reports an unknown slug in it: every problem, not the first.
    `file_checks` collects (path, found) for each file the source names."""
    slug_problem = check_slug_path(source)
    if slug_problem:
        diagnostics.error(Location(source.rel), *slug_problem)
    data = source.path.read_bytes() if data is None else data
    if len(data) > limits.file_size:
        diagnostics.error(Location(source.rel), f"This file has {len(data):,} bytes; the limit is "
                          f"{limits.file_size:,}.", "Split it, or link to large material instead of pasting it.")
        return None
    text = read_text(source.path, source.rel, diagnostics, data)
    if text is None:
        return None
    if source.path.suffix == ".md":
        parts = split_front_matter(text, source.rel, diagnostics)
        if parts is None:
            return None
        yaml_text, body, first_line, body_line = parts
        body_ok = check_body(body, source.rel, body_line, limits, diagnostics)
    else:
        yaml_text, body, first_line, body_ok = text, None, 1, True
    try:
        doc = parse_yaml(yaml_text, first_line)
    except YamlProblem as problem:
        diagnostics.error(Location(source.rel, problem.line, problem.column), problem.message, problem.hint)
        return None
    ctx = FieldContext(doc, source.rel, diagnostics, content_dir, limits, file_checks=file_checks)
    warn_comment_cuts(doc, ctx)
    if body is not None and "body" in doc.data:
        ctx.error(("body",), "The text is given twice: as `body:` and after the front matter.",
                  "In a .md file, write the text after the closing `---` and remove `body:`.", at_key=True)
    values, ok = check_each_field(FIELDS[source.kind], doc.data, ctx, ())
    ok = _check_markdown_fields(values, yaml_text, first_line, ctx) and body_ok and ok
    if not ok:
        _apply_rules(source, values, ctx)
        if orphan_refs is not None:
            orphan_refs.extend(_references(values))
        return None
    if body is not None:
        values["body"] = body
    values = _complete(source, values, ctx)
    _apply_rules(source, values, ctx)
    if ctx.failed or slug_problem:
        return None
    return MODELS[source.kind](kind=source.kind, slug=source.slug, source=source.rel,
                               positions=_positions(doc), **values)


MARKDOWN_FIELDS = ("body", "first_plot")


def check_body(body: str, rel: str, first_line: int, limits: Limits, diagnostics: Diagnostics) -> bool:
    """Markdown text within the limits. (Control characters may stay: the
    sanitizer, not the check, is what makes a body safe.)"""
    problems = check_markdown(body, limits)
    for problem in problems:
        diagnostics.error(Location(rel, first_line + problem.line - 1), problem.message, problem.hint)
    return not problems


def _check_markdown_fields(values: dict, yaml_text: str, first_line: int, ctx: FieldContext) -> bool:
    """Markdown written in a YAML field (`body: |`), checked like a .md body."""
    ok = True
    lines = yaml_text.split("\n")
    for name in MARKDOWN_FIELDS:
        if isinstance(values.get(name), str):
            line, column = ctx.doc.position((name,))
            written = lines[line - first_line] if 0 <= line - first_line < len(lines) else ""
            block = written[column - 1:column].strip() in ("|", ">")  # the text starts on the next line
            ok = check_body(values[name], ctx.source, line + block, ctx.limits or Limits(),
                            ctx.diagnostics) and ok
    if not ok:
        ctx.failed = True
    return ok


def _positions(doc: Document) -> dict:
    """Each field's key, and each entry of a list field, as written."""
    found = {path: pos for path, pos in doc.key_positions.items() if len(path) == 1}
    found.update({path: pos for path, pos in doc.value_positions.items()
                  if len(path) == 2 and isinstance(path[1], int)})
    return found


def warn_comment_cuts(doc: Document, ctx: FieldContext) -> None:
    for path, _ in doc.cut_by_comment:
        ctx.warning(path, "Everything after \" #\" on this line is a YAML comment, so it is not part of the value.",
                    "Put the whole value in double quotes if the # belongs to it.")


def check_slug_path(source: Source) -> tuple[str, str] | None:
    for part in source.slug.split("/"):
        problem = check_slug(part)
        if problem:
            return problem.message, problem.hint
    return None


def _references(values: dict) -> list[Ref]:
    refs: list[Ref] = []
    for value in values.values():
        for element in value if isinstance(value, tuple) else (value,):
            if isinstance(element, Ref):
                refs.append(element)
            elif isinstance(element, models.PersonRef) and element.slug:
                refs.append(Ref("members", element.slug, element.where))
    return refs


def _complete(source: Source, values: dict, ctx: FieldContext) -> dict:
    """Defaults that come from the file name rather than the fields."""
    if source.kind == "posts" and "date" not in values:
        if source.name_date is None:
            ctx.error((), "A post needs a date: none is in the file name or the fields.",
                      "Name the file YYYY-MM-DD-slug.md, or add a line like: date: 2024-03-08")
        else:
            try:
                values["date"] = dt.date.fromisoformat(source.name_date)
            except ValueError:
                ctx.error((), f"The file name starts with {source.name_date}, which is not a date.",
                          "Name the file YYYY-MM-DD-slug.md with a real date.")
    return values


def _apply_rules(source: Source, values: dict, ctx: FieldContext) -> None:
    rule = RULES.get(source.kind)
    if rule:
        rule(values, ctx)
