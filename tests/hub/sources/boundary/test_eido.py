"""NENA EIDO: NENA's own sample validates against NENA's schema (the upstream typo read as
the data README says) and maps to an incident, the caller's phone masked in every note."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from referencing import Registry as RefRegistry
from referencing import Resource
from referencing.jsonschema import DRAFT7

from hub.registry import Registry
from hub.sources.boundary.mapping import Mapping
from hub.sources.boundary.model import GateRejection
from hub.sources.boundary.parse import parse_bytes
from tests.hub.sources.boundary.conftest import EIDO_DIR, shared

SAMPLE = EIDO_DIR / "nena-sample-call-transfer.json"


def _load_yaml(path: Path) -> Any:
    text = path.read_text(encoding="utf-8")
    # The upstream typo (openapi.yaml line 218, `minItems: 1,`): YAML reads "1,", read it as 1
    return yaml.safe_load(text.replace("minItems: 1,", "minItems: 1"))


def test_sample_validates_against_the_schema() -> None:
    schema_dir = shared(EIDO_DIR / "schema")
    root = _load_yaml(schema_dir / "openapi.yaml")

    def retrieve(uri: str) -> Resource[Any]:
        name = uri.split("#", 1)[0].replace("//", "/").removeprefix("file:")
        return Resource(_load_yaml(schema_dir / name.lstrip("/")), specification=DRAFT7)

    refs = RefRegistry(retrieve=retrieve).with_resource(  # type: ignore[call-arg]
        "openapi.yaml", Resource(root, specification=DRAFT7)
    )
    schema = {"$ref": "openapi.yaml#/components/schemas/EmergencyIncidentDataObjectType"}
    validator = jsonschema.Draft7Validator(schema, registry=refs)
    errors = list(validator.iter_errors(json.loads(SAMPLE.read_text(encoding="utf-8"))))
    assert errors == []


def test_sample_maps(registry: Registry, mapping: Mapping) -> None:
    data = shared(SAMPLE).read_bytes()
    with pytest.raises(GateRejection) as e:  # its only type is the call type "emergency"
        parse_bytes(data, registry, mapping)
    assert e.value.reason == "unmapped" and "emergency" in e.value.en
    mine = replace(
        mapping, tables={**mapping.tables, "eido.incident_type": {"emergency": "medical-emergency"}}
    )
    msg = parse_bytes(data, registry, mine, content_type="application/emergency+json")
    assert msg.format == "eido" and msg.kind == "new"
    assert msg.source_id == "urn:emergency:uid:incidentid:a56e556d871:bcf.state.pa.us"
    assert msg.intake["caller_phone"] == "8195551212"  # stored in full, as the API stores it
    assert "Wilmington" in msg.intake["address"] and msg.intake["category"] == "medical-emergency"
    joined = " ".join(msg.notes)
    assert "****1212" in joined and "8195551212" not in joined
