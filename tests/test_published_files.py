"""Issue 10, cases 1 and 5: what is copied to the site byte for byte is an
allow-list checked by content, and no link leads the build out of the repository."""

from __future__ import annotations

import os

import pytest

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
REFUSED = {
    "content/members/evil.html": b"<script>alert(document.domain)</script>",
    "content/images/logo.svg": b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
    "content/CNAME": b"evil.example\n",
    "content/_redirects": b"/* https://evil.example/:splat 301!\n",
    "content/_headers": b"/*\n  Access-Control-Allow-Origin: *\n",
    "content/.htaccess": b"Redirect 301 / https://evil.example/\n",
    "content/.well-known/security.txt": b"Contact: mailto:evil@example.org\n",
    "content/app.js": b"alert(1)",
    "content/feed.xml": b"<rss/>",
    "content/images/photo.png": b"<html><script>alert(1)</script></html>",
    "content/data/notes.txt": b"<!DOCTYPE html><script>alert(1)</script>",
}


@pytest.mark.parametrize("rel", REFUSED)
def test_a_file_that_could_run_script_or_steer_the_host_is_refused(rel, make_site):
    site = make_site({})
    site.write_bytes(rel, REFUSED[rel])
    check = site.cli("check", "--format", "github")
    assert check.returncode == 1, check.output
    reported = "content/.well-known" if ".well-known" in rel else rel  # a hidden folder is reported whole
    assert f"file={reported}," in check.stdout
    assert "static folder" in check.stdout or "Export the file again" in check.stdout
    build = site.cli("build")
    assert build.returncode == 1
    assert not site.output.exists()


def test_images_pdfs_and_plain_data_are_published(make_site):
    site = make_site({})
    files = {"content/images/a.png": PNG, "content/papers/p.pdf": b"%PDF-1.7\n", "content/data/t.csv": b"a,b\n1,2\n",
             "content/refs.bib": b"@article{x, title={A < B}}\n", "content/images/.DS_Store": b"\x00\x01"}
    for rel, data in files.items():
        site.write_bytes(rel, data)
    result = site.cli("build")
    assert result.returncode == 0, result.output
    for rel, data in files.items():
        published = site.output / rel.removeprefix("content/")
        assert published.exists() == (".DS_Store" not in rel)
        assert not published.exists() or published.read_bytes() == data


def test_published_types_in_site_yaml_narrow_the_list_but_cannot_add_html(make_site):
    site = make_site({"site.yaml": "title: T\nbase_url: https://example.org\ntimezone: UTC\n"
                                   "published_types: [.png, .html]\n"})
    result = site.cli("check")
    assert result.returncode == 1
    assert '".html" files cannot be published from content/' in result.stdout


def test_the_static_folder_publishes_hosting_files_on_purpose(make_site):
    site = make_site({"site.yaml": "title: T\nbase_url: https://example.org\ntimezone: UTC\nstatic_folder: static\n",
                      "static/CNAME": "mlcollective.org\n", "static/.well-known/security.txt": "Contact: x\n",
                      "static/widget.html": "<p>ok</p>\n"})
    result = site.cli("build")
    assert result.returncode == 0, result.output
    assert (site.output / "CNAME").read_text() == "mlcollective.org\n"
    assert (site.output / ".well-known/security.txt").exists()
    assert (site.output / "widget.html").exists()


def test_an_alias_cannot_write_a_dot_file(make_site):
    site = make_site({"content/pages/about.md": "---\ntitle: About\naliases: [/.htaccess]\n---\nx\n"})
    result = site.cli("check")
    assert result.returncode == 1
    assert 'The alias "/.htaccess" would write ".htaccess"' in result.stdout


def test_content_as_a_link_to_an_outside_folder_is_not_read(make_site, tmp_path):
    outside = tmp_path / "outside"
    (outside / "pages").mkdir(parents=True)
    (outside / "pages/leak.md").write_text("---\ntitle: Leak\n---\nsecret\n")
    site = make_site({})
    (site.root / "content").rmdir()
    os.symlink(outside, site.root / "content")
    result = site.cli("build")
    assert result.returncode == 1
    assert "content/ is a link to another folder; it was not read." in result.stderr
    assert not site.output.exists()


def test_a_theme_asset_linking_outside_the_repository_is_not_published(make_site, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0\n")
    site = make_site({})
    os.symlink(secret, site.root / "templates/static/passwd")
    result = site.cli("build")
    assert result.returncode == 1
    assert "templates/static/passwd" in result.stderr and "it was not published" in result.stderr
    assert not site.output.exists()


def test_a_content_link_into_git_is_not_published(make_site):
    site = make_site({".git/config": "[remote]\n  url = https://token@example.org/\n"})
    os.symlink("../.git/config", site.root / "content/x.txt")
    result = site.cli("build")
    assert result.returncode == 1
    assert "content/x.txt" in result.stderr and "a link into .git/" in result.stderr
    assert not site.output.exists()
