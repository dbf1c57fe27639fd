"""The roll-call on the wire: the command's fields are required together and only there."""

from __future__ import annotations

import json
from datetime import timedelta

import msgspec
import pytest

from provisioning.pki import new_key
from tests.support import samples
from wire import Signer, WireError, decode, encode
from wire import kinds as k
from wire.signing import canonical

SIGNER = Signer(new_key())
RC = "01JROLLCALL0000000000001"


def rollcall(**kw: object) -> dict[str, object]:
    body: dict[str, object] = {
        "command": "rollcall",
        "rollcall_id": RC,
        "answer_by": "2026-11-28T06:33:00Z",
        "expires_at": "2026-11-28T06:40:00Z",
    }
    body.update(kw)
    return {k_: v for k_, v in body.items() if v is not None}


def signed(body: dict[str, object], kind: str = "command") -> bytes:
    obj = {"v": 1, "id": "01JMSG000000000000000001", "kind": kind, "unit": "water"}
    obj.update({"at": "2026-11-28T06:30:00.000Z", "body": body})
    obj["sig"] = SIGNER.sign(canonical(obj))
    return canonical(obj)


def test_a_rollcall_command_round_trips() -> None:
    body = k.CommandBody(
        command="rollcall",
        rollcall_id=RC,
        answer_by=samples.T0 + timedelta(minutes=3),
        expires_at=samples.T0 + timedelta(minutes=10),
    )
    _, raw = encode("command", "water", body, SIGNER, at=samples.T0)
    assert decode(raw, SIGNER.verifier, unit="water", direction="down").body == body


@pytest.mark.parametrize("missing", ["rollcall_id", "answer_by", "expires_at"])
def test_a_rollcall_without_its_fields_is_refused(missing: str) -> None:
    with pytest.raises(WireError) as e:
        decode(signed(rollcall(**{missing: None})), SIGNER.verifier, direction="down")
    assert e.value.reason == "invalid" and "rollcall_id, answer_by and expires_at" in str(e.value)


def test_a_rollcall_expiring_before_its_answer_by_is_refused() -> None:
    with pytest.raises(WireError, match="expires_at must not be before"):
        decode(signed(rollcall(expires_at="2026-11-28T06:31:00Z")), SIGNER.verifier)


def test_other_commands_may_not_carry_rollcall_fields() -> None:
    with pytest.raises(WireError, match="belong to rollcall only"):
        decode(signed({"command": "silence", "rollcall_id": RC}), SIGNER.verifier)
    with pytest.raises(ValueError, match="belong to rollcall only"):
        k.CommandBody(command="realarm", answer_by=samples.T0)


def test_the_hub_cannot_build_a_rollcall_without_answer_by() -> None:
    with pytest.raises(ValueError, match="needs rollcall_id"):
        k.CommandBody(command="rollcall", rollcall_id=RC, expires_at=samples.T0)


def test_the_answer_goes_up_only() -> None:
    body = {"rollcall_id": RC, "via": "kiosk"}
    msg = decode(signed(body, "rollcall_answer"), SIGNER.verifier, direction="up")
    assert msg.body == k.RollcallAnswerBody(rollcall_id=RC, via="kiosk")
    with pytest.raises(WireError) as e:
        decode(signed(body, "rollcall_answer"), SIGNER.verifier, direction="down")
    assert e.value.reason == "wrong_direction"
    with pytest.raises(WireError, match="via"):
        decode(signed({"rollcall_id": RC, "via": "phone"}, "rollcall_answer"), SIGNER.verifier)
    assert json.loads(msgspec.json.encode(body))["via"] == "kiosk"
