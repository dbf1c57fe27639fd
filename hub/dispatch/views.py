"""What the console and the API see: frozen snapshots, never live rows.

All times are aware UTC datetimes; screens show them in Asia/Shanghai. The names are fixed
by docs (hub-console interface): add fields freely, never rename.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class NextDeadline:
    name: str  # "receive" | "ack" | "arrive" | "feedback"
    due: datetime


@dataclass(frozen=True)
class EventView:
    at: datetime  # when it happened (a report's own signed `at`)
    recorded_at: datetime  # when the hub stored it
    order_id: str | None
    type: str
    source: str  # "intake" | "operator:<name>" | "unit:<id>" | "tracker:<id>" | "engine" | "crl"
    detail: dict[str, Any]
    late: bool


@dataclass(frozen=True)
class OrderView:
    id: str
    incident_id: str
    unit: str
    unit_name: str
    role: str  # "lead" | "assist"
    rev: int
    state: str  # dispatched|received|acknowledged|arrived|fed_back|closed|cancelled|reassigned
    dispatched_at: datetime
    received_at: datetime | None
    acked_at: datetime | None
    arrived_at: datetime | None
    fed_back_at: datetime | None
    next_deadline: NextDeadline | None
    overdue: list[str]
    drill: bool
    pending: bool = False  # still waiting for the terminal's `received`
    result_code: str | None = None
    result_text: str | None = None
    arrive_min: int | None = None
    note: str = ""  # the operator's note printed on the order; a self-recorded call's request
    terminal: bool = True  # False: the unit is reached by phone (registry `terminal`)


@dataclass(frozen=True)
class IncidentView:
    id: str
    source: str
    source_id: str
    category: str
    category_name: str
    address: str
    township: str
    township_name: str
    lat: float | None
    lon: float | None
    caller_phone_masked: str
    summary: str
    priority: str
    drill: bool
    reported_at: datetime
    created_at: datetime
    state: str  # "open" | "closed"
    orders: list[OrderView]
    timeline: list[EventView] = field(default_factory=list)
    late: bool = False
    closed_at: datetime | None = None

    @property
    def self_recorded(self) -> bool:
        """自接: taken by a unit itself (双轨制) and reported by its terminal."""
        return self.source.startswith("unit:")


@dataclass(frozen=True)
class UnitStatus:
    id: str
    name_zh: str
    name_en: str
    tier: int
    online: bool
    last_seen: datetime | None
    printer: str | None
    gps_fix_age_s: float | None
    outbox_depth: int | None
    version: str | None
    open_orders: int
    lat: float | None = None
    lon: float | None = None
    position_at: datetime | None = None
    revoked: bool = False  # its certificate is on the CRL: the hub sends it nothing
    refused: int = 0  # messages from the unit the hub refused in the last 24 h
    clock_offset_s: float | None = None  # hub clock minus terminal clock, from its health
    terminal: bool = True  # False: no terminal, reached by phone (no health to show)
    duty_phones: tuple[str, ...] = ()
