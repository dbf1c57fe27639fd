"""Validate an incident from an intake source: pure, dict in, `NewIncident` out.

Every bad field is named with a Chinese and an English message, all at once, so the sending
system's operator fixes the record in one pass. Unknown categories and townships are
errors, never guesses: a wrong guess sends a crew to the wrong place. Text that reaches a
duty-room printer holds no control characters (`hub.dispatch.text`), and `reported_at` must sit in
a window around the hub's clock (`IntakeWindow`), so a call dated 9999 cannot top the board
nor skew every age and report figure.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from hub.dispatch import text
from hub.errors import IntakeError
from hub.registry import Registry
from wire.clock import rfc3339, utc
from wire.limits import MAX_SHORT, MAX_TEXT

PRIORITIES = ("critical", "urgent", "normal")
FIELDS = frozenset(
    {
        "source_id",
        "category",
        "address",
        "township",
        "lat",
        "lon",
        "caller_phone",
        "summary",
        "reported_at",
        "priority",
        "drill",
        "arrive_min",
    }
)
_SOURCE_ID = re.compile(r"[0-9A-Za-z_.:-]{1,64}")
_PHONE = re.compile(r"[0-9+ ()-]{0,32}")


@dataclass(frozen=True)
class IntakeWindow:
    """How far from the hub's clock a `reported_at` may be (hub.toml `[intake]`).

    Ahead: a sending system's clock may run a little fast, never hours. Behind: a call may
    be entered late (a gate that was down, a paper record typed in), but not from last year.
    """

    max_future_s: float = 300.0
    max_age_days: float = 30.0

    def problem(self, at: datetime, now: datetime) -> tuple[str, str] | None:
        clock = rfc3339(now)
        if at > now + timedelta(seconds=self.max_future_s):
            return (
                f"报警时间晚于中心时钟 {self.max_future_s:g} 秒以上（中心时钟 {clock}）",
                f"more than {self.max_future_s:g} s ahead of the hub's clock ({clock})",
            )
        if at < now - timedelta(days=self.max_age_days):
            return (
                f"报警时间早于中心时钟 {self.max_age_days:g} 天以上（中心时钟 {clock}）",
                f"more than {self.max_age_days:g} days before the hub's clock ({clock})",
            )
        return None


@dataclass(frozen=True)
class NewIncident:
    source_id: str
    category: str
    address: str
    township: str
    lat: float | None
    lon: float | None
    caller_phone: str
    summary: str
    reported_at: datetime
    priority: str
    drill: bool
    arrive_min: int | None


def _text(data: dict[str, Any], name: str, limit: int, bad: dict[str, tuple[str, str]]) -> str:
    """A required one-line field: surrounding whitespace trimmed, no control characters."""
    value = data.get(name)
    if not isinstance(value, str) or not value.strip():
        bad[name] = ("必填，须为非空文字", "required: a non-empty string")
        return ""
    value = value.strip()
    if len(value) > limit:
        bad[name] = (f"超过 {limit} 个字符", f"longer than {limit} characters")
    elif (problem := text.problem(value, multiline=False)) is not None:
        bad[name] = problem
    return value


def _coord(value: Any, lo: float, hi: float) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    f = float(value)
    return f if math.isfinite(f) and lo <= f <= hi else None


def validate(
    data: Any, registry: Registry, *, now: datetime | None, window: IntakeWindow | None = None
) -> NewIncident:
    """Return the incident, or raise IntakeError naming every bad field. `now` is the hub's
    clock, for the window `reported_at` must fall in; None checks the record alone (a gate
    file read by `boundary check` or before its commit: the window is applied at intake)."""
    if not isinstance(data, dict):
        raise IntakeError({"body": ("须为 JSON 对象", "must be a JSON object")})
    bad: dict[str, tuple[str, str]] = {}
    for extra in sorted(set(data) - FIELDS):
        bad[extra] = ("未知字段", "unknown field")

    source_id = data.get("source_id")
    if not isinstance(source_id, str) or not _SOURCE_ID.fullmatch(source_id):
        bad["source_id"] = (
            "必填：1 至 64 个字母、数字或 _.:-",
            "required: 1 to 64 letters, digits or _.:-",
        )
    category = data.get("category")
    if not isinstance(category, str) or category not in registry.categories:
        bad["category"] = (f"未知警情类别 {category!r}", f"unknown category {category!r}")
    township = data.get("township")
    if not isinstance(township, str) or township not in registry.townships:
        bad["township"] = (f"未知乡镇 {township!r}", f"unknown township {township!r}")
    address = _text(data, "address", MAX_SHORT, bad)

    lat = lon = None
    if "lat" in data or "lon" in data:
        lat = _coord(data.get("lat"), -90, 90)
        lon = _coord(data.get("lon"), -180, 180)
        if lat is None:
            bad["lat"] = (
                "纬度须为 -90 至 90 的数字，且与经度同时给出",
                "latitude: a number in -90..90, given with lon",
            )
        if lon is None:
            bad["lon"] = (
                "经度须为 -180 至 180 的数字，且与纬度同时给出",
                "longitude: a number in -180..180, given with lat",
            )

    phone = data.get("caller_phone", "") or ""
    if not isinstance(phone, str) or not _PHONE.fullmatch(phone):
        bad["caller_phone"] = ("电话号码格式不对", "phone: up to 32 digits, spaces, + ( ) -")
        phone = ""
    summary = data.get("summary", "") or ""
    if isinstance(summary, str):
        summary = text.unify_newlines(summary).strip()  # multi-line: LF kept, CR LF -> LF
    if not isinstance(summary, str) or len(summary) > MAX_TEXT:
        bad["summary"] = (
            f"须为不超过 {MAX_TEXT} 字的文字",
            f"a string of at most {MAX_TEXT} characters",
        )
        summary = ""
    elif (problem := text.problem(summary, multiline=True)) is not None:
        bad["summary"] = problem

    reported_at: datetime | None = None
    raw_at = data.get("reported_at")
    try:
        if not isinstance(raw_at, str):
            raise ValueError
        reported_at = utc(datetime.fromisoformat(raw_at.replace("Z", "+00:00")))
    except (ValueError, OverflowError):  # 0001-01-01T00:00+08:00 has no UTC
        bad["reported_at"] = (
            "必填：带时区的 RFC 3339 时间，如 2026-11-28T14:30:00+08:00",
            "required: an RFC 3339 time with its zone, e.g. 2026-11-28T14:30:00+08:00",
        )
    if (
        reported_at is not None
        and now is not None
        and (problem := (window or IntakeWindow()).problem(reported_at, now))
    ):
        bad["reported_at"] = problem

    priority = data.get("priority")
    if priority is None and isinstance(category, str) and category in registry.categories:
        priority = registry.categories[category].default_priority
    if priority is None:
        priority = "normal"  # the category is unknown and already reported
    if priority not in PRIORITIES:
        bad["priority"] = ("须为 critical、urgent 或 normal", "one of critical, urgent, normal")

    drill = data.get("drill", False)
    if not isinstance(drill, bool):
        bad["drill"] = ("须为 true 或 false", "must be true or false")

    arrive_min = data.get("arrive_min")
    if arrive_min is not None and (
        isinstance(arrive_min, bool)
        or not isinstance(arrive_min, int)
        or not 1 <= arrive_min <= 10080
    ):
        bad["arrive_min"] = (
            "到场时限须为 1 至 10080 分钟",
            "on-scene minutes: an integer 1..10080",
        )

    if bad:
        raise IntakeError(bad)
    assert reported_at is not None  # noqa: S101 - checked above; narrows the type for mypy
    return NewIncident(
        source_id=str(source_id),
        category=str(category),
        address=address,
        township=str(township),
        lat=lat,
        lon=lon,
        caller_phone=phone.strip(),
        summary=summary,
        reported_at=reported_at,
        priority=str(priority),
        drill=drill,
        arrive_min=arrive_min,
    )
