"""The assessment as a workbook (openpyxl): 汇总, 排名, 分段统计, 乡镇, 抽查, 演练, 派单明细.

Written in openpyxl's write-only mode, which streams rows instead of holding a cell object
per value: a county-year is 40,000 detail rows, and the quarter must be ready in seconds.
Every sheet has a frozen Chinese header; numbers are numbers (rates as fractions shown as
percentages), times are Beijing wall time. 派单明细 has exactly one row per counted order
with the ids of its evidence events, so any figure can be recounted from it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from hub.assessment.compute import Assessment, drill_summary
from hub.assessment.judge import BUCKETS, NO_REPORT
from hub.assessment.present import DETAIL_COLUMNS, STAGE_ZH, beijing, detail_row, title
from hub.assessment.score import Score
from hub.registry import Registry

_HEAD_FONT = Font(bold=True)
_HEAD_FILL = PatternFill("solid", fgColor="DDE7F3")
_FORMATS = {"rate": "0.0%", "time": "yyyy-mm-dd hh:mm:ss", "score": "0.00"}


def _sheet(
    wb: Workbook, name: str, header: list[str], widths: list[int] | None = None
) -> WriteOnlyWorksheet:
    ws: WriteOnlyWorksheet = wb.create_sheet(name)
    ws.freeze_panes = "A2"
    for i, w in enumerate(widths or [14] * len(header)):
        ws.column_dimensions[_col(i)].width = w
    cells = []
    for text in header:
        c = WriteOnlyCell(ws, value=text)
        c.font, c.fill = _HEAD_FONT, _HEAD_FILL
        cells.append(c)
    ws.append(cells)
    return ws


def _col(i: int) -> str:
    name = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        name = chr(65 + r) + name
    return name


def _cell(ws: WriteOnlyWorksheet, value: Any, fmt: str | None = None) -> WriteOnlyCell:
    c = WriteOnlyCell(ws, value=value)
    if fmt:
        c.number_format = _FORMATS[fmt]
    return c


def _score_cells(ws: WriteOnlyWorksheet, s: Score) -> list[WriteOnlyCell]:
    return [
        _cell(ws, s.orders),
        _cell(ws, None if s.score is None else round(s.score, 2), "score"),
        *[_cell(ws, s.rate(st), "rate") for st in ("receive", "ack", "arrive", "feedback")],
        _cell(ws, s.open),
        _cell(ws, s.clock_suspect),
        _cell(ws, s.offline),
    ]


_SCORE_HEAD = ["派单数", "得分", "接收按时率", "签收按时率", "到场按时率", "反馈按时率"]
_SCORE_HEAD += ["未办结", "时钟存疑", "离线补报"]


def write_xlsx(a: Assessment, registry: Registry, path: Path) -> None:
    wb = Workbook(write_only=True)
    _summary(wb, a)
    items = list(a.rubric.items)
    ws = _sheet(
        wb,
        "排名",
        ["名次", "单位", *_SCORE_HEAD, *[f"{i.name_zh}（{i.points:g}分）" for i in items]],
        [6, 30] + [11] * (len(_SCORE_HEAD) + len(items)),
    )
    for s in a.units:
        earned = [s.items[i.id].earned for i in items]
        ws.append(
            [
                _cell(ws, s.rank if s.rank is not None else "样本不足"),
                _cell(ws, s.name_zh),
                *_score_cells(ws, s),
                *[_cell(ws, None if e is None else round(e, 2), "score") for e in earned],
            ]
        )
    _buckets(wb, a)
    ws = _sheet(wb, "乡镇", ["乡镇", *_SCORE_HEAD], [14] + [11] * len(_SCORE_HEAD))
    for s in a.townships:
        ws.append([_cell(ws, s.name_zh), *_score_cells(ws, s)])
    _findings(wb, a, registry)
    d = drill_summary(a)
    ws = _sheet(wb, "演练", ["项目", *_SCORE_HEAD], [20] + [11] * len(_SCORE_HEAD))
    ws.append([_cell(ws, "演练派单（不计入考核）"), *_score_cells(ws, d)])
    _detail(wb, a, registry)
    wb.save(path)


def _summary(wb: Workbook, a: Assessment) -> None:
    ws = _sheet(wb, "汇总", ["项目", "数值"], [28, 44])
    c = a.county
    rows: list[tuple[str, Any, str | None]] = [
        ("标题", title(a), None),
        ("统计期间", a.period.label_zh, None),
        ("统计截至（北京时间）", beijing(a.as_of), "time"),
        ("评分标准", f"{a.rubric.name_zh}（{a.rubric.version}）", None),
        ("计入考核派单数", c.orders, None),
        ("接收按时率", c.rate("receive"), "rate"),
        ("签收按时率", c.rate("ack"), "rate"),
        ("到场按时率", c.rate("arrive"), "rate"),
        ("反馈按时率", c.rate("feedback"), "rate"),
        ("全县平均得分", None if c.score is None else round(c.score, 2), "score"),
        ("仍未办结", c.open, None),
        ("时钟存疑（按中心收到时间计）", c.clock_suspect, None),
        ("离线补报", c.offline, None),
        ("申诉成立（计为按时）", a.excused, None),
        ("抽查记录（有效）", len(a.findings), None),
        ("演练派单（另行统计，不计入）", len(a.drills), None),
        ("排名靠后", "、".join(s.name_zh for s in reversed(a.slowest)), None),
    ]
    for label, value, fmt in rows:
        ws.append([_cell(ws, label), _cell(ws, value, fmt)])


def _buckets(wb: Workbook, a: Assessment) -> None:
    head = ["单位"]
    keys: list[tuple[str, str]] = []
    for stage, bounds in BUCKETS.items():
        for label in [b[1] for b in bounds] + [NO_REPORT[stage]]:
            head.append(f"{STAGE_ZH[stage]} {label}")
            keys.append((stage, label))
    ws = _sheet(wb, "分段统计", head, [30] + [10] * len(keys))
    for s in [a.county, *a.units]:
        name = "全县合计" if s is a.county else s.name_zh
        ws.append([_cell(ws, name), *[_cell(ws, s.buckets[st][lb]) for st, lb in keys]])


def _findings(wb: Workbook, a: Assessment, registry: Registry) -> None:
    ws = _sheet(
        wb,
        "抽查",
        [
            "记录时间（北京时间）",
            "单位",
            "类别",
            "是否联系上",
            "满意度",
            "是否合格",
            "备注",
            "记录人",
            "派单编号",
        ],
        [20, 30, 10, 10, 8, 10, 40, 12, 28],
    )
    kinds = {"callback": "回访", "dress": "着装携装", "handling": "现场处置"}
    yes = {True: "是", False: "否", None: ""}
    for f in a.findings:
        unit = registry.units.get(f.unit)
        ws.append(
            [
                _cell(ws, beijing(f.recorded_at), "time"),
                _cell(ws, unit.name_zh if unit else f.unit),
                _cell(ws, kinds[f.kind]),
                _cell(ws, yes[f.reached]),
                _cell(ws, f.satisfaction),
                _cell(ws, yes[f.ok]),
                _cell(ws, f.remark),
                _cell(ws, f.author),
                _cell(ws, f.order_id),
            ]
        )


def _detail(wb: Workbook, a: Assessment, registry: Registry) -> None:
    widths = {"dispatched": 20, "ended": 20, "unit": 30, "category": 18, "flags": 24}
    widths |= {"order_id": 28, "evidence": 90, "case_no": 20}
    ws = _sheet(
        wb,
        "派单明细",
        [zh for _, zh in DETAIL_COLUMNS],
        [widths.get(k, 11) for k, _ in DETAIL_COLUMNS],
    )
    keys = [k for k, _ in DETAIL_COLUMNS]
    times = [i for i, k in enumerate(keys) if k in ("dispatched", "ended")]
    for n, row in enumerate(a.rows, start=1):
        d = detail_row(n, row, registry)
        values: list[Any] = [d[k] for k in keys]
        for i in times:  # only these need a style; plain values are cheaper to stream
            values[i] = _cell(ws, values[i], "time")
        ws.append(values)
