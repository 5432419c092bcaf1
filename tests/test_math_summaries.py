"""Math stays readable where only plain text fits: feed summaries and meta descriptions
carry the LaTeX source between $ (subscripts and all), not MathML flattened to text."""

from __future__ import annotations

import html as html_entities

import feedparser
from lxml import html


def html_text(fragment: str) -> str:
    return html_entities.unescape(fragment)

FORMULA = r"\eta_t = \eta_{max} \cdot \min(1, t/T_w)"


def test_feed_summary_and_meta_description_keep_the_latex_source(make_site):
    site = make_site({"content/posts/2026-03-02-warmup.md": f"""
        ---
        title: Warm-up
        date: 2026-03-02
        ---
        The rate is ${FORMULA}$ during warm-up, and $a < b$ always.

        Second paragraph.
        """})
    result = site.cli("build", "--now", "2026-11-27T12:00:00Z")
    assert result.returncode == 0, result.output
    expected = f"The rate is ${FORMULA}$ during warm-up, and $a < b$ always."
    for feed in ("feed.xml", "atom.xml"):
        (entry,) = feedparser.parse((site.output / feed).read_bytes()).entries
        assert html_text(entry.summary) == expected, feed  # the summary is HTML: "<" arrives as "&lt;"
        assert "<math" in entry.content[0].value  # the full content keeps MathML
    page = html.fromstring((site.output / "posts/warmup/index.html").read_bytes())
    assert page.xpath("string(//meta[@name='description']/@content)") == expected
    assert page.xpath("string(//meta[@property='og:description']/@content)") == expected
    (math,) = page.xpath("//article//*[local-name()='math'][1]")
    assert math.get("alttext") == FORMULA
