"""What the terminal says aloud for an order: one short Mandarin sentence.

Pure functions from an order to text, like the slip (`devices/slip.py`), so the words are
tested as literal strings. Spoken: 演练 first for a drill, the priority and what happened
(紧急派单 / 紧急派单变更 / 派单撤销), the category, the place. Not spoken: the caller's phone
(even masked), the summary and notes (too long to follow by ear; they are on the slip and
the screen). Words from outside go through `plain.one_line` first: a control character
means nothing to a speech synthesiser, and some switch its modes.
"""

from __future__ import annotations

from typing import Literal

from gateway.devices.plain import one_line
from wire.kinds import PRIORITY_NAMES, OrderBody

Kind = Literal["new", "revised", "cancelled"]


def place(order: OrderBody) -> str:
    """The address, with the township in front unless the address already names it."""
    address = one_line(order.address)
    township = one_line(order.township_name)
    if township and township not in address:
        return township + address
    return address or township


def words(order: OrderBody, kind: Kind) -> str:
    """The sentence for an order that arrived, was revised or was cancelled."""
    level = PRIORITY_NAMES.get(order.priority, "")
    head = {
        "new": f"{level}派单",
        "revised": f"{level}派单变更",
        "cancelled": "派单撤销",
    }[kind]
    parts = ["演练"] if order.drill else []
    parts += [head, one_line(order.category_name), place(order)]
    if kind == "cancelled":
        parts.append("无需处置")
    return "，".join(p for p in parts if p) + "。"
