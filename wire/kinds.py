"""The typed body of every message kind.

Down (hub -> gateway): order, cancel, receipt, command.
Up (gateway -> hub): received, ack, arrived, feedback, position, health, selfcall,
rollcall_answer; and the receipt chain behind 签收: alarmed, printed, print_failed.
State (gateway -> hub, retained): state, carrying `online` with health or the will `offline`.

Bodies are msgspec Structs: strict types, unknown fields rejected, sizes bounded, times
always carry a zone. A body that converts is safe to store and show, and text going down to
a terminal (which prints it) is safe to print: no control characters.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Final, Literal

import msgspec

from wire.limits import MAX_RECEIPT_IDS, MAX_SHORT, MAX_TEXT

Time = Annotated[datetime, msgspec.Meta(tz=True)]
Id = Annotated[str, msgspec.Meta(pattern=r"^[0-9A-Za-z_-]{8,64}$")]
Name = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9][a-z0-9-]{0,31}$")]
Short = Annotated[str, msgspec.Meta(max_length=MAX_SHORT)]
Text = Annotated[str, msgspec.Meta(max_length=MAX_TEXT)]
# What a terminal prints holds no C0 (but LF in PrintText), DEL, C1 or lone surrogate: ESC/POS
# commands are control characters (ESC @ resets, GS V cuts). The hub refuses them at intake;
# these make `encode` refuse them too, so a hub bug cannot sign a printer command. `\Z`, not
# `$`, which would let a final newline through.
PrintLine = Annotated[
    str, msgspec.Meta(max_length=MAX_SHORT, pattern=r"\A[^\x00-\x1f\x7f-\x9f\ud800-\udfff]*\Z")
]
PrintText = Annotated[
    str,
    msgspec.Meta(max_length=MAX_TEXT, pattern=r"\A[^\x00-\x09\x0b-\x1f\x7f-\x9f\ud800-\udfff]*\Z"),
]
Lat = Annotated[float, msgspec.Meta(ge=-90.0, le=90.0)]
Lon = Annotated[float, msgspec.Meta(ge=-180.0, le=180.0)]
# A masked phone keeps at most 3 leading and 4 trailing digits: "138****5678". The pattern
# refuses a full number, so an unmasked phone can never reach a printer.
MaskedPhone = Annotated[str, msgspec.Meta(pattern=r"^(|[0-9+]{0,4}\*{3,8}[0-9]{0,4})$")]

Priority = Literal["critical", "urgent", "normal"]
"""特急 / 紧急 / 一般: drives the alarm pattern on the terminal and the board's colour."""

Role = Literal["lead", "assist"]
"""主办 (the unit in charge) or 协办 (ordered to assist, 视情指令)."""

ResultCode = Literal["resolved", "referred", "no_action_needed", "unable", "false_report"]
"""处置结果: 已处置 / 已移交 / 无需处置 / 无法处置 / 虚假警情."""

ArrivalSource = Literal["button", "kiosk", "gps", "tracker"]

CommandName = Literal["silence", "realarm", "test_print", "resync", "rollcall", "update"]

ReleaseVersion = Annotated[str, msgspec.Meta(pattern=r"^[0-9][0-9A-Za-z.+!-]{0,47}$")]
"""A release's version (PEP 440, checked with packaging.version where it is ordered)."""
Sha256Hex = Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{64}$")]
UpdateFailureReason = Literal["not_ready", "crashed", "install_failed", "refused", "interrupted"]
"""Why a terminal gave up a release (docs/updates.md): 未就绪 (not READY and connected in
time), 反复崩溃 (too many starts), 安装失败, 拒绝 (signature, hash, downgrade), 中断."""


class Body(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """Base of every body: strict, immutable."""


class Position(Body, frozen=True):
    lat: Lat
    lon: Lon
    accuracy_m: Annotated[float, msgspec.Meta(ge=0)] | None = None


class Deadlines(Body, frozen=True):
    """Absolute UTC times; `arrive_by` is None for units that attend no scene (tier 3)."""

    receive_by: Time
    ack_by: Time
    feedback_by: Time
    arrive_by: Time | None = None


# ---- down -------------------------------------------------------------------------------


class OrderBody(Body, frozen=True):
    """派单: one instruction to one unit about one incident (new, or revised with rev > 1)."""

    order_id: Id
    incident_id: Id
    rev: Annotated[int, msgspec.Meta(ge=1)]
    category: Name
    category_name: PrintLine
    priority: Priority
    address: PrintLine
    township: Name
    township_name: PrintLine
    summary: PrintText
    reported_at: Time
    dispatched_at: Time
    role: Role
    deadlines: Deadlines
    source_id: PrintLine | None = None  # the 110 incident number
    position: Position | None = None
    caller_phone: MaskedPhone = ""
    drill: bool = False
    note: PrintText = ""


class CancelBody(Body, frozen=True):
    order_id: Id
    reason: PrintText = ""
    drill: bool = False


class ReceiptBody(Body, frozen=True):
    """Ids of reports the hub has committed: the gateway may drop them from its outbox."""

    ids: Annotated[list[Id], msgspec.Meta(min_length=1, max_length=MAX_RECEIPT_IDS)]


class UpdateOffer(Body, frozen=True):
    """The release a `command` of `update` offers (docs/updates.md): the terminal fetches
    `url` when idle, checks the bundle's `sha256` and `size`, then its signature against
    the release key in its own bundle; a lower version only with `allow_downgrade`."""

    version: ReleaseVersion
    url: Annotated[str, msgspec.Meta(max_length=512, pattern=r"\Ahttps?://[!-~]+\Z")]
    sha256: Sha256Hex
    size: Annotated[int, msgspec.Meta(ge=1, le=512 * 1024 * 1024)]
    allow_downgrade: bool = False


class CommandBody(Body, frozen=True):
    command: CommandName
    order_id: Id | None = None
    text: PrintText = ""
    rollcall_id: Id | None = None
    answer_by: Time | None = None
    expires_at: Time | None = None
    update: UpdateOffer | None = None

    def __post_init__(self) -> None:
        """点名 (`rollcall`) carries its id, answer-by and expiry, and `update` its release;
        no other command carries either, so a terminal never has to guess which a command
        means. msgspec turns these into a ValidationError on decode and `encode` converts
        first, so the hub cannot sign a malformed one."""
        fields = (self.rollcall_id, self.answer_by, self.expires_at)
        if self.command == "rollcall":
            if any(f is None for f in fields):
                raise ValueError("a rollcall command needs rollcall_id, answer_by and expires_at")
            if self.expires_at < self.answer_by:  # type: ignore[operator]
                raise ValueError("a rollcall's expires_at must not be before its answer_by")
        elif any(f is not None for f in fields):
            raise ValueError("rollcall_id, answer_by and expires_at belong to rollcall only")
        if (self.command == "update") != (self.update is not None):
            raise ValueError("`update` goes with command 'update' and with no other command")


# ---- up ---------------------------------------------------------------------------------


class ReceivedBody(Body, frozen=True):
    """Sent automatically the moment an order (at `rev`) is stored on the terminal."""

    order_id: Id
    rev: Annotated[int, msgspec.Meta(ge=1)] = 1


class AckBody(Body, frozen=True):
    """签收: a person in the duty room pressed acknowledge (button or kiosk)."""

    order_id: Id
    via: Literal["button", "kiosk"] = "button"


class ArrivedBody(Body, frozen=True):
    """到场回告."""

    order_id: Id
    source: ArrivalSource
    position: Position | None = None


class FeedbackBody(Body, frozen=True):
    """处置反馈."""

    order_id: Id
    result_code: ResultCode
    text: Text


class AlarmedBody(Body, frozen=True):
    """The terminal started its alarm (buzzer and light) for this order at `rev`: sent once
    per order and rev, after the alarm pins were driven, never for an order merely stored."""

    order_id: Id
    rev: Annotated[int, msgspec.Meta(ge=1)] = 1


PrintFailure = Literal["paper_out", "offline", "error"]
"""Why a slip did not print: 缺纸 / 打印机离线 / 打印出错 (anything else the printer said)."""


class PrintedBody(Body, frozen=True):
    """The order's slip (at `rev`) left the printer; `reprint` when it was printed as 补打."""

    order_id: Id
    rev: Annotated[int, msgspec.Meta(ge=1)] = 1
    reprint: bool = False


class PrintFailedBody(Body, frozen=True):
    """The order's slip could not be printed: sent at the first failure, and again only when
    the reason changes; the job stays queued and `printed` follows once it prints."""

    order_id: Id
    reason: PrintFailure
    rev: Annotated[int, msgspec.Meta(ge=1)] = 1
    detail: Short = ""


class SelfCallBody(Body, frozen=True):
    """自接警情 (双轨制): a call for help the unit took from the public itself, recorded at
    its kiosk after handling it. `call_id` is the terminal's own id for the call; the hub
    makes one incident per (unit, call_id), with the unit's own order already in the state
    recorded. The caller's phone is masked on the terminal before signing: the full number
    never leaves the duty room (docs/wire.md)."""

    call_id: Id
    category: Name
    address: Short
    township: Name
    taken_at: Time
    summary: Text
    result_code: ResultCode
    result_text: Text
    caller_phone: MaskedPhone = ""
    arrived_at: Time | None = None  # on scene, when the unit went
    needs_assist: bool = False  # 需其他单位协助: the centre is asked to add assisting units
    assist_note: Text = ""


class RollcallAnswerBody(Body, frozen=True):
    """点名应答: the duty room answered a roll-call (button or kiosk) before it expired."""

    rollcall_id: Id
    via: Literal["button", "kiosk"] = "button"


class PositionBody(Body, frozen=True):
    position: Position
    fix_at: Time
    source: Literal["gps", "tracker"] = "gps"


class GpsHealth(Body, frozen=True):
    fix: bool
    age_s: Annotated[float, msgspec.Meta(ge=0)] | None = None
    satellites: Annotated[int, msgspec.Meta(ge=0)] | None = None


PrinterState = Literal["ok", "paper_out", "paper_low", "offline", "unknown"]


class UpdateFailure(Body, frozen=True):
    """The last release this terminal gave up, carried in every health report until a
    newer release is confirmed: the hub halts the rollout that offered it."""

    version: ReleaseVersion
    reason: UpdateFailureReason
    at: Time
    detail: Short = ""


class HealthBody(Body, frozen=True):
    version: Short
    uptime_s: Annotated[float, msgspec.Meta(ge=0)]
    printer: PrinterState
    outbox_depth: Annotated[int, msgspec.Meta(ge=0)]
    alarm_active: bool = False
    open_orders: Annotated[int, msgspec.Meta(ge=0)] = 0
    gps: GpsHealth | None = None
    clock_offset_s: float | None = None
    unprinted: Annotated[int, msgspec.Meta(ge=0)] = 0
    update_failed: UpdateFailure | None = None
    update_trial: bool = False
    """`version` is a release on trial, not yet READY and connected (docs/updates.md)."""


# ---- state (retained) -------------------------------------------------------------------


class StateBody(Body, frozen=True):
    status: Literal["online", "offline"]
    health: HealthBody | None = None


DOWN_KINDS: Final[dict[str, type[Body]]] = {
    "order": OrderBody,
    "cancel": CancelBody,
    "receipt": ReceiptBody,
    "command": CommandBody,
}
UP_KINDS: Final[dict[str, type[Body]]] = {
    "received": ReceivedBody,
    "ack": AckBody,
    "arrived": ArrivedBody,
    "feedback": FeedbackBody,
    "alarmed": AlarmedBody,
    "printed": PrintedBody,
    "print_failed": PrintFailedBody,
    "position": PositionBody,
    "health": HealthBody,
    "selfcall": SelfCallBody,
    "rollcall_answer": RollcallAnswerBody,
}
STATE_KINDS: Final[dict[str, type[Body]]] = {"state": StateBody}
ALL_KINDS: Final[dict[str, type[Body]]] = {**DOWN_KINDS, **UP_KINDS, **STATE_KINDS}

RESULT_NAMES: Final[dict[str, str]] = {
    "resolved": "已处置",
    "referred": "已移交",
    "no_action_needed": "无需处置",
    "unable": "无法处置",
    "false_report": "虚假警情",
}
PRIORITY_NAMES: Final[dict[str, str]] = {"critical": "特急", "urgent": "紧急", "normal": "一般"}
