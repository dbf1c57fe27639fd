"""Identifiers: message ids (ULID) and county, unit and tracker ids.

County, unit and tracker ids end up in MQTT topics, certificate common names, file names and
SQL; a strict alphabet keeps wildcards, path separators and quoting out of all of them.
"""

from __future__ import annotations

import os
import re
import time

from wire.errors import WireError

_ID_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,31}")
_MSG_ID_RE = re.compile(r"[0-9A-Za-z_-]{8,64}")


_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_id() -> str:
    """A new message id: a ULID, so ids sort by creation time in logs and tables."""
    return ulid(time.time_ns() // 1_000_000, os.urandom(10))


def ulid(ms: int, randomness: bytes) -> str:
    """A ULID (github.com/ulid/spec): 48 bits of Unix time in milliseconds, then 80 random
    bits, as 26 characters of Crockford's base32.

    Ours rather than python-ulid's, which the project used until issue 17: on the Python
    of a Pi (3.11) python-ulid pulls typing_extensions and reads its own version through
    importlib.metadata at import, about 0.35 MiB of a terminal's resident memory for these
    four lines. python-ulid stays a dev dependency: tests/wire/test_ids.py checks these
    ids against it."""
    if not 0 <= ms < 1 << 48 or len(randomness) != 10:
        raise ValueError("a ULID is a 48-bit millisecond time and 10 random bytes")
    value = ms << 80 | int.from_bytes(randomness, "big")
    return "".join(_CROCKFORD[value >> shift & 31] for shift in range(125, -1, -5))


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
