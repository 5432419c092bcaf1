"""Problems found in content, collected rather than raised.

Every stage appends to a `Diagnostics`; none raises on bad content. A diagnostic
names the file (relative to the site root), the line and column (1-based), says
what is wrong in a contributor's words, and gives a hint that says how to fix it.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Iterable, Iterator, Literal

Severity = Literal["error", "warning"]
PER_KIND = 20  # shown per kind of problem; 100,000 unknown keys printed 19 MB (issue 10, case 7)


@dataclass(frozen=True, order=True)
class Location:
    path: str  # relative to the site root, with forward slashes
    line: int = 0  # 1-based; 0 = the whole file
    column: int = 0  # 1-based; 0 = the whole line


@dataclass(frozen=True)
class Diagnostic:
    severity: Severity
    location: Location
    message: str
    hint: str = ""

    def sort_key(self) -> tuple:
        return (self.location, self.severity, self.message)


@dataclass
class Diagnostics:
    items: list[Diagnostic] = field(default_factory=list)

    def error(self, location: Location, message: str, hint: str = "") -> None:
        self.items.append(Diagnostic("error", location, message, hint))

    def warning(self, location: Location, message: str, hint: str = "") -> None:
        self.items.append(Diagnostic("warning", location, message, hint))

    def extend(self, other: Iterable[Diagnostic]) -> None:
        self.items.extend(other)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.sorted() if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.sorted() if d.severity == "warning"]

    def has_errors(self) -> bool:
        return any(d.severity == "error" for d in self.items)

    def sorted(self) -> list[Diagnostic]:
        # Deduplicate: the same problem may be seen by two stages.
        return sorted(set(self.items), key=Diagnostic.sort_key)

    def __iter__(self) -> Iterator[Diagnostic]:
        return iter(self.sorted())

    def __len__(self) -> int:
        return len(self.items)


def did_you_mean(word: str, candidates: Iterable[str], cutoff: float = 0.6) -> str:
    """' Did you mean "x"?' for the closest candidate, or '' when none is close."""
    matches = difflib.get_close_matches(word, sorted(set(candidates)), n=1, cutoff=cutoff)
    return f'Did you mean "{matches[0]}"?' if matches else ""


def kind_of(d: Diagnostic) -> tuple[str, str]:
    """Diagnostics that differ only in a quoted name or a number are one kind."""
    return d.severity, re.sub(r"\d[\d,.]*", "N", re.sub(r'"[^"]*"', '"…"', d.message))


def capped(items: list[Diagnostic], per_kind: int = PER_KIND) -> tuple[list[Diagnostic], list[tuple[Diagnostic, int]]]:
    """(the diagnostics to show, [(first one left out, how many of its kind were left out)])."""
    seen: dict[tuple[str, str], int] = {}
    shown: list[Diagnostic] = []
    left_out: dict[tuple[str, str], list] = {}
    for d in items:
        kind = kind_of(d)
        seen[kind] = seen.get(kind, 0) + 1
        if seen[kind] <= per_kind:
            shown.append(d)
        else:
            left_out.setdefault(kind, [d, 0])[1] += 1
    return shown, [(d, n) for d, n in left_out.values()]
