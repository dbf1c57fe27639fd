"""Read a county registry TOML file into a `Registry` (minimal first version)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, cast

from hub.registry.model import (
    Category,
    DeadlinePolicy,
    Registry,
    RegistryError,
    Township,
    Unit,
)


def default_registry_path() -> Path:
    """The Shuangbai County registry shipped with the hub."""
    return Path(__file__).with_name("shuangbai.toml")


def load_registry(path: Path | None = None) -> Registry:
    """Load and validate a registry; None loads the shipped Shuangbai registry."""
    path = path or default_registry_path()
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise RegistryError([f"{path.name}: {e}"]) from e
    county = doc["county"]
    townships = {
        t["id"]: Township(
            t["id"], t["name_zh"], t["name_en"], t["urban"], t["lat"], t["lon"], t["government"]
        )
        for t in doc["townships"]
    }
    units = {
        u["id"]: Unit(
            u["id"],
            u["name_zh"],
            u["name_en"],
            u["tier"],
            u["class"],
            u.get("township"),
            tuple(u["duty_phones"]),
            u.get("lat"),
            u.get("lon"),
        )
        for u in doc["units"]
    }
    categories = {
        c["code"]: Category(
            c["code"],
            c["name_zh"],
            c["name_en"],
            c["lead_unit"],
            c["township_also"],
            c.get("tier2_deadline_min"),
            c["default_priority"],
            c.get("scene", True),
        )
        for c in doc["categories"]
    }
    lat, lon = county["center"]
    return Registry(
        county_id=county["id"],
        county_name=county["name_zh"],
        county_name_en=county["name_en"],
        center=(float(lat), float(lon)),
        townships=townships,
        units=units,
        categories=categories,
        deadlines=DeadlinePolicy(**cast(dict[str, Any], doc.get("deadlines", {}))),
        source=str(path),
    )
