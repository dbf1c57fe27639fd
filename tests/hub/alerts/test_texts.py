"""The words of an escalation SMS: short Chinese, no ids, no phone number from the address."""

from __future__ import annotations

import pytest

from hub.alerts.texts import MAX_ADDRESS, Facts, body, figure, place


def test_a_phone_number_typed_into_the_address_is_masked() -> None:
    assert place("妥甸镇 东街 12 号（电话 13812345678）") == "妥甸镇东街12号（电话****）"


def test_a_long_address_is_cut() -> None:
    shown = place("妥甸镇" + "东街" * 30)
    assert len(shown) == MAX_ADDRESS and shown.endswith("…")


@pytest.mark.parametrize(
    ("seconds", "text"), [(30, "30秒"), (180, "3分钟"), (1800, "30分钟"), (86400, "24小时")]
)
def test_figures_in_the_largest_whole_unit(seconds: int, text: str) -> None:
    assert figure(seconds) == text


def test_each_kind_has_its_words() -> None:
    order = {"unit_name": "双柏县供电局", "category": "停电", "address": "妥甸镇东街12号"}
    assert body(Facts(kind="feedback", figure="24小时", **order)) == (
        "【联动督办】双柏县供电局 派单“停电 妥甸镇东街12号”已超时未反馈处置结果（时限24小时）。"
        "请督促反馈。"
    )
    assert body(Facts(kind="rollcall_missed", unit_name="双柏县供电局")) == (
        "【联动督办】双柏县供电局 未应答指挥中心点名。请督促值班人员在岗。"
    )
    other = body(Facts(kind="something_new", **order))
    assert "something_new" not in other and "请登录联动系统查看" in other
    assert body(Facts(kind="ack", drill=True, **order)).startswith("【演练】【联动督办】")
    assert all(len(body(Facts(kind=k, figure="30分钟", **order))) <= 70 for k in ("ack", "arrive"))
