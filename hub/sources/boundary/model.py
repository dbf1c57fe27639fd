"""What a parser gives: a `GateMessage` for the one writer, or a `GateRejection` that says
what was wrong in words a county's integrator can act on (Chinese first, then English).

A rejection is an exception (the house habit: refuse by raising, never by returning False)
and carries where it was found (field, element, line) and the limit it broke, because the
person reading `NAME.why.json` is fixing a vendor's export, not reading our code.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Literal

from hub.errors import HubError

Kind = Literal["new", "update", "cancel"]
Format = Literal["json", "cap", "eido"]


@dataclass(frozen=True)
class GateMessage:
    """One incident message from the 110 side, mapped to the intake dict.

    `intake` is exactly what `hub.dispatch.intake.validate` takes (source_id is the 110 incident
    number). `refs` are further 110 numbers an update or cancel may name (CAP's
    `<references>`: the first known one wins). `msg_id` identifies this message itself, so a
    file taken twice (a crash between commit and move) is applied once. `notes` go to the
    incident's timeline as they are (phones already masked).
    """

    kind: Kind
    format: Format
    source_id: str
    msg_id: str
    intake: dict[str, Any]
    drill: bool = False
    refs: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    reason: str = ""  # why a cancel: shown to the operator and the terminal

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "format": self.format,
            "source_id": self.source_id,
            "msg_id": self.msg_id,
            "drill": self.drill,
            "refs": list(self.refs),
            "incident": self.intake,
            "notes": list(self.notes),
            "reason": self.reason,
        }


@dataclass(eq=False)  # exceptions compare and hash by identity
class GateRejection(HubError):
    """A file or body the bridge refuses. `reason` is a short code for metrics."""

    reason: str
    zh: str
    en: str
    field: str | None = None
    element: str | None = None
    line: int | None = None
    limit: str | None = None
    more: list[dict[str, Any]] = dataclasses.field(default_factory=list)  # every further problem

    def __post_init__(self) -> None:
        super().__init__(f"{self.reason}: {self.en}")

    def __str__(self) -> str:
        where = ", ".join(
            f"{k} {v}"
            for k, v in (("field", self.field), ("element", self.element), ("line", self.line))
            if v is not None
        )
        return f"{self.zh} ({self.en})" + (f" [{where}]" if where else "")

    def to_json(self) -> dict[str, Any]:
        """The body of NAME.why.json and of the API's 422: Chinese first, then English."""
        out: dict[str, Any] = {"reason": self.reason, "zh": self.zh, "en": self.en}
        for key in ("field", "element", "line", "limit"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        if self.more:
            out["problems"] = self.more
        return out
