"""`parse_bytes`: the one door every gate file and every non-JSON API body goes through.

Size and emptiness first, then the format (content type or first bytes), then its parser,
then hub/intake.py's validation against the registry, so a `GateMessage` that comes out
is always an incident the writer can store: `liandong-hub boundary check` shows exactly
what the bridge would do. Nothing here touches the database or the disk.
"""

from __future__ import annotations

from hub.dispatch.intake import validate
from hub.errors import IntakeError
from hub.registry import Registry
from hub.sources.boundary.cap import parse_cap
from hub.sources.boundary.eido import parse_eido
from hub.sources.boundary.mapping import Mapping
from hub.sources.boundary.model import GateMessage, GateRejection
from hub.sources.boundary.native import parse_json
from hub.sources.boundary.rawbytes import DEFAULT_LIMIT, check_size, sniff


def parse_bytes(
    data: bytes,
    registry: Registry,
    mapping: Mapping,
    *,
    content_type: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> GateMessage:
    """A GateMessage, or raise GateRejection; never any other exception for any bytes."""
    check_size(data, limit)
    fmt = sniff(data, content_type)
    try:
        if fmt == "cap":
            msg = parse_cap(data, registry, mapping)
        elif fmt == "eido":
            msg = parse_eido(data, registry, mapping)
        else:
            msg = parse_json(data)
    except (RecursionError, MemoryError):
        raise GateRejection("too_deep", "结构嵌套过深", "nested too deeply") from None
    try:
        validate(msg.intake, registry, now=None)  # the time window: at intake
    except IntakeError as e:
        problems = [{"field": f, "zh": zh, "en": en} for f, (zh, en) in e.details.items()]
        first = problems[0]
        raise GateRejection(
            "invalid",
            f"字段 {first['field']}：{first['zh']}",
            f"field {first['field']}: {first['en']}",
            field=str(first["field"]),
            more=problems,
        ) from None
    return msg
