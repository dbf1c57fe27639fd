"""The words of an escalation SMS: Simplified Chinese, short, no raw ids, no caller phone.

A message names the unit, the order as the duty room knows it (category and address) and
the figure that was missed, e.g.
【联动督办】双柏县供电局 派单“停电 妥甸镇东街12号”已超时未签收（时限3分钟）。请立即处置。
The address is free text from 110: a run of seven or more digits in it (a phone number
typed into the address) is masked, and the caller's phone and the summary are never read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PREFIX = "【联动督办】"
DRILL = "【演练】"
MAX_ADDRESS = 24
_DIGITS = re.compile(r"\d{7,}")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Facts:
    """What a message may say: names and figures, never ids or the caller."""

    kind: str
    unit_name: str
    category: str = ""
    address: str = ""
    figure: str = ""  # "3分钟", "30分钟", "24小时", "30秒"
    drill: bool = False


def place(address: str) -> str:
    """The address as an SMS shows it: one line, digits runs masked, cut to fit."""
    text = _DIGITS.sub("****", _SPACE.sub("", address))
    return text if len(text) <= MAX_ADDRESS else text[: MAX_ADDRESS - 1] + "…"


def figure(seconds: float) -> str:
    """A deadline figure in the largest unit it is a whole number of."""
    s = round(seconds)
    if s % 3600 == 0:
        return f"{s // 3600}小时"
    if s % 60 == 0:
        return f"{s // 60}分钟"
    return f"{s}秒"


def body(f: Facts) -> str:
    order = f"派单“{f.category} {place(f.address)}”" if f.category else ""
    within = f"（时限{f.figure}）" if f.figure else ""
    what = {
        "receive": f"{order}未送达终端{within}。请检查终端并与指挥中心联系。",
        "ack": f"{order}已超时未签收{within}。请立即处置。",
        "arrive": f"{order}已超时未到场{within}。请督促处置。",
        "feedback": f"{order}已超时未反馈处置结果{within}。请督促反馈。",
        "rollcall_missed": "未应答指挥中心点名。请督促值班人员在岗。",
    }.get(f.kind, f"{order}有事项超时未处置。请登录联动系统查看。")
    return f"{DRILL if f.drill else ''}{PREFIX}{f.unit_name} {what}"
