"""CONTRIBUTING.md is tested like code: its `mlcsite new` commands write the files its
examples show, those examples build into the pages it promises, every field it names
exists, and every schema field is in docs/fields.md."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import struct
import zlib
from pathlib import Path

import pytest

from conftest import REPO, SAMPLE_NOW, run_mlcsite
from generator.cli import make_parser
from generator.content.schemas import SCHEMAS
from generator.fielddocs import field_rows
from generator.settings import SITE_FIELDS

DOC = (REPO / "CONTRIBUTING.md").read_text(encoding="utf-8")
FENCE = re.compile(r"^(`{3,})(\w*)(?: file=(\S+))?\n(.*?)^\1$", re.M | re.S)
CLOCK = {"SOURCE_DATE_EPOCH": "1795780800"}  # the sample content's "today", as in conftest


def fenced_blocks() -> list[tuple[str, str | None, str]]:
    return [(m.group(2), m.group(3), m.group(4)) for m in FENCE.finditer(DOC)]


def example_files() -> dict[str, str]:
    return {path: text for _, path, text in fenced_blocks() if path}


def commands() -> list[list[str]]:
    """Every `.venv/bin/mlcsite …` command in the guide's shell blocks, as arguments."""
    found = []
    for lang, _, text in fenced_blocks():
        for line in text.splitlines() if lang == "sh" else []:
            for command in line.split("#")[0].split("&&"):
                words = shlex.split(command)
                if words[:1] == [".venv/bin/mlcsite"]:
                    found.append(words[1:])
    return found


def tiny_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\xff\xff")) + chunk(b"IEND", b""))


@pytest.fixture
def sample_copy(tmp_path) -> Path:
    root = tmp_path / "site"
    for name in ("content", "templates"):
        shutil.copytree(REPO / name, root / name)
    shutil.copy(REPO / "site.yaml", root / "site.yaml")
    return root


def test_the_guide_has_an_example_for_every_task():
    paths = example_files()
    for folder in ("members", "events", "posts", "rfps"):
        assert any(p.startswith(f"content/{folder}/") for p in paths), folder
    assert any("series: dlct" in text for text in paths.values())


def test_every_command_in_the_guide_is_a_real_command():
    parser = make_parser()
    assert len(commands()) >= 8
    for words in commands():
        parser.parse_args(words)  # exits (fails the test) on an unknown command or option


def test_its_new_commands_write_its_examples_which_build_into_the_promised_pages(sample_copy):
    root, examples = sample_copy, example_files()
    for words in (w for w in commands() if w[0] == "new"):
        result = run_mlcsite(*words, cwd=root, env=CLOCK)
        assert result.returncode == 0, result.output
        written = result.stdout.split()[1]
        assert written in examples, f"`mlcsite {shlex.join(words)}` wrote {written}, which the guide does not show"
    for rel, text in examples.items():
        (root / rel).write_text(text, encoding="utf-8")
    for image in set(re.findall(r"\bimages/[\w/.-]+\.(?:png|jpg)", "\n".join(examples.values()))):
        (root / "content" / image).parent.mkdir(parents=True, exist_ok=True)
        (root / "content" / image).write_bytes(tiny_png())  # the guide says where images go

    check = run_mlcsite("check", "--format", "json", cwd=root)
    assert check.returncode == 0, check.output
    assert [d for d in json.loads(check.stdout) if d["file"] in examples] == []
    build = run_mlcsite("build", "--now", SAMPLE_NOW, cwd=root)
    assert build.returncode == 0, build.output
    out = root / "output"
    for page in ("members/amara-obi", "events/dlct-2027-01-15", "events/lagos-meetup", "posts/what-we-learnt",
                 "rfps/label-noise-loss-curve"):
        assert (out / page / "index.html").is_file(), page
    uid = "UID:events-dlct-2027-01-15@"
    assert uid in (out / "series/dlct/calendar.ics").read_text() and uid in (out / "calendar.ics").read_text()
    assert "Attention Is All You Need, Revisited" in (out / "series/dlct/index.html").read_text()
    post = (out / "posts/what-we-learnt/index.html").read_text()
    for rendered in ("<math", "<table", 'class="footnote', "codehilite", 'alt="Attendance per month'):
        assert rendered in post, rendered


def documented_fields() -> set[str]:
    names = set()
    for fields in [SITE_FIELDS, *SCHEMAS.values()]:
        names |= {re.match(r"\| `([^`]+)`", row).group(1) for row in field_rows(fields)}
    return names


def test_every_field_the_guide_names_exists():
    leaves = {name.rsplit(".", 1)[-1] for name in documented_fields()}
    prose = FENCE.sub("", DOC)
    named = set(re.findall(r"`([a-z_]+):", prose))
    assert named, "the guide names fields as `name:`"
    assert named <= leaves, f"not a field: {sorted(named - leaves)}"


def test_every_schema_field_is_in_the_field_reference():
    reference = (REPO / "docs/fields.md").read_text(encoding="utf-8")
    missing = [name for name in sorted(documented_fields()) if f"| `{name}` |" not in reference]
    assert missing == [], f"docs/fields.md lacks {missing}: run python -m generator.fielddocs > docs/fields.md"
