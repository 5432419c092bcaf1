"""Which shard of the search index each indexed page goes in.

Pagefind's time and memory grow with the pages one index holds (about 1.6 ms
and 270 KB a page): one index of a 10,000-post site costs 20 s and 2.9 GB each
time any page changes. So the index is split into shards, each its own Pagefind
bundle under /pagefind/, and a build re-indexes only the shards whose records
changed. The search page merges the shards in the browser (static/search.js).

The assignment is stable, so that an edit never moves another page:
- the smallest kinds share the root shard, /pagefind/ itself, as long as they
  fit in `size` records together: a small site is one bundle there, as if it
  were not sharded;
- every other kind has shards of its own, `<kind>-<n>/`: a power-of-two number
  of them, the fewest that hold `size` records each on average, chosen from the
  kind's count, and a page goes in the one its path's hash picks. Pages move only
  when a kind's count crosses a doubling (or when it outgrows the root shard).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass

MANIFEST = "shards.json"  # under pagefind/: which shards exist, for the search page
DEFAULT_SIZE = 250  # records per shard: Pagefind indexes 250 pages in about 0.6 s, in about 70 MB (see README "Search")


@dataclass(frozen=True)
class Shard:
    folder: str  # under pagefind/: "" for the root shard, else e.g. "post-07/"
    kinds: tuple[str, ...]  # the kinds of page it holds, as the kind filter names them


def assign(kind_of: dict[str, str], size: int) -> dict[str, Shard]:
    """Each indexed page's shard, by the page's path under output/."""
    layout = Layout(Counter(kind_of.values()), size)
    return {path: layout.shard_of(path, kind) for path, kind in kind_of.items()}


class Layout:
    """The shards the indexed pages go in, decided by how many pages of each
    kind there are; then any page's shard is found alone (`shard_of`), so a
    rebuild that changed a few records places those few, not all 14,000."""

    def __init__(self, counts: Counter[str], size: int) -> None:
        shared, total = [], 0
        for kind, count in sorted(counts.items(), key=lambda pair: (pair[1], pair[0])):
            if total + count > size:
                break
            shared.append(kind)
            total += count
        self.root = Shard("", tuple(sorted(shared)))
        self.own: dict[str, list[Shard]] = {}
        for kind in sorted(counts.keys() - set(shared)):
            buckets = 1
            while counts[kind] > buckets * size:
                buckets *= 2
            prefix = _folder_name(kind, {shard.folder for shards in self.own.values() for shard in shards})
            width = len(str(buckets - 1))
            self.own[kind] = [Shard(f"{prefix}-{n:0{width}d}/", (kind,)) for n in range(buckets)]
        self.by_folder = {self.root.folder: self.root,
                          **{shard.folder: shard for shards in self.own.values() for shard in shards}}

    def shard_of(self, path: str, kind: str) -> Shard:
        shards = self.own.get(kind)
        return self.root if shards is None else _pick(shards, path)


def _pick(shards: list[Shard], path: str) -> Shard:
    # A power of two of buckets: at twice as many, a page stays in bucket n or moves to n + half.
    number = int.from_bytes(hashlib.blake2b(path.encode("utf-8"), digest_size=8).digest(), "big")
    return shards[number % len(shards)]


def _folder_name(kind: str, taken: set[str]) -> str:
    """A folder name from the kind ("Request for Plot" → request-for-plot); the
    number that always follows keeps it apart from Pagefind's own folders."""
    name = re.sub(r"[^a-z0-9]+", "-", kind.lower()).strip("-")[:40] or "other"
    if any(folder.startswith(name + "-") and folder[len(name) + 1:-1].isdigit() for folder in taken):
        name += "-" + hashlib.blake2b(kind.encode("utf-8"), digest_size=3).hexdigest()
    return name


def manifest(shards: list[Shard], tags: list[str]) -> bytes:
    """shards.json: the shards (root first: Pagefind will not merge a bundle into
    one inside it) and every tag, so the search page lists tags without loading
    any shard."""
    ordered = sorted(shards, key=lambda shard: shard.folder)
    data = {"shards": [{"path": shard.folder, "kinds": list(shard.kinds)} for shard in ordered],
            "tags": sorted(set(tags))}
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
