"""Every internal link in the built site leads somewhere: each href, src, canonical,
og:image and redirect target in every HTML file resolves to a built file, and
each #fragment to an element with that id."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest

from conftest import SAMPLE_NOW, REPO, run_mlcsite

SITE = "https://mlcollective.org/"
PREVIEW = "https://example.org/pr-42/"  # the same host as some content links: only the path tells
NOT_PAGES = ("mailto:", "webcal:", "tel:", "data:", "javascript:")


class References(HTMLParser):
    """The URLs a page points at (with the tag that holds them) and the ids it has."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[tuple[str, str]] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids.add(values["id"])
        for name in ("href", "src"):
            if values.get(name) is not None:
                self.urls.append((tag, values[name]))
        if tag == "meta" and values.get("property") in ("og:image", "og:url"):
            self.urls.append((tag, values.get("content") or ""))
        if tag == "meta" and (values.get("http-equiv") or "").lower() == "refresh":
            self.urls.append((tag, (values.get("content") or "").split("url=", 1)[-1]))


def parse(path: Path) -> References:
    parser = References()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def page_url(out: Path, path: Path, base_path: str) -> str:
    rel = path.relative_to(out).as_posix()
    return base_path + (rel[: -len("index.html")] if rel.endswith("index.html") else rel)


def target_file(out: Path, url: str, site: str) -> tuple[Path | None, str]:
    """The built file a URL under `site` points at, and its fragment."""
    parts = urlsplit(url)
    rel = unquote(parts.path)[len(urlsplit(site).path):]
    if rel == "" or rel.endswith("/"):
        rel += "index.html"
    return out / rel, parts.fragment


def broken_links(out: Path, site: str) -> list[str]:
    base_path = urlsplit(site).path
    pages = sorted(out.rglob("*.html"))
    ids = {path: parse(path).ids for path in pages}
    problems = []
    for path in pages:
        here = urljoin(site, page_url(out, path, base_path))
        for tag, raw in parse(path).urls:
            if raw.startswith(NOT_PAGES):
                continue
            absolute = urljoin(here, raw.strip())
            if "://" in raw and not raw.startswith(site):
                continue  # another site (sample content links to example.org too)
            if not absolute.startswith(site):
                problems.append(f"{path.relative_to(out)}: <{tag}> {raw} leaves the base path")
                continue
            target, fragment = target_file(out, absolute, site)
            where = f"{path.relative_to(out)}: <{tag}> {raw}"
            if not target.is_file():
                problems.append(f"{where} → no file {target.relative_to(out)}")
            elif fragment and target.suffix == ".html" and unquote(fragment) not in ids[target]:
                problems.append(f"{where} → no id {fragment!r}")
    return problems


@pytest.fixture(scope="module")
def preview_build(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("preview") / "output"
    result = run_mlcsite("build", "--out", str(out), "--now", SAMPLE_NOW, "--base-url", PREVIEW, cwd=REPO)
    assert result.returncode == 0, result.output
    return out


def test_every_internal_link_in_the_sample_site_resolves(sample_build):
    pages = list(sample_build.rglob("*.html"))
    assert len(pages) > 80  # the whole site, not an empty folder
    assert broken_links(sample_build, SITE) == []


def test_every_internal_link_resolves_under_a_base_path(preview_build):
    assert broken_links(preview_build, PREVIEW) == []


def test_the_checker_notices_a_missing_page_and_a_missing_anchor(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "index.html").write_text('<a href="/a/">ok</a><a href="/b/">gone</a>'
                                         '<a href="/a/#here">ok</a><a href="#nowhere">gone</a>', encoding="utf-8")
    (tmp_path / "a" / "index.html").write_text('<h2 id="here">Here</h2>', encoding="utf-8")
    problems = broken_links(tmp_path, SITE)
    assert len(problems) == 2
    assert "no file b/index.html" in problems[0] and "no id 'nowhere'" in problems[1]


def test_the_checker_notices_a_link_that_forgets_the_base_path(tmp_path):
    (tmp_path / "index.html").write_text('<a href="/pr-42/">ok</a><a href="/members/">forgot</a>'
                                         '<a href="https://example.org/elsewhere/">another site</a>', encoding="utf-8")
    assert broken_links(tmp_path, PREVIEW) == ["index.html: <a> /members/ leaves the base path"]
