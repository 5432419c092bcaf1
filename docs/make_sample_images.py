"""Draw the default site's sample images with Pillow (none shows a real person).

    .venv/bin/python docs/make_sample_images.py

Writes content/images/: illustrated member "photos" (one carries EXIF with GPS
and a rotation, as a phone photo would, so the build's metadata stripping is
exercised), a figure for each project, and the images of two posts. The output
is deterministic: running it again gives the same files.
"""

from __future__ import annotations

import math
import random
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

CONTENT = Path(__file__).resolve().parents[1] / "content"
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"

MEMBERS = {  # slug: (background top, background bottom, skin, shirt)
    "jordan-ellis": ((38, 84, 124), (112, 166, 196), (176, 120, 88), (222, 184, 65)),
    "mateo-fernandez": ((96, 56, 120), (196, 140, 170), (224, 182, 150), (52, 110, 94)),
    "chinedu-okafor": ((22, 96, 80), (130, 200, 170), (120, 78, 52), (200, 90, 60)),
    "nguyen-thi-mai": ((150, 82, 40), (236, 190, 120), (236, 200, 168), (58, 86, 160)),
}
PROJECTS = ["benchmark-drift", "gradient-noise-curricula", "loss-landscape-atlas", "positional-shortcuts",
            "sparse-proxy-sweeps", "subspace-difficulty", "token-skipping", "yoruba-qa"]


def font(size: int) -> ImageFont.FreeTypeFont:
    try:
        return ImageFont.truetype(FONT, size)
    except OSError:
        return ImageFont.load_default(size)


def portrait(top, bottom, skin, shirt, size: int = 600) -> Image.Image:
    """A flat illustration: gradient, shoulders, head, hair. Clearly not a photo of anyone."""
    image = Image.new("RGB", (size, size))
    draw = ImageDraw.Draw(image)
    for y in range(size):
        t = y / size
        draw.line([(0, y), (size, y)], fill=tuple(round(a + (b - a) * t) for a, b in zip(top, bottom)))
    draw.ellipse([size * 0.14, size * 0.66, size * 0.86, size * 1.3], fill=shirt)
    draw.rectangle([size * 0.43, size * 0.52, size * 0.57, size * 0.7], fill=skin)
    draw.ellipse([size * 0.3, size * 0.2, size * 0.7, size * 0.62], fill=skin)
    hair = tuple(max(0, c - 90) for c in top)
    draw.chord([size * 0.28, size * 0.15, size * 0.72, size * 0.5], 180, 360, fill=hair)
    return image


def phone_exif(image: Image.Image) -> Image.Exif:
    """What a phone writes: make, model, a rotation and a GPS position."""
    exif = image.getexif()
    exif[0x010F], exif[0x0110], exif[0x0112] = "ExamplePhone", "Model 7", 6
    exif[0x8825] = {1: "N", 2: (6.0, 27.0, 0.0), 3: "E", 4: (3.0, 23.0, 0.0)}
    return exif


def write_members() -> None:
    folder = CONTENT / "images/members"
    folder.mkdir(parents=True, exist_ok=True)
    for index, (slug, colours) in enumerate(MEMBERS.items()):
        image = portrait(*colours)
        if index == 0:  # stored sideways with a rotation tag, as phones do
            image.transpose(Image.Transpose.ROTATE_90).save(folder / f"{slug}.jpg", quality=88,
                                                            exif=phone_exif(image))
        else:
            image.save(folder / f"{slug}.jpg", quality=88)


def axes(draw, box, title: str) -> None:
    left, top, right, bottom = box
    draw.line([(left, top), (left, bottom), (right, bottom)], fill=(60, 60, 60), width=4)
    for i in range(1, 5):
        y = bottom - (bottom - top) * i / 5
        draw.line([(left, y), (right, y)], fill=(225, 225, 225), width=2)
    draw.text((left, top - 65), title, fill=(30, 30, 30), font=font(38))


def figure(seed: int, title: str) -> Image.Image:
    """A plot of a few noisy curves, as a paper's figure would show."""
    rng = random.Random(seed)
    width, height = 1200, 750
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    box = (110, 130, width - 60, height - 100)
    axes(draw, box, title)
    colours = [(13, 102, 86), (10, 85, 160), (194, 65, 12), (120, 60, 160)]
    for curve, colour in enumerate(colours[: 2 + seed % 3]):
        rate, floor = 2 + rng.random() * 4, 0.1 + curve * 0.12
        points = []
        for step in range(200):
            x = step / 199
            y = floor + (1 - floor) * math.exp(-rate * x) + rng.gauss(0, 0.015)
            points.append((box[0] + x * (box[2] - box[0]), box[3] - y * (box[3] - box[1]) * 0.9))
        draw.line(points, fill=colour, width=6, joint="curve")
    draw.text((box[2] - 220, box[3] + 25), "training steps", fill=(60, 60, 60), font=font(30))
    return image


def bar_chart(values: list[int], labels: list[str], title: str) -> Image.Image:
    image = Image.new("RGB", (1200, 700), (251, 250, 246))
    draw = ImageDraw.Draw(image)
    box = (100, 130, 1150, 600)
    axes(draw, box, title)
    step = (box[2] - box[0]) / len(values)
    for i, (value, label) in enumerate(zip(values, labels)):
        x0 = box[0] + i * step + step * 0.2
        y0 = box[3] - value / max(values) * (box[3] - box[1]) * 0.95
        draw.rectangle([x0, y0, x0 + step * 0.6, box[3]], fill=(13, 102, 86))
        draw.text((x0, box[3] + 20), label, fill=(60, 60, 60), font=font(30))
    return image


def write_projects_and_posts() -> None:
    (CONTENT / "images/projects").mkdir(parents=True, exist_ok=True)
    for seed, slug in enumerate(PROJECTS):
        figure(seed, slug.replace("-", " ").capitalize()).save(CONTENT / f"images/projects/{slug}.png", optimize=True)
    (CONTENT / "images/posts").mkdir(parents=True, exist_ok=True)
    bar_chart([12, 19, 23, 21, 25], ["2019", "2020", "2021", "2022", "2023"],
              "DLCT sessions per year").save(CONTENT / "images/posts/dlct-sessions-per-year.png", optimize=True)
    bar_chart([18, 26, 31, 29, 40, 44], ["Jan", "Mar", "May", "Jul", "Sep", "Nov"],
              "Lagos chapter meetup attendance, 2026").convert("RGB").save(
        CONTENT / "images/posts/lagos-sign-ups.jpg", quality=85)


if __name__ == "__main__":
    write_members()
    write_projects_and_posts()
