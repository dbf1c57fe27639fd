"""Every way JSON from outside can fail to parse ends in WireError with a stable reason.

`json.loads` raises a plain ValueError for an integer of more than 4,300 digits, which
`wire.decode` once let through (issue 11): the hub then left the message unacknowledged.
"""

from __future__ import annotations

import json

import pytest

from provisioning.pki import new_key
from tests.support import samples
from wire import Signer, WireError, decode, encode
from wire.owntracks import parse_location
from wire.signing import canonical

SIGNER = Signer(new_key())


def _envelope(body: bytes) -> bytes:
    return (
        b'{"v":1,"id":"01JTEST0000000000000000001","kind":"health","unit":"power-co",'
        b'"at":"2026-01-05T01:00:00Z","body":' + body + b',"sig":"AAAA"}'
    )


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (b'{"n":' + b"9" * 5000 + b"}", "number of 5000 characters"),
        (b'{"n":-' + b"1" * 41 + b"}", "number of 42 characters"),
        (b'{"n":1e999}', "out of range"),
        (b'{"n":-1E400}', "out of range"),
        (b'{"n":Infinity}', "Infinity"),
        (b"[" * 30_000 + b"]" * 30_000, "nested too deeply"),
    ],
)
def test_numbers_and_nesting_python_cannot_take_are_not_json(text: bytes, words: str) -> None:
    for raw in (_envelope(text), text):
        with pytest.raises(WireError) as e:
            decode(raw, SIGNER.verifier)
        assert e.value.reason == "not_json"
        assert words in str(e.value)


def test_a_signed_time_outside_the_calendar_in_utc_is_invalid() -> None:
    """Year 1 at +08:00 is a valid RFC 3339 text but no UTC time: `utc()` overflows."""
    _, raw = encode("ack", "power-co", samples.bodies()["ack"], SIGNER, at=samples.T0)
    obj = json.loads(raw)
    for at in ("0001-01-01T00:00:00+08:00", "9999-12-31T23:59:59-08:00"):
        obj = {key: v for key, v in obj.items() if key != "sig"} | {"at": at}
        obj["sig"] = SIGNER.sign(canonical(obj))
        with pytest.raises(WireError) as e:
            decode(canonical(obj), SIGNER.verifier)
        assert e.value.reason == "invalid" and "`at`" in str(e.value)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b'{"_type":"location","lat":' + b"1" * 5000 + b',"lon":1,"tst":1}', "not_json"),
        (b'{"_type":"location","lat":NaN,"lon":1,"tst":1}', "not_json"),
        (b"[" * 30_000, "not_json"),
        (b'{"_type":"location","tid":"\xff"}', "not_utf8"),
        (b"[1]", "not_object"),
        (b'{"_type":"location","lat":1,"lon":1,"tst":"\\ud800"}', "invalid"),
    ],
)
def test_tracker_fixes_fail_only_with_wire_error(raw: bytes, reason: str) -> None:
    with pytest.raises(WireError) as e:
        parse_location(raw)
    assert e.value.reason == reason
