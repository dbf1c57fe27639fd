"""`POST /api/v1/incidents` with `application/cap+xml` or `application/emergency+json`:
the same parsers as the gate folder, then the same writer. A refusal is an IntakeError so
the API answers 422 naming the field, as for JSON."""

from __future__ import annotations

from typing import Any

from hub.errors import IntakeError, NotFound
from hub.registry import Registry
from hub.sources.boundary.mapping import Mapping, load_mapping
from hub.sources.boundary.model import GateRejection
from hub.sources.boundary.parse import parse_bytes
from hub.sources.boundary.ports import GatePorts

_MAPPINGS: dict[int, tuple[Registry, Mapping]] = {}


def use_mapping(svc: GatePorts, mapping: Mapping) -> None:
    """The bridge hands the county's mapping to the API, so both read files alike."""
    _MAPPINGS[id(svc)] = (svc.registry, mapping)


def _mapping(svc: GatePorts) -> Mapping:
    """The county's mapping from [boundary], else the shipped one."""
    found = _MAPPINGS.get(id(svc))
    if found is None or found[0] is not svc.registry:
        found = _MAPPINGS[id(svc)] = (svc.registry, load_mapping(None, svc.registry))
    return found[1]


def intake_gate_body(
    svc: GatePorts, body: bytes, source: str, content_type: str
) -> tuple[Any, bool]:
    try:
        msg = parse_bytes(body, svc.registry, _mapping(svc), content_type=content_type)
        view, outcome = svc.gate_message(
            msg.kind, msg.intake, source=source, msg_id=msg.msg_id, refs=msg.refs,
            notes=msg.notes, reason=msg.reason,
        )  # fmt: skip
    except GateRejection as e:
        raise IntakeError({e.field or "body": (e.zh, e.en)}) from None
    except NotFound as e:
        raise IntakeError(
            {"source_id": (f"要撤销的警情不存在：{e}", f"nothing to cancel: {e}")}
        ) from None
    return view, outcome == "created"
