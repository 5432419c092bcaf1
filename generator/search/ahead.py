"""Indexing a shard while the build goes on (search/index.py).

A one-post rebuild at 10,000 posts re-indexes one shard: Pagefind takes about
0.6 s for its 160 pages, and it used to start only once every page had
rendered. Pages render in plan order and the edited post comes early, so its
shard can be indexed beside the rest of the build (the tag pages that list the
post, the cache's record) on the other core.

Which pages a shard holds depends on every page's kind, known for sure only once
all are in. So this guesses: a page still to render keeps the kind it had, and
every page the shard the last build put it in. When the
last page of a shard still to render is in, and one of its records changed,
the shard is started. The guess is checked where it matters: the index takes
a started shard's files only when its key (its records in URL order, Pagefind's
version) is the one it computes from every page once all are in. A wrong guess
costs Pagefind's time, never a byte.
"""

from __future__ import annotations

import os
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Callable

from .shards import Layout, Shard

if TYPE_CHECKING:
    from .index import Job, Page


class Ahead:
    """The shards one build starts early. Made empty, it starts none."""

    def __init__(self, guess: dict[str, "Page"] | None = None, rendering: set[str] = frozenset(),
                 shard_size: int = 0, members: dict[str, tuple[str, ...]] | None = None) -> None:
        # Each page of the build as the last build left it (a rendered one: as it is
        # now); None when not guessing: a page to render is new, and could go anywhere.
        known = guess is not None and rendering <= guess.keys()
        self.guess = dict(guess) if known else None
        self.waiting = set(rendering)  # pages still to render
        self.shard_size = shard_size
        self.members = members or {}  # the pages of each shard, by folder, as the last build placed them
        self.layout: Layout | None = None  # the guessed one, made when first needed
        self.shard_of: dict[str, Shard] | None = None  # the shard of each page still to render, as guessed
        self.pending: Counter[Shard] = Counter()  # pages of each shard still to render
        self.changed: set[Shard] = set()  # shards with a record this build changed
        self.started: dict[str, tuple[str, Future]] = {}  # by shard folder: (its key, its files)
        self._pool: ThreadPoolExecutor | None = None

    def arrived(self, path: str, page: "Page") -> Shard | None:
        """A page rendered: its shard, when that is now complete and changed."""
        if self.guess is None or path not in self.waiting:
            return None
        before = self.guess[path]
        if page.record and (not before.record or page.kind != before.kind):
            self.guess = None  # in another shard, or newly indexed: the guess no longer holds
            return None
        if before.record != page.record and self.shard_of is None:
            self._assign()  # the first change: until now no shard needed indexing
        self.waiting.discard(path)
        self.guess[path] = page
        shard = self.shard_of.get(path) if self.shard_of is not None else None
        if shard is None:
            return None
        self.pending[shard] -= 1
        if before.record != page.record:
            self.changed.add(shard)
        if self.pending[shard] or shard not in self.changed:
            return None
        self.changed.discard(shard)
        return shard

    def _assign(self) -> None:
        self.layout = Layout(Counter(page.kind for page in self.guess.values() if page.record), self.shard_size)
        self.shard_of = {p: self.layout.shard_of(p, self.guess[p].kind) for p in self.waiting if self.guess[p].record}
        self.pending = Counter(self.shard_of.values())

    def entries(self, shard: Shard, url: Callable[[str], str]) -> list[tuple[str, str]]:
        """The shard's (url, record digest), as guessed: the pages the last build
        put in it (placing every page again hashed each post's path)."""
        guess = self.guess
        return [(url(p), guess[p].record) for p in self.members.get(shard.folder, ()) if p in guess and guess[p].record]

    def start(self, job: "Job", index: Callable[["Job"], tuple]) -> None:
        """Index the shard in a thread, unless it is already being indexed with this key."""
        if self.running(job):
            return
        if self._pool is None:
            self._pool = ThreadPoolExecutor(len(os.sched_getaffinity(0)), thread_name_prefix="pagefind-ahead")
        self.started[job.shard.folder] = (job.key, self._pool.submit(index, job))

    def running(self, job: "Job") -> bool:
        """Whether the shard was started with the key it has now."""
        return self.started.get(job.shard.folder, ("", None))[0] == job.key

    def take_over(self, earlier: "Ahead") -> None:
        """The shards an earlier guess started (the build's first pages, index.py
        start_early) are this one's: used, waited for, and not started twice."""
        self.started, self._pool = earlier.started, earlier._pool
        earlier.started, earlier._pool = {}, None

    def result_of(self, job: "Job") -> Future | None:
        """The shard's files if it was started with the key it has now."""
        key, future = self.started.pop(job.shard.folder, ("", None))
        return future if key == job.key else None

    def stop(self) -> None:
        """Wait for the shards still indexing (started on a wrong guess); start no more."""
        self.guess = None
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
