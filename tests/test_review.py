"""Review warnings from `mlcsite check`: valid content a reviewer would still send back."""

from __future__ import annotations

import json

import pytest

from conftest import REPO, run_mlcsite
from generator.review import one_edit_apart


def warnings_of(site) -> list[tuple[str, int, str]]:
    result = site.cli("check", "--format", "json")
    assert result.returncode == 0, result.output
    return [(d["file"], d["line"], d["message"]) for d in json.loads(result.stdout) if d["severity"] == "warning"]


def test_the_sample_site_has_nothing_to_review():
    result = run_mlcsite("check", "--format", "json", cwd=REPO)
    assert result.returncode == 0 and json.loads(result.stdout) == [], result.output


def test_an_image_without_alt_text_is_pointed_at(make_site):
    site = make_site({"content/pages/about.md": """\
        ---
        title: About
        ---
        ![A plot of the loss](images/ok.png) is fine, and so is <img src="a.png" alt="Loss">.
        ![](images/loss.png)
        Inline: <img src="b.png"> and <img alt="" src="c.png">
        """})
    assert warnings_of(site) == [
        ("content/pages/about.md", 5, "This image has no alt text."),
        ("content/pages/about.md", 6, "This image has no alt text."),
        ("content/pages/about.md", 6, "This image has no alt text."),
    ]


def test_a_member_nobody_can_reach_who_is_in_nothing(make_site):
    site = make_site({
        "content/members/ghost.yaml": "name: Ghost\nrole: Member\n",
        "content/members/reachable.yaml": "name: Reachable\nrole: Member\nlinks: {email: r@example.org}\n",
        "content/members/author.yaml": "name: Author\nrole: Member\n",
        "content/posts/2024-01-01-hello.md": "---\ntitle: Hello\nauthors: [author]\n---\nText.\n",
    })
    assert warnings_of(site) == [("content/members/ghost.yaml", 1, "Ghost has no links, so nobody can reach "
                                  "them, and is not in any project, post, talk or RFP.")]


def test_an_event_with_no_place_and_no_way_to_join(make_site):
    site = make_site({
        "content/series/dlct.yaml": "title: DLCT\njoin: {url: https://example.org/zoom}\n",
        "content/events/nowhere.md": "---\ntitle: Nowhere\nstart: 2024-03-08 10:00\n---\n",
        "content/events/session.md": "---\ntitle: Session\nseries: dlct\nstart: 2024-03-08 10:00\n---\n",
        "content/events/called-off.md": "---\ntitle: Off\nstart: 2024-03-08 10:00\nstatus: cancelled\n---\n",
        "content/events/online.md": "---\ntitle: Online\nstart: 2024-03-08 10:00\nlocation: Online\n---\n",
    })
    assert warnings_of(site) == [("content/events/nowhere.md", 2,
                                  "This event says neither where it happens nor how to join.")]


def test_a_tag_one_edit_from_another_is_questioned_where_it_is_rarer(make_site):
    post = "---\ntitle: P{n}\ntags:\n  - {tag}\n---\nText.\n"
    site = make_site({
        "content/posts/2024-01-01-a.md": post.format(n=1, tag="dataset"),
        "content/posts/2024-01-02-b.md": post.format(n=2, tag="datasets"),
        "content/posts/2024-01-03-c.md": post.format(n=3, tag="datasets"),
        "content/posts/2024-01-04-d.md": post.format(n=4, tag="datasets"),
        "content/posts/2024-01-05-e.md": post.format(n=5, tag="dataset"),
        "content/posts/2024-01-06-f.md": post.format(n=6, tag="vision"),
    })
    message = 'The tag "dataset" is one letter away from the tag "datasets" (used 3 times).'
    assert warnings_of(site) == [("content/posts/2024-01-01-a.md", 4, message),
                                 ("content/posts/2024-01-05-e.md", 4, message)]


def test_a_tag_used_once_is_questioned_once(make_site):
    post = "---\ntitle: P{n}\ntags:\n  - {tag}\n---\nText.\n"
    site = make_site({f"content/posts/2024-01-0{n}-p.md".replace("p.md", f"p{n}.md"): post.format(n=n, tag=tag)
                      for n, tag in enumerate(["open-collab", "open-collab", "open-colab"], start=1)})
    assert [w[2] for w in warnings_of(site)] == ['The tag "open-colab" is used only here.']


@pytest.mark.parametrize("a, b, expected", [
    ("dataset", "datasets", True), ("colab", "collab", True), ("nlp", "nlq", True), ("gan", "gpn", True),
    ("vision", "vision", False), ("nlp", "cv", False), ("open-collab", "open-colab", True), ("abc", "acb", False),
])
def test_one_edit_apart(a, b, expected):
    assert one_edit_apart(a, b) is expected and one_edit_apart(b, a) is expected


def test_a_placeholder_left_by_new_is_reported_in_github_annotations(make_site):
    site = make_site({"content/pages/about.md": '---\ntitle: "FILL IN the title"\n---\n'})
    result = site.cli("check", "--format", "github")
    assert result.returncode == 0
    assert result.stdout.startswith("::warning file=content/pages/about.md,line=2,col=9,title=mlcsite check::"
                                    "A placeholder from `mlcsite new` is not filled in.")
