"""`[boundary]` of hub.toml: where the gate's folders are and how to read them.

[boundary]
dir = "/srv/gate"            # inbound/ done/ rejected/ outbound/ under it, made at start
# inbound = "/mnt/gate/in"   # or each folder on its own (a mount the gate writes to)
# outbound = "/mnt/gate/out"
source = "cad-110"           # the source name incidents from the gate are stored under
mapping = "shuangbai-mapping.toml"  # the county's mapping (default: the shipped one)
limit_bytes = 1048576        # 1 MiB
rescan_s = 2.0               # rescan even when inotify is silent (network mounts)
settle_s = 1.0               # a file found by rescan only is taken once this still
outbound_format = "json"     # or "eido"
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hub.errors import ConfigError
from hub.sources.boundary.folders import Folders
from hub.sources.boundary.rawbytes import DEFAULT_LIMIT

_SOURCE = re.compile(r"[0-9A-Za-z_.:-]{1,64}")


@dataclass(frozen=True)
class BoundaryConfig:
    folders: Folders
    source: str = "cad-110"
    mapping: Path | None = None
    limit_bytes: int = DEFAULT_LIMIT
    rescan_s: float = 2.0
    settle_s: float = 1.0
    outbound_format: str = "json"


def load_boundary(section: Any, base: Path, where: Path) -> BoundaryConfig | None:
    """The `[boundary]` table, paths relative to hub.toml's folder; None when absent."""
    if section is None:
        return None
    if not isinstance(section, dict):
        raise ConfigError(f"{where}: [boundary] must be a table")
    try:
        root = base / str(section.get("dir", "gate"))
        under = Folders.under(root)
        folders = Folders(
            *(
                base / str(section[name]) if name in section else getattr(under, name)
                for name in ("inbound", "done", "rejected", "outbound")
            )
        )
        mapping = section.get("mapping")
        config = BoundaryConfig(
            folders=folders,
            source=str(section.get("source", "cad-110")),
            mapping=base / str(mapping) if mapping else None,
            limit_bytes=int(section.get("limit_bytes", DEFAULT_LIMIT)),
            rescan_s=float(section.get("rescan_s", 2.0)),
            settle_s=float(section.get("settle_s", 1.0)),
            outbound_format=str(section.get("outbound_format", "json")),
        )
    except (TypeError, ValueError) as e:
        raise ConfigError(f"{where}: [boundary] {e}") from None
    checks = [
        ("source", _SOURCE.fullmatch(config.source), "1-64 of [0-9A-Za-z_.:-]"),
        ("limit_bytes", 1 <= config.limit_bytes <= 64 * 1024 * 1024, "1 .. 64 MiB"),
        ("rescan_s", 0.05 <= config.rescan_s <= 3600, "0.05 .. 3600 s"),
        ("settle_s", 0 <= config.settle_s <= 3600, "0 .. 3600 s"),
        ("outbound_format", config.outbound_format in ("json", "eido"), "json or eido"),
    ]
    for name, ok, want in checks:
        if not ok:
            raise ConfigError(f"{where}: [boundary] {name} must be {want}")
    return config
