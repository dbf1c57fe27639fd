"""The duty rooms: people who acknowledge, drive to the scene and report back.

One thread watches every terminal's own order book (what the duty room sees on its
screen) and acts through the terminal's real inputs: the acknowledge button on the mock
pins (or the kiosk when several orders alarm at once), the vehicle whose GPS receiver lets
the terminal report arrival by itself, and the feedback form. Most rooms acknowledge within
three minutes, some are late. One unit loses its network for a while (`Outage`), and its
staff carry on regardless: their reports wait in the terminal's outbox.

All delays are county time (the shared clock), so the speed-up applies to the people too.
"""

from __future__ import annotations

import logging
import random
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from demo.fleet import Fleet, Terminal
from demo.scenario import RESULTS
from gateway.errors import GatewayError
from gateway.state.orders import OrderView
from wire.clock import Clock
from wire.geo import distance_m

log = logging.getLogger(__name__)

LATE_SHARE = 0.15
"""Share of orders acknowledged after the three-minute deadline."""
CREW_NO_POSITION_S = 600.0
"""County seconds a crew takes to reach a place the order gives no position for."""
STUCK_AT_SCENE_S = 120.0
"""County seconds on scene without a GPS arrival before someone presses the arrival button."""


@dataclass
class Plan:
    """What the duty room will do with one order, decided when it first shows up."""

    unit: str
    order_id: str
    scene: tuple[float, float] | None
    seen: datetime
    ack_at: datetime
    prep_s: float
    on_scene_s: float
    report_s: float
    result: tuple[str, str]
    acked: bool = False
    phase: str = "alarm"  # alarm -> prep -> driving -> handling, or alarm -> crew -> handling
    depart_at: datetime | None = None
    at_scene_since: datetime | None = None
    free_at: datetime | None = None
    crew_at: datetime | None = None
    kmh: float = 30.0  # in town
    kmh_far: float = 60.0  # beyond 5 km
    feedback_at: datetime | None = None
    done: bool = False


@dataclass
class Room:
    """One duty room: its plans and its vehicle's queue of scenes."""

    terminal: Terminal
    plans: dict[str, Plan] = field(default_factory=dict)
    queue: deque[str] = field(default_factory=deque)
    busy_with: str | None = None


class Outage:
    """Cut one unit's network once it holds a chosen order, restore it after a while.

    Cut after the order's `received` is receipted (so the hub knows it has the order) and
    restored once the duty room has acknowledged and reported arrival while dark, and at
    least `min_s` county seconds have passed (at most `max_s`).
    """

    def __init__(self, incident_id: str, unit: str, min_s: float = 600.0, max_s: float = 3600.0):
        self.incident_id = incident_id
        self.unit = unit
        self.min_s = min_s
        self.max_s = max_s
        self.cut_at: datetime | None = None
        self.restored_at: datetime | None = None
        self.waiting = 0  # reports in the terminal's outbox when the network came back
        self.caught_up = False

    @property
    def active(self) -> bool:
        """Cut, or restored but its reports not yet all at the hub."""
        return self.cut_at is not None and not self.caught_up


class Staff:
    def __init__(
        self,
        fleet: Fleet,
        clock: Clock,
        seed: int,
        note: Callable[[str], None],
        poll_s: float = 0.1,
    ) -> None:
        self.fleet = fleet
        self.clock = clock
        self.seed = seed
        self.note = note
        self.poll_s = poll_s
        self.rooms = {u: Room(t) for u, t in fleet.terminals.items()}
        self.outage: Outage | None = None
        self.acks_late_planned = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # ---- lifecycle -----------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="staff", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(10)

    def idle(self) -> bool:
        """Every order seen has been fed back and the network is whole again."""
        plans_done = all(p.done for r in self.rooms.values() for p in r.plans.values())
        return plans_done and not (self.outage and self.outage.active)

    def _run(self) -> None:
        while not self._stop.wait(self.poll_s):
            for room in self.rooms.values():
                try:
                    self._step(room)
                except Exception:  # one room's trouble must not stop the county
                    log.exception("duty room %s", room.terminal.unit)
            try:
                self._outage_step()
            except Exception:
                log.exception("outage")

    # ---- one duty room -------------------------------------------------------------------

    def _plan(self, unit: str, o: OrderView, now: datetime) -> Plan:
        # One generator per order, seeded by what the scenario made (not by thread timing),
        # so the same --seed gives the same duty-room behaviour run after run.
        o_ = o.order
        rng = random.Random(f"{self.seed}:{unit}:{o_.address}:{o_.summary}")  # noqa: S311
        late = rng.random() < LATE_SHARE
        ack_s = rng.uniform(200, 420) if late else rng.uniform(15, 150)
        self.acks_late_planned += int(late)
        pos = o.order.position
        return Plan(
            unit=unit,
            order_id=o.order_id,
            scene=(pos.lat, pos.lon) if pos else None,
            seen=now,
            ack_at=now + timedelta(seconds=ack_s),
            prep_s=rng.uniform(30, 150),
            on_scene_s=rng.uniform(300, 900),
            report_s=rng.uniform(60, 600),
            result=rng.choice(RESULTS),
            kmh=rng.uniform(25, 40),
            kmh_far=rng.uniform(50, 70),
        )

    def _step(self, room: Room) -> None:
        gw = room.terminal.gw
        now = self.clock.now()
        orders = {o.order_id: o for o in gw.orders.all()}
        for oid, o in orders.items():
            if oid not in room.plans and o.is_open:
                room.plans[oid] = self._plan(room.terminal.unit, o, now)
        for plan in room.plans.values():
            if plan.done:
                continue
            view = orders.get(plan.order_id)
            if view is None or not view.is_open:
                plan.done = True
                if room.busy_with == plan.order_id:
                    room.busy_with = None
                continue
            self._advance(room, plan, view, now)
        self._dispatch_vehicle(room, orders, now)

    def _advance(self, room: Room, plan: Plan, o: OrderView, now: datetime) -> None:
        gw = room.terminal.gw
        if not plan.acked and now >= plan.ack_at:
            plan.acked = True
            if not o.acked_at:
                waiting = {x.order_id for x in gw.orders.alarming() if not x.acked_at}
                if waiting == {plan.order_id}:
                    gw.press("ack")  # the panel button, on gpiozero's mock pin
                else:
                    gw.acknowledge([plan.order_id], "kiosk")
            if plan.scene is None and o.order.deadlines.arrive_by is not None:
                # a place with no position (a self-taken call's): a crew goes, phones in
                plan.phase = "crew"
                plan.crew_at = now + timedelta(seconds=plan.prep_s + CREW_NO_POSITION_S)
            elif plan.scene is None:
                plan.feedback_at = now + timedelta(seconds=plan.on_scene_s + plan.report_s)
            elif room.busy_with is None and not room.queue:
                room.queue.append(plan.order_id)  # the duty vehicle, with the GPS, goes
            else:  # the vehicle is out: a second crew goes and phones in its arrival
                plan.phase = "crew"
                km = distance_m(*room.terminal.vehicle.base, *plan.scene) / 1000
                drive_s = km / self._kmh(plan, km) * 3600
                plan.crew_at = now + timedelta(seconds=plan.prep_s + drive_s)
        if plan.phase == "crew" and (o.arrived_at or (plan.crew_at and now >= plan.crew_at)):
            if not o.arrived_at:
                gw.arrive(plan.order_id, "button")  # the duty room presses 到场 for them
            plan.phase = "handling"
            plan.feedback_at = now + timedelta(seconds=plan.on_scene_s + plan.report_s)
        if plan.feedback_at is not None and now >= plan.feedback_at and not o.fed_back_at:
            code, text = plan.result
            try:
                gw.feedback(plan.order_id, code, text)
            except GatewayError as e:
                log.info("feedback for %s not given: %s", plan.order_id, e)
            plan.done = True

    @staticmethod
    def _kmh(plan: Plan, km: float) -> float:
        """Town streets are slow, county roads faster."""
        return plan.kmh_far if km > 5 else plan.kmh

    def _dispatch_vehicle(self, room: Room, orders: dict[str, OrderView], now: datetime) -> None:
        """The vehicle takes the acknowledged scenes one at a time, in order."""
        t = room.terminal
        if room.busy_with is None:
            while room.queue:
                plan = room.plans[room.queue.popleft()]
                if not plan.done:
                    room.busy_with = plan.order_id
                    plan.phase = "prep"
                    plan.depart_at = now + timedelta(seconds=plan.prep_s)
                    break
            return
        plan = room.plans[room.busy_with]
        o = orders.get(plan.order_id)
        if plan.phase == "prep" and plan.depart_at is not None and now >= plan.depart_at:
            assert plan.scene is not None  # noqa: S101 - only scenes are queued
            km = distance_m(*t.vehicle.position(), *plan.scene) / 1000
            t.vehicle.drive_to(plan.scene, self._kmh(plan, km) / 3.6)
            plan.phase = "driving"
        elif plan.phase == "driving" and plan.scene is not None and t.vehicle.at(plan.scene):
            if o is not None and o.arrived_at:  # the terminal saw the GPS reach the scene
                plan.phase = "handling"
                plan.free_at = now + timedelta(seconds=plan.on_scene_s)
                plan.feedback_at = plan.free_at + timedelta(seconds=plan.report_s)
            elif plan.at_scene_since is None:
                plan.at_scene_since = now
            elif (now - plan.at_scene_since).total_seconds() > STUCK_AT_SCENE_S:
                t.gw.arrive(plan.order_id, "button")
        elif plan.phase == "handling" and plan.free_at is not None and now >= plan.free_at:
            room.busy_with = None

    # ---- the unit that goes dark ---------------------------------------------------------

    def _outage_step(self) -> None:
        out = self.outage
        if out is None or out.caught_up:
            return
        t = self.fleet.terminals[out.unit]
        gw = t.gw
        now = self.clock.now()
        if out.restored_at is not None:
            left = t.unsent()
            if left == 0:
                out.caught_up = True
                real = (now - out.restored_at).total_seconds() / self.clock_speed()
                self.note(
                    f"补发完毕 caught up: {out.unit} 的 {out.waiting} 条回告已送达指挥中心，"
                    f"时间按原始签名时间 {out.waiting} reports at the hub with their original"
                    f" times ({real:.0f} s real after the network returned)"
                )
            return
        mine = [o for o in gw.orders.all() if o.order.incident_id == out.incident_id]
        if not mine:
            return
        o = mine[0]
        if out.cut_at is None:
            if not gw.orders.received_pending(o.order_id) and t.netcut is not None:
                t.netcut.cut()
                out.cut_at = now
                self.note(f"断网 network cut: {out.unit} (其值班人员照常签收、到场 staff carry on)")
            return
        dark = (now - out.cut_at).total_seconds()
        if (o.arrived_at and dark >= out.min_s) or dark >= out.max_s or not o.is_open:
            out.waiting = t.unsent()
            if t.netcut is not None:
                t.netcut.restore()
            out.restored_at = now
            self.note(
                f"恢复联网 network restored: {out.unit}, 断网 {dark / 60:.0f} 分钟 min,"
                f" {out.waiting} 条回告待发 reports waiting in its outbox"
            )

    def clock_speed(self) -> float:
        speed = getattr(self.clock, "speed", 1.0)
        return float(speed) if speed else 1.0
