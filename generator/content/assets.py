"""Which files under content/ may be published as they are.

A file that is not a content source is copied byte for byte to the site's own
origin, past the Markdown sanitizer (issue 10, case 1): an .html or .svg there
runs script as the site, a CNAME or _redirects takes over the hosting. So copies
are an allow-list: types from site.yaml (`published_types`, default: images, PDF
and plain data), each checked by its content as well as its name. Anything else
is an error that says how to publish it on purpose: the static folder the
maintainers own (site.yaml `static_folder`), copied as it is.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..diagnostics import Diagnostics, Location
from .fields import HOSTING_NAMES

_IMAGE_SIGNATURES = {
    ".png": (b"\x89PNG",), ".jpg": (b"\xff\xd8\xff",), ".jpeg": (b"\xff\xd8\xff",),
    ".gif": (b"GIF87a", b"GIF89a"), ".ico": (b"\x00\x00\x01\x00",), ".pdf": (b"%PDF-",),
}
_TEXT_TYPES = (".txt", ".csv", ".tsv", ".bib")
KNOWN_TYPES = (*_IMAGE_SIGNATURES, ".webp", ".avif", *_TEXT_TYPES)
DEFAULT_TYPES = KNOWN_TYPES
# Markup a browser would run if it sniffed a text file as HTML or SVG.
_MARKUP = re.compile(rb"<\s*(?:script|html|body|svg|iframe|object|embed|meta|!doctype)\b", re.IGNORECASE)
_SNIFF_BYTES = 1 << 20


def check_asset(path: Path, rel: str, types: tuple[str, ...], diagnostics: Diagnostics) -> bool:
    """Whether content/`rel` may be published; reports why not."""
    where = Location(f"content/{rel}")
    name = rel.rsplit("/", 1)[-1]
    suffix = Path(name).suffix.lower()
    hint = ("To publish such a file on purpose, a maintainer puts it in the static folder named in "
            "site.yaml (static_folder), which is copied as it is.")
    if name in HOSTING_NAMES or any(part.startswith(".") for part in rel.split("/")):
        diagnostics.error(where, f'"{name}" is a file that tells the web host what to do; it is never '
                          "published from content/.", hint)
        return False
    if suffix not in types:
        allowed = ", ".join(types)
        diagnostics.error(where, f'Files of type "{suffix or name}" are not published from content/ (they could '
                          f"run script on the site or change how it is served). Published types: {allowed}.", hint)
        return False
    problem = _content_problem(path, suffix)
    if problem:
        diagnostics.error(where, problem, "Export the file again in the format its name says, or rename it.")
        return False
    return True


def _is_image(head: bytes) -> bool:
    return (any(head.startswith(sig) for suffix, sigs in _IMAGE_SIGNATURES.items() if suffix != ".pdf" for sig in sigs)
            or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")
            or (head[4:8] == b"ftyp" and head[8:12] in (b"avif", b"avis")))


def _content_problem(path: Path, suffix: str) -> str | None:
    """Why the bytes are not what the name says, or None. An image may be any of
    the image formats (browsers sniff them; a PNG saved as .jpg is common): what
    matters is that it is an image, not HTML."""
    with path.open("rb") as handle:
        head = handle.read(_SNIFF_BYTES)
    if suffix == ".pdf":
        return None if head.startswith(b"%PDF-") else "This file is named .pdf but is not a PDF file."
    if suffix not in _TEXT_TYPES:
        return None if _is_image(head) else f"This file is named {suffix} but is not an image."
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a character cut at the sniffing limit
            return f"This file is named {suffix} but is not UTF-8 text."
    if _MARKUP.search(head):
        return f"This file is named {suffix} but holds HTML or SVG markup, which a browser may run."
    return None
