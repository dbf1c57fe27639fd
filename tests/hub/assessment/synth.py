"""A seeded synthetic county period driven through the real hub, for the assessment tests
and the benchmark.

Calls come from the demo's scenario generator (`demo.scenario.make_calls`) and go through
`TestService.intake`; every terminal report is a message signed with the unit's own key from
a throwaway county PKI and handed to the hub's real `Uplink.handle` (signature
checked against the unit certificate, dedupe, judged time), with a `FakeClock` moved to each
moment in turn: nothing sleeps. The mix: units with their own pace, offline terminals whose
reports arrive long after they were made, terminals with a wrong clock (clock_suspect),
cancelled and reassigned orders, incidents closed before every unit fed back, weekly drills,
and the deadline engine firing as it would.
"""

from __future__ import annotations

import heapq
import itertools
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from demo.scenario import make_calls
from hub.dispatch.deadlines import DeadlineEngine
from hub.registry import Registry
from hub.terminals.unit_certs import UnitKeys
from hub.terminals.uplink import Uplink
from tests.support.hubparts import TestService
from tests.support.pki import ThrowawayPKI
from wire import codec, topics
from wire import kinds as k
from wire.clock import FakeClock, shanghai
from wire.signing import Signer


class _Quiet:
    def notify(self, escalation: object) -> None:
        """The engine's escalations are not what these tests look at."""


@dataclass
class Sim:
    service: TestService
    clock: FakeClock
    handler: Uplink
    signers: dict[str, Signer]
    rng: random.Random
    engine: DeadlineEngine
    queue: list[tuple[datetime, int, Callable[[], None]]] = field(default_factory=list)
    counter: itertools.count[int] = field(default_factory=itertools.count)
    pace: dict[str, float] = field(default_factory=dict)
    stats: dict[str, int] = field(default_factory=dict)

    def at(self, when: datetime, action: Callable[[], None]) -> None:
        heapq.heappush(self.queue, (when, next(self.counter), action))

    def bump(self, key: str) -> None:
        self.stats[key] = self.stats.get(key, 0) + 1

    def send(self, unit: str, kind: str, body: k.Body, made: datetime) -> None:
        _, payload = codec.encode(kind, unit, body, self.signers[unit], at=made)
        self.handler.handle(topics.up(self.service.county, unit), payload)

    def run(self) -> None:
        last_engine = None
        while self.queue:
            when, _, action = heapq.heappop(self.queue)
            if when > self.clock.now():
                self.clock.set(when)
            action()
            if last_engine is None or (when - last_engine).total_seconds() >= 300:
                self.engine.run_due()
                last_engine = when
        self.engine.run_due()

    # ---- one order's life --------------------------------------------------------------
    def plan_order(self, order_id: str, unit: str, dispatched: datetime, scene: bool) -> None:
        """Schedule the terminal's reports for one order, with this unit's pace."""
        rng, pace = self.rng, self.pace.setdefault(unit, self.rng.uniform(0.5, 2.2))
        t_recv = rng.uniform(1, 20) * pace
        t_ack = t_recv + rng.expovariate(1 / (50 * pace))
        t_arr = t_ack + rng.uniform(3, 20) * 60 * pace
        t_fb = t_arr + rng.expovariate(1 / (3 * 3600 * pace)) + 600
        plan: list[tuple[str, k.Body, float]] = [
            ("received", k.ReceivedBody(order_id=order_id), t_recv)
        ]
        if rng.random() > 0.04 / pace:
            plan.append(("ack", k.AckBody(order_id=order_id), t_ack))
            if scene and rng.random() > 0.03:
                body = k.ArrivedBody(order_id=order_id, source=rng.choice(["button", "gps"]))
                plan.append(("arrived", body, t_arr))
            if rng.random() > 0.05:
                text = "已到场处置完毕，现场恢复正常。"
                plan.append(
                    (
                        "feedback",
                        k.FeedbackBody(order_id=order_id, result_code="resolved", text=text),
                        t_fb,
                    )
                )
        offline = rng.random() < 0.08
        delay = rng.uniform(600, 7200) if offline else 0.0
        if offline:
            self.bump("offline_orders")
        for kind, body, after in plan:
            made = dispatched + timedelta(seconds=after)
            if rng.random() < 0.01:  # a terminal with a wrong clock claims an impossible time
                signed = dispatched - timedelta(hours=3)
                self.bump("clock_suspect")
            else:
                signed = made
            self.at(
                made + timedelta(seconds=delay + rng.uniform(0, 0.5)),
                lambda u=unit, kd=kind, b=body, s=signed: self.send(u, kd, b, s),
            )


def _intake(sim: Sim, registry: Registry, call_body: dict[str, object]) -> None:
    view, _ = sim.service.intake(call_body, source="cad-110")
    rng = sim.rng
    for order in view.orders:
        sim.bump("orders")
        scene = registry.categories[view.category].scene
        roll = rng.random()
        if order.role == "lead" and roll < 0.03:
            sim.bump("cancelled")
            when = order.dispatched_at + timedelta(minutes=rng.uniform(1, 20))
            sim.at(when, lambda o=order.id: _end(sim, o, None))
            sim.plan_order(order.id, order.unit, order.dispatched_at, scene)
        elif order.role == "lead" and roll < 0.06:
            sim.bump("reassigned")
            when = order.dispatched_at + timedelta(minutes=rng.uniform(2, 10))
            target = "tuodian-gov" if order.unit != "tuodian-gov" else "housing"
            sim.at(when, lambda o=order.id, t=target: _end(sim, o, t))
            sim.plan_order(order.id, order.unit, order.dispatched_at, scene)
        else:
            sim.plan_order(order.id, order.unit, order.dispatched_at, scene)
    sim.at(
        view.orders[0].dispatched_at + timedelta(hours=rng.uniform(20, 40)),
        lambda i=view.id: _close(sim, i),
    )


def _end(sim: Sim, order_id: str, reassign_to: str | None) -> None:
    order = sim.service.order(order_id)
    if order.state not in ("dispatched", "received", "acknowledged", "arrived", "fed_back"):
        return
    if reassign_to is None:
        sim.service.cancel_order(order_id, by="值班员", reason="报警人来电说明已自行解决")
        return
    new = sim.service.reassign(order_id, reassign_to, by="值班员", reason="属地改派")
    sim.bump("orders")
    sim.plan_order(new.id, new.unit, new.dispatched_at, True)


def _close(sim: Sim, incident_id: str) -> None:
    if sim.service.incident(incident_id).state == "open":
        sim.service.close_incident(incident_id, by="值班员", note="办结")


def _drill(sim: Sim, units: list[str]) -> None:
    for view in sim.service.send_drill(units, by="平安办"):
        sim.bump("drill_orders")
        sim.plan_order(view.id, view.unit, view.dispatched_at, True)


def simulate(
    root: Path,
    registry: Registry,
    *,
    start: datetime,
    days: int,
    calls: int,
    seed: int,
) -> tuple[TestService, FakeClock, dict[str, int]]:
    """Run `calls` calls over `days` days from `start` through a real hub at `root`."""
    test_pki = ThrowawayPKI.create(root / "pki-src")
    pki_dir = root / "pki"
    (pki_dir / "ca").mkdir(parents=True, exist_ok=True)
    (pki_dir / "ca" / "ca.crt").write_bytes(test_pki.ca_path.read_bytes())
    signers: dict[str, Signer] = {}
    for unit in registry.units:
        cert, key = test_pki.client(unit)
        (pki_dir / "units" / unit).mkdir(parents=True, exist_ok=True)
        (pki_dir / "units" / unit / "unit.crt").write_bytes(cert.read_bytes())
        signers[unit] = Signer.from_pem(key.read_bytes())
    clock = FakeClock(start)
    service = TestService.open(root / "hub.sqlite3", registry=registry, clock=clock)
    keys = UnitKeys(pki_dir)  # certificates are checked against the real time they were made
    handler = service.parts.uplink(keys)
    rng = random.Random(seed)
    sim = Sim(service, clock, handler, signers, rng, service.parts.engine(notifier=_Quiet()))
    span_s = days * 86400 - 2 * 86400  # leave the last two days for the reports to come in
    for call in make_calls(registry, calls, seed):
        when = start + timedelta(seconds=rng.uniform(0, span_s))
        body = {
            "source_id": f"J{seed}{call.index + 1:06d}",
            "category": call.category,
            "township": call.township,
            "address": call.address,
            "lat": round(call.lat, 6),
            "lon": round(call.lon, 6),
            "caller_phone": call.phone,
            "summary": call.summary,
            "reported_at": shanghai(when).isoformat(timespec="seconds"),
        }
        sim.at(when, lambda b=body: _intake(sim, registry, b))
    drill_units = ["fire", "health-120", "tuodian-gov", "power-co"]
    for week in range(days // 7):
        sim.at(start + timedelta(days=7 * week + 3, hours=2), lambda: _drill(sim, drill_units))
    with service.store.write():  # one commit for the whole run: each call joins it
        sim.run()
    return service, clock, sim.stats
