"""Clocks that every component takes, so tests never sleep through a deadline."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    """Anything that tells the current time as an aware UTC datetime."""

    def now(self) -> datetime: ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FakeClock:
    """A clock that moves only when told to; thread-safe, for tests and simulations."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 5, 1, 0, tzinfo=UTC)
        if self._now.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> datetime:
        with self._lock:
            self._now += timedelta(seconds=seconds)
            return self._now

    def set(self, when: datetime) -> None:
        with self._lock:
            self._now = when


def utc(dt: datetime) -> datetime:
    """Normalise an aware datetime to UTC; refuse naive ones, which are always a bug here."""
    if dt.tzinfo is None:
        raise ValueError("naive datetime: every time in Liandong carries its zone")
    return dt.astimezone(UTC)


def rfc3339(dt: datetime) -> str:
    """Format as RFC 3339 UTC with millisecond precision, e.g. 2026-11-28T23:01:15.123Z."""
    return utc(dt).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_rfc3339(text: str) -> datetime:
    """The inverse of `rfc3339` (any zone accepted, returned in UTC); a time without a zone
    or text that is not a time raises ValueError."""
    return utc(datetime.fromisoformat(text))


SHANGHAI = ZoneInfo("Asia/Shanghai")


def shanghai(dt: datetime) -> datetime:
    """The same instant in Asia/Shanghai, which is what every person in the county reads."""
    return utc(dt).astimezone(SHANGHAI)
