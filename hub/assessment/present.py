"""What an assessor reads: Chinese names, Beijing time, the per-order detail row.

Every output takes its words from here, so the spreadsheet, the bulletin and the JSON call
a figure by one name. No raw keys or UTC times where a person reads: units and townships by
their Chinese names, times in Asia/Shanghai. The event ids stay, in their own columns at the
end of the detail row: they are the evidence an appeal or an inspector traces.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hub.assessment.compute import Assessment, township_name, unit_name
from hub.assessment.judge import STATUS_ZH, OrderRow
from hub.registry import Registry
from wire.clock import shanghai

STAGE_ZH = {"receive": "接收", "ack": "签收", "arrive": "到场", "feedback": "反馈"}
END_ZH = {"closed": "办结", "cancelled": "撤单", "reassigned": "改派"}
ROLE_ZH = {"lead": "主办", "assist": "协办"}
KIND_ZH = {"daily": "日常抽查日报", "quarter": "季度通报", "year": "年终汇总", "range": "考核统计"}

DETAIL_COLUMNS: list[tuple[str, str]] = [
    ("seq", "序号"),
    ("dispatched", "派单时间（北京时间）"),
    ("case_no", "110警情编号"),
    ("unit", "单位"),
    ("township", "乡镇"),
    ("category", "警情类别"),
    ("role", "派单角色"),
    ("receive_s", "接收用时（秒）"),
    ("receive", "接收结果"),
    ("ack_s", "签收用时（秒）"),
    ("ack_bucket", "签收分段"),
    ("ack", "签收结果"),
    ("arrive_limit", "到场时限（分钟）"),
    ("arrive_min", "到场用时（分钟）"),
    ("arrive_bucket", "到场分段"),
    ("arrive", "到场结果"),
    ("feedback_h", "反馈用时（小时）"),
    ("feedback_bucket", "反馈分段"),
    ("feedback", "反馈结果"),
    ("end", "结束方式"),
    ("ended", "结束时间（北京时间）"),
    ("flags", "标记"),
    ("order_id", "派单编号"),
    ("evidence", "证据事件编号"),
]


def beijing(dt: datetime | None) -> datetime | None:
    """Beijing wall time without a zone (what a spreadsheet cell can hold)."""
    return None if dt is None else shanghai(dt).replace(tzinfo=None)


def beijing_text(dt: datetime | None) -> str:
    return "" if dt is None else shanghai(dt).strftime("%Y-%m-%d %H:%M:%S")


def pct(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def flags(row: OrderRow) -> str:
    out = []
    if row.clock_suspect:
        out.append("时钟存疑（按中心收到时间计）")
    if row.offline:
        out.append("离线补报")
    if row.operator_recorded:
        out.append("人工录入")
    if row.facts.self_recorded:
        out.append("自接（双轨制）")
    if row.facts.replaces:
        out.append("改派接收")
    if any(s.status == "excused" for s in row.stages.values()):
        out.append("申诉成立")
    return "；".join(out)


def detail_row(n: int, row: OrderRow, registry: Registry) -> dict[str, Any]:
    """One line of 派单明细: numbers as numbers, times in Beijing time."""
    f, st = row.facts, row.stages
    cat = registry.categories.get(f.category)

    def elapsed(stage: str, scale: float) -> float | None:
        e = st[stage].elapsed_s  # type: ignore[index]
        return None if e is None else round(e / scale, 2)

    limit = f.deadlines.get("arrive")
    return {
        "seq": n,
        "dispatched": beijing(f.dispatched_at),
        "case_no": f.source_id,
        "unit": unit_name(registry, f.unit),
        "township": township_name(registry, f.township),
        "category": cat.name_zh if cat else f.category,
        "role": ROLE_ZH.get(f.role, f.role),
        "receive_s": elapsed("receive", 1),
        "receive": STATUS_ZH[st["receive"].status],
        "ack_s": elapsed("ack", 1),
        "ack_bucket": st["ack"].bucket or "",
        "ack": STATUS_ZH[st["ack"].status],
        "arrive_limit": None
        if limit is None
        else round((limit - f.dispatched_at).total_seconds() / 60),
        "arrive_min": elapsed("arrive", 60),
        "arrive_bucket": st["arrive"].bucket or "",
        "arrive": STATUS_ZH[st["arrive"].status],
        "feedback_h": elapsed("feedback", 3600),
        "feedback_bucket": st["feedback"].bucket or "",
        "feedback": STATUS_ZH[st["feedback"].status],
        "end": END_ZH.get(f.end.type, f.end.type) if f.end else "",
        "ended": beijing(f.end.at) if f.end else None,
        "flags": flags(row),
        "order_id": f.order_id,
        "evidence": " ".join(row.evidence_ids),
    }


def title(a: Assessment) -> str:
    return f"{a.county_zh}社会应急联动{KIND_ZH[a.period.kind]}（{a.period.label_zh}）"


def scope_zh(a: Assessment, registry: Registry) -> str:
    if a.scope.unit:
        return unit_name(registry, a.scope.unit)
    if a.scope.township:
        return township_name(registry, a.scope.township)
    return "全县"
