"""双轨制 and phone units in the demo: one call a duty room took itself, one call for a unit
that has no terminal.

- A self-taken call (自接): a third of the way through, the water company's duty room
  records at its kiosk a burst main it took from the public itself (the kiosk's own code
  path, `Gateway.record_selfcall`), asking for traffic police to help; the hub makes it an
  incident marked 自接 and the simulated operator adds the traffic police as assisting unit.
- A phone unit (电话联络): halfway, a telecom line down goes to China Telecom, a tier-2
  unit without a terminal. Nothing is sent to it over MQTT; the simulated operator phones
  its duty room and records 通知已送达, 已签收 (by whom), 已到场 and 反馈 as told, each as
  `operator:demo` (the console's 电话录入 calls the same `Desk.record_by_phone`).

Times are county time on the shared clock.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from demo.fleet import Fleet
from demo.scenario import IntakeClient
from hub.errors import HubError
from hub.runtime import Hub
from wire.clock import Clock, shanghai

log = logging.getLogger(__name__)

SELF_UNIT = "water-co"
ASSIST_UNIT = "traffic-police"
PHONE_CATEGORY = "telecom-line-down"
OPERATOR = "demo"
PHONE_STEPS: tuple[tuple[float, str, dict[str, str]], ...] = (
    (20.0, "delivered", {}),  # county seconds after the call: the operator phones at once
    (100.0, "acknowledged", {"taken_by": "值班员 李明"}),
    (40 * 60.0, "arrived", {"text": "抢修车已到现场"}),
    (75 * 60.0, "fed_back", {"result_code": "resolved", "text": "光缆熔接完毕，通信恢复。"}),
)


@dataclass
class DualTrack:
    hub: Hub
    fleet: Fleet
    clock: Clock
    note: Callable[[str], None]
    self_at_s: float
    phone_at_s: float
    incidents: list[str] = field(default_factory=list)
    self_incident: str | None = None
    phone_order: str | None = None
    _call_id: str | None = None
    _phone_posted_at: datetime | None = None
    _taken_at: datetime | None = None
    _phone_next: int = 0
    _assisted: bool = False

    def step(self, elapsed_s: float, client: IntakeClient, run: str) -> None:
        """One pass of the demo's loop: record, post, look and phone as the time comes."""
        if self._call_id is None and elapsed_s >= self.self_at_s:
            self._record_self_call()
        if self._call_id is not None and self.self_incident is None:
            self._find_self_incident()
        if self.self_incident is not None and not self._assisted:
            self._assist()
        if self._phone_posted_at is None and elapsed_s >= self.phone_at_s:
            self._post_phone_call(client, run)
        if self.phone_order is not None:
            self._phone()

    def idle(self) -> bool:
        """Both done: the self-taken call at the hub with its assist sent, the phone unit's
        order fed back."""
        return self._assisted and self._phone_next >= len(PHONE_STEPS)

    def earliest(self) -> list[datetime]:
        """The back-dated time the self-taken call was taken, once recorded: its order is
        dispatched then, so the demo's report range must reach back to it."""
        return [self._taken_at] if self._taken_at is not None else []

    def rows(self) -> list[tuple[str, str, str]]:
        """The summary's rows."""
        return [
            ("自接警情", "self-recorded calls", str(int(self.self_incident is not None))),
            ("电话联络录入", "phone records", f"{min(self._phone_next, len(PHONE_STEPS))}"),
        ]

    # ---- the self-taken call -------------------------------------------------------------
    def _record_self_call(self) -> None:
        gw = self.fleet.terminals[SELF_UNIT].gw
        now = self.clock.now()
        self._taken_at = now - timedelta(minutes=40)
        self._call_id = gw.record_selfcall(
            category="water-main-burst",
            township="tuodian",
            address="妥甸镇南街 3 号",
            taken_at=self._taken_at,
            summary="群众直接来电：南街供水管爆裂，路面积水。",
            result_code="resolved",
            result_text="已关阀抢修，恢复供水。",
            caller_phone="13912345678",  # masked on the terminal: 139****5678
            arrived_at=now - timedelta(minutes=25),
            needs_assist=True,
            assist_note="需交警协助疏导交通",
        )
        self.note(f"自接 self-taken call: {SELF_UNIT} 在终端登记了自接警情 recorded at its kiosk")

    def _find_self_incident(self) -> None:
        found = self.hub.desk.incident_by_source(f"unit:{SELF_UNIT}", self._call_id or "")
        if found is not None:
            self.self_incident = found.id
            self.incidents.append(found.id)
            self.note(f"自接 self-taken call at the hub: incident {found.id} (标记 自接)")

    def _assist(self) -> None:
        try:
            self.hub.desk.add_assist(
                self.self_incident or "", ASSIST_UNIT, by=OPERATOR, note="疏导交通"
            )
        except HubError as e:
            log.warning("assist for the self-taken call not sent: %s", e)
        self._assisted = True
        self.note(f"视情指令 operator adds {ASSIST_UNIT} to the self-taken call")

    # ---- the unit without a terminal -------------------------------------------------------
    def _post_phone_call(self, client: IntakeClient, run: str) -> None:
        now = self.clock.now()
        self._phone_posted_at = now
        body = {
            "source_id": f"J{run}P001",
            "category": PHONE_CATEGORY,
            "township": "tuodian",
            "address": "妥甸镇玉屏路 18 号",
            "caller_phone": "13787654321",
            "summary": "路边通信光缆被挖断，附近小区断网断话。",
            "reported_at": shanghai(now).isoformat(timespec="seconds"),
        }
        try:
            incident = client.post(body)
        except (RuntimeError, OSError) as e:
            log.error("the phone unit's call was not taken: %s", e)
            self._phone_next = len(PHONE_STEPS)
            return
        self.incidents.append(str(incident["id"]))
        leads = [o for o in incident.get("orders", []) if o.get("role") == "lead"]
        self.phone_order = str(leads[0]["id"]) if leads else None
        self.note("电话联络 call for china-telecom (无终端 no terminal): 值班员电话通知 phoned")

    def _phone(self) -> None:
        assert self._phone_posted_at is not None  # noqa: S101
        elapsed = (self.clock.now() - self._phone_posted_at).total_seconds()
        while self._phone_next < len(PHONE_STEPS) and elapsed >= PHONE_STEPS[self._phone_next][0]:
            _, step, extra = PHONE_STEPS[self._phone_next]
            try:
                self.hub.desk.record_by_phone(self.phone_order or "", step, by=OPERATOR, **extra)
            except HubError as e:
                log.warning("phone record %s not taken: %s", step, e)
            self._phone_next += 1
            self.note(f"电话录入 phone record: china-telecom {step}")
