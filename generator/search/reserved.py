"""/pagefind/ belongs to the search index, which is made after planning (its
file names are hashes of its content): a planned file there could be
overwritten by it, or break it, so planning refuses one."""

from __future__ import annotations

from ..diagnostics import Diagnostics, Location
from ..render.outputs import Output

FOLDER = "pagefind/"


def reserve_search_folder(outputs: list[Output], diagnostics: Diagnostics) -> None:
    for output in outputs:
        if not output.path.lower().startswith(FOLDER):
            continue
        where = output.origin or Location("templates")
        what = "An alias" if output.kind == "redirect" else "This file"
        diagnostics.error(Location(where.path, where.line, where.column),
                          f"{what} would be published at {output.url}, but /{FOLDER} is reserved for the "
                          "site's search index.", "Choose another URL (rename the file, folder or alias).")
