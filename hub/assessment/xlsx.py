"""The assessment as a workbook: 汇总, 排名, 分段统计, 乡镇, 抽查, 演练, 派单明细.

Written with XlsxWriter in constant-memory mode, which streams each row to the file as it is
written: a quarter's 派单明细 is 10,000 rows of 24 cells and a county-year 40,000, and the
quarter must be ready in seconds. openpyxl's write-only mode took 4 s for the quarter's
240,000 cells alone (a cell object and an lxml element per value); XlsxWriter writes the
same cells in about 1.3 s. openpyxl still reads the files (the tests, and any county tool).
Every sheet has a frozen Chinese header; numbers are numbers (rates as fractions shown as
percentages), times are Beijing wall time. 派单明细 has exactly one row per counted order
with the ids of its evidence events, so any figure can be recounted from it.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from xlsxwriter import Workbook  # type: ignore[import-untyped]

from hub.assessment.compute import Assessment, drill_summary
from hub.assessment.judge import BUCKETS, NO_REPORT
from hub.assessment.present import DETAIL_COLUMNS, STAGE_ZH, beijing, detail_row, title
from hub.assessment.score import Score
from hub.registry import Registry

_FORMATS = {"rate": "0.0%", "time": "yyyy-mm-dd hh:mm:ss", "score": "0.00"}


class _Sheet:
    """One worksheet written row by row (constant memory: rows only go forward)."""

    def __init__(
        self, book: _Book, name: str, header: list[str], widths: list[int] | None = None
    ) -> None:
        self.book = book
        self.ws = book.wb.add_worksheet(name)
        self.ws.freeze_panes(1, 0)
        for i, w in enumerate(widths or [14] * len(header)):
            self.ws.set_column(i, i, w)
        self.ws.write_row(0, 0, header, book.head)
        self.row = 1

    def append(self, cells: list[Any]) -> None:
        """Values, or (value, format name) pairs for the cells that need a number format."""
        ws, r = self.ws, self.row
        for c, cell in enumerate(cells):
            value, fmt = cell if isinstance(cell, tuple) else (cell, None)
            if value is None:
                continue
            style = self.book.formats[fmt] if fmt else None
            if isinstance(value, datetime):
                ws.write_datetime(r, c, value, style)
            elif isinstance(value, str):
                ws.write_string(r, c, value, style)
            else:
                ws.write_number(r, c, value, style)
        self.row += 1


class _Book:
    def __init__(self, path: Path) -> None:
        self.wb = Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False})
        self.head = self.wb.add_format({"bold": True, "bg_color": "#DDE7F3"})
        self.formats = {k: self.wb.add_format({"num_format": v}) for k, v in _FORMATS.items()}

    def sheet(self, name: str, header: list[str], widths: list[int] | None = None) -> _Sheet:
        return _Sheet(self, name, header, widths)


def _score_cells(s: Score) -> list[Any]:
    return [
        s.orders,
        (None if s.score is None else round(s.score, 2), "score"),
        *[(s.rate(st), "rate") for st in ("receive", "ack", "arrive", "feedback")],
        s.open,
        s.clock_suspect,
        s.offline,
    ]


_SCORE_HEAD = ["派单数", "得分", "接收按时率", "签收按时率", "到场按时率", "反馈按时率"]
_SCORE_HEAD += ["未办结", "时钟存疑", "离线补报"]


def write_xlsx(a: Assessment, registry: Registry, path: Path) -> None:
    wb = _Book(path)
    _summary(wb, a)
    items = list(a.rubric.items)
    ws = wb.sheet(
        "排名",
        ["名次", "单位", *_SCORE_HEAD, *[f"{i.name_zh}（{i.points:g}分）" for i in items]],
        [6, 30] + [11] * (len(_SCORE_HEAD) + len(items)),
    )
    for s in a.units:
        earned = [s.items[i.id].earned for i in items]
        ws.append(
            [
                s.rank if s.rank is not None else "样本不足",
                s.name_zh,
                *_score_cells(s),
                *[(None if e is None else round(e, 2), "score") for e in earned],
            ]
        )
    _buckets(wb, a)
    ws = wb.sheet("乡镇", ["乡镇", *_SCORE_HEAD], [14] + [11] * len(_SCORE_HEAD))
    for s in a.townships:
        ws.append([s.name_zh, *_score_cells(s)])
    _findings(wb, a, registry)
    d = drill_summary(a)
    ws = wb.sheet("演练", ["项目", *_SCORE_HEAD], [20] + [11] * len(_SCORE_HEAD))
    ws.append(["演练派单（不计入考核）", *_score_cells(d)])
    _detail(wb, a, registry)
    wb.wb.close()


def _summary(wb: _Book, a: Assessment) -> None:
    ws = wb.sheet("汇总", ["项目", "数值"], [28, 44])
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
        ("自接警情（双轨制）", c.self_recorded, None),
        ("申诉成立（计为按时）", a.excused, None),
        ("抽查记录（有效）", len(a.findings), None),
        ("演练派单（另行统计，不计入）", len(a.drills), None),
        ("排名靠后", "、".join(s.name_zh for s in reversed(a.slowest)), None),
    ]
    for label, value, fmt in rows:
        ws.append([label, (value, fmt)])


def _buckets(wb: _Book, a: Assessment) -> None:
    head = ["单位"]
    keys: list[tuple[str, str]] = []
    for stage, bounds in BUCKETS.items():
        for label in [b[1] for b in bounds] + [NO_REPORT[stage]]:
            head.append(f"{STAGE_ZH[stage]} {label}")
            keys.append((stage, label))
    ws = wb.sheet("分段统计", head, [30] + [10] * len(keys))
    for s in [a.county, *a.units]:
        name = "全县合计" if s is a.county else s.name_zh
        ws.append([name, *[s.buckets[st][lb] for st, lb in keys]])


def _findings(wb: _Book, a: Assessment, registry: Registry) -> None:
    ws = wb.sheet(
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
                (beijing(f.recorded_at), "time"),
                unit.name_zh if unit else f.unit,
                kinds[f.kind],
                yes[f.reached],
                f.satisfaction,
                yes[f.ok],
                f.remark,
                f.author,
                f.order_id,
            ]
        )


def _detail(wb: _Book, a: Assessment, registry: Registry) -> None:
    widths = {"dispatched": 20, "ended": 20, "unit": 30, "category": 18, "flags": 24}
    widths |= {"order_id": 28, "evidence": 90, "case_no": 20}
    ws = wb.sheet(
        "派单明细",
        [zh for _, zh in DETAIL_COLUMNS],
        [widths.get(k, 11) for k, _ in DETAIL_COLUMNS],
    )
    keys = [k for k, _ in DETAIL_COLUMNS]
    times = [i for i, k in enumerate(keys) if k in ("dispatched", "ended")]
    for n, row in enumerate(a.rows, start=1):
        d = detail_row(n, row, registry)
        values: list[Any] = [d[k] for k in keys]
        for i in times:  # only these need a number format
            values[i] = (values[i], "time")
        ws.append(values)
