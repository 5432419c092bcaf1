"""Which characters a field may hold, and which writing system a word is in.

A one-line field (a title, a name) ends up in HTML attributes, feed titles and
calendar content lines, where a line break or a carriage return changes the
meaning of what follows (issue 10: a CR in a title wrote an `ATTACH:` line into
event.ics). So one-line fields refuse every control character, and Markdown
text refuses all but tab and line feed.
"""

from __future__ import annotations

import re
import unicodedata

# Control characters (Unicode category Cc) and the line and paragraph separators,
# which break lines in feeds and calendar apps too.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_SPACE_OR_CONTROL = re.compile("[\\s\x00-\x1f\x7f-\x9f\u2028\u2029]")
# Scripts that are written together in one word (Japanese mixes three).
_SCRIPT_FAMILIES = {"HIRAGANA": "CJK", "KATAKANA": "CJK", "CJK": "CJK", "HANGUL": "CJK"}


def describe_character(char: str) -> str:
    names = {"\n": "a line break", "\r": "a carriage return (a line break)", "\t": "a tab",
             "\u2028": "a line separator (U+2028)", "\u2029": "a paragraph separator (U+2029)"}
    if char in names:
        return names[char]
    return f"the invisible control character U+{ord(char):04X}"


def first_control_character(text: str, allowed: str = "") -> tuple[int, str] | None:
    """(index, character) of the first control character not in `allowed`."""
    for match in _CONTROL.finditer(text):
        if match.group() not in allowed:
            return match.start(), match.group()
    return None


def first_space_or_control(text: str) -> tuple[int, str] | None:
    match = _SPACE_OR_CONTROL.search(text)
    return (match.start(), match.group()) if match else None


def scripts_of(text: str) -> set[str]:
    """The writing systems of the letters in `text`: {"LATIN", "CYRILLIC"} for a
    look-alike like "сommunity" (Cyrillic с)."""
    scripts = set()
    for char in text:
        if char.isalpha():
            name = unicodedata.name(char, "UNKNOWN").split(" ")[0]
            scripts.add(_SCRIPT_FAMILIES.get(name, name))
    return scripts


# Cyrillic and Greek letters that look like Latin ones: the usual disguise of a
# look-alike tag or name. Enough to suggest the Latin spelling, not a full table.
_LOOK_ALIKES = str.maketrans(
    "аеорсухіјѕԁһӏԛԝАВЕКМНОРСТХУІЈЅοαινκρτυχΑΒΕΖΗΙΚΜΝΟΡΤΥΧ",
    "aeopcyxijsdhlqwABEKMHOPCTXYIJSoaivkptuxABEZHIKMNOPTYX",
)


def latin_look_alike(text: str) -> str:
    """"сommunity" (Cyrillic с) → "community"."""
    return text.translate(_LOOK_ALIKES)
