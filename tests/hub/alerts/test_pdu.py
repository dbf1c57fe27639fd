"""The PDUs the hub makes, read back by an independent decoder (smspdudecoder)."""

from __future__ import annotations

import pytest

from hub.alerts.pdu import PART, SINGLE, encode, split
from tests.hub.alerts.conftest import decoded

TEXT = "【联动督办】双柏县供电局 派单“停电 妥甸镇东街12号”已超时未签收（时限3分钟）。请立即处置。"


def test_a_short_chinese_message_is_one_ucs2_pdu() -> None:
    (pdu,) = encode("139-0878-0001".replace("-", ""), TEXT)
    d = decoded(pdu.hex)
    assert d["dcs"]["encoding"] == "ucs2"
    assert d["recipient"]["number"] == "13908780001"
    assert d["user_data"]["data"] == TEXT
    assert not d["header"]["udhi"]
    assert d["validity-hours"] == 24
    assert pdu.tpdu_length == len(pdu.hex) // 2 - 1  # all but the empty SMSC octet


def test_a_long_message_is_split_with_a_concatenation_header() -> None:
    text = TEXT * 3  # 3 x 50 characters: more than one SMS holds
    pdus = encode("+8613908780001", text, reference=200)
    assert len(pdus) == -(-len(text) // PART) == 3
    got = [decoded(p.hex) for p in pdus]
    assert {d["recipient"]["number"] for d in got} == {"8613908780001"}
    assert {d["recipient"]["toa"]["ton"] for d in got} == {"international"}
    heads = [d["user_data"]["header"]["elements"][0]["data"] for d in got]
    assert heads == [{"reference": 200, "parts_count": 3, "part_number": n} for n in (1, 2, 3)]
    assert "".join(d["user_data"]["data"] for d in got) == text
    assert all(len(d["user_data"]["data"]) <= PART for d in got)
    assert all(6 + 2 * len(d["user_data"]["data"]) <= 140 for d in got)  # header + UCS-2


def test_exactly_one_sms_worth_is_not_split() -> None:
    assert len(split("中" * SINGLE)) == 1
    assert len(split("中" * (SINGLE + 1))) == 2


def test_what_ucs2_cannot_carry_becomes_a_question_mark() -> None:
    (pdu,) = encode("13908780001", "到场🚒了")
    assert decoded(pdu.hex)["user_data"]["data"] == "到场?了"


@pytest.mark.parametrize("number", ["", "12", "0878-7710001", "+86 139", "abc"])
def test_a_number_no_pdu_can_carry_is_refused(number: str) -> None:
    with pytest.raises(ValueError, match="not a phone number"):
        encode(number, TEXT)
