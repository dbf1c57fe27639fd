"""Round trips of every kind, and each way a message is rejected."""

from __future__ import annotations

import json

import msgspec
import pytest

from provisioning.pki import new_key
from tests.support import samples
from wire import Signer, WireError, decode, encode
from wire.kinds import ALL_KINDS, DOWN_KINDS, UP_KINDS, FeedbackBody
from wire.limits import MAX_TEXT
from wire.signing import canonical

SIGNER = Signer(new_key())
OTHER = Signer(new_key())


@pytest.mark.parametrize("kind", sorted(ALL_KINDS))
def test_round_trip_every_kind(kind: str) -> None:
    body = samples.bodies()[kind]
    msg_id, raw = encode(kind, "power-co", body, SIGNER, at=samples.T0)
    msg = decode(raw, SIGNER.verifier, unit="power-co")
    assert (msg.id, msg.kind, msg.unit, msg.at) == (msg_id, kind, "power-co", samples.T0)
    assert msg.body == body
    assert msg.raw == raw


def test_every_kind_has_a_sample() -> None:
    assert set(samples.bodies()) == set(ALL_KINDS)


def test_payload_is_canonical_json_with_sig() -> None:
    _, raw = encode("ack", "water", samples.bodies()["ack"], SIGNER, at=samples.T0)
    obj = json.loads(raw)
    assert set(obj) == {"v", "id", "kind", "unit", "at", "body", "sig"}
    assert obj["at"] == "2026-11-28T06:30:00.000Z"
    assert raw == canonical(obj)


def test_every_kind_is_canonical_with_its_sig() -> None:
    """`encode` adds `sig` to the signed text without encoding it all again: byte for byte
    what `canonical` makes of the whole object, for every kind and body (Chinese text,
    escapes, nested objects), and what was signed is that object without `sig`."""
    for kind, body in samples.bodies().items():
        _, raw = encode(kind, "water", body, SIGNER, at=samples.T0)
        obj = json.loads(raw)
        assert raw == canonical(obj), kind
        sig = obj.pop("sig")
        SIGNER.verifier.verify(canonical(obj), sig)


def _signed(obj: dict[str, object], signer: Signer = SIGNER) -> bytes:
    obj = {k: v for k, v in obj.items() if k != "sig"}
    obj["sig"] = signer.sign(canonical(obj))
    return canonical(obj)


def _base() -> dict[str, object]:
    _, raw = encode("ack", "water", samples.bodies()["ack"], SIGNER, at=samples.T0)
    return dict(json.loads(raw))


@pytest.mark.parametrize(
    ("raw", "reason", "words"),
    [
        (b"\xff\xfe", "not_utf8", "not UTF-8"),
        (b"{not json", "not_json", "not JSON"),
        (b"[1, 2]", "not_object", "JSON object"),
        (b'{"v": NaN}', "not_json", "NaN"),
        (b"x" * (64 * 1024 + 1), "too_big", "64"),
        (b"{}", "invalid", "lacks field"),
    ],
)
def test_rejects_garbage(raw: bytes, reason: str, words: str) -> None:
    with pytest.raises(WireError) as e:
        decode(raw, SIGNER.verifier)
    assert e.value.reason == reason
    assert words in str(e.value)


def test_rejects_forged_signature() -> None:
    raw = _signed(_base(), OTHER)
    with pytest.raises(WireError) as e:
        decode(raw, SIGNER.verifier)
    assert e.value.reason == "bad_signature"


def test_rejects_unsigned() -> None:
    obj = _base()
    obj["sig"] = ""
    with pytest.raises(WireError) as e:
        decode(canonical(obj), SIGNER.verifier)
    assert e.value.reason == "unsigned"


def test_rejects_other_unit() -> None:
    with pytest.raises(WireError) as e:
        decode(_signed(_base()), SIGNER.verifier, unit="fire")
    assert e.value.reason == "wrong_unit"
    assert "'water'" in str(e.value)


def test_rejects_unknown_kind_and_wrong_direction() -> None:
    obj = _base()
    obj["kind"] = "launch"
    with pytest.raises(WireError) as e:
        decode(_signed(obj), SIGNER.verifier)
    assert e.value.reason == "unknown_kind"
    with pytest.raises(WireError) as e:
        decode(_signed(_base()), SIGNER.verifier, direction="down")
    assert e.value.reason == "wrong_direction"


@pytest.mark.parametrize(
    ("path", "value", "words"),
    [
        (("body", "order_id"), 12, "Expected `str`"),
        (("body", "via"), "telepathy", "via"),
        (("body", "extra"), 1, "unknown field"),
        (("at",), "2026-11-28T06:30:00", "timezone"),
        (("v",), 2, "version"),
        (("unit",), "Water/+", "not valid"),
    ],
)
def test_rejects_wrong_types_with_named_field(
    path: tuple[str, ...], value: object, words: str
) -> None:
    obj = _base()
    target: dict[str, object] = obj
    for key in path[:-1]:
        target = target[key]  # type: ignore[assignment]
    target[path[-1]] = value
    with pytest.raises(WireError) as e:
        decode(_signed(obj), SIGNER.verifier)
    assert words in str(e.value)


def test_body_missing_field_is_named() -> None:
    obj = _base()
    obj["body"] = {}
    with pytest.raises(WireError) as e:
        decode(_signed(obj), SIGNER.verifier)
    assert "order_id" in str(e.value)


def test_unmasked_phone_cannot_be_encoded_or_decoded() -> None:
    obj = json.loads(encode("order", "water", samples.order(), SIGNER, at=samples.T0)[1])
    obj["body"]["caller_phone"] = "13812345678"
    with pytest.raises(WireError) as e:
        decode(_signed(obj), SIGNER.verifier)
    assert "caller_phone" in str(e.value)
    unmasked = msgspec.structs.replace(samples.order(), caller_phone="13812345678")
    with pytest.raises(WireError) as e:
        encode("order", "water", unmasked, SIGNER, at=samples.T0)
    assert e.value.reason == "invalid" and "caller_phone" in str(e.value)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (FeedbackBody("01JORDER0000000000000001", "fixed", "已处置"), "result_code"),  # type: ignore[arg-type]
        (FeedbackBody("01JORDER0000000000000001", "resolved", "长" * (MAX_TEXT + 1)), "text"),
        (FeedbackBody("bad id", "resolved", "已处置"), "order_id"),
    ],
)
def test_encode_refuses_what_decode_would(body: FeedbackBody, field: str) -> None:
    """A report the hub would refuse is never signed, so it can never sit in an outbox."""
    with pytest.raises(WireError) as e:
        encode("feedback", "water", body, SIGNER, at=samples.T0)
    assert e.value.reason == "invalid" and field in str(e.value)


def test_encode_checks_kind_and_body() -> None:
    with pytest.raises(WireError):
        encode("order", "water", samples.bodies()["ack"], SIGNER, at=samples.T0)
    with pytest.raises(WireError):
        encode("nope", "water", samples.bodies()["ack"], SIGNER, at=samples.T0)


def test_directions_partition_kinds() -> None:
    assert not set(DOWN_KINDS) & set(UP_KINDS)
    assert set(DOWN_KINDS) == {"order", "cancel", "receipt", "command"}
    assert set(UP_KINDS) == {
        "received",
        "ack",
        "arrived",
        "feedback",
        "alarmed",
        "printed",
        "print_failed",
        "position",
        "health",
        "selfcall",
        "rollcall_answer",
    }
