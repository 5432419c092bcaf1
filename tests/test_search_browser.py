"""Search in a real browser: headless Chromium on a local HTTP server, over the
index `mlcsite build` wrote. Typing a word from one post finds that post first
and its link leads there, at the root and under a /pr-42/ sub-path; the same by
keyboard alone; axe finds nothing on /search/; `mlcsite watch` keeps the index
current."""

from __future__ import annotations

import functools
import shutil
import threading
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from conftest import REPO, SAMPLE_NOW, run_mlcsite
from test_browser import QuietHandler, browser  # noqa: F401 (browser: the shared Chromium fixture)
from test_watch import WatchProcess

pytestmark = pytest.mark.browser  # needs Chromium

ONE_POST_WORD = "alternating"  # only in content/posts/2025-04-12-lagos-chapter-launch.md
LAGOS_POST = "Introducing the MLC Lagos Chapter"


class Server:
    """A plain static file server on 127.0.0.1: no server logic, as on any host."""

    def __init__(self, folder: Path) -> None:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(folder)))
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.thread.join()


@pytest.fixture(scope="module")
def site_url(sample_build: Path):
    server = Server(sample_build)
    yield server.url
    server.close()


@pytest.fixture(scope="module")
def sub_path_url(tmp_path_factory):
    """The sample site built for https://…/pr-42/ and served under /pr-42/."""
    top = tmp_path_factory.mktemp("subpath")
    server = Server(top)
    base = server.url + "/pr-42/"
    result = run_mlcsite("build", "--out", str(top / "pr-42"), "--now", SAMPLE_NOW, "--base-url", base, cwd=REPO)
    assert result.returncode == 0, result.output
    yield base
    server.close()


@pytest.fixture
def tab(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.errors = errors
    yield page
    context.close()


def first_result(page):
    return page.locator("#Search-results li").first


def test_a_word_from_one_post_finds_that_post_first_and_its_link_leads_there(tab, site_url):
    tab.goto(site_url + "/search/")
    tab.get_by_label("Words to find").fill(ONE_POST_WORD)
    expect(tab.locator("#Search-status")).to_contain_text("1 page found")
    result = first_result(tab)
    expect(result.get_by_role("link")).to_have_text(LAGOS_POST)
    expect(result.locator(".search-facts")).to_have_text("Post · Sat 12 Apr 2025")
    expect(result.locator("mark").first).to_have_text("alternating", ignore_case=True)
    result.get_by_role("link").click()
    tab.wait_for_url(site_url + "/posts/lagos-chapter-launch/")
    assert tab.get_by_role("heading", level=1).inner_text() == LAGOS_POST
    assert tab.errors == []


def test_the_address_runs_the_search_and_filters_by_kind_and_tag(tab, site_url):
    tab.goto(site_url + "/search/?q=" + ONE_POST_WORD)
    expect(first_result(tab).get_by_role("link")).to_have_text(LAGOS_POST)
    tab.goto(site_url + "/search/?q=DLCT&kind=Event")
    expect(tab.locator("#Search-status")).to_contain_text("found")
    facts = tab.locator("#Search-results .search-facts").all_inner_texts()
    assert facts and all(text.startswith("Event") for text in facts)
    tab.goto(site_url + "/search/?kind=Post&tag=chapters")
    expect(first_result(tab).get_by_role("link")).to_have_text(LAGOS_POST)
    assert tab.get_by_label("Tag").input_value() == "chapters"
    assert tab.errors == []


def test_search_works_under_a_sub_path(tab, sub_path_url):
    tab.goto(sub_path_url + "posts/")
    tab.get_by_role("banner").get_by_role("link", name="Search").click()
    tab.wait_for_url(sub_path_url + "search/")
    tab.get_by_label("Words to find").fill(ONE_POST_WORD)
    first_result(tab).get_by_role("link").click()
    tab.wait_for_url(sub_path_url + "posts/lagos-chapter-launch/")
    assert tab.errors == []


def test_search_by_keyboard_alone(tab, site_url):
    tab.goto(site_url + "/posts/")
    for _ in range(40):  # Tab through the header to the search link
        tab.keyboard.press("Tab")
        if tab.evaluate("document.activeElement.textContent.trim()") == "Search":
            break
    tab.keyboard.press("Enter")
    tab.wait_for_url(site_url + "/search/")
    for _ in range(40):
        tab.keyboard.press("Tab")
        if tab.evaluate("document.activeElement.id") == "Search-q":
            break
    tab.keyboard.type(ONE_POST_WORD)
    tab.keyboard.press("Enter")
    expect(first_result(tab).get_by_role("link")).to_have_text(LAGOS_POST)
    for _ in range(10):  # the kind and tag lists, the button, then the first result
        tab.keyboard.press("Tab")
        if tab.evaluate("document.activeElement.textContent") == LAGOS_POST:
            break
    tab.keyboard.press("Enter")
    tab.wait_for_url(site_url + "/posts/lagos-chapter-launch/")
    assert tab.errors == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_search_page_has_no_accessibility_violations(browser, site_url, scheme):
    context = browser.new_context(color_scheme=scheme, reduced_motion="reduce")
    page = context.new_page()
    page.goto(site_url + "/search/?q=community")
    expect(page.locator("#Search-results li").first).to_be_visible()
    result = Axe().run(page)
    assert result.violations_count == 0, result.generate_report()
    context.close()


def test_watch_keeps_the_index_current(tab, tmp_path):
    root = tmp_path / "site"
    for name in ("content", "templates"):
        shutil.copytree(REPO / name, root / name)
    shutil.copy(REPO / "site.yaml", root / "site.yaml")
    watcher = WatchProcess(root, "watch")
    try:
        watcher.wait_for_line(r"Watching content/", timeout=60)
        server = Server(root / "output")
        post = root / "content/posts/2025-04-12-lagos-chapter-launch.md"
        seen = len(watcher.lines)
        post.write_text(post.read_text("utf-8") + "\nWe close with a quokkaesque flourish.\n", "utf-8")
        watcher.wait_for_line(r"(?i)rebuilt|updated|wrote", after=seen, timeout=60)
        tab.goto(server.url + "/search/?q=quokkaesque")
        expect(first_result(tab).get_by_role("link")).to_have_text(LAGOS_POST, timeout=20000)
        server.close()
    finally:
        assert watcher.stop() == 0


def test_an_excerpt_keeps_the_spaces_around_the_words_it_marks(tab, site_url):
    """Pagefind's excerpt is "<mark>Lagos</mark> Chapter…": the space after a mark
    must survive the escaping in search.js, or the words run together."""
    tab.goto(site_url + "/search/?q=" + ONE_POST_WORD)
    expect(first_result(tab)).to_contain_text(LAGOS_POST)
    excerpt = first_result(tab).locator("p").last
    marked = excerpt.locator("mark").first
    expect(marked).to_have_text(ONE_POST_WORD, ignore_case=True)
    text = excerpt.text_content()
    word = marked.text_content()
    at = text.index(word)
    assert text[at + len(word)] in " .,;:", f"no space after the marked word: {text!r}"
    assert at == 0 or text[at - 1] in " (“\"", f"no space before the marked word: {text!r}"


def test_more_results_than_a_page_holds_are_shown_on_request(tab, site_url):
    """A common word finds more pages than the first 20: a button shows the
    next ones, focus moves to the first added result, and a new search starts
    from the top again."""
    tab.goto(site_url + "/search/?q=open")
    status = tab.locator("#Search-status")
    expect(status).to_contain_text("the first 20 are shown")
    total = int(status.inner_text().split()[0])
    assert total > 20, "the sample site should have more than 20 pages with 'open'"
    results = tab.locator("#Search-results li")
    expect(results).to_have_count(20)
    more = tab.get_by_role("button", name=f"Show {min(total - 20, 20)} more")
    twentieth = results.nth(19).get_by_role("link").inner_text()
    more.click()
    expect(results).to_have_count(min(total, 40))
    assert results.nth(19).get_by_role("link").inner_text() == twentieth  # appended, not replaced
    assert tab.evaluate("document.activeElement.closest('li') === document.querySelectorAll('#Search-results li')[20]")
    if total <= 40:
        expect(status).to_have_text(f"{total} pages found for “open”.")
        expect(tab.locator(".search-more")).to_be_hidden()
    tab.get_by_label("Words to find").fill(ONE_POST_WORD)
    expect(status).to_contain_text("1 page found")
    expect(results).to_have_count(1)
    expect(tab.locator(".search-more")).to_be_hidden()
    assert tab.errors == []
