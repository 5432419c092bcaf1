"""Hypothesis strategies for content files as contributors (and attackers) write
them: YAML front matter with known and unknown keys, wrong types, odd unicode,
control characters, huge and nested values; Markdown with nesting, footnotes,
code fences, raw HTML, math and links; sometimes broken on purpose.

Used by tests/test_properties.py. A strategy draws a `ContentFile`: where it
goes in the scratch site and its bytes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import yaml
from hypothesis import strategies as st

from generator.content.schemas import FIELDS

# Files of the base site the fuzzed file may refer to (tests/test_properties.py writes them).
MEMBER, SERIES, PROJECT = "ada", "jam", "atlas"


@dataclass(frozen=True)
class ContentFile:
    rel: str  # relative to the site root
    data: bytes

    def __repr__(self) -> str:  # what Hypothesis prints for a failing example
        return f"ContentFile({self.rel!r}, {self.data!r})"


# ---------------------------------------------------------------- text and scalars

ODD_CHARACTERS = ("\x00", "\x01", "\x07", "\x08", "\x0b", "\x0c", "\x1b", "\x7f", "\x85", "\u00a0", "\u2028",
                  "\u2029", "\u200b", "\u200d", "\u202e", "\ufeff", "\ufffd", "\U0001f600", "\U000e0041", "\r",
                  "\t", "\n", "\r\n", "с", "ǅ", "İ", "ß", "\u0301", "\ud7ff", "\U0010fffd")
WORDS = ("community", "Talk", "DLCT", "Zoë Ødegård", "王芳", "{{ 7*7 }}", "{% raw %}", "<script>alert(1)</script>",
         "javascript:alert(1)", "&amp;", "&#0;", "#", ":", "- x", "'", '"', "\\", "*", "_", "`", "$", "[", "]",
         "|", "~", ">", "<", "@", "!", "%", "yes", "no", "null", "~", "0x1F", "1e9", ".inf", "2024-03-08")

odd_text = st.lists(st.characters(codec="utf-8") | st.sampled_from(ODD_CHARACTERS), max_size=30).map("".join)
plain_words = st.lists(st.sampled_from(WORDS) | st.from_regex(r"[a-z]{1,8}", fullmatch=True), min_size=1,
                       max_size=6).map(" ".join)
short_text = plain_words | odd_text
huge_text = st.integers(2_000, 120_000).map(lambda n: ("lorem ipsum " * (n // 12 + 1))[:n])

dates = st.dates(dt.date(1900, 1, 1), dt.date(2200, 12, 31))
datetimes = st.datetimes(dt.datetime(1900, 1, 1), dt.datetime(2200, 12, 31))
date_strings = st.one_of(dates.map(str), datetimes.map(lambda d: d.strftime("%Y-%m-%d %H:%M")),
                         st.sampled_from(["2024-02-30", "2024-13-01", "0000-00-00", "2024-03-08 25:00",
                                          "2024-03-08T10:00:00+99:00", "yesterday", "2024-03-08 10:00 Mars/Base"]))
urls = st.sampled_from([
    "https://example.org/x", "http://example.org", "/relative/path/", "#anchor", "mailto:a@example.org",
    "javascript:alert(1)", "JaVaScRiPt:alert(1)", "java\tscript:alert(1)", "data:text/html,<script>1</script>",
    "vbscript:x", "//evil.example/x", "/\\evil.example", "https://exa mple.org", "https://example.org/\r\nX:1",
    "&#106;avascript:alert(1)", "https://[::1", "ftp://example.org", "", " ", "https://例え.jp/パス",
])

scalars = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(allow_nan=True),
                    short_text, dates, datetimes, urls)


def _nest(depth: int) -> object:
    value: object = "deep"
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return value


any_value = st.one_of(
    st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                 | st.dictionaries(short_text, inner, max_size=4), max_leaves=12),
    huge_text,
    st.integers(20, 300).map(_nest),
    st.integers(100, 3000).map(lambda n: list(range(n))),
)

# ---------------------------------------------------------------- front matter

person = st.one_of(st.just(MEMBER), st.sampled_from(["nobody", "Ada", "ada lovelace"]),
                   st.fixed_dictionaries({"name": short_text}, optional={"url": urls, "affiliation": short_text}),
                   st.fixed_dictionaries({"slug": st.just(MEMBER)}, optional={"equal": st.booleans()}))
people = st.lists(person, max_size=3)
tags = st.lists(st.sampled_from(["community", "Community", "C++", "C#", "сommunity", "ml", "", " "])
                | short_text, max_size=5)
links = st.dictionaries(st.sampled_from(["website", "github", "paper", "code", "slides", "join", "email",
                                         "recording", "nonsense"]), urls, max_size=3)
location = st.one_of(short_text, st.fixed_dictionaries({"name": short_text}, optional={"url": urls,
                                                                                       "address": short_text}))
recurrence = st.fixed_dictionaries(
    {"rule": st.sampled_from(["FREQ=WEEKLY;BYDAY=FR", "FREQ=DAILY", "FREQ=SECONDLY", "FREQ=YEARLY;BYMONTH=13",
                              "RRULE:FREQ=WEEKLY", "nonsense", "FREQ=MONTHLY;BYMONTHDAY=31"])},
    optional={"count": st.integers(-1, 2000), "until": date_strings, "except": st.lists(date_strings, max_size=2),
              "extra": st.lists(date_strings, max_size=2)})

KNOWN_FIELDS = {
    "title": short_text, "name": short_text, "role": short_text, "affiliation": short_text,
    "pronouns": short_text, "summary": short_text, "description": short_text, "tldr": short_text,
    "venue": short_text, "short": short_text, "bibtex": short_text,
    "date": date_strings, "updated": date_strings, "start": date_strings, "end": date_strings,
    "announced": date_strings, "since": st.integers(1940, 2110), "year": st.integers(1940, 2110),
    "duration": st.sampled_from(["90m", "1h30m", "0m", "-1h", "100000h", "soon"]),
    "timezone": st.sampled_from(["UTC", "Europe/Berlin", "Mars/Base", "", "America/Los_Angeles"]),
    "authors": people, "speakers": people, "organizers": people, "tags": tags, "links": links,
    "location": location, "recurrence": recurrence, "series": st.sampled_from([SERIES, "unknown-series"]),
    "project": st.sampled_from([PROJECT, "nope"]), "number": st.integers(-5, 200_000),
    "status": st.sampled_from(["active", "alumni", "published", "preprint", "ongoing", "confirmed", "tentative",
                               "cancelled", "open", "taken", "done", "weird"]),
    "draft": st.booleans(), "menu": st.integers(-1, 2000), "numbered": st.booleans(),
    "aliases": st.lists(st.sampled_from(["/old/x/", "/.htaccess", "/../up/", "relative", "/posts/hello/",
                                         "/a b/"]), max_size=2),
    "photo": st.sampled_from(["images/none.png", "../site.yaml", "/etc/passwd"]),
    "image": st.sampled_from(["images/none.png", "../site.yaml"]),
    "papers": st.lists(st.fixed_dictionaries({"title": short_text}, optional={"url": urls}), max_size=2),
    "join": st.fixed_dictionaries({"url": urls}, optional={"note": short_text}),
    "contact": st.sampled_from(["a@example.org", "https://example.org", "not an address"]),
}
VALID_FIELDS = {  # values a careful contributor writes: check should accept them, build should build them
    **{name: plain_words for name in ("title", "name", "role", "affiliation", "pronouns", "summary", "description",
                                      "tldr", "venue", "short", "bibtex", "first_plot")},
    "date": dates.map(str), "updated": dates.map(str), "announced": dates.map(str),
    "start": datetimes.map(lambda d: d.strftime("%Y-%m-%d %H:%M")), "since": st.integers(1950, 2100),
    "year": st.integers(1950, 2100), "duration": st.sampled_from(["90m", "1h30m", "2h"]),
    "timezone": st.sampled_from(["UTC", "Europe/Berlin", "Asia/Kolkata", "America/Los_Angeles"]),
    "authors": st.lists(st.just(MEMBER) | st.fixed_dictionaries({"name": plain_words}), max_size=2),
    "speakers": st.lists(st.just(MEMBER), max_size=1), "organizers": st.lists(st.just(MEMBER), max_size=1),
    "tags": st.lists(st.from_regex(r"[a-z][a-z0-9 -]{0,10}[a-z0-9]", fullmatch=True), max_size=4),
    "location": plain_words | st.fixed_dictionaries({"name": plain_words}, optional={"url": st.just(
        "https://example.org/room")}),
    "series": st.just(SERIES), "number": st.integers(1, 1000),
    "status": st.just("confirmed"), "draft": st.booleans(), "menu": st.integers(1, 50), "numbered": st.just(False),
    "aliases": st.lists(st.from_regex(r"/old/[a-z]{1,8}/", fullmatch=True), max_size=1),
    "papers": st.lists(st.fixed_dictionaries({"title": plain_words}, optional={"url": st.just("https://a.example/p")}),
                       max_size=2),
    "join": st.fixed_dictionaries({"url": st.just("https://example.org/join")}, optional={"note": plain_words}),
    "contact": st.sampled_from(["a@example.org", "https://example.org/contact"]), "project": st.just(PROJECT),
    "recurrence": st.fixed_dictionaries({"rule": st.just("FREQ=WEEKLY;BYDAY=FR")},
                                        optional={"count": st.integers(1, 20)}),
}
VALID_LINKS = {"members": ("website", "github"), "projects": ("paper", "code"), "events": ("slides", "recording")}
REQUIRED = {"posts": {"title": plain_words}, "events": {"title": plain_words, "start": st.just("2024-03-08 10:00")},
            "members": {"name": plain_words}, "projects": {"title": plain_words, "authors": st.just([MEMBER])},
            "rfps": {"title": plain_words}, "pages": {"title": plain_words}, "series": {"title": plain_words}}
PATHS = {"posts": "content/posts/2024-02-02-fuzz", "events": "content/events/fuzz",
         "members": "content/members/fuzz", "projects": "content/projects/fuzz", "rfps": "content/rfps/fuzz",
         "pages": "content/pages/fuzz", "series": "content/series/fuzz"}


@st.composite
def front_matter(draw, kind: str, careful: bool) -> dict:
    """The fields of one item of `kind`: written with care (all valid), or not:
    some fields given any value, fields of other kinds, unknown keys."""
    fields = draw(st.fixed_dictionaries(REQUIRED[kind]))
    own = sorted(set(FIELDS[kind]) & set(VALID_FIELDS))
    for name in draw(st.lists(st.sampled_from(own), max_size=5, unique=True)):
        fields[name] = draw(VALID_FIELDS[name])
    if careful:
        if kind in VALID_LINKS and draw(st.booleans()):
            fields["links"] = {draw(st.sampled_from(VALID_LINKS[kind])): "https://example.org/link"}
        return fields
    for name in draw(st.lists(st.sampled_from(sorted(KNOWN_FIELDS)), min_size=1, max_size=3, unique=True)):
        fields[name] = draw(KNOWN_FIELDS[name] | any_value)
    if draw(st.integers(0, 3)) == 0:
        fields.update(draw(st.dictionaries(short_text | st.integers(), any_value, max_size=3)))
    if draw(st.integers(0, 5)) == 0:  # a required field gone
        fields.pop(draw(st.sampled_from(sorted(REQUIRED[kind]))), None)
    return fields


def dump_yaml(fields: dict, flow: bool, unicode: bool) -> str:
    try:
        return yaml.safe_dump(fields, default_flow_style=flow, allow_unicode=unicode, sort_keys=False, width=10**6)
    except yaml.YAMLError:  # a key type YAML cannot write: still a test of what a person could type
        return "".join(f"{key}: {value}\n" for key, value in fields.items())


YAML_BREAKAGES = [
    lambda t: t.replace(":", "", 1), lambda t: "\t" + t, lambda t: t + 'oops: "unclosed\n',
    lambda t: t + "title: again\n", lambda t: t + "a: &x [1]\nb: *x\nc: *undefined\n",
    lambda t: t + "x: !!python/object/apply:os.system [echo hi]\n", lambda t: t + "- a list item\n",
    lambda t: t + "k: [1, 2\n", lambda t: t + "k: {a: 1\n", lambda t: t + "? complex\n: key\n",
    lambda t: t + "k: \x00\n", lambda t: t + "%YAML 1.1\n", lambda t: t.replace("\n", "\n  ", 1),
    lambda t: t + "<<: {title: merged}\n", lambda t: t + "k: !!binary aGk=\n", lambda t: t + "k: 0o17\n",
]

# ---------------------------------------------------------------- Markdown

inline = st.one_of(
    plain_words, odd_text,
    plain_words.map(lambda w: f"*{w}*"), plain_words.map(lambda w: f"**{w}**"), plain_words.map(lambda w: f"`{w}`"),
    st.tuples(plain_words, urls).map(lambda p: f"[{p[0]}]({p[1]})"),
    st.tuples(plain_words, urls).map(lambda p: f"![{p[0]}]({p[1]} \"t\")"),
    st.tuples(plain_words, urls).map(lambda p: f"<{p[1]}> [{p[0]}][ref]"),
    st.integers(1, 4).map(lambda n: f"[^{n}]"),
    st.sampled_from(["$x^2$", "$\\frac{a}{b}$", "$\\begin{matrix}a\\end{matrix}$", "$\\unknowncmd$", "$x_{",
                     "\\$5", "$$", "$ $", "$\\color{red}{x}$", "$\\href{javascript:alert(1)}{x}$"]),
    st.sampled_from(['<span title="x">s</span>', "<b onclick='alert(1)'>b</b>", "<img src=x onerror=alert(1)>",
                     "&nbsp;&#x110000;&#0;&bogus;", "<!-- c -->", "<a href='javascript:alert(1)'>a</a>",
                     "{: #Main .button}", "*[HTML]: Hyper", "<https://example.org>", "<a@example.org>",
                     "--- -- ... << >>", "\"quoted\" 'single'", "trailing  \nbreak", "<math><mi>x</mi></math>"]),
)
paragraph = st.lists(inline, min_size=1, max_size=6).map(" ".join)


def _list(items: list[str], ordered: bool, depth: int) -> str:
    indent = "    " * depth
    return "\n".join(f"{indent}{f'{n + 1}.' if ordered else '-'} {item}" for n, item in enumerate(items))


@st.composite
def nested_list(draw) -> str:
    lines = []
    for _ in range(draw(st.integers(1, 6))):
        depth = draw(st.integers(0, 5))
        lines.append(_list([draw(paragraph)], draw(st.booleans()), depth))
    return "\n".join(lines)


fence_language = st.sampled_from(["", "python", "js", "html", "nonexistent-lang", "python {.cls}", "{.x #y}"])
code_fence = st.tuples(st.sampled_from(["```", "~~~", "````"]), fence_language, st.text(max_size=80),
                       st.booleans()).map(lambda p: f"{p[0]}{p[1]}\n{p[2]}\n" + (p[0] if p[3] else ""))
table = st.tuples(st.integers(1, 4), st.lists(paragraph, min_size=1, max_size=3), st.sampled_from(["-", ":-", "-:", ":-:"])) \
    .map(lambda p: "| " + " | ".join(["h"] * p[0]) + " |\n|" + "|".join([p[2]] * p[0]) + "|\n"
         + "\n".join("| " + " | ".join([cell.replace("|", "\\|")] * p[0]) + " |" for cell in p[1]))
MARKDOWN_ATTRIBUTE = ' markdown="1"'
html_block = st.tuples(st.sampled_from(["div", "details", "section", "script", "iframe", "table", "svg", "style"]),
                       paragraph, st.booleans(), st.booleans()).map(
    lambda p: f"<{p[0]}{MARKDOWN_ATTRIBUTE if p[2] else ''}>\n\n{p[1]}\n\n" + (f"</{p[0]}>" if p[3] else ""))
block = st.one_of(
    paragraph, paragraph, nested_list(), code_fence, table, html_block,
    st.tuples(st.integers(1, 7), paragraph).map(lambda p: "#" * p[0] + " " + p[1]),
    st.tuples(st.integers(1, 6), paragraph).map(lambda p: "> " * p[0] + p[1]),
    st.tuples(st.integers(1, 5), paragraph).map(lambda p: f"[^{p[0]}]: {p[1]}"),
    paragraph.map(lambda p: f"$$\n{p}\n$$"), paragraph.map(lambda p: f"{p}\n: a definition"),
    st.sampled_from(["---", "***", "[ref]: https://example.org", "    indented code", "Setext\n===",
                     "<div markdown=\"1\">\n<div markdown=\"1\">\nx\n</div>", "</div>", "[TOC]"]),
    odd_text,
)
markdown_body = st.lists(block, max_size=8).map("\n\n".join)


# ---------------------------------------------------------------- whole files

@st.composite
def content_files(draw) -> ContentFile:
    """Half written with care (valid YAML, valid fields, any Markdown), half not."""
    kind = draw(st.sampled_from(sorted(PATHS)))
    careful = draw(st.booleans())
    as_markdown = kind != "series" and draw(st.integers(0, 4)) > 0
    fields = draw(front_matter(kind, careful))
    if not as_markdown and kind != "series" and draw(st.booleans()):
        fields["body"] = draw(markdown_body)
    text = dump_yaml(fields, flow=draw(st.integers(0, 5)) == 0, unicode=draw(st.booleans()))
    if not careful and draw(st.integers(0, 2)) == 0:
        text = draw(st.sampled_from(YAML_BREAKAGES))(text)
    if as_markdown:
        fences = [("---", "---"), ("---", "...")] if careful else [("---", "---"), ("", "---"), ("---", ""),
                                                                   ("--- ", "---\t")]
        opening, closing = draw(st.sampled_from(fences))
        text = f"{opening}\n{text}{closing}\n{draw(markdown_body)}\n"
    data = text.encode("utf-8", "surrogatepass")
    mangle = draw(st.integers(0, 9))
    if mangle == 0:
        data = b"\xef\xbb\xbf" + data
    elif mangle == 1:
        data = data.replace(b"\n", b"\r\n")
    elif mangle == 2 and not careful:
        cut = draw(st.integers(0, len(data)))
        data = data[:cut] + draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x00"])) + data[cut:]
    suffix = ".md" if as_markdown else draw(st.sampled_from([".yaml", ".yml"]))
    return ContentFile(PATHS[kind] + suffix, data)
