"""Encode and decode signed envelopes.

`{"v": 1, "id", "kind", "unit", "at", "body", "sig"}`; `sig` covers the canonical JSON of
the object without `sig`. `decode` checks, in order: size, UTF-8, JSON, envelope shape,
kind and direction, signature, body types, unit. Whatever is wrong it raises WireError,
never anything else.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Literal

import msgspec

from wire.clock import rfc3339, utc
from wire.errors import WireError
from wire.ids import check_message_id, check_name, new_id
from wire.kinds import ALL_KINDS, DOWN_KINDS, STATE_KINDS, UP_KINDS, Body, Time
from wire.limits import MAX_MESSAGE_BYTES
from wire.signing import Signer, Verifier, canonical
from wire.strict_json import parse_json

Direction = Literal["down", "up", "state"]
_DIRECTION_KINDS: dict[str, Mapping[str, type[Body]]] = {
    "down": DOWN_KINDS,
    "up": UP_KINDS,
    "state": STATE_KINDS,
}
_ENVELOPE_KEYS = frozenset({"v", "id", "kind", "unit", "at", "body", "sig"})

KeyLookup = Verifier | Callable[[str], Verifier]
"""A verifier, or a function from the envelope's unit id to that unit's verifier (the hub
looks up the unit's certificate; it raises WireError for an unknown unit)."""


class Message(msgspec.Struct, frozen=True):
    """A decoded, verified message. `raw` is what came over the wire, kept as evidence."""

    id: str
    kind: str
    unit: str
    at: datetime
    body: Body
    sig: str
    raw: bytes


def encode(
    kind: str,
    unit: str,
    body: Body,
    signer: Signer,
    *,
    msg_id: str | None = None,
    at: datetime | None = None,
) -> tuple[str, bytes]:
    """Build and sign a message. Returns (id, payload bytes)."""
    expected = ALL_KINDS.get(kind)
    if expected is None:
        raise WireError("unknown_kind", f"unknown message kind {kind!r}")
    if type(body) is not expected:
        raise WireError("invalid", f"kind {kind!r} needs a {expected.__name__}")
    check_name(unit)
    msg_id = check_message_id(msg_id) if msg_id is not None else new_id()
    if at is None:
        raise WireError("invalid", "every message needs its time `at` (pass the clock's now)")
    builtins = msgspec.to_builtins(body)
    try:
        # msgspec checks constraints (lengths, patterns, literals) only when decoding: check
        # here as `decode` will, so nothing is signed and queued that the receiver refuses.
        msgspec.convert(builtins, expected)
    except msgspec.ValidationError as e:
        raise WireError("invalid", f"{kind} message: {e}") from None
    obj: dict[str, Any] = {
        "v": 1,
        "id": msg_id,
        "kind": kind,
        "unit": unit,
        "at": rfc3339(at),
        "body": builtins,
    }
    signed = canonical(obj)
    payload = _with_sig(obj, signed, signer.sign(signed))
    if len(payload) > MAX_MESSAGE_BYTES:
        raise WireError("too_big", f"message is {len(payload)} bytes; the limit is 64 KiB")
    return msg_id, payload


def _with_sig(obj: dict[str, Any], signed: bytes, sig: str) -> bytes:
    """The canonical JSON of the signed object with `sig` added, without encoding it all
    again (issue 17: a second `canonical` per message). Keys are sorted, so `sig` goes
    between `kind` and `unit`, and the text ends with the checked unit id and `"v":1`:
    the result is byte for byte what `canonical` gives (tests/wire/test_codec.py)."""
    unit: str = obj["unit"]
    tail = b',"unit":"' + unit.encode() + b'","v":1}'
    if not signed.endswith(tail) or not sig.isascii() or '"' in sig or "\\" in sig:
        return canonical({**obj, "sig": sig})  # not reached with a checked unit and base64
    return signed[: -len(tail)] + b',"sig":"' + sig.encode() + b'"' + tail


def _load(raw: bytes) -> dict[str, Any]:
    if not isinstance(raw, bytes | bytearray | memoryview):
        raise WireError("not_json", "message payload must be bytes")
    raw = bytes(raw)
    if len(raw) > MAX_MESSAGE_BYTES:
        raise WireError(
            "too_big",
            f"message is {len(raw)} bytes; the limit is 64 KiB ({MAX_MESSAGE_BYTES} bytes)",
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise WireError("not_utf8", f"message is not UTF-8 (byte {e.start})") from None
    obj = parse_json(text)
    if not isinstance(obj, dict):
        raise WireError("not_object", "message must be a JSON object")
    return obj


def _envelope(obj: dict[str, Any], direction: Direction | None) -> type[Body]:
    missing = sorted(_ENVELOPE_KEYS - obj.keys())
    if missing:
        raise WireError("invalid", f"message lacks field(s): {', '.join(missing)}")
    extra = sorted(obj.keys() - _ENVELOPE_KEYS)
    if extra:
        raise WireError("invalid", f"message has unknown field(s): {', '.join(extra)}")
    if obj["v"] != 1 or isinstance(obj["v"], bool):
        raise WireError("bad_version", f"message version {obj['v']!r} is not supported (1)")
    kind = obj["kind"]
    if not isinstance(kind, str) or kind not in ALL_KINDS:
        raise WireError("unknown_kind", f"unknown message kind {kind!r}")
    if direction is not None and kind not in _DIRECTION_KINDS[direction]:
        raise WireError("wrong_direction", f"kind {kind!r} does not belong on a {direction} topic")
    if not isinstance(obj["sig"], str) or not obj["sig"]:
        raise WireError("unsigned", "message is not signed")
    return ALL_KINDS[kind]


def decode(
    raw: bytes,
    keys: KeyLookup,
    *,
    unit: str | None = None,
    direction: Direction | None = None,
) -> Message:
    """Parse, verify and type a message. `unit` is the unit it must be for (or from)."""
    obj = _load(raw)
    body_type = _envelope(obj, direction)
    try:
        msg_id = check_message_id(obj["id"])
        msg_unit = check_name(obj["unit"])
    except WireError as e:
        raise WireError("invalid", str(e)) from None
    if unit is not None and msg_unit != unit:
        raise WireError("wrong_unit", f"message is for unit {msg_unit!r}, not {unit!r}")
    sig = obj.pop("sig")
    verifier = keys if isinstance(keys, Verifier) else keys(msg_unit)
    try:
        signed = canonical(obj)
    except (TypeError, ValueError):
        raise WireError("not_json", "message holds values that cannot be signed") from None
    verifier.verify(signed, sig)
    try:
        at = utc(msgspec.convert(obj["at"], Time))
    except msgspec.ValidationError as e:
        raise WireError("invalid", f"field `at`: {e}") from None
    except OverflowError:  # year 1 at +08:00 is before year 1 in UTC
        raise WireError("invalid", "field `at` is outside the years a time can have") from None
    if not isinstance(obj["body"], dict):
        raise WireError("invalid", f"{obj['kind']} message: `body` must be an object")
    try:
        body = msgspec.convert(obj["body"], body_type)
    except msgspec.ValidationError as e:
        raise WireError("invalid", f"{obj['kind']} message: {e}") from None
    return Message(
        id=msg_id, kind=obj["kind"], unit=msg_unit, at=at, body=body, sig=sig, raw=bytes(raw)
    )
