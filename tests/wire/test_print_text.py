"""Issue 11, case 3 (contract side): text a terminal prints carries no control characters.

Intake refuses them first; this is the second wall, so a hub bug (or a row stored before
the intake rule) can never sign an order that resets, cuts or pulses a printer, and a
terminal refuses one that somehow was signed.
"""

from __future__ import annotations

import json

import msgspec
import pytest

from provisioning.pki import new_key
from tests.support import samples
from wire import Signer, WireError, decode, encode
from wire import kinds as k
from wire.signing import canonical

SIGNER = Signer(new_key())
BAD = ["\x1b@", "\x1dV\x00", "\x1b{\x01", "\x1bt\x10", "\x10\x14\x01\x00\x05", "\x7f", "\x85"]
BAD_IDS = ["esc-at", "cut", "upside-down", "code-page", "pulse", "del", "nel"]


def _order(**change: object) -> k.OrderBody:
    return msgspec.structs.replace(samples.order(), **change)


@pytest.mark.parametrize("field", ["summary", "note", "address", "category_name", "source_id"])
@pytest.mark.parametrize("bad", BAD, ids=BAD_IDS)
def test_an_order_with_a_control_character_is_never_signed(field: str, bad: str) -> None:
    with pytest.raises(WireError) as e:
        encode("order", "water", _order(**{field: f"停电{bad}"}), SIGNER, at=samples.T0)
    assert e.value.reason == "invalid" and field in str(e.value)


def test_an_unpaired_surrogate_is_never_signed() -> None:
    with pytest.raises(WireError):
        encode("order", "water", _order(summary="\ud800"), SIGNER, at=samples.T0)


def test_multi_line_fields_keep_newlines_single_line_fields_do_not() -> None:
    _, raw = encode(
        "order", "water", _order(summary="一\n二", note="三\n四"), SIGNER, at=samples.T0
    )
    body = decode(raw, SIGNER.verifier).body
    assert isinstance(body, k.OrderBody) and body.summary == "一\n二"
    for field in ("address", "township_name"):
        with pytest.raises(WireError):
            encode("order", "water", _order(**{field: "一\n二"}), SIGNER, at=samples.T0)
    for text in ("一\r\n二", "一\t二"):
        with pytest.raises(WireError):
            encode("order", "water", _order(summary=text), SIGNER, at=samples.T0)


@pytest.mark.parametrize(
    ("kind", "body"),
    [
        ("cancel", k.CancelBody(order_id="01JORDER0000000000000001", reason="重复\x1b@")),
        ("command", k.CommandBody(command="test_print", text="测试\x1dV\x00")),
    ],
)
def test_other_printed_down_texts_refuse_control_characters(kind: str, body: k.Body) -> None:
    with pytest.raises(WireError):
        encode(kind, "water", body, SIGNER, at=samples.T0)


def test_a_terminal_refuses_a_signed_order_that_carries_one() -> None:
    """Signed by the real key, bypassing `encode`'s check: `decode` refuses it too."""
    obj = json.loads(encode("order", "water", samples.order(), SIGNER, at=samples.T0)[1])
    del obj["sig"]
    obj["body"]["summary"] = "停电\x1b@"
    obj["sig"] = SIGNER.sign(canonical(obj))
    with pytest.raises(WireError) as e:
        decode(canonical(obj), SIGNER.verifier, unit="water", direction="down")
    assert e.value.reason == "invalid" and "summary" in str(e.value)


def test_report_texts_from_terminals_are_unchanged() -> None:
    """Up kinds keep their rules: a kiosk's textarea sends CRLF, and refusing a unit's
    feedback for it would lose the record. The console escapes what it shows."""
    fb = k.FeedbackBody("01JORDER0000000000000001", "resolved", "已恢复\r\n供电")
    _, raw = encode("feedback", "water", fb, SIGNER, at=samples.T0)
    assert decode(raw, SIGNER.verifier).body == fb
