"""What goes on paper, as plain lines: the order slip, the cancel slip, the test page.

Pure functions from an order to text, apart from any printer, so the layout is tested with
literal strings and the same text is the raw fallback when ESC/POS rendering fails.
Times are shown in Asia/Shanghai; the caller's phone is already masked by the contract.

Every word from the order goes through `gateway.devices.plain` (no control characters: to a
printer they are commands); a summary, note or reason may hold several lines, and each
becomes its own line on the slip, so the only line breaks on paper are the layout's.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from gateway.devices.plain import lines as plain_lines
from gateway.devices.plain import one_line
from wire.clock import shanghai
from wire.kinds import PRIORITY_NAMES, OrderBody

HEADER = "社会应急联动指令单"
DRILL = "【演练】"
REPRINT = "【补打】"
ROLE_NAMES = {"lead": "主办", "assist": "协办"}


@dataclass(frozen=True)
class Slip:
    title: str
    lines: list[str]
    qr: str | None = None
    banner: str | None = None
    """A line printed large above the title (演练, 撤销)."""
    footer: list[str] = field(default_factory=list)

    def text(self) -> str:
        """The whole slip as plain text: the raw fallback and what tests read."""
        parts = [p for p in (self.banner, self.title) if p]
        body = [one_line(p) for p in parts + self.lines + self.footer]
        if self.qr:
            body.append(f"[二维码 {self.qr}]")
        return "\n".join(body) + "\n"


def _t(dt: datetime | None) -> str:
    return shanghai(dt).strftime("%Y-%m-%d %H:%M") if dt else "—"


def _labelled(label: str, text: str, blank: str = "") -> list[str]:
    """`label：first line`, then the text's further lines as they are (none empty)."""
    first, *rest = plain_lines(text) or [blank]
    return [f"{label}：{first}", *rest]


def reprint(slip: Slip, first_at: datetime) -> Slip:
    """The slip printed again after a job that may already be on paper (a kill -9 or a
    power cut after the bytes went out, paper out or unplugged mid-job): 【补打】 above the
    title and the time of the first print, so two slips of one order are never read as
    two orders, and the first one stays the one the duty room acted on."""
    return replace(
        slip,
        banner=(slip.banner or "") + REPRINT,
        footer=[f"补打：首次打印 {_t(first_at)}", *slip.footer],
    )


def order_slip(order: OrderBody, printed_at: datetime) -> Slip:
    d = order.deadlines
    lines = [
        f"单号：{order.order_id}" + (f"（第{order.rev}版 修订）" if order.rev > 1 else ""),
        f"事件：{order.incident_id}",
    ]
    if order.source_id:
        lines.append(f"110警情号：{one_line(order.source_id)}")
    lines += [
        f"报警时间：{_t(order.reported_at)}",
        f"派单时间：{_t(order.dispatched_at)}",
        f"类别：{one_line(order.category_name)}",
        f"等级：{PRIORITY_NAMES.get(order.priority, order.priority)}",
        f"职责：{ROLE_NAMES.get(order.role, order.role)}",
        f"地址：{one_line(order.address)}",
        f"乡镇：{one_line(order.township_name)}",
        *_labelled("概要", order.summary),
        f"报警电话：{order.caller_phone or '—'}",
        f"签收时限：{_t(d.ack_by)}",
        f"到场时限：{_t(d.arrive_by) if d.arrive_by else '无需到场'}",
        f"反馈时限：{_t(d.feedback_by)}",
    ]
    if plain_lines(order.note):
        lines += _labelled("备注", order.note)
    return Slip(
        title=HEADER,
        banner=DRILL if order.drill else None,
        lines=lines,
        qr=order.order_id,
        footer=[f"打印时间：{_t(printed_at)}"],
    )


def cancel_slip(order: OrderBody, reason: str, printed_at: datetime) -> Slip:
    return Slip(
        title="撤销指令",
        banner=DRILL if order.drill else None,
        lines=[
            f"单号：{order.order_id}",
            f"地址：{one_line(order.address)}",
            *_labelled("原因", reason, "—"),
            "该指令已撤销，无需处置。",
        ],
        footer=[f"打印时间：{_t(printed_at)}"],
    )


def check_page_slip(unit: str, printed_at: datetime, text: str = "") -> Slip:
    return Slip(
        title="打印测试",
        lines=[f"单位：{unit}", "中文、标点：，。；“”《》—— 检查正常。", *plain_lines(text)],
        footer=[f"打印时间：{_t(printed_at)}"],
    )
