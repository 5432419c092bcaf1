"""Issue 10, cases 3 and 6: one-line fields stay on one line, URL fields hold no
hidden characters, and tags are one namespace — each through the real CLI."""

from __future__ import annotations

import feedparser

EVENT = "content/events/talk.md"


def test_a_line_break_in_an_event_title_fails_check_and_build_with_the_line(make_site):
    site = make_site({EVENT: '---\ntitle: "Talk\\nSecond line"\nstart: 2024-03-08 10:00\n---\n'})
    check = site.cli("check", "--format", "github")
    assert check.returncode == 1
    assert f"file={EVENT},line=2," in check.stdout and "title contains a line break" in check.stdout
    build = site.cli("build")
    assert build.returncode == 1 and "Traceback" not in build.stderr and EVENT in build.stderr
    assert not site.output.exists()


def test_a_carriage_return_never_reaches_a_calendar_line(make_site):
    title = "Talk\\rATTACH:https://evil.example/payload.exe"
    site = make_site({"content/series/jam.yaml": f'title: "{title}"\n',
                      EVENT: f'---\ntitle: "{title}"\nseries: jam\nstart: 2024-03-08 10:00\n---\n'})
    result = site.cli("build")
    assert result.returncode == 1
    assert "content/series/jam.yaml" in result.stderr and EVENT in result.stderr
    assert "carriage return" in result.stderr
    assert not site.output.exists()


def test_url_fields_refuse_tabs_and_line_breaks_that_urlsplit_would_drop(make_site):
    site = make_site({EVENT: '---\ntitle: Talk\nstart: 2024-03-08 10:00\n'
                             'links: {join: "https://zoom.example/j/1\\r\\nX-EVIL:1", slides: "https://e.org/a\\tb"}\n---\n'})
    result = site.cli("check")
    assert result.returncode == 1
    assert "links.join contains a carriage return (a line break); a web address cannot." in result.stdout
    assert "links.slides contains a tab; a web address cannot." in result.stdout


def test_two_spellings_of_a_tag_are_one_tag_not_a_theme_bug(make_site):
    site = make_site({
        "content/posts/2024-01-01-one.md": "---\ntitle: One\ntags: [community]\n---\nx\n",
        "content/posts/2024-01-02-two.md": "---\ntitle: Two\ntags: [Community]\n---\nx\n",
    })
    result = site.cli("build", "--now", "2024-06-01T00:00:00Z")
    assert result.returncode == 0, result.output
    assert "bug in the theme" not in result.output
    assert 'The tag "Community" is written "community" in content/posts/2024-01-01-one.md' in result.stderr
    page = (site.output / "tags/community/index.html").read_text(encoding="utf-8")
    assert 'href="/posts/one/"' in page and 'href="/posts/two/"' in page


def test_tags_that_share_a_slug_are_an_error_naming_both_files(make_site):
    site = make_site({
        "content/posts/2024-01-01-one.md": "---\ntitle: One\ntags: [C++]\n---\nx\n",
        "content/posts/2024-01-02-two.md": "---\ntitle: Two\ntags: [C#]\n---\nx\n",
    })
    result = site.cli("build")
    assert result.returncode == 1
    assert "bug in the theme" not in result.output
    assert ('The tags "C#" here and "C++" in content/posts/2024-01-01-one.md would share one address, '
            "/tags/c/.") in result.stderr
    assert "content/posts/2024-01-02-two.md" in result.stderr


def test_a_tag_repeated_in_one_post_lists_the_post_once(make_site):
    site = make_site({"content/posts/2024-01-01-one.md": "---\ntitle: One\ntags: [community, community]\n---\nx\n"})
    result = site.cli("build", "--now", "2024-06-01T00:00:00Z")
    assert result.returncode == 0, result.output
    page = (site.output / "tags/community/index.html").read_text(encoding="utf-8")
    assert page.count('href="/posts/one/"') == 1
    feed = feedparser.parse((site.output / "tags/community/feed.xml").read_bytes())
    guids = [entry.id for entry in feed.entries]
    assert len(guids) == 1


def test_a_look_alike_tag_is_an_error_with_the_latin_spelling(make_site):
    site = make_site({"content/posts/2024-01-01-one.md": "---\ntitle: One\ntags: [сommunity]\n---\nx\n"})
    result = site.cli("build")
    assert result.returncode == 1
    assert "mixes letters of different alphabets (Cyrillic and Latin)" in result.stderr
    assert 'Did you mean "community"?' in result.stderr
    assert not site.output.exists()


def test_a_carriage_return_in_a_description_stays_inside_its_property(make_site):
    import icalendar
    site = make_site({"content/events/talk.yaml": 'title: Talk\nstart: 2024-03-08 10:00\n'
                                                  'body: "Hello\\rATTACH:https://evil.example/payload.exe"\n'})
    result = site.cli("build", "--now", "2024-01-01T00:00:00Z")
    assert result.returncode == 0, result.output
    data = (site.output / "events/talk/event.ics").read_bytes()
    assert b"\rATTACH" not in data and b"\nATTACH" not in data
    event = icalendar.Calendar.from_ical(data).walk("VEVENT")[0]
    assert "ATTACH" not in event
