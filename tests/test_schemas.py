"""Meta-tests: schemas, models and docs describe the same fields."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from generator.content.schemas import MODELS, SCHEMAS
from generator.fielddocs import render_field_docs

DOCS = Path(__file__).resolve().parent.parent / "docs" / "fields.md"


def test_every_schema_field_is_a_model_attribute_and_back():
    for kind, fields in SCHEMAS.items():
        model_fields = {f.name for f in dataclasses.fields(MODELS[kind])} - {"kind", "slug", "source", "positions"}
        assert {f.name for f in fields} == model_fields, kind


def test_every_field_has_help_text():
    for kind, fields in SCHEMAS.items():
        for field in fields:
            assert field.help.strip(), f"{kind}.{field.name}"


def test_field_reference_is_current():
    assert DOCS.read_text(encoding="utf-8") == render_field_docs(), (
        "docs/fields.md is stale: run python -m generator.fielddocs > docs/fields.md")


def test_sample_content_uses_every_kind():
    content = Path(__file__).resolve().parent.parent / "content"
    for kind in SCHEMAS:
        assert any((content / kind).rglob("*.*")), kind
