"""Issue 10, case 4: the Markdown renderer runs on a time and recursion budget per
text. Texts that `check` lets through but that nest too deep for Python's stack,
or that hit one of Python-Markdown's quadratic paths, fail the build cleanly:
an error naming the file and the line, exit 1, output/ untouched, in the main
thread as in watch's build thread. Inputs whose slow part is a single C call
(which no budget can interrupt) are refused by `check` instead.

The subprocess timeouts are what fail these tests if a budget stops working:
unstopped, each input below takes from a minute to hours.
"""

from __future__ import annotations

import hashlib
import threading
import time

import pytest

from conftest import MINIMAL_SITE_YAML
from generator import pipeline
from generator.content.limits import ABBREVIATION_BUDGET
from generator.render.time_budget import OutOfTime, Watchdog

POST = "content/posts/2024-01-01-slow.md"
QUICK = 60
SITE_YAML = "title: T\nbase_url: https://example.org\ntimezone: UTC\nlimits: {markdown_seconds: 1}\n"
DEEP_EMPHASIS = "*a " * 2000 + "b" + "*" * 2000  # 8 KB; RecursionError in the inline parser
DEFINITIONS = "term\n" + ": definition\n" * 30_000  # 400 KB; quadratic in the def_list extension
REPEATED_HEADINGS = "# a\n\n" * 60_000  # 300 KB; quadratic in the toc extension's unique ids


def _post(body: str) -> str:
    return f"---\ntitle: Slow\n---\n{body}\n"


def _hashes(folder) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("body, words", [
    (DEEP_EMPHASIS, "nests (emphasis, links, lists, quotes or HTML) too deep to render"),
    (DEFINITIONS, "took more than 1 s, so the build stopped it"),
    (REPEATED_HEADINGS, "took more than 1 s, so the build stopped it"),
], ids=["deep emphasis", "30,000 definitions", "60,000 equal headings"])
def test_a_text_past_its_budget_fails_the_build_with_its_file_and_line(make_site, body, words):
    # Deep emphasis runs out of stack in well under a second: the default budget leaves it room on a busy machine.
    site_yaml = MINIMAL_SITE_YAML if body is DEEP_EMPHASIS else SITE_YAML
    site = make_site({"site.yaml": site_yaml, "content/posts/2024-01-01-fine.md": _post("Fine.")})
    assert site.cli("build", timeout=QUICK).returncode == 0
    before = _hashes(site.output)
    site.write(POST, _post(body))
    assert site.cli("check", timeout=QUICK).returncode == 0  # nothing a check can see
    result = site.cli("build", timeout=QUICK)
    assert result.returncode == 1, result.output
    assert "Traceback" not in result.stderr
    assert f"{POST}\n" in result.stderr and "(line 4)" in result.stderr and words in result.stderr
    assert _hashes(site.output) == before


def test_a_text_in_a_yaml_field_is_reported_at_its_field(make_site):
    site = make_site({"content/rfps/slow.md": f"---\ntitle: Slow\nfirst_plot: >\n  {DEEP_EMPHASIS}\n---\nFine.\n"})
    result = site.cli("build", timeout=QUICK)
    assert result.returncode == 1, result.output
    assert "content/rfps/slow.md\n" in result.stderr and "(line 3, column 1)" in result.stderr
    assert "too deep to render" in result.stderr


def test_the_budget_holds_in_a_build_thread_as_watch_runs_it(make_site):
    """signal.alarm would only work in the main thread; watch builds in another."""
    site = make_site({"site.yaml": SITE_YAML, POST: _post(DEFINITIONS)})
    results = []
    thread = threading.Thread(target=lambda: results.append(pipeline.build(pipeline.Options(root=site.root))))
    thread.start()
    thread.join(QUICK)
    assert not thread.is_alive(), "the build in a thread was not stopped"
    errors = results[0].diagnostics.errors
    assert [(e.location.path, e.location.line) for e in errors] == [(POST, 4)]
    assert "took more than 1 s" in errors[0].message
    assert not site.output.exists()


def test_the_default_budget_lets_ordinary_long_texts_through(make_site):
    body = "\n\n".join(f"## Part {n}\n\nSome *text* with a [link](https://example.org/{n}) and `code`.\n\n"
                       f"- a\n- list\n\nterm\n: definition" for n in range(300))
    site = make_site({POST: _post(body)})
    result = site.cli("build", timeout=QUICK)
    assert result.returncode == 0, result.output


ABBREVIATIONS = "".join(f"*[A{n}]: Abbreviation {n}\n" for n in range(2_000)) + "\n" + " ".join(
    f"A{n}" for n in range(8_000))
FIRST_ABBREVIATION_TOO_MANY = ABBREVIATION_BUDGET // len(ABBREVIATIONS + "\n") + 1


@pytest.mark.parametrize("body, line, words", [
    (ABBREVIATIONS, 3 + FIRST_ABBREVIATION_TOO_MANY, "abbreviations"),
    ("<pre>" * 40_000, 4, "nested more than 20 deep"),
    ("<center>" * 40_000, 4, "nested more than 20 deep"),
], ids=["2,000 abbreviations", "<pre> 40,000 deep", "<center> 40,000 deep"])
def test_inputs_slow_inside_one_c_call_are_refused_by_check(make_site, body, line, words):
    """The abbr extension's one big regex and nh3's HTML parser cannot be
    interrupted midway: these inputs took from 40 s to minutes there."""
    site = make_site({POST: _post(body)})
    result = site.cli("check", "--format", "github", timeout=QUICK)
    assert result.returncode == 1, result.output
    assert f"file={POST},line={line}," in result.stdout and words in result.stdout, result.stdout


def _spin(seconds: float) -> None:
    """Busy Python bytecode (an interruption lands between two), for at most `seconds`."""
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        pass


def test_the_watchdog_keeps_a_short_budget_after_many_quick_texts_under_a_long_one():
    # The watchdog is woken only when a deadline comes before the time it looks next:
    # after texts under a 30 s budget it sleeps long, and must still stop this one at 0.2 s.
    watchdog = Watchdog()
    for _ in range(200):
        with watchdog.limit(30):
            pass
    started = time.monotonic()
    with pytest.raises(OutOfTime):
        with watchdog.limit(0.2):
            _spin(20)  # not stopped: no OutOfTime, the test fails
    assert time.monotonic() - started < 15
    with watchdog.limit(0.5):  # a finished interruption leaves nothing pending for the next text
        _spin(0.05)
