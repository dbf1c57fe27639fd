"""OwnTracks location messages from field trackers (not our envelope: the app's own JSON)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

import msgspec

from wire.errors import WireError
from wire.limits import MAX_MESSAGE_BYTES
from wire.strict_json import parse_json


class OwnTracksLocation(msgspec.Struct, frozen=True):
    """The fields we use; OwnTracks sends many more, which are ignored."""

    _type: Literal["location"] = msgspec.field(name="_type")
    lat: Annotated[float, msgspec.Meta(ge=-90, le=90)]
    lon: Annotated[float, msgspec.Meta(ge=-180, le=180)]
    tst: Annotated[int, msgspec.Meta(ge=0, le=4_102_444_800)]
    acc: Annotated[float, msgspec.Meta(ge=0)] | None = None
    tid: str | None = None

    @property
    def fix_at(self) -> datetime:
        return datetime.fromtimestamp(self.tst, UTC)


def parse_location(raw: bytes) -> OwnTracksLocation | None:
    """Return the location, None for other OwnTracks types (waypoints, status), or raise."""
    if len(raw) > MAX_MESSAGE_BYTES:
        raise WireError("too_big", "tracker message is over 64 KiB")
    try:
        text = bytes(raw).decode("utf-8")
    except UnicodeDecodeError as e:
        raise WireError("not_utf8", f"tracker message is not UTF-8 (byte {e.start})") from None
    obj = parse_json(text, "tracker message")
    if not isinstance(obj, dict):
        raise WireError("not_object", "tracker message must be a JSON object")
    if obj.get("_type") != "location":
        return None
    try:
        return msgspec.convert(obj, OwnTracksLocation)
    except msgspec.ValidationError as e:
        raise WireError("invalid", f"tracker location: {e}") from None
    except UnicodeError:  # msgspec cannot even name a lone surrogate in its error text
        raise WireError("invalid", "tracker location: a text that is not Unicode") from None
