"""The outbound status files with `outbound_format = "eido"` are valid NENA EIDO documents:
every file the bridge writes for a 110 call's life (incident, dispatched, updated, cancelled
by 110, closed by the operator) is run through NENA's own schema (../shared/data/eido/schema,
the upstream `minItems: 1,` typo read as the data README says; skipped when absent)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from referencing import Registry as RefRegistry
from referencing import Resource
from referencing.jsonschema import DRAFT7

from hub.sources.boundary.bridge import Bridge
from hub.sources.boundary.config import BoundaryConfig
from hub.sources.boundary.folders import Folders
from hub.sources.boundary.mockgate import MockGate
from tests.hub.sources.boundary.conftest import EIDO_DIR, shared
from tests.hub.sources.boundary.test_bridge import call
from tests.hub.sources.boundary.test_eido import _load_yaml
from tests.support.hubparts import TestService


def _validator() -> jsonschema.Draft7Validator:
    schema_dir = shared(EIDO_DIR / "schema")
    root = _load_yaml(schema_dir / "openapi.yaml")

    def retrieve(uri: str) -> Resource[Any]:
        name = uri.split("#", 1)[0].replace("//", "/").removeprefix("file:")
        return Resource(_load_yaml(schema_dir / name.lstrip("/")), specification=DRAFT7)

    refs = RefRegistry(retrieve=retrieve).with_resource(  # type: ignore[call-arg]
        "openapi.yaml", Resource(root, specification=DRAFT7)
    )
    schema = {"$ref": "openapi.yaml#/components/schemas/EmergencyIncidentDataObjectType"}
    return jsonschema.Draft7Validator(schema, registry=refs)


def test_every_eido_status_file_validates(service: TestService, tmp_path: Path) -> None:
    validator = _validator()
    folders = Folders.under(tmp_path / "gate")
    bridge = Bridge(
        service.parts.gate, BoundaryConfig(folders=folders, settle_s=0, outbound_format="eido")
    )
    bridge.prepare()
    gate = MockGate(folders)
    gate.drop("1.json", call("J1"))
    gate.drop("2.json", call("J1", summary="范围扩大"))
    gate.drop("3.json", call("J2", category="water-main-burst"))
    gate.drop("4.json", {**call("J2", category="water-main-burst"), "kind": "cancel"})
    assert set(bridge.take_all(set()).values()) == {"done"}
    [j1] = [i for i in service.open_incidents() if i.source_id == "J1"]
    service.close_incident(j1.id, by="op")
    assert bridge.outbound.pump() > 0
    docs = [json.loads((folders.outbound / n).read_text("utf-8")) for n in gate.outbound()]
    kinds = {d["incidentComponent"]["incidentStatusInternalText"][0] for d in docs}
    assert {"incident", "dispatched", "cancelled", "closed"} <= kinds
    for doc in docs:
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(doc)]
        assert errors == [], doc
        inc = doc["incidentComponent"]
        assert inc["incidentTrackingIdentifier"] in ("J1", "J2")  # how 110 finds its call
        assert inc["incidentTypeInternalCode"] in ("power-cut", "water-main-burst")
        assert doc["issuingElementIdentification"] == "liandong.shuangbai"
        note = json.loads(doc["notesComponent"][0]["notesActionComments"])
        assert note["type"] == inc["incidentStatusInternalText"][0]
        assert "13812345678" not in json.dumps(doc, ensure_ascii=False)


@pytest.mark.parametrize("fmt", ["json"])
def test_json_format_is_the_outbox_item(service: TestService, tmp_path: Path, fmt: str) -> None:
    folders = Folders.under(tmp_path / "gate")
    bridge = Bridge(
        service.parts.gate, BoundaryConfig(folders=folders, settle_s=0, outbound_format=fmt)
    )
    bridge.prepare()
    MockGate(folders).drop("1.json", call("J1"))
    bridge.take_all(set())
    bridge.outbound.pump()
    first = json.loads(sorted(folders.outbound.iterdir())[0].read_text("utf-8"))
    assert {"cursor", "incident_id", "source_id", "type", "at", "detail", "unit_name"} <= set(first)
