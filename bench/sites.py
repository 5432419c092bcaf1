"""Benchmark sites under bench/sites/ (git-ignored): a copy of the default site,
and the default site plus N generated posts."""

from __future__ import annotations

import datetime as dt
import random
import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SITES = REPO / "bench" / "sites"
NOW = "2026-11-27T12:00:00Z"
WORDS = ("model training data loss gradient sparse scaling curriculum benchmark attention token layer "
         "network research open collaboration reading group plot noise landscape dimension").split()
TAGS = [f"topic-{n}" for n in range(30)] + ["community", "announcements", "dlct"]


def copy_default_site(name: str = "default") -> Path:
    """A fresh copy of the repository's site (content, templates, site.yaml)."""
    root = SITES / name
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    for folder in ("content", "templates"):
        shutil.copytree(REPO / folder, root / folder)
    shutil.copy(REPO / "site.yaml", root / "site.yaml")
    return root


def make_big_site(posts: int, seed: int = 1) -> Path:
    """The default site plus `posts` generated posts by its members."""
    root = copy_default_site(f"posts-{posts}")
    rng = random.Random(seed)
    members = sorted(p.stem for p in (root / "content/members").iterdir())
    for number in range(posts):
        day = dt.date(2015, 1, 1) + dt.timedelta(days=rng.randrange(4300))
        authors = "".join(f"  - {m}\n" for m in rng.sample(members, rng.randint(1, 3)))
        tags = "".join(f"  - {t}\n" for t in rng.sample(TAGS, rng.randint(1, 4)))
        body = "\n\n".join(" ".join(rng.choice(WORDS) for _ in range(60)).capitalize() + "." for _ in range(3))
        (root / f"content/posts/{day}-bench-post-{number}.md").write_text(
            f"---\ntitle: Bench post {number} — {rng.choice(WORDS)} {rng.choice(WORDS)}\nauthors:\n{authors}"
            f"tags:\n{tags}---\n{body}\n", encoding="utf-8")
    return root
