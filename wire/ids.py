"""Identifiers: message ids (ULID) and county, unit and tracker ids.

County, unit and tracker ids end up in MQTT topics, certificate common names, file names and
SQL; a strict alphabet keeps wildcards, path separators and quoting out of all of them.
"""

from __future__ import annotations

import re

from ulid import ULID

from wire.errors import WireError

_ID_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,31}")
_MSG_ID_RE = re.compile(r"[0-9A-Za-z_-]{8,64}")


def new_id() -> str:
    """A new message id: a ULID, so ids sort by creation time in logs and tables."""
    return str(ULID())


def check_name(value: object, what: str = "unit id") -> str:
    """Return `value` if it is a valid county/unit/tracker id, else raise WireError."""
    if not isinstance(value, str) or not _ID_RE.fullmatch(value):
        raise WireError(
            "bad_id",
            f"{what} {value!r} is not valid: use 1 to 32 lowercase letters, digits or "
            "hyphens, starting with a letter or digit",
        )
    return value


def is_name(value: object) -> bool:
    """True when `value` would pass `check_name`."""
    return isinstance(value, str) and _ID_RE.fullmatch(value) is not None


def check_message_id(value: object) -> str:
    """Message ids are opaque but bounded: 8 to 64 URL-safe characters."""
    if not isinstance(value, str) or not _MSG_ID_RE.fullmatch(value):
        raise WireError(
            "invalid", f"message id {value!r} is not valid: 8 to 64 letters, digits, - or _"
        )
    return value
