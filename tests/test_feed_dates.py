"""Every item of every feed of the default site has a date in independent clients:
feedparser (Python) and rss-parser (Node). Readers without one date items by when
they fetched them and sort them at random."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import feedparser
import pytest

JS = Path(__file__).resolve().parent / "js"


def sample_feeds(out: Path) -> list[Path]:
    feeds = sorted(out.rglob("*.xml"))
    return [p for p in feeds if p.name != "sitemap.xml"]


def test_feedparser_finds_a_date_on_every_item(sample_build):
    feeds = sample_feeds(sample_build)
    assert {"feed.xml", "atom.xml"} <= {p.name for p in feeds} and (sample_build / "events/feed.xml") in feeds
    undated = [(str(path.relative_to(sample_build)), entry.id) for path in feeds
               for entry in feedparser.parse(path.read_bytes()).entries
               if not (entry.get("published_parsed") or entry.get("updated_parsed"))]
    assert undated == []


@pytest.mark.browser  # needs Node
def test_rss_parser_finds_a_date_on_every_item(sample_build):
    assert (JS / "node_modules" / "rss-parser").exists(), "Run `npm ci --prefix tests/js` first (.ci/run does)."
    feeds = sample_feeds(sample_build)
    result = subprocess.run(["node", str(JS / "feed_dates.mjs"), *map(str, feeds)],
                            capture_output=True, text=True, timeout=120, check=True)
    read = json.loads(result.stdout)
    assert sum(len(items) for items in read.values()) > 30
    undated = [(Path(path).relative_to(sample_build).as_posix(), item["id"]) for path, items in read.items()
               for item in items if not item["isoDate"]]
    assert undated == []
