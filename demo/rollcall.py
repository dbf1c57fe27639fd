"""点名 in the demo: the centre calls the roll twice, and one duty room misses once.

The first round goes out as the scenario starts (before any call, so no network outage is
under way), the second once the calls are all handled. Each duty room answers a ringing
roll-call after a short while the way its people would: with the acknowledge button when
no order alarms, else on the kiosk (the button would acknowledge the orders first). One
room, drawn from the seed, does not answer the second round: the hub escalates it and the
summary counts it missed. Driven from the demo's loop (`step()`), no thread of its own.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from datetime import datetime, timedelta

from demo.fleet import Fleet
from hub.dispatch.rollcall.views import Tally
from hub.runtime import Hub
from wire.clock import Clock

log = logging.getLogger(__name__)

ANSWER_S = (15.0, 100.0)
"""County seconds a duty room takes to answer (inside the 3-minute answer-by)."""


class RollcallDrill:
    def __init__(
        self, hub: Hub, fleet: Fleet, clock: Clock, seed: int, note: Callable[[str], None]
    ) -> None:
        self.hub = hub
        self.fleet = fleet
        self.clock = clock
        self.note = note
        self.rng = random.Random(seed)  # noqa: S311 - a simulation, not a secret
        self.absent = self.rng.choice(sorted(fleet.terminals))
        """The duty room nobody answers in the second round."""
        self.rounds: list[str] = []
        self.since = clock.now()
        self._plans: dict[tuple[str, str], datetime | None] = {}
        self._tried: set[tuple[str, str]] = set()

    def call(self) -> None:
        """Call the roll of every tier-1 duty room now (as a supervisor would)."""
        self.rounds.append(self.hub.desk.rollcall_now(by="演示值班长"))
        n = len(self.rounds)
        self.note(f"点名 roll-call {n}: 全部一级单位 every tier-1 duty room")
        if n == 2:
            name = self.hub.desk.registry.units[self.absent].name_zh
            self.note(f"点名 roll-call 2: {name} 值班室无人应答 nobody answers (on purpose)")

    def step(self) -> None:
        """Duty rooms answer the roll-calls ringing at their terminals when their time comes."""
        now = self.clock.now()
        for unit, term in self.fleet.terminals.items():
            gw = term.gw
            for call in gw.rollcalls.ringing(now):
                key = (unit, call.rollcall_id)
                if key not in self._plans:
                    skip = len(self.rounds) == 2 and unit == self.absent
                    delay = self.rng.uniform(*ANSWER_S)
                    self._plans[key] = None if skip else now + timedelta(seconds=delay)
                due = self._plans[key]
                if due is None or now < due:
                    continue
                # Looked at again in a while: a press lost to the debouncer (someone pressed
                # for an order a moment before) is followed by the kiosk.
                retry = key in self._tried
                self._tried.add(key)
                self._plans[key] = now + timedelta(seconds=30)
                if gw.orders.alarming() or retry:
                    gw.answer_rollcall(call.rollcall_id, "kiosk")  # the button means the orders
                else:
                    gw.press("ack")  # the panel button answers the roll-call

    def settled(self) -> bool:
        """Both rounds called, every call answered or missed at the hub, nothing ringing."""
        if len(self.rounds) < 2:
            return False
        if any(r.count("waiting") for r in self.hub.desk.rollcall_rounds(len(self.rounds))):
            return False
        now = self.clock.now()
        return not any(t.gw.rollcalls.ringing(now) for t in self.fleet.terminals.values())

    def total(self) -> Tally:
        return self.hub.desk.rollcall_total(self.since, self.clock.now() + timedelta(seconds=1))

    def rows(self) -> tuple[list[tuple[str, str, str]], bool]:
        """The summary's rows and whether the roll-call went as planned: two rounds to every
        terminal, exactly the one planned miss."""
        t = self.total()
        rows = [
            ("点名", "roll-calls sent", str(t.sent)),
            ("点名已应答", "roll-calls answered", f"{t.answered}  (late {t.late})"),
            ("点名未应答", "roll-calls missed", f"{t.missed}  (planned 1)"),
        ]
        return rows, t.sent == 2 * len(self.fleet.terminals) and t.missed == 1
