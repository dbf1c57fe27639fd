"""Assessment periods: a day, a quarter, a year or a range, in Beijing time.

The county counts its days and quarters on the wall clock of Asia/Shanghai, while the hub
stores UTC. A period is therefore made from Beijing dates and kept as a half-open UTC
interval [start, end): an order dispatched at 23:59 Beijing time on 31 March belongs to the
first quarter even though it is 15:59 UTC. `previous()` gives the period a bulletin compares
itself with (the trend chart).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from wire.clock import SHANGHAI

Kind = Literal["daily", "quarter", "year", "range"]


@dataclass(frozen=True)
class Period:
    kind: Kind
    first: date  # first Beijing day, inclusive
    last: date  # last Beijing day, inclusive

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(0), SHANGHAI).astimezone(UTC)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time(0), SHANGHAI).astimezone(UTC)

    @property
    def label_zh(self) -> str:
        if self.kind == "daily":
            return f"{self.first.year}年{self.first.month}月{self.first.day}日"
        if self.kind == "quarter":
            return f"{self.first.year}年第{(self.first.month - 1) // 3 + 1}季度"
        if self.kind == "year":
            return f"{self.first.year}年度"
        return f"{_zh(self.first)}至{_zh(self.last)}"

    @property
    def slug(self) -> str:
        """A short name for files: 2026-Q1, 2026, 2026-03-05, 2026-03-01_2026-03-20."""
        if self.kind == "daily":
            return self.first.isoformat()
        if self.kind == "quarter":
            return f"{self.first.year}-Q{(self.first.month - 1) // 3 + 1}"
        if self.kind == "year":
            return str(self.first.year)
        return f"{self.first.isoformat()}_{self.last.isoformat()}"

    def previous(self) -> Period:
        """The period before: yesterday, last quarter, last year, the range just before."""
        if self.kind == "daily":
            return day(self.first - timedelta(days=1))
        if self.kind == "quarter":
            q = (self.first.month - 1) // 3 + 1
            return quarter(self.first.year - 1, 4) if q == 1 else quarter(self.first.year, q - 1)
        if self.kind == "year":
            return year(self.first.year - 1)
        length = (self.last - self.first).days + 1
        return span(self.first - timedelta(days=length), self.first - timedelta(days=1))

    def months(self) -> list[Period]:
        """The calendar months the period touches (clipped to it), for the trend chart."""
        out: list[Period] = []
        first = self.first
        while first <= self.last:
            nxt = date(first.year + first.month // 12, first.month % 12 + 1, 1)
            out.append(span(first, min(self.last, nxt - timedelta(days=1))))
            first = nxt
        return out


def _zh(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def day(d: date) -> Period:
    return Period("daily", d, d)


def quarter(y: int, q: int) -> Period:
    if not 1 <= q <= 4:
        raise ValueError(f"a quarter is 1 to 4, not {q}")
    first = date(y, 3 * q - 2, 1)
    last = date(y + (q == 4), (3 * q) % 12 + 1, 1) - timedelta(days=1)
    return Period("quarter", first, last)


def year(y: int) -> Period:
    return Period("year", date(y, 1, 1), date(y, 12, 31))


def span(first: date, last: date) -> Period:
    if last < first:
        raise ValueError(f"the range ends ({last}) before it starts ({first})")
    return Period("range", first, last)


def beijing_day(dt: datetime) -> date:
    """The Beijing date of an instant (the day an order belongs to)."""
    return dt.astimezone(SHANGHAI).date()
