"""Images under content/: published without their metadata, and in a few widths as WebP.

Every JPEG, PNG or WebP file under content/ is an image output:

- at its own path, with EXIF, XMP and text chunks removed (privacy: a phone
  photo carries GPS). Stripping is lossless: metadata blocks are cut from the
  file, the pixels are untouched; a file without metadata is published as is.
  Only a photo whose EXIF says "rotated" is re-encoded upright, since without
  that tag it would show sideways.
- as WebP at each of WIDTHS narrower than the image (and at its own width when
  it is narrower than the widest), `-400w.webp` beside the original.

Resizing and encoding are slow, so their results are cached in the build cache
folder by a hash of the source bytes and the processing settings: an unchanged
image is never processed again, by any build. Pages show images through
`picture_html` (srcset, sizes, width and height, lazy below the fold), and
`check_images` reports what a contributor must fix.
"""

from __future__ import annotations

import hashlib
import io
import os
import struct
import tempfile
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from markupsafe import Markup, escape

from ..diagnostics import Location
from ..urls import site_path
from .outputs import Output, RenderContext

FORMATS = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".webp": "WEBP"}
WIDTHS = (200, 400, 800, 1200, 1600)
WEBP_QUALITY = 80
WEBP_METHOD = 2  # encoder effort 0-6: 2 is 40 % faster than 4 for 5 % more bytes
JPEG_QUALITY = 88
MAX_PIXELS = 50_000_000  # beyond this Pillow's decoder needs gigabytes
CACHE_FOLDER = ".mlcsite-cache/images"  # in the site's root; git-ignored, safe to delete
PROCESSING = f"v1 webp{WEBP_QUALITY}m{WEBP_METHOD} jpeg{JPEG_QUALITY} widths{WIDTHS}"  # part of every cache key


@dataclass(frozen=True)
class ImageInfo:
    """An image under content/ as pages show it (sizes after EXIF rotation)."""

    rel: str  # path under content/, e.g. images/ada.jpg
    width: int
    height: int
    widths: tuple[int, ...]  # of the WebP copies

    @property
    def url(self) -> str:
        return "/" + self.rel

    def variant_url(self, width: int) -> str:
        return "/" + self.rel.rsplit(".", 1)[0] + f"-{width}w.webp"


def variant_widths(width: int) -> tuple[int, ...]:
    """Standard widths below the image's own, plus its own width if no standard one is near it."""
    chosen = [w for w in WIDTHS if w < width]
    if width <= WIDTHS[-1] and (not chosen or chosen[-1] < width * 0.9):
        chosen.append(width)
    return tuple(chosen) or (WIDTHS[-1],)


def read_image_info(path: Path, rel: str, verify: bool = False) -> ImageInfo | str:
    """The image's size from its header, or why it cannot be read (a sentence for
    the contributor). `verify` also decodes it: a truncated file is found then."""
    from PIL import Image, UnidentifiedImageError
    try:
        with Image.open(path) as image:
            width, height = image.size
            if width * height > MAX_PIXELS:
                return f"it is {width}×{height} pixels, more than a page can show"
            # Only JPEG and WebP carry the tag in their header (a PNG's getexif decodes it whole).
            if image.format in ("JPEG", "WEBP") and image.getexif().get(0x0112, 1) in (5, 6, 7, 8):
                width, height = height, width
            if verify:
                image.load()
    except (UnidentifiedImageError, Image.DecompressionBombError):
        return "it is not an image Pillow can read (JPEG, PNG or WebP)"
    except (OSError, SyntaxError, ValueError, struct.error) as exc:
        return f"it could not be read ({exc})"
    return ImageInfo(rel, width, height, variant_widths(width))


class ImageIndex:
    """The images under content/ that get WebP widths, with their sizes. Planning
    and rendering each make one and get the same answers: a file is decoded in
    full unless the cache holds its processed copies (then it decoded before)."""

    def __init__(self, assets: list[tuple[Path, str]], root: Path) -> None:
        self._paths = {rel: path for path, rel in assets if Path(rel).suffix.lower() in FORMATS}
        self._store = ImageStore(root / CACHE_FOLDER)
        self._infos: dict[str, ImageInfo | None] = {}

    def get(self, rel: str) -> ImageInfo | None:
        """The image at content/rel, or None when it is no readable raster image."""
        if rel not in self._paths:
            return None
        if rel not in self._infos:
            path = self._paths[rel]
            try:
                decoded_before = self._store.has(self._store.key(path.read_bytes()))
            except OSError:
                decoded_before = False
            info = read_image_info(path, rel, verify=not decoded_before)
            self._infos[rel] = info if isinstance(info, ImageInfo) else None
        return self._infos[rel]


# ---------------------------------------------------------------- planning

def plan_images(site, root: Path) -> list[Output]:
    """One output per published image file; an unreadable one is copied as is
    (check_images has warned about it)."""
    index = ImageIndex(site.assets, root)
    outputs = []
    for _, rel in site.assets:
        info = index.get(rel)
        if info is None:
            continue
        inputs = frozenset({f"content/{rel}"})
        origin = Location(f"content/{rel}")
        outputs.append(Output(info.url, partial(render_image, rel, 0), inputs, origin, kind="asset"))
        for width in info.widths:
            outputs.append(Output(info.variant_url(width), partial(render_image, rel, width), inputs, origin,
                                  kind="asset"))
    return outputs


def check_images(site, root: Path, max_kb: int, diagnostics) -> None:
    """Warn about an image a page shows that cannot be shown, is too heavy for
    phones, or (in Markdown) has no alt text for people who cannot see it."""
    index = ImageIndex(site.assets, root)
    for where, rel in _shown_images(site, root, diagnostics):
        _check_image_file(root, rel, where, max_kb, index, diagnostics)


def _shown_images(site, root: Path, diagnostics):
    from .image_refs import images_referenced
    for item, field_path, rel in images_referenced(site):
        yield item.where(*field_path), rel
    for item in site.all_items():
        text = None
        for rel, alt, written in site.body_images(item):
            text = text if text is not None else (root / item.source).read_text("utf-8", "replace")
            where = Location(item.source, text[:text.find(written)].count("\n") + 1 if written in text else 0)
            if alt is not None and not alt.strip():
                diagnostics.warning(where, f"The image {written}) has no alt text.",
                                    "Describe what it shows between the brackets: ![A loss curve that spikes at step 900](…).")
            if not rel.startswith("assets/"):  # the theme's own files are not under content/
                yield where, rel


def _check_image_file(root: Path, rel: str, where: Location, max_kb: int, index: ImageIndex,
                      diagnostics) -> None:
    path = root / "content" / rel
    if not path.is_file():
        diagnostics.warning(where, f"There is no image content/{rel}.", "Add the file, or fix the path.")
        return
    size_kb = path.stat().st_size // 1024
    if size_kb > max_kb:
        diagnostics.warning(where, f"content/{rel} is {size_kb} KB, more than the {max_kb} KB limit in site.yaml.",
                            "Save it smaller (about 2000 pixels wide is plenty), or raise image_max_kb in site.yaml.")
    if Path(rel).suffix.lower() in FORMATS and index.get(rel) is None:
        problem = read_image_info(path, rel, verify=True)
        if isinstance(problem, str):
            diagnostics.warning(where, f"content/{rel} cannot be shown: {problem}.",
                                "Export it again as JPEG, PNG or WebP.")


# ---------------------------------------------------------------- rendering

def render_image(rel: str, width: int, ctx: RenderContext) -> bytes:
    """The metadata-free original (width 0) or one WebP width, from the cache when it has them."""
    source = (ctx.root / "content" / rel).read_bytes()
    store = ImageStore(ctx.root / CACHE_FOLDER)
    key = store.key(source)
    cached = store.read(key, width)
    if cached is None:
        made = process_image(source, variant_widths_of(source))
        store.write(key, made)
        cached = made[width]
    return cached


def variant_widths_of(source: bytes) -> tuple[int, ...]:
    from PIL import Image, ImageOps
    with Image.open(io.BytesIO(source)) as image:
        return variant_widths(ImageOps.exif_transpose(image).width)


def process_image(source: bytes, widths: tuple[int, ...]) -> dict[int, bytes]:
    """{0: the original without metadata, width: WebP bytes}."""
    from PIL import Image, ImageOps
    made = {0: strip_metadata(source)}
    with Image.open(io.BytesIO(source)) as opened:
        image = ImageOps.exif_transpose(opened)
        image = image.convert("RGBA" if _has_alpha(image) else "RGB")
        for width in widths:
            height = max(1, round(image.height * width / image.width))
            scaled = image if width == image.width else image.resize(
                (width, height), Image.Resampling.LANCZOS, reducing_gap=2.0)  # a box pre-shrink: faster, same look
            out = io.BytesIO()
            scaled.save(out, "WEBP", quality=WEBP_QUALITY, method=WEBP_METHOD)
            made[width] = out.getvalue()
    return made


def _has_alpha(image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)


class ImageStore:
    """Processed images in the cache folder: <key>/<width> files, written whole
    (temp file + rename). Unreadable or partial entries are processed again."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @staticmethod
    def key(source: bytes) -> str:
        from PIL import __version__ as pillow
        digest = hashlib.blake2b(source, digest_size=20)
        digest.update(f"\0{PROCESSING}\0{pillow}".encode())
        return digest.hexdigest()

    def has(self, key: str) -> bool:
        return (self.folder / key / "0").is_file()

    def read(self, key: str, width: int) -> bytes | None:
        try:
            return (self.folder / key / str(width)).read_bytes()
        except OSError:
            return None

    def write(self, key: str, made: dict[int, bytes]) -> None:
        target = self.folder / key
        try:
            target.mkdir(parents=True, exist_ok=True)
            for width, data in made.items():
                fd, temp = tempfile.mkstemp(prefix=".tmp-", dir=target)
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                os.replace(temp, target / str(width))
        except OSError:
            pass  # a read-only site still builds; it only processes again next time


# ---------------------------------------------------------------- metadata

def strip_metadata(source: bytes) -> bytes:
    """The same image without EXIF, XMP, comments or text chunks. A JPEG whose
    EXIF rotates it is re-encoded upright instead: dropping the tag alone would
    turn the photo on its side."""
    if source[:3] == b"\xff\xd8\xff":
        if _jpeg_orientation(source) in (1, None):
            return _strip_jpeg(source)
        return _reencode_upright(source)
    if source[:8] == b"\x89PNG\r\n\x1a\n":
        return _strip_png(source)
    if source[:4] == b"RIFF" and source[8:12] == b"WEBP":
        return _strip_webp(source)
    return source


def _jpeg_orientation(source: bytes) -> int | None:
    from PIL import Image
    try:
        with Image.open(io.BytesIO(source)) as image:
            return image.getexif().get(0x0112)
    except Exception:  # noqa: BLE001 - an unreadable file keeps its bytes
        return None


def _reencode_upright(source: bytes) -> bytes:
    from PIL import Image, ImageOps
    with Image.open(io.BytesIO(source)) as opened:
        icc = opened.info.get("icc_profile")
        image = ImageOps.exif_transpose(opened).convert("RGB")
        out = io.BytesIO()
        image.save(out, "JPEG", quality=JPEG_QUALITY, icc_profile=icc)
        return out.getvalue()


_JPEG_DROPPED = {0xE1, 0xED, 0xFE}  # APP1 (EXIF, XMP), APP13 (IPTC), COM


def _strip_jpeg(source: bytes) -> bytes:
    out, pos = bytearray(source[:2]), 2
    while pos + 4 <= len(source) and source[pos] == 0xFF:
        marker = source[pos + 1]
        if marker == 0xDA:  # start of scan: the rest is image data
            break
        length = struct.unpack(">H", source[pos + 2:pos + 4])[0]
        if marker not in _JPEG_DROPPED:
            out += source[pos:pos + 2 + length]
        pos += 2 + length
    return bytes(out + source[pos:])


_PNG_DROPPED = {b"eXIf", b"tEXt", b"iTXt", b"zTXt", b"tIME"}


def _strip_png(source: bytes) -> bytes:
    out, pos = bytearray(source[:8]), 8
    while pos + 8 <= len(source):
        length, kind = struct.unpack(">I4s", source[pos:pos + 8])
        end = pos + 12 + length
        if kind not in _PNG_DROPPED:
            out += source[pos:end]
        pos = end
    return bytes(out)


def _strip_webp(source: bytes) -> bytes:
    chunks, pos = [], 12
    while pos + 8 <= len(source):
        kind, length = source[pos:pos + 4], struct.unpack("<I", source[pos + 4:pos + 8])[0]
        end = pos + 8 + length + (length & 1)
        if kind not in (b"EXIF", b"XMP "):
            chunk = source[pos:end]
            if kind == b"VP8X":  # clear the "has EXIF" and "has XMP" flags
                chunk = chunk[:8] + bytes([chunk[8] & ~0x0C]) + chunk[9:]
            chunks.append(chunk)
        pos = end
    body = b"WEBP" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body


# ---------------------------------------------------------------- markup

def picture_html(info: ImageInfo, base_path: str, alt: str, sizes: str, css_class: str = "",
                 eager: bool = False) -> Markup:
    """<picture>: WebP widths for browsers that take them, the original for the
    rest; width and height reserve the space (no layout shift)."""
    srcset = ", ".join(f"{site_path(base_path, info.variant_url(w))} {w}w" for w in info.widths)
    loading = "" if eager else ' loading="lazy"'
    cls = f' class="{escape(css_class)}"' if css_class else ""
    return Markup(
        f'<picture><source type="image/webp" srcset="{escape(srcset)}" sizes="{escape(sizes)}">'
        f'<img{cls} src="{escape(site_path(base_path, info.url))}" alt="{escape(alt)}" width="{info.width}"'
        f' height="{info.height}"{loading} decoding="async"></picture>')
