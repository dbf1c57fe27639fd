"""The county registry as typed, immutable values: townships, units, categories, deadlines.

Everything routing and the deadline engine need to know about a county lives here, read once
at start from a TOML file (see `loader.py`) and never changed while the hub runs; frozen
dataclasses make an accidental change at run time an error instead of a silent divergence
between the registry and the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from wire.kinds import Priority  # the order's priority: one definition for registry and wire

__all__ = [
    "CLASS_TIER",
    "PRIORITIES",
    "UNIT_CLASSES",
    "Category",
    "Centre",
    "DeadlinePolicy",
    "Priority",
    "Registry",
    "RegistryError",
    "Tier",
    "Township",
    "Unit",
    "UnitClass",
]

Tier = Literal[1, 2, 3]
UnitClass = Literal["emergency", "tier1", "specialist", "support"]

UNIT_CLASSES: tuple[UnitClass, ...] = ("emergency", "tier1", "specialist", "support")
PRIORITIES: tuple[Priority, ...] = ("critical", "urgent", "normal")

# The tier each class belongs to (DOMAIN.md, 三级联动): emergency services and the other
# tier-1 units answer with a fixed on-scene deadline, specialists are tier 2, support tier 3.
CLASS_TIER: dict[UnitClass, Tier] = {
    "emergency": 1,
    "tier1": 1,
    "specialist": 2,
    "support": 3,
}


class RegistryError(ValueError):
    """A registry file that cannot be used; the message names the file, line and problem.

    `problems` holds every problem found (one per line of the message), so an operator fixes
    the whole file in one pass instead of one error per restart.
    """

    def __init__(self, problems: list[str] | tuple[str, ...]) -> None:
        self.problems: tuple[str, ...] = tuple(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True)
class Township:
    """A township (乡镇) of the county: where a call comes from decides 属地管理."""

    id: str
    name_zh: str
    name_en: str
    urban: bool
    lat: float
    lon: float
    government: str  # id of the township government's unit


@dataclass(frozen=True)
class Unit:
    """A linkage unit (联动单位): one duty room, with a terminal and an MQTT identity when
    `terminal` is true."""

    id: str
    name_zh: str
    name_en: str
    tier: Tier
    unit_class: UnitClass
    township: str | None  # set for units local to one township (government, police station)
    duty_phones: tuple[str, ...]
    lat: float | None = None  # base position (duty room), when known
    lon: float | None = None
    leader_name: str | None = None  # the leader escalations go to (hub/alerts/ladder.py)
    leader_phone: str | None = None  # a mobile number: SMS reaches it
    # Whether the duty room has a terminal (网络终端). Without one (most tier-2 and tier-3
    # units) orders reach it by phone, fax or radio: nothing is sent over MQTT, the console
    # shows its duty phones and the operator records 送达/签收/到场/反馈 for it.
    terminal: bool = True


@dataclass(frozen=True)
class Category:
    """A kind of non-police call and who handles it (谁主管、谁负责)."""

    code: str
    name_zh: str
    name_en: str
    lead_unit: str
    township_also: bool  # the township of the place also gets an order (属地管理)
    tier2_deadline_min: int | None  # on-scene minutes when the lead is tier 2; None = default
    default_priority: Priority
    scene: bool = True  # False: handled without attending (only then may a tier-3 unit lead)


@dataclass(frozen=True)
class DeadlinePolicy:
    """The deadline table of DESIGN.md; the defaults are the notice's figures."""

    receive_s: int = 30
    ack_s: int = 180
    arrive_emergency_urban_min: int = 15
    arrive_tier1_min: int = 30
    arrive_tier2_default_min: int = 60
    feedback_h: int = 24


@dataclass(frozen=True)
class Centre:
    """The command centre itself: who supervises the duty (督办) when a unit is late."""

    supervisor_phones: tuple[str, ...] = ()


@dataclass(frozen=True)
class Registry:
    """One county's configuration, validated; build it with `load_registry`."""

    county_id: str
    county_name: str
    county_name_en: str
    center: tuple[float, float]  # (lat, lon) of the county seat
    townships: dict[str, Township]
    units: dict[str, Unit]
    categories: dict[str, Category]
    deadlines: DeadlinePolicy
    source: str = ""  # the file it came from, for log lines
    centre: Centre = field(default_factory=Centre)  # [centre]

    def township_unit(self, township_id: str) -> Unit:
        """The township government unit of `township_id` (the 属地 order goes there)."""
        try:
            township = self.townships[township_id]
        except KeyError:
            raise KeyError(f"unknown township {township_id!r}") from None
        return self.units[township.government]

    def arrive_minutes(
        self, unit: Unit, township: Township, override_min: int | None = None
    ) -> int | None:
        """Minutes from dispatch by which `unit` must be on scene in `township`.

        DESIGN.md's table: police stations, traffic police, fire and 120 (class
        "emergency") in the urban area -> 15; every other tier-1 unit -> 30. The notice
        gives emergency services outside the urban area no figure of their own, so there
        they get the tier-1 figure (30) rather than none. Tier 2 -> `override_min` (the
        operator's or the category's figure) else the default 60. Tier 3 attends no scene:
        None. `override_min` only applies to tier 2: tier-1 figures are the notice's.
        """
        if override_min is not None and override_min <= 0:
            raise ValueError(
                f"override_min must be a positive number of minutes, not {override_min}"
            )
        policy = self.deadlines
        if unit.tier == 1:
            if unit.unit_class == "emergency" and township.urban:
                return policy.arrive_emergency_urban_min
            return policy.arrive_tier1_min
        if unit.tier == 2:
            return override_min if override_min is not None else policy.arrive_tier2_default_min
        return None

    def category_arrive_minutes(
        self, category: Category, unit: Unit, township: Township, operator_min: int | None = None
    ) -> int | None:
        """`arrive_minutes` for an order of `category`: the operator's figure wins, then the
        category's tier-2 default, then the county default; None when the category needs no
        scene."""
        if not category.scene:
            return None
        override = operator_min if operator_min is not None else category.tier2_deadline_min
        return self.arrive_minutes(unit, township, override)
