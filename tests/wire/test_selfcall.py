"""The self-recorded call (`selfcall`, 双轨制): its contract beyond the round trip that every
kind gets in test_codec.py and the fuzzing of test_properties.py."""

from __future__ import annotations

import json

import msgspec
import pytest

from provisioning.pki import new_key
from tests.support import samples
from wire import Signer, WireError, decode, encode
from wire.kinds import UP_KINDS, SelfCallBody
from wire.signing import canonical

SIGNER = Signer(new_key())


def test_selfcall_is_an_up_kind_and_round_trips() -> None:
    assert UP_KINDS["selfcall"] is SelfCallBody
    body = samples.selfcall()
    _, raw = encode("selfcall", "water-co", body, SIGNER, at=samples.T0)
    msg = decode(raw, SIGNER.verifier, unit="water-co", direction="up")
    assert msg.body == body


def test_a_full_caller_phone_cannot_be_signed() -> None:
    body = msgspec.structs.replace(samples.selfcall(), caller_phone="13912341234")
    with pytest.raises(WireError) as e:
        encode("selfcall", "water-co", body, SIGNER, at=samples.T0)
    assert e.value.reason == "invalid"


def _resigned(change: dict[str, object]) -> bytes:
    _, raw = encode("selfcall", "water-co", samples.selfcall(), SIGNER, at=samples.T0)
    obj = json.loads(raw)
    del obj["sig"]
    obj["body"].update(change)
    obj["sig"] = SIGNER.sign(canonical(obj))
    return canonical(obj)


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"caller_phone": "13912341234"}, "caller_phone"),
        ({"taken_at": "2026-11-28T06:30:00"}, "taken_at"),
        ({"result_code": "done"}, "result_code"),
        ({"category": "Water Main"}, "category"),
        ({"call_id": "short"}, "call_id"),
        ({"summary": "x" * 20_000}, "summary"),
        ({"extra": 1}, "extra"),
    ],
)
def test_a_bad_selfcall_signed_by_the_unit_is_still_refused(
    change: dict[str, object], words: str
) -> None:
    with pytest.raises(WireError) as e:
        decode(_resigned(change), SIGNER.verifier, unit="water-co")
    assert e.value.reason == "invalid"
    assert words in str(e.value)


def test_selfcall_never_goes_down() -> None:
    _, raw = encode("selfcall", "water-co", samples.selfcall(), SIGNER, at=samples.T0)
    with pytest.raises(WireError) as e:
        decode(raw, SIGNER.verifier, unit="water-co", direction="down")
    assert e.value.reason == "wrong_direction"
