"""The deadline engine: fires every missed deadline within a second of its time.

Deadlines live in the `deadlines` table, so a restart loses none: whatever fell due while
the hub was down fires at the first `run_due()`, marked late. The loop sleeps until the next
due time (one indexed query: `deadlines_open`), at most a second, or until a writer adds a
deadline earlier than that (`Wake.due`, `Wake.deadlines`); a pass with nothing due opens no
write transaction. Those are seconds of the injected clock, which need
not run at one second per real second (the demo's runs 60x faster, a FakeClock only when
told): the loop measures the clock's pace between passes and waits that much less real
time, so no setting has to follow the clock. Tests drive it with a FakeClock and call
`run_due()` / `tick()` / `step()`.

Firing one deadline, in one transaction: mark it fired, append an `overdue` event, for
`ack` and `arrive` queue a signed `realarm` command to the terminal, and queue the SMS of
the escalation ladder (hub/alerts/outbox.py, when `[notify]` is configured). After the
commit: the notifier and the console hear of it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from hub.alerts.notify import Escalation, LogNotifier, Notifier
from hub.alerts.outbox import Notifications
from hub.db.store import Store
from hub.db.times import must_ts, parse_ts, ts
from hub.dispatch.ledger import Ledger
from hub.dispatch.presence import Presence
from hub.dispatch.rollcall.calls import RollCalls
from hub.dispatch.rollcall.plan import RollcallPlan
from hub.dispatch.wake import Wake
from hub.metrics import HubMetrics
from hub.registry import Registry
from wire import kinds as k
from wire.clock import Clock

log = logging.getLogger(__name__)

LATE_AFTER_S = 2.0
"""A deadline fired more than this after its time is marked late (the hub was down)."""
PROBE_S = 0.01
"""Real seconds of a wait while the clock's pace is not yet known (a second at 100x)."""
BATCH = 500
OPEN = "fired_at IS NULL AND met_at IS NULL AND void_at IS NULL"
DUE_QUERY = (
    "SELECT d.order_id, d.name, d.due_at, o.incident_id, o.unit, o.drill"
    " FROM deadlines d JOIN orders o ON o.id = d.order_id"
    " WHERE d.fired_at IS NULL AND d.met_at IS NULL AND d.void_at IS NULL AND d.due_at <= ?"
    " ORDER BY d.due_at LIMIT ?"
)
REALARM = {"ack": "请立即签收", "arrive": "到场时限已过，请尽快到场并回告"}


class DeadlineEngine:
    def __init__(
        self,
        store: Store,
        ledger: Ledger,
        registry: Registry,
        clock: Clock,
        wake: Wake,
        metrics: HubMetrics,
        presence: Presence,
        *,
        notifier: Notifier | None = None,
        notifications: Notifications | None = None,
        rollcalls: RollCalls | None = None,
        plan: RollcallPlan | None = None,
        max_sleep_s: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.ledger = ledger
        self.registry = registry
        self.clock = clock
        self.wake = wake
        self.metrics = metrics
        self.presence = presence
        self.notifier: Notifier = notifier or LogNotifier()
        self.notifications = notifications
        """The SMS outbox (hub/alerts/outbox.py), written in the deadline's transaction."""
        self.rollcalls = rollcalls
        """点名: its answer-by times are deadlines too (hub/dispatch/rollcall/)."""
        self.plan = plan
        self.max_sleep_s = max_sleep_s
        """The longest wait between passes, in seconds of the hub's clock."""
        self._monotonic = monotonic
        self._last_pass: tuple[float, datetime] | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def next_due(self) -> datetime | None:
        row = self.store.one(f"SELECT min(due_at) AS due FROM deadlines WHERE {OPEN}")  # noqa: S608 - constant
        due = [parse_ts(row["due"]) if row else None]
        if self.rollcalls:
            due.append(self.rollcalls.next_due())
        return min((d for d in due if d is not None), default=None)

    def run_due(self) -> int:
        """Fire everything due now (a scheduled roll-call included); returns how many fired."""
        fired = 0
        if self.plan:
            self.plan.run_due()
        while self.rollcalls:
            missed = self.rollcalls.fire_due(
                self.notifications.enqueue if self.notifications else None
            )
            fired += len(missed)
            for esc in missed:
                self._after(esc)
            if not missed:
                break
        while True:
            batch = self._fire_batch()
            fired += len(batch)
            for esc in batch:
                self._after(esc)
            if len(batch) < BATCH:
                return fired

    def _fire_batch(self) -> list[Escalation]:
        now = self.clock.now()
        out: list[Escalation] = []
        nxt = self.next_due()
        if nxt is None or nxt > now:
            return out  # nothing due: no write transaction (one read, on the index)
        with self.store.write() as db:
            rows = self.store.query(DUE_QUERY, (ts(now), BATCH))
            for r in rows:
                due = must_ts(r["due_at"])
                late = (now - due) > timedelta(seconds=LATE_AFTER_S)
                db.execute(
                    "UPDATE deadlines SET fired_at=?, fired_late=? WHERE order_id=? AND name=?",
                    (ts(now), int(late), r["order_id"], r["name"]),
                )
                self.ledger.event(
                    db,
                    at=now,
                    recorded_at=now,
                    type="overdue",
                    source="engine",
                    incident_id=r["incident_id"],
                    order_id=r["order_id"],
                    unit=r["unit"],
                    detail={"deadline": r["name"], "due_at": r["due_at"]},
                    late=late,
                )
                if r["name"] in REALARM:
                    body = k.CommandBody(
                        command="realarm", order_id=r["order_id"], text=REALARM[r["name"]]
                    )
                    self.ledger.enqueue(db, "command", r["unit"], body, now, order_id=r["order_id"])
                unit = self.registry.units.get(r["unit"])
                esc = Escalation(
                    order_id=r["order_id"],
                    incident_id=r["incident_id"],
                    unit=r["unit"],
                    deadline=r["name"],
                    due_at=due,
                    fired_at=now,
                    late=late,
                    drill=bool(r["drill"]),
                    duty_phones=unit.duty_phones if unit else (),
                )
                if self.notifications is not None:
                    self.notifications.enqueue(db, esc)
                out.append(esc)
        return out

    def _after(self, esc: Escalation) -> None:
        self.metrics.fired.labels(esc.deadline).inc()
        try:
            self.notifier.notify(esc)
        except Exception:  # a broken modem must not stop the engine
            log.exception("notifier failed for order %s", esc.order_id)
        update: dict[str, Any] = {
            "type": "escalation",
            "id": esc.order_id,
            "incident_id": esc.incident_id,
            "unit": esc.unit,
            "deadline": esc.deadline,
            "late": esc.late,
        }
        self.wake.live.publish(update)
        self.wake.outbox.set()

    def sweep_presence(self) -> list[str]:
        """Mark units offline that have not been heard from within `stale_after_s`."""
        return self.presence.sweep()

    def tick(self) -> int:
        fired = self.run_due()
        self.sweep_presence()
        return fired

    def step(self) -> float:
        """One pass of the loop: `tick()`, then how many real seconds to wait for the next.

        The wait is the clock time to the next due time, at most `max_sleep_s`, divided by
        the clock's pace (clock seconds per real second since the last pass, at least 1, so
        a FakeClock that stands still waits as a real clock would).
        """
        self.tick()
        nxt = self.next_due()
        self.wake.next_due = nxt
        now = self.clock.now()
        wait = self.max_sleep_s
        if nxt is not None:
            wait = min(wait, max(0.0, (nxt - now).total_seconds()))
        real, last = self._monotonic(), self._last_pass
        self._last_pass = (real, now)
        if last is None or real <= last[0]:
            return min(wait, PROBE_S)  # first pass: look again soon, by then the pace is known
        pace = (now - last[1]).total_seconds() / (real - last[0])
        return wait / max(1.0, pace)

    # ---- thread ------------------------------------------------------------------------------
    def start(self) -> None:
        self._stop.clear()
        self._last_pass = None
        self._thread = threading.Thread(target=self._loop, name="hub-deadlines", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.wake.deadlines.set()
        if self._thread:
            self._thread.join(10)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.wake.deadlines.clear()  # before the pass: no wake-up is lost
            try:
                wait = self.step()
            except Exception:  # keep firing deadlines whatever one batch did
                log.exception("deadline engine pass failed")
                wait = self.max_sleep_s
            self.wake.deadlines.wait(wait)
