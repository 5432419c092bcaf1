"""Bounded work per file: the limits `check` enforces before anything is rendered.

A small file can stall the Markdown renderer (issue 10, case 4): 50 KB of `[`
made Python-Markdown scan to the end of the paragraph once per bracket, a list
nested 400 deep ran out of stack. Rather than let the build find out, one linear
pass over the text measures what would make rendering slow and reports it with
its line, so the contributor sees the problem in `check`, not a hung build.
The numbers come from site.yaml's `limits:`, with the defaults below.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator

# What the renderer may scan per text: Python-Markdown looks for the `]` (or `)`,
# or `>`) that closes each opener, so the sum of those distances is its work.
# A million characters is about a second; ordinary texts stay under ten thousand.
SCAN_BUDGET = 1_000_000
# The abbr extension looks for every abbreviation at every position of the text,
# in one regex call the build's time budget cannot interrupt: abbreviations times
# characters is its work, about 25 million a second.
ABBREVIATION_BUDGET = 25_000_000


@dataclass(frozen=True)
class Limits:
    file_size: int = 1_000_000  # bytes per content file
    nesting_depth: int = 20  # lists, quotes and HTML blocks inside each other
    footnotes: int = 300  # footnote definitions per text
    code_block: int = 100_000  # characters in one fenced code block
    tags: int = 20  # tags per item
    markdown_seconds: int = 5  # to render one text, at build time (render/time_budget.py)


@dataclass(frozen=True)
class TextProblem:
    line: int  # 1-based, counted in the text given
    message: str
    hint: str


_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_FOOTNOTE_DEFINITION = re.compile(r" {0,3}\[\^[^\]\n]+\]:")
_CONTAINER_MARKER = re.compile(r"[ \t]*(?:>|[-*+][ \t]|\d{1,9}[.)][ \t])")
_ABBREVIATION = re.compile(r"\*\[[^\]\n]*\][ ]?:")
# Block elements that `markdown="1"` recurses into, and that must be closed; also
# those the sanitizer's HTML parser (nh3) takes quadratic time to nest, from <pre> on.
_HTML_BLOCK = re.compile(r"<(/?)(div|section|article|aside|details|blockquote|figure|table|tbody|thead|tr|td|th"
                         r"|ul|ol|li|dl|dd|main|nav|header|footer|pre|listing|center|address|fieldset|menu|dir"
                         r"|hgroup|dialog|summary|figcaption|search|optgroup|rb|rt)\b[^>]*?(/?)>", re.IGNORECASE)


def check_markdown(text: str, limits: Limits) -> list[TextProblem]:
    """Every limit the text goes past, each reported once, at the line where it did."""
    problems: list[TextProblem] = []
    footnotes, html_depth, abbreviations = 0, 0, 0
    reported: set[str] = set()

    def report(key: str, line: int, message: str, hint: str) -> None:
        if key not in reported:
            reported.add(key)
            problems.append(TextProblem(line, message, hint))

    prose: list[str] = []
    for block in _blocks(text):
        if block.fenced:
            if block.size > limits.code_block:
                report(f"code{block.first_line}", block.first_line,
                       f"This code block has {block.size:,} characters; the limit is {limits.code_block:,}.",
                       "Link to the file instead (e.g. on GitHub), or show only the part that matters.")
            continue
        for number, line in block.lines:
            if _FOOTNOTE_DEFINITION.match(line):
                footnotes += 1
                if footnotes > limits.footnotes:
                    report("footnotes", number, f"This text has more than {limits.footnotes} footnotes.",
                           "Merge footnotes, or move the references to a list at the end.")
            if _ABBREVIATION.match(line):
                abbreviations += 1
                if abbreviations * len(text) > ABBREVIATION_BUDGET:
                    report("abbreviations", number, f"This text defines {abbreviations} abbreviations (`*[…]:`); "
                           f"a text of {len(text):,} characters may have {ABBREVIATION_BUDGET // len(text):,}.",
                           "Spell out the rarer ones, or split the text.")
            depth = _marker_depth(line)
            html_depth = _html_depth_after(line, html_depth)
            if max(depth, html_depth) > limits.nesting_depth:
                report("nesting", number, f"Lists, quotes or HTML blocks are nested more than "
                       f"{limits.nesting_depth} deep here.", "Flatten the structure: nobody reads that deep.")
        paragraph = block.text
        prose.append(paragraph)
        openers = paragraph.count("[") + paragraph.count("](")
        if _may_exceed(paragraph, openers) and _bracket_work(paragraph) > SCAN_BUDGET:
            report(f"scan{block.first_line}", block.first_line,
                   "This paragraph has too many `[` or `(` that are never closed (or are nested too "
                   "deep): the Markdown renderer would take minutes on it.",
                   "Close each [ with ], or write \\[ for a bracket that is just text.")
    joined = "\n\n".join(prose)  # the HTML block parser reads the whole text at once
    if _may_exceed(joined, joined.count("<")) and _angle_work(joined) > SCAN_BUDGET:
        report("angles", 1, "This text has too many `<` that are never closed by `>`: the Markdown renderer "
               "would take minutes on it.", "Close each < with >, or write &lt; for a < that is just text.")
    return problems


def _marker_depth(line: str) -> int:
    """How many lists and quotes open on this line: indentation counts four
    columns a level, then each marker ("> > - 1. ") one more."""
    depth, position = 0, 0
    while True:
        match = _CONTAINER_MARKER.match(line, position)
        if not match:
            break
        depth, position = depth + 1, match.end()
    if not depth:  # most lines: prose, its indentation not looked at
        return 0
    expanded = line.expandtabs(4)
    return (len(expanded) - len(expanded.lstrip(" "))) // 4 + depth


def _html_depth_after(line: str, depth: int) -> int:
    if "<" not in line:
        return depth
    for match in _HTML_BLOCK.finditer(line):
        if match.group(3):  # <div/>
            continue
        depth = max(0, depth - 1) if match.group(1) else depth + 1
    return depth


_BRACKET_EVENT = re.compile(r"\\.|\]\(|[\[\])]", re.DOTALL)


def _may_exceed(text: str, openers: int) -> bool:
    """Whether scanning could pass SCAN_BUDGET: each opener (a `[`, a `](`, a
    `<`) costs at most the text's length, so most texts are clear without the
    scan, found by counting in C (the scans were half of checking a post)."""
    return openers * len(text) > SCAN_BUDGET


def _bracket_work(text: str) -> int:
    """The characters Python-Markdown scans looking for closers: for each `[`
    (and each `(` right after `]`) the distance to its closer or the end of the
    paragraph. Linear: one stack, visiting only the brackets."""
    work, openers = 0, []
    for match in _BRACKET_EVENT.finditer(text):
        token, index = match.group(), match.start()
        if token[0] == "\\":
            continue
        if token == "](":
            token, index = "]", index
            if openers and openers[-1][1] == "[":
                work += index - openers.pop()[0]
            openers.append((index + 1, "("))
        elif token == "[":
            openers.append((index, "["))
        elif openers and openers[-1][1] == ("[" if token == "]" else "("):
            work += index - openers.pop()[0]
    return work + sum(len(text) - start for start, _ in openers)


def _angle_work(text: str) -> int:
    """For each `<`, the distance to the next `>`: what the HTML parser rescans."""
    work, pending = 0, []
    for match in re.finditer(r"[<>]", text):
        if match.group() == "<":
            pending.append(match.start())
        else:
            work += sum(match.start() - start for start in pending)
            pending.clear()
    return work + sum(len(text) - start for start in pending)


@dataclass
class _Block:
    first_line: int
    lines: list[tuple[int, str]]
    fenced: bool = False

    @property
    def text(self) -> str:
        return "\n".join(line for _, line in self.lines)

    @property
    def size(self) -> int:
        return sum(len(line) + 1 for _, line in self.lines[1:-1])


def _blocks(text: str) -> Iterator[_Block]:
    """Paragraphs (runs of non-blank lines) and fenced code blocks, with line
    numbers. A fence that is never closed is not code to the renderer either."""
    lines = text.split("\n")
    closers = _fence_closers(lines)
    current: _Block | None = None
    index = 0
    while index < len(lines):
        line = lines[index]
        if index in closers or not line.strip():
            if current:
                yield current
                current = None
            if index in closers:
                end = closers[index]
                yield _Block(index + 1, [(n + 1, lines[n]) for n in range(index, end + 1)], fenced=True)
                index = end
        else:
            current = current or _Block(index + 1, [])
            current.lines.append((index + 1, line))
        index += 1
    if current:
        yield current


def _fence_closers(lines: list[str]) -> dict[int, int]:
    """{line index of an opening fence: line index of its closing fence}."""
    found: dict[int, int] = {}
    opening, fence = -1, ""
    for index, line in enumerate(lines):
        if fence:
            stripped = line.strip()
            if stripped.startswith(fence) and not stripped.strip(fence[0]):
                found[opening] = index
                fence = ""
            continue
        match = _FENCE.match(line)
        if match:
            opening, fence = index, match.group(1)
    return found
