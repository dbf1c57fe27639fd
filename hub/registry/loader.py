"""Read and validate a county registry TOML file into a `Registry`.

The hub refuses to start on a registry it cannot trust: a category routed to a unit that
does not exist would only be noticed when a real call for help finds nobody to send it to.
So every check runs at load time, every problem is reported at once with its line, and a
`Registry` only exists when the whole file is consistent. Format: docs/registry.md.
"""

from __future__ import annotations

import logging
import re
import tomllib
from pathlib import Path
from typing import Any, cast

from hub.registry.fields import Fields, Problems, shown, toml_type
from hub.registry.locate import ROOT, SourceMap
from hub.registry.model import (
    CLASS_TIER,
    PRIORITIES,
    UNIT_CLASSES,
    Category,
    Centre,
    DeadlinePolicy,
    Priority,
    Registry,
    RegistryError,
    Tier,
    Township,
    Unit,
    UnitClass,
)

log = logging.getLogger(__name__)

MAX_BYTES = 4 * 1024 * 1024  # a county registry is tens of kilobytes; refuse anything absurd
_TOML_POS_RE = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")

# [deadlines] keys: (lowest, highest) accepted; defaults are DeadlinePolicy's.
_DEADLINE_RANGES: dict[str, tuple[int, int]] = {
    "receive_s": (1, 3600),
    "ack_s": (1, 86400),
    "arrive_emergency_urban_min": (1, 1440),
    "arrive_tier1_min": (1, 1440),
    "arrive_tier2_default_min": (1, 1440),
    "feedback_h": (1, 720),
}
_ARRAYS = ("townships", "units", "categories")
_TOP_KEYS = ("county", "deadlines", "centre", *_ARRAYS)


def default_registry_path() -> Path:
    """The Shuangbai County registry shipped with the hub (package data)."""
    return Path(__file__).with_name("shuangbai.toml")


def load_registry(path: Path | None = None) -> Registry:
    """Load and validate a registry file; None loads the shipped Shuangbai registry.

    Raises RegistryError listing every problem, each as `FILE line N: what: problem`.
    """
    path = Path(path) if path is not None else default_registry_path()
    text = _read_text(path)
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise RegistryError([_syntax_message(path.name, e)]) from e
    registry = _Builder(path, text, doc).build()
    log.info(
        "registry %s: county %s, %d townships, %d units, %d categories",
        path,
        registry.county_id,
        len(registry.townships),
        len(registry.units),
        len(registry.categories),
    )
    return registry


def _read_text(path: Path) -> str:
    try:
        with path.open("rb") as f:
            raw = f.read(MAX_BYTES + 1)
    except OSError as e:
        raise RegistryError([f"{path}: cannot read the registry file: {e.strerror or e}"]) from e
    if len(raw) > MAX_BYTES:
        raise RegistryError([f"{path.name}: larger than {MAX_BYTES} bytes; not a registry"])
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        raise RegistryError(
            [f"{path.name} line {line}: not UTF-8 (byte {e.start}); save the file as UTF-8"]
        ) from e


def _syntax_message(filename: str, e: tomllib.TOMLDecodeError) -> str:
    message = str(e)
    pos = _TOML_POS_RE.search(message)
    if pos:
        detail = message[: pos.start()]
        return (
            f"{filename} line {pos.group(1)}: TOML syntax error: {detail} (column {pos.group(2)})"
        )
    return f"{filename}: TOML syntax error: {message}"


class _Builder:
    """One pass over a parsed document: fields first, then the references between tables."""

    def __init__(self, path: Path, text: str, doc: dict[str, Any]) -> None:
        self.path = path
        self.doc = doc
        self.smap = SourceMap.scan(text)
        self.problems = Problems(path.name)
        self.townships: dict[str, Township] = {}
        self.units: dict[str, Unit] = {}
        self.categories: dict[str, Category] = {}
        # every id written in the file, even on an entry with other problems, so a reference
        # to it is not reported as missing on top of the entry's own problem
        self.seen: dict[str, dict[str, int | None]] = {name: {} for name in _ARRAYS}
        self.fields: dict[tuple[str, str], Fields] = {}

    def build(self) -> Registry:
        for key in self.doc:
            if key not in _TOP_KEYS:
                self.problems.add(
                    self.smap.line_of((key, None)) or self.smap.line_of(ROOT, key),
                    f"unknown top-level table or key {shown(key)} (known: {', '.join(_TOP_KEYS)})",
                )
        county = self._county()
        deadlines = self._deadlines()
        centre = self._centre()
        for table in self._entries("townships"):
            self._township(table)
        for table in self._entries("units"):
            self._unit(table)
        for table in self._entries("categories"):
            self._category(table)
        self._check_townships()
        self._check_categories()
        self.problems.raise_if_any()
        assert county is not None and deadlines is not None  # noqa: S101  # no problems => set
        county_id, name_zh, name_en, center = county
        return Registry(
            county_id=county_id,
            county_name=name_zh,
            county_name_en=name_en,
            center=center,
            townships=self.townships,
            units=self.units,
            categories=self.categories,
            deadlines=deadlines,
            source=str(self.path),
            centre=centre,
        )

    # -- tables -----------------------------------------------------------------------

    def _table(self, name: str, required: bool) -> Fields | None:
        value = self.doc.get(name)
        if value is None:
            if required:
                self.problems.add(None, f"missing table [{name}]")
            return None
        if not isinstance(value, dict):
            self.problems.add(
                self.smap.line_of(ROOT, name) or self.smap.line_of((name, 0)),
                f"{name} must be a table [{name}], not {toml_type(value)}",
            )
            return None
        return Fields(value, (name, None), f"[{name}]", self.smap, self.problems)

    def _county(self) -> tuple[str, str, str, tuple[float, float]] | None:
        f = self._table("county", required=True)
        if f is None:
            return None
        county_id = f.ident("id", "county id")
        name_zh = f.text("name_zh")
        name_en = f.text("name_en")
        center = f.value("center", list, True, "[lat, lon]")
        point: tuple[float, float] | None = None
        if center is not None:
            if (
                len(center) == 2
                and all(isinstance(c, int | float) and not isinstance(c, bool) for c in center)
                and -90 <= center[0] <= 90
                and -180 <= center[1] <= 180
            ):
                point = (float(center[0]), float(center[1]))
            else:
                f.problem("center", f"center must be [lat, lon] in degrees, not {shown(center)}")
        f.finish()
        if not f.ok or county_id is None or name_zh is None or name_en is None or point is None:
            return None
        return county_id, name_zh, name_en, point

    def _deadlines(self) -> DeadlinePolicy | None:
        f = self._table("deadlines", required=False)
        if f is None:
            return None if "deadlines" in self.doc else DeadlinePolicy()
        defaults = DeadlinePolicy()
        values = {
            key: f.integer(key, low, high, default=getattr(defaults, key))
            for key, (low, high) in _DEADLINE_RANGES.items()
        }
        f.finish()
        if not f.ok:
            return None
        return DeadlinePolicy(**{k: v for k, v in values.items() if v is not None})

    def _centre(self) -> Centre:
        """[centre] (optional): the supervisors' mobiles that late arrivals are sent to."""
        f = self._table("centre", required=False)
        if f is None:
            return Centre()
        phones = f.phones("supervisor_phones", required=False, what="supervisor's mobile")
        f.finish()
        return Centre(supervisor_phones=phones or ())

    def _entries(self, name: str) -> list[Fields]:
        """The entries of an array of tables `[[name]]`, each with its label and block."""
        value = self.doc.get(name)
        where = self.smap.line_of(ROOT, name) or self.smap.line_of((name, None))
        if value is None:
            self.problems.add(None, f"missing [[{name}]]: the registry needs at least one")
            return []
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            self.problems.add(
                where, f"{name} must be an array of tables written [[{name}]], one per entry"
            )
            return []
        if not value:
            self.problems.add(where, f"{name} is empty: the registry needs at least one")
        return [
            Fields(table, (name, i), f"[[{name}]] entry {i + 1}", self.smap, self.problems)
            for i, table in enumerate(value)
        ]

    def _identify(self, f: Fields, array: str, key: str, kind: str) -> str | None:
        """Read the entry's id, label the entry by it (`unit "fire"`) and catch duplicates."""
        ident = f.ident(key, f"{kind} {key}")
        if ident is None:
            return None
        f.label = f'{kind} "{ident}"'
        seen = self.seen[array]
        if ident in seen:
            first = seen[ident]
            f.problem(key, f"duplicate {key}; first defined at line {first}")
            return None
        seen[ident] = f.line(key)
        self.fields[(array, ident)] = f
        return ident

    def _township(self, f: Fields) -> None:
        tid = self._identify(f, "townships", "id", "township")
        name_zh, name_en = f.text("name_zh"), f.text("name_en")
        urban = f.flag("urban")
        lat, lon = f.number("lat", -90, 90), f.number("lon", -180, 180)
        government = f.ident("government", "unit id")
        f.finish()
        if f.ok and tid and name_zh and name_en and government:
            assert urban is not None and lat is not None and lon is not None  # noqa: S101
            self.townships[tid] = Township(tid, name_zh, name_en, urban, lat, lon, government)

    def _unit(self, f: Fields) -> None:
        uid = self._identify(f, "units", "id", "unit")
        name_zh, name_en = f.text("name_zh"), f.text("name_en")
        tier = f.integer("tier", 1, 3)
        unit_class = f.choice("class", UNIT_CLASSES)
        township = f.ident("township", "township id", required=False)
        phones = f.phones("duty_phones")
        lat = f.number("lat", -90, 90, required=False)
        lon = f.number("lon", -180, 180, required=False)
        if ("lat" in f.table) != ("lon" in f.table):
            f.problem(None, "give both lat and lon for the base position, or neither")
        leader_name = f.text("leader_name", required=False)
        leader_phone = f.phone("leader_phone")
        if ("leader_name" in f.table) != ("leader_phone" in f.table):
            f.problem(None, "give both leader_name and leader_phone, or neither")
        # The notice puts terminals in every tier-1 duty room; tiers 2 and 3 are reached by
        # phone unless the county says otherwise.
        terminal = f.flag("terminal", default=tier == 1)
        cls = cast(UnitClass | None, unit_class)  # choice() let only UNIT_CLASSES through
        if tier is not None and cls is not None and CLASS_TIER[cls] != tier:
            f.problem(
                "class",
                f'class "{cls}" belongs to tier {CLASS_TIER[cls]}, but tier = {tier}; '
                "emergency and tier1 are tier 1, specialist tier 2, support tier 3",
            )
        if township is not None and township not in self._township_ids():
            f.problem("township", f'township "{township}" is not a township in [[townships]]')
        f.finish()
        if f.ok and uid and name_zh and name_en and phones and tier and cls:
            the_tier = cast(Tier, tier)  # integer() let only 1..3 through
            self.units[uid] = Unit(
                uid,
                name_zh,
                name_en,
                the_tier,
                cls,
                township,
                phones,
                lat,
                lon,
                leader_name=leader_name or None,
                leader_phone=leader_phone or None,
                terminal=bool(terminal),
            )

    def _category(self, f: Fields) -> None:
        code = self._identify(f, "categories", "code", "category")
        name_zh, name_en = f.text("name_zh"), f.text("name_en")
        lead = f.ident("lead_unit", "unit id")
        township_also = f.flag("township_also")
        tier2 = f.integer("tier2_deadline_min", 1, 1440, required=False)
        priority = f.choice("default_priority", PRIORITIES)
        scene = f.flag("scene", default=True)
        f.finish()
        if f.ok and code and name_zh and name_en and lead and priority:
            assert township_also is not None and scene is not None  # noqa: S101
            self.categories[code] = Category(
                code,
                name_zh,
                name_en,
                lead,
                township_also,
                tier2,
                cast(Priority, priority),  # choice() let only PRIORITIES through
                scene,
            )

    def _township_ids(self) -> dict[str, int | None]:
        return self.seen["townships"]

    # -- references between tables ----------------------------------------------------

    def _check_townships(self) -> None:
        governments: dict[str, str] = {}
        for township in self.townships.values():
            f = self.fields[("townships", township.id)]
            gov = township.government
            if gov not in self.seen["units"]:
                f.problem("government", f'government "{gov}" is not a unit in [[units]]')
                continue
            unit = self.units.get(gov)
            if unit is None:
                continue  # that unit has its own problem reported
            if unit.township != township.id or unit.unit_class != "tier1":
                f.problem(
                    "government",
                    f'government "{gov}" must be a unit with class = "tier1" and township = '
                    f'"{township.id}" (it has class "{unit.unit_class}", township '
                    f"{shown(unit.township)})",
                )
            elif gov in governments:
                f.problem(
                    "government", f'unit "{gov}" is already the government of {governments[gov]}'
                )
            governments[gov] = township.id

    def _check_categories(self) -> None:
        for category in self.categories.values():
            f = self.fields[("categories", category.code)]
            lead = category.lead_unit
            if lead not in self.seen["units"]:
                f.problem("lead_unit", f'lead_unit "{lead}" is not a unit in [[units]]')
                continue
            unit = self.units.get(lead)
            if unit is None:
                continue
            self._check_lead(f, category, unit)

    @staticmethod
    def _check_lead(f: Fields, category: Category, unit: Unit) -> None:
        lead = unit.id
        if unit.tier == 3 and category.scene:
            f.problem(
                "lead_unit",
                f'lead_unit "{lead}" is tier 3 (support, attends no scene) but the category '
                "needs a scene; choose a tier-1 or tier-2 lead, or set scene = false",
            )
        if unit.township is not None:
            f.problem(
                "lead_unit",
                f'lead_unit "{lead}" serves only township "{unit.township}"; a category '
                "needs a county-wide lead (set township_also = true to involve the township "
                "of the place)",
            )
        if category.tier2_deadline_min is not None and unit.tier != 2:
            f.problem(
                "tier2_deadline_min",
                f'tier2_deadline_min only applies to a tier-2 lead; "{lead}" is tier '
                f"{unit.tier}, whose on-scene figure comes from [deadlines]",
            )
