"""wire.clock's time text: what `rfc3339` writes, `parse_rfc3339` reads back exactly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from wire.clock import parse_rfc3339, rfc3339


def test_round_trip_keeps_the_instant_to_the_millisecond() -> None:
    beijing = timezone(timedelta(hours=8))
    t = datetime(2026, 11, 28, 23, 1, 15, 123000, tzinfo=beijing)
    text = rfc3339(t)
    assert text == "2026-11-28T15:01:15.123Z"
    assert parse_rfc3339(text) == t and parse_rfc3339(text).tzinfo is UTC
    assert parse_rfc3339("2026-11-28T23:01:15+08:00") == datetime(
        2026, 11, 28, 15, 1, 15, tzinfo=UTC
    )


@pytest.mark.parametrize("text", ["2026-11-28T15:01:15", "yesterday", ""])
def test_a_time_without_zone_or_not_a_time_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_rfc3339(text)
