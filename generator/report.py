"""Diagnostics as people and CI read them: text, GitHub annotations, JSON."""

from __future__ import annotations

import json
from itertools import groupby
from pathlib import Path

from .diagnostics import Diagnostic, Diagnostics, capped

FORMATS = ("text", "github", "json")


def format_diagnostics(diagnostics: Diagnostics, fmt: str, root: Path) -> str:
    """Every kind of problem, at most PER_KIND of each, then how many more."""
    items = diagnostics.sorted()
    shown, left_out = capped(items)
    if fmt == "json":
        more = [{**_as_dict(d), "message": _more(d, n), "more": n} for d, n in left_out]
        return json.dumps([_as_dict(d) for d in shown] + more, ensure_ascii=False, indent=2) + "\n"
    if fmt == "github":
        return "".join(_github(d) + "\n" for d in shown) + "".join(
            f"::{d.severity} title=mlcsite check::{_escape_data(_more(d, n))}\n" for d, n in left_out)
    return format_text(items, root)


def _more(d: Diagnostic, count: int) -> str:
    return f"… and {count:,} more like this: {d.message}"


def _as_dict(d: Diagnostic) -> dict:
    return {"severity": d.severity, "file": d.location.path, "line": d.location.line or None,
            "column": d.location.column or None, "message": d.message, "hint": d.hint or None}


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _github(d: Diagnostic) -> str:
    props = [f"file={_escape_property(d.location.path)}"]
    if d.location.line:
        props.append(f"line={d.location.line}")
    if d.location.column:
        props.append(f"col={d.location.column}")
    props.append("title=" + _escape_property("mlcsite check"))
    message = d.message + (f" {d.hint}" if d.hint else "")
    return f"::{d.severity} {','.join(props)}::{_escape_data(message)}"


def format_text(items: list[Diagnostic], root: Path) -> str:
    if not items:
        return ""
    lines: list[str] = []
    number = 0
    shown, left_out = capped(items)
    for path, group in groupby(shown, key=lambda d: d.location.path):
        source = _source_lines(root / path)
        lines.append(path)
        for d in group:
            number += 1
            where = f"line {d.location.line}" if d.location.line else "whole file"
            if d.location.column:
                where += f", column {d.location.column}"
            lines.append(f"  {number}. {d.severity} ({where}): {d.message}")
            if d.location.line and 0 < d.location.line <= len(source):
                text = source[d.location.line - 1].expandtabs(1)
                gutter = f"{d.location.line:>6} | "
                lines.append(gutter + text)
                if d.location.column:
                    lines.append(" " * (len(gutter) - 2) + "| " + " " * (d.location.column - 1) + "^")
            if d.hint:
                lines.append(f"     fix: {d.hint}")
        lines.append("")
    for d, count in left_out:
        lines.append(f"{d.severity}: {_more(d, count)} (first in {d.location.path})")
    if left_out:
        lines.append("")
    errors = sum(d.severity == "error" for d in items)
    warnings = len(items) - errors
    files = len({d.location.path for d in items})
    lines.append(f"{_count(errors, 'error')}, {_count(warnings, 'warning')} in {_count(files, 'file')}.")
    return "\n".join(lines) + "\n"


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _source_lines(path: Path) -> list[str]:
    try:
        if path.is_file() and not path.is_symlink():
            text = path.read_bytes().decode("utf-8", errors="replace").removeprefix("\ufeff")
            return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    except OSError:
        pass
    return []
