"""Images under content/: metadata stripped, WebP widths, a cache by content hash,
`check` warnings, and pages that stay equal to a clean build when an image changes."""

from __future__ import annotations

import io

import lxml.html
from PIL import Image

from generator import pipeline
from generator.incremental import RenderCache
from generator.render.images import CACHE_FOLDER, strip_metadata


def photo_with_gps(width: int = 640, height: int = 480, orientation: int = 1) -> bytes:
    image = Image.new("RGB", (width, height), (200, 80, 40))
    image.paste((20, 60, 200), (0, 0, width // 2, height // 4))  # a mark to tell up from down
    exif = image.getexif()
    exif[0x010F], exif[0x0112] = "ExamplePhone", orientation
    exif[0x8825] = {1: "N", 2: (52.0, 31.0, 0.0), 3: "E", 4: (13.0, 24.0, 0.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90, exif=exif)
    return out.getvalue()


def png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (10, 120, 90)).save(out, "PNG")
    return out.getvalue()


PHOTO_SITE = {
    "content/members/ada.yaml": "name: Ada Lovelace\nrole: Lead\nphoto: images/ada.jpg\n",
    "content/posts/2024-01-01-plot.md": "---\ntitle: A plot\n---\nLook:\n\n![A rising curve](/images/plot.png)\n",
}


def photo_site(make_site):
    site = make_site(PHOTO_SITE)
    site.write_bytes("content/images/ada.jpg", photo_with_gps(1000, 750))
    site.write_bytes("content/images/plot.png", png(1500, 900))
    return site


def test_published_photos_carry_no_exif_and_come_in_webp_widths(make_site):
    site = photo_site(make_site)
    assert site.cli("build").returncode == 0
    with Image.open(site.output / "images/ada.jpg") as published:
        assert dict(published.getexif()) == {} and published.size == (1000, 750)
    widths = [Image.open(site.output / f"images/ada-{w}w.webp").size for w in (200, 400, 800, 1000)]
    assert widths == [(200, 150), (400, 300), (800, 600), (1000, 750)]
    for path in (site.output / "images").glob("*.webp"):
        assert dict(Image.open(path).getexif()) == {}
    doc = lxml.html.fromstring((site.output / "members/ada/index.html").read_bytes())
    img = doc.xpath('//header[@class="member-header"]//picture//img')[0]
    assert (img.get("width"), img.get("height"), img.get("decoding"), img.get("loading")) == ("1000", "750", "async", None)
    source = doc.xpath('//header[@class="member-header"]//picture/source')[0]
    assert source.get("type") == "image/webp" and "/images/ada-400w.webp 400w" in source.get("srcset")


def test_markdown_images_become_lazy_pictures_under_the_base_path(make_site):
    site = photo_site(make_site)
    assert site.cli("build", "--base-url", "https://example.org/pr-42/").returncode == 0
    doc = lxml.html.fromstring((site.output / "posts/plot/index.html").read_bytes())
    img = doc.xpath('//div[@class="prose"]//picture//img')[0]
    assert img.get("src") == "/pr-42/images/plot.png" and img.get("alt") == "A rising curve"
    assert (img.get("width"), img.get("height"), img.get("loading")) == ("1500", "900", "lazy")
    assert "/pr-42/images/plot-1200w.webp 1200w" in doc.xpath('//div[@class="prose"]//source/@srcset')[0]


def test_a_rotated_phone_photo_is_published_upright():
    rotated = photo_with_gps(400, 300, orientation=6)  # stored landscape, shown portrait
    with Image.open(io.BytesIO(strip_metadata(rotated))) as upright:
        assert upright.size == (300, 400) and dict(upright.getexif()) == {}
        assert upright.getpixel((295, 10))[2] > 150  # the blue mark, turned with the photo


def test_stripping_is_lossless_when_there_is_nothing_to_rotate():
    plain = photo_with_gps(320, 240)
    stripped = strip_metadata(plain)
    assert b"ExamplePhone" in plain and b"ExamplePhone" not in stripped
    assert Image.open(io.BytesIO(stripped)).tobytes() == Image.open(io.BytesIO(plain)).tobytes()
    assert strip_metadata(png(10, 10)) == png(10, 10)  # nothing to strip: the same bytes


def test_an_unchanged_image_is_never_processed_again(make_site):
    site = photo_site(make_site)
    assert site.cli("build").returncode == 0
    cached = sorted((site.root / CACHE_FOLDER).rglob("*"))
    stamps = [p.stat().st_mtime_ns for p in cached]
    first = {p.name: p.read_bytes() for p in (site.output / "images").iterdir()}
    assert site.cli("build").returncode == 0
    assert sorted((site.root / CACHE_FOLDER).rglob("*")) == cached
    assert [p.stat().st_mtime_ns for p in cached] == stamps  # read, not written again
    assert {p.name: p.read_bytes() for p in (site.output / "images").iterdir()} == first


def test_check_warns_about_images_that_cannot_be_shown(make_site):
    site = make_site({
        "site.yaml": "title: T\nbase_url: https://example.org\ntimezone: UTC\nimage_max_kb: 1\n",
        "content/members/ada.yaml": "name: Ada\nrole: Lead\nphoto: images/ada.jpg\n",
        "content/projects/p.md": "---\ntitle: P\nauthors: [ada]\nimage: images/big.png\n---\n",
        "content/posts/2024-01-01-x.md": "---\ntitle: X\n---\nText.\n\n![](/images/big.png)\n",
    })
    site.write_bytes("content/images/ada.jpg", b"not a photo at all")
    site.write_bytes("content/images/big.png", png(1200, 1200) + b"\0" * 2048)
    result = site.cli("check", "--format", "github")
    assert ("::warning file=content/members/ada.yaml,line=3,col=1,title=mlcsite check::content/images/ada.jpg cannot be shown: "
            "it is not an image Pillow can read") in result.output
    assert "file=content/projects/p.md,line=4" in result.output and "more than the 1 KB limit" in result.output
    assert "file=content/posts/2024-01-01-x.md,line=6" in result.output and "has no alt text" in result.output


def test_replacing_an_image_renders_its_pages_again(make_site):
    site = photo_site(make_site)
    cache = RenderCache()
    options = pipeline.Options(root=site.root)
    assert not pipeline.build(options, cache).diagnostics.has_errors()
    site.write_bytes("content/images/ada.jpg", photo_with_gps(600, 600))
    assert not pipeline.build(options, cache).diagnostics.has_errors()
    clean = site.root / "clean"
    assert not pipeline.build(pipeline.Options(root=site.root, out=clean)).diagnostics.has_errors()
    for rel in ("members/ada/index.html", "members/index.html", "images/ada.jpg", "images/ada-400w.webp"):
        assert (site.output / rel).read_bytes() == (clean / rel).read_bytes(), rel
    assert not (site.output / "images/ada-1000w.webp").exists()
