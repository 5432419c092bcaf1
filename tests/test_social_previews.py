"""Social previews: og:image names the page's own image when it has one, with
the width and height of the file published at that address (so a preview is
laid out before it loads) and a text alternative; otherwise the site card."""

from __future__ import annotations

from pathlib import Path

from lxml import html as lxml_html
from PIL import Image


def meta(out: Path, url: str) -> dict[str, str]:
    doc = lxml_html.fromstring((out / url.lstrip("/") / "index.html").read_bytes())
    found = {}
    for element in doc.xpath("//meta[@property or @name]"):
        found[element.get("property") or element.get("name")] = element.get("content")
    return found


def published_size(out: Path, absolute_url: str) -> tuple[int, int]:
    path = absolute_url.split("://", 1)[1].split("/", 1)[1]
    with Image.open(out / path) as image:
        return image.size


def test_own_images_carry_the_published_files_size_and_an_alt(sample_build):
    for url, alt in [("/members/jordan-ellis/", "Jordan Ellis"),
                     ("/projects/loss-landscape-atlas/", "Loss Landscape Atlas")]:
        tags = meta(sample_build, url)
        assert "og-default" not in tags["og:image"], url
        size = published_size(sample_build, tags["og:image"])
        assert (int(tags["og:image:width"]), int(tags["og:image:height"])) == size, url
        assert tags["og:image:alt"] == tags["twitter:image:alt"]
        assert alt in tags["og:image:alt"], url
        assert tags["twitter:card"] == "summary_large_image"


def test_pages_without_an_image_show_the_site_card_with_its_size(sample_build):
    tags = meta(sample_build, "/posts/a-year-of-mlc/")
    assert tags["og:image"].endswith("/assets/og-default.png")
    assert (int(tags["og:image:width"]), int(tags["og:image:height"])) == published_size(sample_build, tags["og:image"])
    assert tags["og:image:alt"] == "ML Collective"
    assert tags["twitter:card"] == "summary"
