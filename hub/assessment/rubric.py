"""The county's scoring standard (考核内容及评分标准) from a TOML file, validated like the registry.

The notice refers to a scoring standard it does not publish, so the product ships a default
(`shuangbai-rubric.toml`) and the county safety office edits it. A rubric that is wrong
(items that do not add up to their part, a measure misspelt and silently never counted)
would publish wrong scores for a whole quarter, so every problem is reported at once with
its line, using the registry's own reader (`hub.registry.fields`), and a `Rubric` exists only
when the whole file is consistent.

`python -m hub.assessment.rubric [FILE]` checks a county's file. Format: docs/assessment.md.
"""

from __future__ import annotations

import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast

from hub.registry.fields import Fields, Problems
from hub.registry.locate import ROOT, SourceMap

MAX_BYTES = 1024 * 1024

Method = Literal["rate", "deduct"]
METHODS: tuple[str, ...] = ("rate", "deduct")

MEASURES: dict[str, str] = {
    "received_on_time": "终端30秒内接收 (the terminal's `received` by its deadline)",
    "ack_on_time": "签收按时 (ack by its deadline)",
    "arrive_on_time": "到场按时 (arrived by the order's on-scene deadline)",
    "feedback_on_time": "反馈按时 (feedback by its deadline)",
    "rollcall_answered": "点名应答 (roll-calls answered by their answer-by time; per unit)",
    "spot_dress": "抽查着装携装合格 (spot-check finding: dress and equipment in order)",
    "spot_handling": "抽查现场处置规范 (spot-check finding: handling in order)",
    "callback_satisfied": "回访满意 (callback reached, satisfaction >= satisfied_min)",
    "self_recorded": "双轨制自接警情登记 (self-taken calls; met: recorded within 24 h of the call)",
}
"""What an item can count: each name is computed by `hub.assessment.score`."""

_TOP = ("rubric", "ranking", "spot_check", "parts", "items")
_EPS = 1e-6


class RubricError(ValueError):
    """A rubric file that cannot be used; one line per problem, each with its line."""

    def __init__(self, problems: list[str] | tuple[str, ...]) -> None:
        self.problems: tuple[str, ...] = tuple(problems)
        super().__init__("\n".join(self.problems))


class _Problems(Problems):
    def raise_if_any(self) -> None:
        try:
            super().raise_if_any()
        except ValueError as e:  # the registry's error type; ours names a rubric
            raise RubricError(str(e).splitlines()) from None


@dataclass(frozen=True)
class Part:
    """One of the notice's four quantified parts (接警调度, 出警时间, 着装携装, 现场处置)."""

    id: str
    name_zh: str
    name_en: str
    points: float


@dataclass(frozen=True)
class Item:
    """One scored item: what it counts (`measure`) and how cases become points."""

    id: str
    part: str
    name_zh: str
    name_en: str
    measure: str
    method: Method
    points: float
    deduct: float = 0.0

    def earned(self, cases: int, met: int) -> float | None:
        """Points for `met` of `cases`; None when a rate item has no case (not assessed)."""
        if self.method == "rate":
            return None if cases == 0 else self.points * met / cases
        return max(0.0, self.points - self.deduct * (cases - met))


@dataclass(frozen=True)
class Rubric:
    county: str
    name_zh: str
    name_en: str
    version: str
    full_marks: float
    slowest: int
    min_orders: int
    sample_share: float
    sample_minimum: int
    satisfied_min: int
    parts: tuple[Part, ...]
    items: tuple[Item, ...]
    source: str = ""

    def part(self, part_id: str) -> Part:
        return next(p for p in self.parts if p.id == part_id)


def default_rubric_path() -> Path:
    """The Shuangbai default shipped with the hub (package data)."""
    return Path(__file__).with_name("shuangbai-rubric.toml")


def load_rubric(path: Path | None = None, *, county: str | None = None) -> Rubric:
    """Load and check a rubric; `county` (the hub's) must match the file's when given."""
    path = Path(path) if path is not None else default_rubric_path()
    try:
        raw = path.read_bytes()[: MAX_BYTES + 1]
    except OSError as e:
        raise RubricError([f"{path}: cannot read the rubric file: {e.strerror or e}"]) from e
    if len(raw) > MAX_BYTES:
        raise RubricError([f"{path.name}: larger than {MAX_BYTES} bytes; not a rubric"])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        raise RubricError([f"{path.name} line {line}: not UTF-8; save the file as UTF-8"]) from e
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise RubricError([f"{path.name}: TOML syntax error: {e}"]) from e
    return _Builder(path, text, doc, county).build()


class _Builder:
    def __init__(self, path: Path, text: str, doc: dict[str, Any], county: str | None) -> None:
        self.path = path
        self.doc = doc
        self.county = county
        self.smap = SourceMap.scan(text)
        self.problems = _Problems(path.name)

    def table(self, name: str, required: bool) -> Fields:
        value = self.doc.get(name, {})
        if not isinstance(value, dict):
            self.problems.add(self.smap.line_of(ROOT, name), f"{name} must be a table [{name}]")
            value = {}
        elif name not in self.doc and required:
            self.problems.add(None, f"missing table [{name}]")
        return Fields(value, (name, None), f"[{name}]", self.smap, self.problems)

    def entries(self, name: str) -> list[Fields]:
        value = self.doc.get(name)
        if not isinstance(value, list) or not value or not all(isinstance(v, dict) for v in value):
            line = self.smap.line_of(ROOT, name) or self.smap.line_of((name, 0))
            self.problems.add(line, f"[[{name}]]: at least one entry, written [[{name}]]")
            return []
        return [
            Fields(t, (name, i), f"[[{name}]] entry {i + 1}", self.smap, self.problems)
            for i, t in enumerate(value)
        ]

    def build(self) -> Rubric:
        for key in self.doc:
            if key not in _TOP:
                line = self.smap.line_of((key, None)) or self.smap.line_of(ROOT, key)
                self.problems.add(line, f'unknown table or key "{key}" (known: {", ".join(_TOP)})')
        head = self.table("rubric", required=True)
        county = head.ident("county", "county id")
        names = head.text("name_zh"), head.text("name_en"), head.text("version")
        full = head.number("full_marks", 1, 1000)
        head.finish()
        if county and self.county and county != self.county:
            head.problem("county", f'county "{county}" is not this hub\'s county "{self.county}"')
        rank = self.table("ranking", required=False)
        slowest = rank.integer("slowest", 0, 50, default=3)
        min_orders = rank.integer("min_orders", 1, 10000, default=3)
        rank.finish()
        spot = self.table("spot_check", required=False)
        share = spot.number("share", 0.001, 1, required=False)
        minimum = spot.integer("minimum", 0, 1000, default=3)
        satisfied = spot.integer("satisfied_min", 1, 4, default=3)
        spot.finish()
        parts = self._parts()
        items = self._items({p.id for p in parts})
        self._sums(head, full, parts, items)
        self.problems.raise_if_any()
        assert county and all(names) and full is not None  # noqa: S101 - no problems => set
        assert slowest is not None and min_orders is not None  # noqa: S101
        assert minimum is not None and satisfied is not None  # noqa: S101
        return Rubric(
            county=county,
            name_zh=cast(str, names[0]),
            name_en=cast(str, names[1]),
            version=cast(str, names[2]),
            full_marks=full,
            slowest=slowest,
            min_orders=min_orders,
            sample_share=share if share is not None else 0.10,
            sample_minimum=minimum,
            satisfied_min=satisfied,
            parts=parts,
            items=items,
            source=str(self.path),
        )

    def _parts(self) -> tuple[Part, ...]:
        out: dict[str, Part] = {}
        lines: dict[str, int | None] = {}
        for f in self.entries("parts"):
            pid = f.ident("id", "part id")
            zh, en = f.text("name_zh"), f.text("name_en")
            points = f.number("points", 0, 1000)
            f.finish()
            if pid in lines:
                f.problem("id", f'duplicate part id "{pid}"; first defined at line {lines[pid]}')
            elif f.ok and pid and zh and en and points is not None:
                lines[pid] = f.line("id")
                out[pid] = Part(pid, zh, en, points)
        return tuple(out.values())

    def _items(self, part_ids: set[str]) -> tuple[Item, ...]:
        out: dict[str, Item] = {}
        measures: dict[str, int | None] = {}
        for f in self.entries("items"):
            iid = f.ident("id", "item id")
            part = f.ident("part", "part id")
            zh, en = f.text("name_zh"), f.text("name_en")
            measure = f.choice("measure", tuple(MEASURES))
            method = f.choice("method", METHODS)
            points = f.number("points", 0, 1000)
            deduct = f.number("deduct", 0, 1000, required=method == "deduct")
            f.finish()
            if method == "rate" and "deduct" in f.table:
                f.problem("deduct", 'deduct only applies to method = "deduct"')
            if part and part_ids and part not in part_ids:
                f.problem("part", f'part "{part}" is not a part in [[parts]]')
            if measure in measures:
                f.problem(
                    "measure",
                    f'measure "{measure}" is already scored at line {measures[measure]}; '
                    "counting it twice would score the same cases twice",
                )
            elif measure:
                measures[measure] = f.line("measure")
            if iid in out:
                f.problem("id", f'duplicate item id "{iid}"')
            if f.ok and iid and part and zh and en and measure and method and points is not None:
                out[iid] = Item(
                    iid, part, zh, en, measure, cast(Method, method), points, deduct or 0.0
                )
        return tuple(out.values())

    def _sums(
        self, head: Fields, full: float | None, parts: tuple[Part, ...], items: tuple[Item, ...]
    ) -> None:
        """The weights must add up: a part's items to its points, the parts to full_marks."""
        for i, p in enumerate(parts):
            total = sum(it.points for it in items if it.part == p.id)
            if abs(total - p.points) > _EPS:
                line = self.smap.line_of(("parts", i), "points")
                self.problems.add(
                    line,
                    f'part "{p.id}": its items add up to {total:g} points, not {p.points:g}',
                )
        total = sum(p.points for p in parts)
        if full is not None and parts and abs(total - full) > _EPS:
            head.problem("full_marks", f"the parts add up to {total:g}, not full_marks {full:g}")


def main(argv: list[str] | None = None) -> int:
    """Check a rubric file: every problem with its line (exit 1), or a summary (exit 0)."""
    args = sys.argv[1:] if argv is None else argv
    try:
        rubric = load_rubric(Path(args[0]) if args else None)
    except RubricError as e:
        print(str(e), file=sys.stderr)
        return 1
    parts = "，".join(f"{p.name_zh} {p.points:g}" for p in rubric.parts)
    print(
        f"{rubric.source}: {rubric.name_zh} ({rubric.county}, {rubric.version}): "
        f"{len(rubric.items)} items; {parts}; full marks {rubric.full_marks:g}: OK"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
