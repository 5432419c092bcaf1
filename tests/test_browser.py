"""The sample site in a real browser: headless Chromium (Playwright) on a local
HTTP server. Navigation, the visitor's local time, the copy button, phone
layout, no console errors, and no axe-core accessibility violations in light
and dark mode. One browser for the whole module."""

from __future__ import annotations

import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import sync_playwright

pytestmark = pytest.mark.browser  # needs Chromium

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
INDEXES = ["/", "/members/", "/projects/", "/events/", "/series/", "/posts/", "/rfps/"]
ONE_OF_EACH = ["/members/layla-haddad/", "/projects/loss-landscape-atlas/", "/events/dlct-2026-12-11/",
               "/events/town-hall/", "/series/dlct/", "/posts/a-year-of-mlc/", "/tags/community/",
               "/rfps/loss-spikes-small-scale/", "/wiki/getting-started/", "/404.html"]


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:
        pass


@pytest.fixture(scope="module")
def site_url(sample_build: Path):
    handler = functools.partial(QuietHandler, directory=str(sample_build))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Visitor:
    """A browser tab that remembers every console error and uncaught exception."""

    def __init__(self, browser, **context_options) -> None:
        self.context = browser.new_context(**context_options)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))

    def open(self, url: str):
        response = self.page.goto(url)
        assert response is not None and response.ok, url
        return self.page


@pytest.fixture
def visitor(browser):
    """Someone in Berlin with JavaScript on, on a laptop."""
    made = Visitor(browser, timezone_id="Europe/Berlin", locale="en-US", viewport={"width": 1280, "height": 900})
    yield made
    made.context.close()


def test_navigation_leads_from_home_to_an_event_and_back(visitor, site_url):
    page = visitor.open(site_url + "/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Events").click()
    page.wait_for_url(site_url + "/events/")
    assert page.get_by_role("heading", level=1).inner_text() == "Events"
    assert page.get_by_role("navigation", name="Main").locator("[aria-current]").inner_text() == "Events"
    page.get_by_role("link", name="DLCT: Tokenisers and the Languages They Leave Behind").first.click()
    page.wait_for_url(site_url + "/events/dlct-2026-12-04/")
    page.go_back()
    page.wait_for_url(site_url + "/events/")
    page.get_by_role("link", name="Skip to content").focus()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "Main"
    assert visitor.errors == []


def test_event_time_shows_the_zone_and_the_visitors_own_time(visitor, site_url):
    page = visitor.open(site_url + "/events/dlct-2026-12-04/")
    when = page.locator("dl.facts dd").first.inner_text()
    assert "Fri 4 Dec 2026 · 10:00–11:00 PST (UTC−8) = 19:00–20:00 in your time (CET)" in when
    page = visitor.open(site_url + "/events/neurips-2026-social/")
    assert "= Thu 10 Dec, 04:30–07:00 in your time (CET)" in page.locator("dl.facts dd").first.inner_text()
    assert visitor.errors == []


def test_a_visitor_in_the_events_zone_is_told_it_is_the_same(browser, site_url):
    visitor = Visitor(browser, timezone_id="America/Los_Angeles", locale="en-US")
    page = visitor.open(site_url + "/events/dlct-2026-12-04/")
    assert "PST (UTC−8) = the same in your time (PST)" in page.locator("dl.facts dd").first.inner_text()
    visitor.context.close()


def test_copy_button_copies_the_bibtex(browser, site_url):
    visitor = Visitor(browser, permissions=["clipboard-read", "clipboard-write"])
    page = visitor.open(site_url + "/projects/yoruba-qa/")
    page.get_by_role("button", name="Copy BibTeX").click()
    page.get_by_text("Copied to the clipboard.").wait_for()
    assert page.evaluate("navigator.clipboard.readText()").startswith("@misc{okafor2025yorubaqa,")
    assert visitor.errors == []
    visitor.context.close()


def test_pages_read_fine_without_javascript(browser, site_url):
    visitor = Visitor(browser, java_script_enabled=False)
    page = visitor.open(site_url + "/events/dlct-2026-12-04/")
    assert "10:00–11:00 PST (UTC−8)" in page.locator("dl.facts dd").first.inner_text()
    assert page.locator(".your-time").count() == 0
    page = visitor.open(site_url + "/projects/yoruba-qa/")
    assert page.locator("pre#Bibtex").is_visible()
    assert not page.get_by_role("button", name="Copy BibTeX").is_visible()  # no button that cannot work
    visitor.context.close()


@pytest.mark.parametrize("path", ["/", "/events/dlct-2026-12-04/", "/projects/loss-landscape-atlas/", "/series/dlct/"])
def test_phone_layout_has_one_column_and_big_tap_targets(browser, site_url, path):
    visitor = Visitor(browser, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = visitor.open(site_url + path)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing sideways
    targets = page.locator(".site-nav a, a.button, .tags a, .pagination a").all()
    small = [t.inner_text() for t in targets if t.bounding_box()["height"] < 44]
    assert targets and small == []
    visitor.context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_accessibility_violations(browser, site_url, scheme):
    visitor = Visitor(browser, color_scheme=scheme, timezone_id="Europe/Berlin", reduced_motion="reduce")
    axe = Axe()
    reports = []
    for path in INDEXES + ONE_OF_EACH:
        page = visitor.open(site_url + path)
        result = axe.run(page)
        if result.violations_count:
            reports.append(f"{path}:\n{result.generate_report()}")
    assert reports == [], "\n".join(reports)
    assert visitor.errors == []
    visitor.context.close()


def test_phone_navigation_is_one_menu_button_that_works_without_javascript(browser, site_url):
    visitor = Visitor(browser, java_script_enabled=False, viewport={"width": 390, "height": 844},
                      is_mobile=True, has_touch=True)
    page = visitor.open(site_url + "/posts/")
    assert page.locator(".site-header").bounding_box()["height"] <= 80  # one row, not two (issue 12)
    nav = page.get_by_role("navigation", name="Main")
    events = nav.get_by_role("link", name="Events")
    assert not events.is_visible()
    menu = page.locator("summary", has_text="Menu")
    menu.focus()
    page.keyboard.press("Enter")  # keyboard alone opens it
    assert events.is_visible()
    boxes = [link.bounding_box() for link in nav.get_by_role("link").all()]
    assert all(box["height"] >= 44 and box["x"] >= 0 and box["x"] + box["width"] <= 390 for box in boxes)
    assert nav.locator("[aria-current]").inner_text() == "Posts"
    events.click()
    page.wait_for_url(site_url + "/events/")
    assert page.get_by_role("heading", level=1).inner_text() == "Events"
    visitor.context.close()


def test_laptop_navigation_is_a_row_of_links_without_a_menu_button(visitor, site_url):
    page = visitor.open(site_url + "/")
    assert not page.locator("summary", has_text="Menu").is_visible()
    links = page.get_by_role("navigation", name="Main").get_by_role("link").all()
    tops = {round(link.bounding_box()["y"]) for link in links}
    assert all(link.is_visible() for link in links) and len(tops) == 1  # one row
    page.keyboard.press("Tab")  # the skip link, then the site's name, then the first section
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "About"


def test_link_rows_never_show_a_separator_at_a_line_edge(browser, site_url):
    """The "·" in front of a link is drawn (and hit) only when a link precedes it
    on the same line: at the start of a line it is clipped away."""
    visitor = Visitor(browser, viewport={"width": 390, "height": 844})
    page = visitor.open(site_url + "/projects/")
    seen = {True: 0, False: 0}
    for item in page.locator(".link-row > li").all():
        item.scroll_into_view_if_needed()  # elementFromPoint sees only the viewport
        first_on_its_line, separator_drawn = item.evaluate("""li => {
          const box = li.getBoundingClientRect(), before = li.previousElementSibling;
          const em = parseFloat(getComputedStyle(li).fontSize);
          const hit = document.elementFromPoint(box.left + 0.55 * em, box.top + box.height / 2);
          return [!before || before.getBoundingClientRect().top < box.top - 4, li.contains(hit)];
        }""")
        assert separator_drawn != first_on_its_line, item.inner_text()
        seen[first_on_its_line] += 1
    assert seen[True] > 2 and seen[False] > 2  # rows that wrap, and separators that show
    visitor.context.close()


# Sums the layout shifts the page has had (PerformanceObserver, buffered).
LAYOUT_SHIFT_JS = """() => new Promise((done) => {
  let total = 0;
  new PerformanceObserver((list) => { for (const e of list.getEntries()) total += e.value; })
    .observe({type: "layout-shift", buffered: true});
  setTimeout(() => done(total), 300);
})"""


@pytest.mark.parametrize("width, expected", [(390, "-400w.webp"), (1280, "-800w.webp")])
def test_images_pick_the_width_that_fits_and_never_shift_the_layout(browser, site_url, width, expected):
    visitor = Visitor(browser, viewport={"width": width, "height": 844}, device_scale_factor=1)
    page = visitor.open(site_url + "/projects/loss-landscape-atlas/")
    figure = page.locator("figure.project-image img")
    figure.scroll_into_view_if_needed()  # it is lazy: below the fold
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=figure.element_handle())
    assert figure.evaluate("img => img.currentSrc").endswith("/images/projects/loss-landscape-atlas" + expected)
    assert page.evaluate(LAYOUT_SHIFT_JS) == 0
    visitor.context.close()


def test_no_image_is_broken(browser, site_url):
    visitor = Visitor(browser, viewport={"width": 1280, "height": 900})
    for path in ["/members/", "/members/jordan-ellis/", "/about/",
                 "/projects/yoruba-qa/"]:
        page = visitor.open(site_url + path)
        images = page.locator("main img").all()
        for image in images:
            image.scroll_into_view_if_needed()
        page.wait_for_load_state("networkidle")
        broken = page.evaluate("[...document.querySelectorAll('main img')]"
                               ".filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.currentSrc || i.src)")
        assert images and broken == [], path
        assert page.evaluate(LAYOUT_SHIFT_JS) < 0.01, path
    assert visitor.errors == []
    visitor.context.close()


def test_members_without_a_photo_get_initials_in_a_colour_of_their_own(visitor, site_url):
    page = visitor.open(site_url + "/members/")
    initials = page.locator(".avatar-initials").all()
    colours = {i.evaluate("e => getComputedStyle(e).backgroundColor") for i in initials}
    assert len(initials) > 5 and len(colours) > 3
    assert page.locator(".member-card img.avatar").count() == 4  # the sample's four photos
