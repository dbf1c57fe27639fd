"""The bulletin's charts (matplotlib, Agg, Noto Sans CJK SC): PNG bytes for the document.

Three charts, as county bulletins show them: the 签收 buckets per unit (stacked bars), the
on-time rates against the previous period, and per-township bars. The CJK font is Debian's
fonts-noto-cjk (the SC face, so characters take their mainland forms); without it Chinese
would render as empty boxes, so a missing font is an error, not a silent fallback.
"""

from __future__ import annotations

import io
import logging

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib import font_manager
from matplotlib.figure import Figure

from hub.assessment.compute import Assessment
from hub.assessment.judge import BUCKETS, NO_REPORT
from hub.assessment.score import Score

log = logging.getLogger(__name__)
FONT = "Noto Sans CJK SC"
_COLOURS = ["#2e7d32", "#7cb342", "#fdd835", "#fb8c00", "#e53935", "#757575", "#4e342e"]


class ChartFontMissing(RuntimeError):
    """No CJK font: install fonts-noto-cjk (Debian) so the charts can show Chinese."""


def _setup() -> None:
    names = {f.name for f in font_manager.fontManager.ttflist}
    if FONT not in names:
        raise ChartFontMissing(f"{FONT} not found: apt-get install fonts-noto-cjk")
    plt.rcParams["font.family"] = FONT
    plt.rcParams["axes.unicode_minus"] = False
    logging.getLogger("matplotlib.font_manager").setLevel(logging.WARNING)


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=160, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def buckets_per_unit(a: Assessment, stage: str = "ack") -> bytes:
    """Stacked horizontal bars: each unit's orders by bucket, best ranked at the top."""
    _setup()
    units = [s for s in a.units if s.stage_cases.get(stage)]
    labels = [b[1] for b in BUCKETS[stage]] + [NO_REPORT[stage]]  # type: ignore[index]
    fig, ax = plt.subplots(figsize=(7.2, 0.28 * len(units) + 1.4))
    left = [0.0] * len(units)
    names = [s.name_zh.removeprefix("双柏县") for s in units]
    for colour, label in zip(_COLOURS, labels, strict=False):
        share = [s.buckets[stage][label] / s.stage_cases[stage] * 100 for s in units]
        ax.barh(names, share, left=left, color=colour, label=label, height=0.7)
        left = [x + y for x, y in zip(left, share, strict=True)]
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("占该单位派单比例（%）")
    ax.tick_params(axis="y", labelsize=7)
    ax.legend(ncol=len(labels), fontsize=7, loc="lower center", bbox_to_anchor=(0.5, 1.0))
    return _png(fig)


def trend(a: Assessment, previous: Assessment | None, months: list[tuple[str, Score]]) -> bytes:
    """On-time rates this period against the previous one, and month by month."""
    _setup()
    stages = [("receive", "接收"), ("ack", "签收"), ("arrive", "到场"), ("feedback", "反馈")]
    fig, axes = plt.subplots(1, 2, figsize=(7.2, 2.5), gridspec_kw={"width_ratios": [1, 1.3]})
    ax = axes[0]
    x = range(len(stages))
    now = [(a.county.rate(s) or 0) * 100 for s, _ in stages]
    ax.bar([i + 0.2 for i in x], now, width=0.4, label="本期", color="#1565c0")
    if previous is not None:
        before = [(previous.county.rate(s) or 0) * 100 for s, _ in stages]
        ax.bar([i - 0.2 for i in x], before, width=0.4, label="上期", color="#90a4ae")
    ax.set_xticks(list(x), [zh for _, zh in stages])
    ax.set_ylim(0, 118)
    ax.set_ylabel("按时率（%）")
    ax.legend(fontsize=7, loc="upper center", ncol=2, frameon=False)
    ax.set_title("本期与上期", fontsize=9)
    ax = axes[1]
    for (stage, zh), colour in zip(
        stages, ["#6d4c41", "#1565c0", "#2e7d32", "#ef6c00"], strict=True
    ):
        ys = [(s.rate(stage) or 0) * 100 for _, s in months]
        ax.plot([m for m, _ in months], ys, marker="o", label=zh, color=colour)
    ax.set_ylim(0, 118)
    ax.legend(fontsize=7, ncol=4, loc="upper center", frameon=False)
    ax.set_title("逐月按时率", fontsize=9)
    ax.tick_params(axis="x", labelsize=7)
    return _png(fig)


def townships(a: Assessment) -> bytes:
    """Per township (calls from there, any unit): orders and the on-scene on-time rate."""
    _setup()
    towns = a.townships
    fig, ax = plt.subplots(figsize=(7.2, 2.2))
    names = [t.name_zh for t in towns]
    ax.bar(names, [t.orders for t in towns], color="#90caf9", label="派单数")
    ax.set_ylabel("派单数")
    ax2 = ax.twinx()
    ax2.plot(names, [(t.rate("arrive") or 0) * 100 for t in towns], "o-", color="#c62828")
    ax2.set_ylim(0, 105)
    ax2.set_ylabel("到场按时率（%）", color="#c62828")
    ax.tick_params(axis="x", labelsize=8)
    return _png(fig)
