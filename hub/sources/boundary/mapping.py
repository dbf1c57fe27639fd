"""The county's mapping from what a 110 vendor writes to the registry's categories.

CAP's `<event>` is free text and its `<category>` is twelve broad words; EIDO's incident
type is a registry string. Neither says "power-cut". So each county keeps a small TOML
file (shipped for Shuangbai: `shuangbai-mapping.toml` beside this module) and a file whose
type is not in it is refused naming the type, never guessed: a wrong guess sends a crew
to the wrong place. Keys match case-insensitively, after trimming spaces.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hub.errors import ConfigError
from hub.registry import Registry
from hub.registry.locate import SourceMap

SHIPPED = Path(__file__).with_name("shuangbai-mapping.toml")
_TABLES = ("cap.event_code", "cap.event", "cap.category", "eido.incident_type")
_PRIORITIES = ("critical", "urgent", "normal")


def _key(text: str) -> str:
    return " ".join(text.split()).casefold()


@dataclass(frozen=True)
class Mapping:
    """Lookup tables (keys already folded) and the place settings."""

    tables: dict[str, dict[str, str]] = field(default_factory=dict)
    severity: dict[str, str] = field(default_factory=dict)
    max_km: float = 60.0
    default_township: str | None = None
    source: str = ""

    def lookup(self, table: str, text: str | None) -> str | None:
        if not text:
            return None
        return self.tables.get(table, {}).get(_key(text))


def load_mapping(path: Path | None, registry: Registry) -> Mapping:
    """Read and check a mapping file; a `ConfigError` names the file, line and problem."""
    path = path or SHIPPED
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise ConfigError(f"boundary mapping {path}: {e}") from None
    smap = SourceMap.scan(text)
    problems: list[str] = []
    tables: dict[str, dict[str, str]] = {}
    for name in _TABLES:
        section, _, sub = name.partition(".")
        raw: Any = data.get(section, {}).get(sub, {})
        if not isinstance(raw, dict):
            problems.append(f"{path}: [{name}] must be a table")
            continue
        folded: dict[str, str] = {}
        for key, code in raw.items():
            if not isinstance(code, str) or code not in registry.categories:
                line = smap.line_of((name, None), key)
                problems.append(
                    f"{path}:{line}: [{name}] {key!r} -> {code!r} is not a category of the "
                    f"registry {registry.county_id!r}"
                )
                continue
            folded[_key(key)] = code
        tables[name] = folded
    severity = {}
    for key, prio in data.get("cap", {}).get("severity", {}).items():
        if prio not in _PRIORITIES:
            line = smap.line_of(("cap.severity", None), key)
            problems.append(f"{path}:{line}: [cap.severity] {key!r} must be one of {_PRIORITIES}")
        severity[_key(key)] = str(prio)
    place = data.get("place", {})
    township = place.get("default_township")
    if township is not None and township not in registry.townships:
        line = smap.line_of(("place", None), "default_township")
        problems.append(f"{path}:{line}: [place] default_township {township!r} is unknown")
    try:
        max_km = float(place.get("max_km", 60.0))
    except (TypeError, ValueError):
        max_km = -1.0
    if max_km <= 0:
        problems.append(f"{path}: [place] max_km must be a number above 0")
    if problems:
        raise ConfigError("\n".join(problems))
    return Mapping(tables, severity, max_km, township, str(path))
