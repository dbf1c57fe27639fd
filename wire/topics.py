"""MQTT topic names, built and parsed only here.

`ld/v1/{county}/{unit}/down|up|state` and `ld/v1/{county}/{unit}/trackers/{tracker}`.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from wire.errors import WireError
from wire.ids import check_name, is_name

PREFIX = "ld/v1"
Channel = Literal["down", "up", "state", "trackers"]
_CHANNELS = ("down", "up", "state")


class Topic(msgspec.Struct, frozen=True):
    county: str
    unit: str
    channel: Channel
    tracker: str | None = None

    def __str__(self) -> str:
        base = f"{PREFIX}/{self.county}/{self.unit}/{self.channel}"
        return f"{base}/{self.tracker}" if self.tracker else base


def down(county: str, unit: str) -> str:
    return f"{PREFIX}/{check_name(county, 'county id')}/{check_name(unit)}/down"


def up(county: str, unit: str) -> str:
    return f"{PREFIX}/{check_name(county, 'county id')}/{check_name(unit)}/up"


def state(county: str, unit: str) -> str:
    return f"{PREFIX}/{check_name(county, 'county id')}/{check_name(unit)}/state"


def tracker(county: str, unit: str, tracker_id: str) -> str:
    return (
        f"{PREFIX}/{check_name(county, 'county id')}/{check_name(unit)}/trackers/"
        f"{check_name(tracker_id, 'tracker id')}"
    )


def hub_subscriptions(county: str) -> list[str]:
    """What the hub subscribes to: every unit's reports, state and trackers."""
    base = f"{PREFIX}/{check_name(county, 'county id')}/+"
    return [f"{base}/up", f"{base}/state", f"{base}/trackers/+"]


def parse(topic: str) -> Topic:
    """Parse a concrete topic; raise WireError for anything not of the contract."""
    parts = topic.split("/") if isinstance(topic, str) else []
    if len(parts) < 5 or "/".join(parts[:2]) != PREFIX:
        raise WireError("bad_topic", f"topic {topic!r} is not a Liandong v1 topic")
    county, unit, channel, rest = parts[2], parts[3], parts[4], parts[5:]
    if not (is_name(county) and is_name(unit)):
        raise WireError("bad_topic", f"topic {topic!r} has an invalid county or unit id")
    if channel in _CHANNELS and not rest:
        return Topic(county, unit, channel)  # type: ignore[arg-type]
    if channel == "trackers" and len(rest) == 1 and is_name(rest[0]):
        return Topic(county, unit, "trackers", rest[0])
    raise WireError("bad_topic", f"topic {topic!r} is not a Liandong v1 topic")
