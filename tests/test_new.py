"""`mlcsite new` through the real command: slugs from names in any script, sessions
that follow their series, placeholders that `check` reports until they are filled."""

from __future__ import annotations

import re

import pytest

from generator.scaffold import slug_from_title

# Fri 27 Nov 2026 12:00 UTC: the sample content's "today"
CLOCK = {"SOURCE_DATE_EPOCH": "1795780800"}

DLCT = """\
title: "Deep Learning: Classics and Trends"
short: DLCT
timezone: America/Los_Angeles
join:
  url: https://example.org/dlct
"""


def session(day: str, time: str = "10:00", extra: str = "") -> str:
    return (f"---\ntitle: DLCT on {day}\nseries: dlct\nstart: {day} {time}\nduration: 90m\n"
            f"papers:\n  - title: A paper\n{extra}---\n")


@pytest.fixture
def dlct_site(make_site):
    return make_site({
        "content/members/ada-lovelace.yaml": "name: Ada Lovelace\nrole: Host\nlinks:\n  website: https://ada.example.org\n",
        "content/series/dlct.yaml": DLCT,
        "content/events/dlct-2026-11-06.md": session("2026-11-06"),
        "content/events/dlct-2026-11-13.md": session("2026-11-13"),
        "content/events/dlct-2026-12-04.md": session("2026-12-04"),
        "content/events/dlct-2026-10-07.md": session("2026-10-07", "18:00"),  # one odd Wednesday
    })


@pytest.mark.parametrize("title, slug", [
    ("Zoë Ødegård", "zoe-odegard"),
    ("Nguyễn Thị Mai", "nguyen-thi-mai"),
    ("Probe member Zoë Ærø", "probe-member-zoe-aero"),
    ("  What's new in 2027?  ", "what-s-new-in-2027"),
    ("Łukasz Żółć — ICLR talk", "lukasz-zolc-iclr-talk"),
])
def test_a_slug_is_made_from_a_name_in_any_script(title, slug):
    assert slug_from_title(title) == slug


def test_a_long_title_is_cut_between_words():
    slug = slug_from_title("A very long title about " + "scaling laws and " * 10 + "more")
    assert len(slug) <= 60 and not slug.endswith("-") and slug.endswith(("scaling", "laws", "and"))


def test_new_member_takes_their_name_as_written(dlct_site):
    result = dlct_site.cli("new", "member", "Zoë Ødegård")
    assert result.returncode == 0, result.output
    assert "Wrote content/members/zoe-odegard.yaml" in result.stdout
    text = (dlct_site.root / "content/members/zoe-odegard.yaml").read_text(encoding="utf-8")
    assert text.startswith('name: "Zoë Ødegård"\n')


def test_new_session_follows_its_series_and_says_what_it_chose(dlct_site):
    result = dlct_site.cli("new", "event", "--series", "dlct", "--author", "ada-lovelace", env=CLOCK)
    assert result.returncode == 0, result.output
    # Fridays at 10:00 are the habit; 27 Nov is today, 4 Dec is taken: 11 Dec is the next free Friday.
    assert "Wrote content/events/dlct-2026-12-11.md" in result.stdout
    assert "Fri 11 Dec 2026: the next free Friday" in result.stdout
    assert "the usual Friday 10:00 of its 4 sessions" in result.stdout
    text = (dlct_site.root / "content/events/dlct-2026-12-11.md").read_text(encoding="utf-8")
    assert "series: dlct\nstart: 2026-12-11 10:00\n" in text
    assert "duration: 1h30m\n" in text and "speakers:\n  - ada-lovelace\n" in text
    assert "timezone:" not in text.replace("# timezone:", "")  # the series' zone applies


def test_new_session_on_a_given_date_keeps_the_usual_time(dlct_site):
    result = dlct_site.cli("new", "event", "Attention, again", "--series", "dlct", "--date", "2027-01-15",
                           "--author", "ada-lovelace", env=CLOCK)
    assert result.returncode == 0, result.output
    text = (dlct_site.root / "content/events/dlct-2027-01-15.md").read_text(encoding="utf-8")
    assert 'title: "DLCT: Attention, again"\n' in text and "start: 2027-01-15 10:00\n" in text


def test_a_starter_is_reported_by_check_until_its_placeholders_are_filled(dlct_site):
    assert dlct_site.cli("new", "event", "--series", "dlct", env=CLOCK).returncode == 0
    path = dlct_site.root / "content/events/dlct-2026-12-11.md"
    check = dlct_site.cli("check")
    assert check.returncode == 0, check.output
    flagged = re.findall(r"warning \(line (\d+)", check.stdout)
    lines = path.read_text(encoding="utf-8").split("\n")
    assert [int(n) for n in flagged] == [i + 1 for i, line in enumerate(lines) if "FILL" in line]
    assert any(line.startswith("# speakers:") for line in lines)  # no speaker is guessed

    filled = "\n".join(line for line in lines if not line.startswith("# FILL IN"))
    filled = (filled.replace("FILL IN the title of the session", "Attention Is All You Need")
              .replace("FILL IN the paper's title", "Attention Is All You Need")
              .replace("abs/FILL-IN", "abs/1706.03762").replace("FILL IN e.g. Vaswani et al.", "Vaswani et al.")
              .replace("FILL IN: a few", "A few").replace("# speakers: [your-member-slug]", "speakers: [ada-lovelace]"))
    path.write_text(filled, encoding="utf-8")
    check = dlct_site.cli("check")
    assert check.returncode == 0 and "warning" not in check.stdout, check.output


@pytest.mark.parametrize("kind", ["member", "project", "series", "event", "post", "page", "rfp"])
def test_every_starter_checks_clean_once_its_placeholders_are_filled(dlct_site, kind):
    args = ["--author", "ada-lovelace"] if kind in ("project", "post", "rfp") else []
    result = dlct_site.cli("new", kind, f"Probe {kind} Zoë", *args, env=CLOCK)
    assert result.returncode == 0, result.output
    written = dlct_site.root / result.stdout.split()[1]
    lines = written.read_text(encoding="utf-8").split("\n")
    filled = [re.sub(r"FILL[ -]IN:? ?", "", line) for line in lines if not line.startswith("# FILL IN")]
    if kind == "member":  # a member with a role and a way to reach them
        filled = [re.sub(r"^# (role|links|  website):", r"\1:", line) for line in filled]
        filled = [line.replace("https://…", "https://probe.example.org") for line in filled]
    written.write_text("\n".join(filled), encoding="utf-8")
    check = dlct_site.cli("check")
    assert check.returncode == 0 and "warning" not in check.stdout, check.output


def test_new_refuses_to_overwrite_and_names_the_file(dlct_site):
    assert dlct_site.cli("new", "post", "Hello", "--date", "2026-11-20").returncode == 0
    again = dlct_site.cli("new", "post", "Hello!", "--date", "2026-12-01")
    assert again.returncode == 2
    assert "content/posts/2026-11-20-hello.md" in again.stderr and "nothing was written" in again.stderr


def test_new_post_names_no_author_it_was_not_given(dlct_site):
    dlct_site.cli("new", "post", "Hello", env=CLOCK)
    text = (dlct_site.root / "content/posts/2026-11-27-hello.md").read_text(encoding="utf-8")
    assert "ada-lovelace" not in text and "# authors: [your-member-slug]" in text


@pytest.mark.parametrize("args, message", [
    (["event", "--series", "dlc"], 'there is no series with the slug "dlc". Did you mean "dlct"?'),
    (["post", "Hi", "--author", "ada-lovlace"], 'there is no member with the slug "ada-lovlace". Did you mean "ada-lovelace"?'),
    (["member", "Ada", "--slug", "Ada L"], '"Ada L" is not a valid slug'),
    (["member", "X", "--date", "2026-01-01"], "--date is only for event, post, rfp."),
    (["event", "X", "--date", "next friday"], '--date "next friday" is not a date'),
    (["member", "🙂"], "no slug can be made from"),
    (["page"], "give a title or name"),
])
def test_new_explains_what_it_cannot_do(dlct_site, args, message):
    result = dlct_site.cli("new", *args, env=CLOCK)
    assert result.returncode == 2 and message in result.stderr, result.output
    assert not list((dlct_site.root / "content").rglob("*x*.md"))


def test_a_numbered_series_gets_the_next_number_and_the_usual_place(make_site):
    jam = ("---\ntitle: \"Jam #{n}\"\nseries: jam\nnumber: {n}\nstart: {day} 09:00\nduration: 3h\n"
           "location: {{name: Gather, url: https://example.org/gather}}\n---\n")
    site = make_site({
        "content/series/jam.yaml": "title: Research Jam\nnumbered: true\ntimezone: Europe/Berlin\n",
        "content/events/jam-33.md": jam.format(n=33, day="2026-10-03"),
        "content/events/jam-34.md": jam.format(n=34, day="2026-11-14"),
    })
    result = site.cli("new", "event", "Small models", "--series", "jam", env=CLOCK)
    assert result.returncode == 0, result.output
    assert "Wrote content/events/jam-35.md" in result.stdout and "Sat 28 Nov 2026: the next free Saturday" in result.stdout
    text = (site.root / "content/events/jam-35.md").read_text(encoding="utf-8")
    assert 'title: "Research Jam #35: Small models"\n' in text and "number: 35\n" in text
    assert 'location:\n  name: "Gather"\n  url: "https://example.org/gather"\n' in text
    assert "papers:" not in text.replace("# papers:", "")  # a jam discusses no papers
    assert site.cli("check").returncode == 0
