"""`liandong-hub boundary check`: parse one file exactly as the bridge would, store nothing.

This is how a county integrates a new 110 vendor: drop a sample through it, read what
incident it would make or why it is refused, fix the mapping, repeat.
"""

from __future__ import annotations

import json
from pathlib import Path

from hub.registry import load_registry
from hub.sources.boundary.config import BoundaryConfig
from hub.sources.boundary.mapping import load_mapping
from hub.sources.boundary.model import GateRejection
from hub.sources.boundary.parse import parse_bytes
from hub.sources.boundary.rawbytes import DEFAULT_LIMIT


def check_file(
    registry_path: Path | None, boundary: BoundaryConfig | None, path: Path
) -> tuple[bool, str]:
    """(ok, text to print): the message as JSON, or the reasons (Chinese, then English).
    Takes hub.toml's registry and [boundary], not the config itself: hub.config reads
    [boundary] with this package, which must not import it back."""
    registry = load_registry(registry_path)
    mapping = load_mapping(boundary.mapping if boundary else None, registry)
    limit = boundary.limit_bytes if boundary else DEFAULT_LIMIT
    with path.open("rb") as f:
        data = f.read(limit + 1)
    try:
        msg = parse_bytes(data, registry, mapping, limit=limit)
    except GateRejection as e:
        why = e.to_json()
        lines = [f"拒收 / refused: {e}"]
        lines += [f"  - {p['field']}: {p['zh']} ({p['en']})" for p in why.get("problems", [])]
        return False, "\n".join(lines)
    return True, json.dumps(msg.to_json(), ensure_ascii=False, indent=2)
