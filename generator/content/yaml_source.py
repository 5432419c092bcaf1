"""YAML that remembers where every key and value was written.

We compose (never construct) the document, so no YAML tag can build a Python
object, then turn the node tree into plain dicts, lists and scalars while
recording the line and column of every key and value. Anchors on collections are
rejected, which defuses "billion laughs" alias bombs in linear time and memory.
Dates stay as their source text: field checks parse them with contributor-grade
messages (PyYAML would crash on 2024-02-30).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

try:  # libyaml keeps marks too, and is several times faster
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

Path = tuple  # a path into the document: ("authors", 2, "name")
Position = tuple[int, int]  # 1-based (line, column)

_CORE = "tag:yaml.org,2002:"
_SCALAR_TAGS = {f"{_CORE}{t}" for t in ("str", "int", "float", "bool", "null", "timestamp")}
_MAX_NODES = 200_000  # far beyond any content file; bounds work on hostile input


class YamlProblem(Exception):
    """A document we will not read, with where and why in a contributor's words."""

    def __init__(self, line: int, column: int, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.line, self.column, self.message, self.hint = line, column, message, hint


@dataclass
class Document:
    data: Any
    value_positions: dict[Path, Position] = field(default_factory=dict)
    key_positions: dict[Path, Position] = field(default_factory=dict)
    # The source text of scalars YAML read as something else than a string
    # (`title: 2001`, `name: No`): text fields take the contributor's spelling.
    scalar_texts: dict[Path, str] = field(default_factory=dict)
    # Unquoted values followed by " #...": YAML drops the rest as a comment,
    # which silently cuts titles like `title: We're #1`.
    cut_by_comment: list[tuple[Path, Position]] = field(default_factory=list)

    def position(self, path: Path) -> Position:
        """Where the value at `path` was written, else its nearest written parent."""
        while path:
            if path in self.value_positions:
                return self.value_positions[path]
            path = path[:-1]
        return self.value_positions.get((), (1, 1))

    def key_position(self, path: Path) -> Position:
        return self.key_positions.get(path) or self.position(path)


def parse_yaml(text: str, first_line: int = 1) -> Document:
    """Parse one YAML mapping; positions are shifted so line 1 is `first_line`."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        raise _explain(exc, text, first_line) from None
    except yaml.YAMLError as exc:  # no mark: rare (e.g. a reader error)
        raise YamlProblem(first_line, 1, f"This YAML could not be read: {exc}") from None
    except RecursionError:
        raise YamlProblem(first_line, 1, "The YAML is nested too deeply to read.") from None
    finally:
        loader.dispose()
    doc = Document(data={})
    if node is None:
        return doc
    if not isinstance(node, MappingNode):
        line, col = _pos(node, first_line)
        raise YamlProblem(
            line, col, "The fields must be written as `name: value` lines.",
            "Start each field at the beginning of a line, like `title: My title`.",
        )
    builder = _Builder(doc, first_line, text.split("\n"))
    try:
        doc.data = builder.build(node, ())
    except RecursionError:
        raise YamlProblem(first_line, 1, "The YAML is nested too deeply to read.") from None
    return doc


def _pos(node: Node, first_line: int) -> Position:
    return node.start_mark.line + first_line, node.start_mark.column + 1


class _Builder:
    def __init__(self, doc: Document, first_line: int, lines: list[str]) -> None:
        self.doc, self.lines = doc, lines
        self.first_line = first_line
        self.seen: set[int] = set()
        self.constructor = SafeConstructor()

    def build(self, node: Node, path: Path) -> Any:
        self.doc.value_positions[path] = _pos(node, self.first_line)
        if isinstance(node, ScalarNode):
            return self._scalar(node, path)
        if id(node) in self.seen:
            raise YamlProblem(
                *_pos(node, self.first_line),
                "YAML anchors and aliases (&name, *name) are not allowed here.",
                "Write the value out in full where it is used.",
            )
        self.seen.add(id(node))
        if len(self.seen) > _MAX_NODES:
            raise YamlProblem(self.first_line, 1, "This file is too large to be a content file.")
        self._check_tag(node, {f"{_CORE}seq", f"{_CORE}map"})
        if isinstance(node, SequenceNode):
            return [self.build(child, path + (i,)) for i, child in enumerate(node.value)]
        return self._mapping(node, path)

    def _mapping(self, node: MappingNode, path: Path) -> dict:
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode) or key_node.tag == f"{_CORE}merge":
                raise YamlProblem(
                    *_pos(key_node, self.first_line),
                    "A field name must be a plain word.",
                    "Write fields as `name: value`.",
                )
            key = key_node.value
            if key in result:
                first = self.doc.key_positions[path + (key,)][0]
                raise YamlProblem(
                    *_pos(key_node, self.first_line),
                    f'The field "{key}" is written twice (first on line {first}).',
                    "Keep one of them.",
                )
            self.doc.key_positions[path + (key,)] = _pos(key_node, self.first_line)
            result[key] = self.build(value_node, path + (key,))
        return result

    def _scalar(self, node: ScalarNode, path: Path) -> Any:
        self._check_tag(node, _SCALAR_TAGS)
        tag = node.tag[len(_CORE):]
        if tag == "str" and not node.style and node.end_mark.line < len(self.lines):
            rest = self.lines[node.end_mark.line][node.end_mark.column:]
            if rest.lstrip().startswith("#") and rest[:1].isspace() and not isinstance(path[-1], int):
                self.doc.cut_by_comment.append((path, _pos(node, self.first_line)))
        if tag in ("str", "timestamp"):
            return node.value
        value = getattr(self.constructor, f"construct_yaml_{tag}")(node)
        self.doc.scalar_texts[path] = node.value
        return value

    def _check_tag(self, node: Node, allowed: set[str]) -> None:
        if node.tag not in allowed:
            shown = node.tag.replace(_CORE, "!!")
            raise YamlProblem(
                *_pos(node, self.first_line),
                f'The YAML tag "{shown}" is not allowed in content files.',
                "Remove the tag; write plain text, numbers, lists and fields only.",
            )


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _indentation_problem(lines: list[str], index: int, first_line: int) -> YamlProblem | None:
    """A field line whose indentation matches none of the fields above it.

    YAML reports a line indented too far as a colon inside the previous value,
    and one indented too little as a missing key: both are about the spaces at
    the start of the line, so that is what we point at."""
    line = lines[index] if index < len(lines) else ""
    stripped = line.strip()
    key = stripped.partition(":")[0]
    if not stripped or key.startswith("#") or "\t" in line[:_indent(line)] or not re.fullmatch(r"-?\s*[\w.-]+", key):
        return None
    depth = _indent(line)
    above = [(i, lines[i]) for i in range(index - 1, -1, -1) if lines[i].strip() and not lines[i].lstrip().startswith("#")]
    if not above:
        return None
    levels, lowest = [], None  # the indentations a line here may have: open groups, innermost first
    for i, text in above:
        if lowest is None or _indent(text) < lowest:
            lowest = _indent(text)
            levels.append((i, text))
    deeper = next(((i, t) for i, t in levels if _indent(t) > depth), None)
    shallower = next(((i, t) for i, t in levels if _indent(t) < depth), None)
    if levels[0][1] and _indent(levels[0][1]) < depth and not levels[0][1].rstrip().endswith(":"):
        i, text = levels[0]
        return YamlProblem(index + first_line, 1,
                           f"This line is indented more than line {i + first_line} above it, so YAML reads it "
                           "as part of that line's value.",
                           f"Start {_label(line)} {_spaces(_indent(text))}, in the same column as {_label(text)} above.")
    if deeper is not None and _indent(deeper[1]) > depth:
        i, text = deeper
        also = (f", or {_spaces(_indent(shallower[1]))} like {_label(shallower[1])} "
                f"on line {shallower[0] + first_line} to start a new field") if shallower else ""
        return YamlProblem(index + first_line, 1,
                           f"This line is indented less than line {i + first_line} above it, but more than the "
                           "field that holds them, so YAML cannot tell where it belongs.",
                           f"Start {_label(line)} {_spaces(_indent(text))} like {_label(text)} on line {i + first_line}{also}.")
    return None


def _label(line: str) -> str:
    text = line.strip()
    return f"`{text.partition(':')[0]}:`" if ":" in text else f"`{text}`"


def _spaces(count: int) -> str:
    return "at the start of the line" if count == 0 else f"after {count} space{'s' if count != 1 else ''}"


def _explain(exc: yaml.MarkedYAMLError, text: str, first_line: int) -> YamlProblem:
    """Turn PyYAML's parser wording into where to look and what to do."""
    problem = exc.problem or ""
    mark = exc.problem_mark or exc.context_mark
    line, col = mark.line + first_line, mark.column + 1
    context = exc.context or ""
    lines = text.split("\n")
    source_line = lines[mark.line] if mark.line < len(lines) else ""
    if "quoted scalar" in context and exc.context_mark is not None:
        start = exc.context_mark
        opening = lines[start.line][start.column : start.column + 1] if start.line < len(lines) else '"'
        quote = opening if opening in "'\"" else '"'
        return YamlProblem(
            start.line + first_line, start.column + 1,
            "This quoted text is never closed.",
            f"Add the closing {quote} at the end of the value.",
        )
    if "mapping values are not allowed" in problem or "did not find expected key" in problem:
        misplaced = _indentation_problem(lines, mark.line, first_line)
        if misplaced:
            return misplaced
    if "mapping values are not allowed" in problem:
        return YamlProblem(
            line, col,
            'A value contains ": " (a colon and a space), which YAML reads as a new field.',
            'Put the whole value in double quotes, e.g. title: "Part one: the start".',
        )
    if "\t" in source_line[: len(source_line) - len(source_line.lstrip())] or "tab" in problem:
        return YamlProblem(
            line, col,
            "A tab character is used for indentation; YAML only accepts spaces.",
            "Replace the tab with spaces (two per level).",
        )
    if "expected a single document" in context or "but found another document" in problem:
        return YamlProblem(
            line, col, "A second `---` starts another document here.",
            "Keep one block of fields; remove the extra `---` line.",
        )
    text = (problem or context or "this line could not be read").rstrip(".")
    return YamlProblem(
        line, col, f"The YAML could not be read here: {text}.",
        "Check the indentation and quote values that contain special characters (: # { } [ ] , & * ! | > ' \" % @ `).",
    )
