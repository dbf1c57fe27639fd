"""The terminal: one Gateway object wires the store, the link, the alarm, the printer, the
buttons, the GPS and the kiosk together, and holds the duty-room actions they share.

Built from a config object plus an injected clock, started and stopped in-process
(threads only), so the demo can run a fleet of terminals in one process and tests can
drive one deterministically. `liandong-gateway run` is a thin shell around it.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from gateway.config import GatewayConfig, check_files
from gateway.devices.alarm import Alarm, choose_pattern
from gateway.devices.gps import Fix, GpsReader, NmeaParser
from gateway.devices.pins import Debouncer, Pins
from gateway.devices.printer import Printer
from gateway.devices.spool import Spooler
from gateway.errors import UnknownOrderError
from gateway.health.metrics import Metrics
from gateway.health.screen import order_view
from gateway.state.orders import OrderBook, OrderView, Outcome
from gateway.state.store import Store
from gateway.uplink.link import Link
from gateway.uplink.sender import WINDOW, Sender
from gateway.uplink.signer import Reporter
from wire import Signer, Verifier, WireError, decode
from wire.clock import Clock, SystemClock
from wire.codec import Message
from wire.geo import distance_m
from wire.kinds import (
    CancelBody,
    CommandBody,
    GpsHealth,
    HealthBody,
    Position,
    PositionBody,
    ReceiptBody,
)

log = logging.getLogger(__name__)

try:
    VERSION = importlib.metadata.version("liandong")
except importlib.metadata.PackageNotFoundError:  # pragma: no cover (running from a tree)
    VERSION = "0.0.0"

FIX_FRESH_S = 10.0
"""A fix older than this does not count as a current fix in health."""
ARRIVAL_FIX_MAX_AGE_S = 600.0
"""The arrival button attaches the last good fix if it is younger than this."""
POSITION_EVERY_S = 60.0
"""While an order waits for arrival, the unit's position goes to the hub this often."""


class Gateway:
    """One duty-room terminal."""

    def __init__(
        self,
        config: GatewayConfig,
        clock: Clock | None = None,
        *,
        pin_factory: Any | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        health_interval: float = 30.0,
        resend_s: float = 30.0,
        window: int = WINDOW,
        print_retry_s: float = 5.0,
    ) -> None:
        check_files(config)
        self.config = config
        self.unit = config.unit_id
        self.clock: Clock = clock or SystemClock()
        self.monotonic = monotonic
        self.health_interval = health_interval
        self.verifier = Verifier.from_pem(config.mqtt.hub_key.read_bytes())
        self.reporter = Reporter(
            self.unit, Signer.from_pem(config.mqtt.key.read_bytes()), self.clock
        )
        self.store = Store(config.state_dir / "gateway.sqlite3", self.clock)
        self.orders = OrderBook(self.store, self.reporter)
        self.metrics = Metrics(self)
        self.pins = Pins(config.pins, pin_factory)
        self.alarm = Alarm(self.pins.buzzer, self.pins.light, monotonic)
        self.last_press: dict[str, str | None] = {"ack": None, "arrive": None}
        self.ack_debouncer = Debouncer(self._on_ack_button, monotonic=monotonic)
        self.arrive_debouncer = Debouncer(self._on_arrive_button, monotonic=monotonic)
        self.pins.on_buttons(self.ack_debouncer, self.arrive_debouncer)
        self.printer = Printer(config.printer)
        self.spooler = Spooler(self.orders, self.printer, self.clock, self.unit, print_retry_s)
        self.sender = Sender(
            self.store, self._publish_up, window=window, resend_s=resend_s, monotonic=monotonic
        )
        self.link = Link(
            config,
            will=self.reporter.state(None),
            on_down=self.handle_down,
            on_connected=self._on_connected,
            on_disconnected=self.sender.on_disconnect,
            on_puback=self.sender.on_puback,
            window=window,
        )
        self.gps_parser = NmeaParser(self.clock)
        self.gps = GpsReader(
            config.gps.port if config.gps else "",
            config.gps.baudrate if config.gps else 9600,
            self.gps_parser,
            self.on_fix,
        )
        self.arrival_radius_m = config.gps.arrival_radius_m if config.gps else 150.0
        self.last_fix: Fix | None = None
        self._last_position_at: datetime | None = None
        self._offsets: deque[float] = deque(maxlen=20)
        self._started = monotonic()
        self._stop = threading.Event()
        self._health_thread: threading.Thread | None = None
        self.ready = threading.Event()

    # ---- lifecycle -----------------------------------------------------------------------

    def start(self) -> None:
        """Resume what a power cut interrupted, then start every part. Ready = can alarm."""
        self._started = self.monotonic()
        self.orders.resume_after_start()
        self.refresh_alarm()
        self.alarm.start()
        self.spooler.start()
        self.sender.start()
        self.link.start()
        if self.config.gps:
            self.gps.start()
        self._health_thread = threading.Thread(target=self._health_loop, name="health", daemon=True)
        self._health_thread.start()
        self.ready.set()
        log.info("terminal %s ready", self.unit)

    def stop(self) -> None:
        self._stop.set()
        self.gps.stop()
        self.link.stop(offline_state=self.reporter.state(None))
        self.sender.stop()
        self.spooler.stop()
        self.alarm.stop()
        if self._health_thread:
            self._health_thread.join(3)
        self.printer.close()
        self.pins.close()
        self.store.close()
        self.ready.clear()

    def alive(self) -> bool:
        """For the systemd watchdog: every thread that must run is running."""
        threads = [
            self.alarm._thread,
            self.spooler._thread,
            self.sender._thread,
            self._health_thread,
        ]
        return all(t is not None and t.is_alive() for t in threads)

    # ---- down messages -------------------------------------------------------------------

    def handle_down(self, raw: bytes) -> None:
        """Verify, store, then act. Called on paho's thread; returns after the commit."""
        try:
            msg = decode(raw, self.verifier, unit=self.unit, direction="down")
        except WireError as e:
            self.metrics.rejected.labels(reason=e.reason).inc()
            log.warning("rejected a down message (%s): %s", e.reason, e)
            return
        self.metrics.received.labels(kind=msg.kind).inc()
        self._offsets.append((msg.at - self.clock.now()).total_seconds())
        if self.orders.seen(msg.id):
            self.metrics.duplicates.inc()
            return
        handler = {
            "order": self._on_order,
            "cancel": self._on_cancel,
            "receipt": self._on_receipt,
            "command": self._on_command,
        }[msg.kind]
        handler(msg)

    def _on_order(self, msg: Message) -> None:
        outcome = self.orders.accept(msg)
        if outcome is Outcome.DUPLICATE:
            self.metrics.duplicates.inc()
            order_id = msg.body.order_id  # type: ignore[attr-defined]
            if self.orders.received_pending(order_id):
                self.sender.new_round()  # the hub has not got our `received`: send again now
            return
        log.info("order %s stored (%s)", msg.body.order_id, outcome.value)  # type: ignore[attr-defined]
        self.refresh_alarm()
        self.spooler.kick()
        self.sender.kick()

    def _on_cancel(self, msg: Message) -> None:
        if not isinstance(msg.body, CancelBody):
            raise TypeError("expected a CancelBody")
        if self.orders.cancel(msg):
            log.info("order %s cancelled", msg.body.order_id)
            self.refresh_alarm()
            self.spooler.kick()

    def _on_receipt(self, msg: Message) -> None:
        if not isinstance(msg.body, ReceiptBody):
            raise TypeError("expected a ReceiptBody")
        with self.store.tx():
            self.orders.mark_seen(msg)
            removed = self.store.outbox_remove(msg.body.ids)
        self.sender.on_receipt(removed)

    def _on_command(self, msg: Message) -> None:
        body = msg.body
        if not isinstance(body, CommandBody):
            raise TypeError("expected a CommandBody")
        log.info("command %s (order %s)", body.command, body.order_id)
        # Seen and done in one commit: a kill between them must not leave a command marked
        # seen (so skipped when the broker delivers it again) but never carried out.
        with self.store.tx():
            self.orders.mark_seen(msg)
            if body.command == "silence":
                self.orders.set_alarming(body.order_id, False)
            elif body.command == "realarm":
                ids = [body.order_id] if body.order_id else [o.order_id for o in self._unacked()]
                for order_id in ids:
                    if self._still_needs_action(order_id):
                        self.orders.set_alarming(order_id, True)
            elif body.command == "test_print":
                self.orders.queue_print("", "test", body.text)
        if body.command == "test_print":
            self.spooler.kick()
        elif body.command == "resync":
            self.sender.new_round()
            self.link.publish_state(self.reporter.state(self.health()))
        self.refresh_alarm()

    # ---- the duty room's actions (buttons and kiosk share these) --------------------------

    def _still_needs_action(self, order_id: str) -> bool:
        """Whether a hub `realarm` should sound for this order.

        The hub escalates by its own view, which lags what the duty room has already done
        while the link was down (the ack may still sit in our outbox). Re-sounding the buzzer
        for an order that is acknowledged and on time, on scene or fed back would teach the
        room to ignore it, so only an order still waiting for a person sounds again: not yet
        acknowledged, or past its on-scene deadline with no arrival.
        """
        try:
            view = self.orders.get(order_id)
        except UnknownOrderError:
            return False
        if not view.is_open or view.fed_back_at:
            return False
        if not view.acked_at:
            return True
        arrive_by = view.order.deadlines.arrive_by
        return view.arrived_at is None and arrive_by is not None and self.clock.now() >= arrive_by

    def _unacked(self) -> list[OrderView]:
        return [o for o in self.orders.open() if not o.acked_at]

    def refresh_alarm(self) -> None:
        alarming = self.orders.alarming()
        self.alarm.set_pattern(
            choose_pattern([(o.order.priority, o.order.drill) for o in alarming])
        )

    def acknowledge(self, order_ids: list[str] | None, via: str) -> list[str]:
        """签收. With no ids (the button): every order that is alarming, each with its own
        signed `ack`; if none is alarming (e.g. silenced by the hub), every open order not
        yet acknowledged. See docs/gateway.md for why one press takes them all."""
        if order_ids is None:
            order_ids = [o.order_id for o in self.orders.alarming()] or [
                o.order_id for o in self._unacked()
            ]
        done = self.orders.acknowledge(order_ids, via)
        if done:
            log.info("acknowledged %s via %s", ", ".join(done), via)
        self.refresh_alarm()
        self.sender.kick()
        return done

    def _fix_position(self) -> Position | None:
        fix = self.last_fix
        if fix is None:
            return None
        age = (self.clock.now() - fix.at).total_seconds()
        return Position(lat=fix.lat, lon=fix.lon) if age <= ARRIVAL_FIX_MAX_AGE_S else None

    def _arrival_candidate(self) -> str | None:
        """The order the arrival button means: of the open orders with a scene and no
        arrival yet, the one nearest the last fix if positions are known, else the latest."""
        waiting = self._waiting_for_arrival()
        if not waiting:
            return None
        pos = self._fix_position()
        located = [(o.order_id, o.order.position) for o in waiting if o.order.position]
        if pos and located:
            return min(located, key=lambda x: distance_m(pos.lat, pos.lon, x[1].lat, x[1].lon))[0]
        return max(waiting, key=lambda o: o.order.dispatched_at).order_id

    def arrive(self, order_id: str | None, source: str) -> str | None:
        """到场 with the last good fix; returns the order recorded, None if nothing to do."""
        order_id = order_id or self._arrival_candidate()
        if order_id is None:
            log.info("arrival pressed with no open order waiting for arrival")
            return None
        if not self.orders.arrive(order_id, source, self._fix_position()):
            return None
        log.info("arrival at order %s (%s)", order_id, source)
        self.refresh_alarm()
        self.sender.kick()
        return order_id

    def feedback(self, order_id: str, result_code: str, text: str) -> None:
        self.orders.feedback(order_id, result_code, text)
        self.sender.kick()

    def _on_ack_button(self) -> None:
        self.last_press["ack"] = self.clock.now().isoformat()
        self.acknowledge(None, "button")

    def _on_arrive_button(self) -> None:
        self.last_press["arrive"] = self.clock.now().isoformat()
        self.arrive(None, "button")

    def test_device(self, device: str) -> bool:
        """设备测试 from the kiosk: sound the buzzer, light the lamp (one second each) or print
        a test slip. The buzzer and light are refused while a real alarm sounds."""
        if device == "printer":
            self.orders.queue_print("", "test", "设备测试 / device test")
            self.spooler.kick()
            return True
        return self.alarm.test(device)

    def press(self, button: str) -> None:
        """Press a physical button (`ack` or `arrive`) on mock pins: the demo's thumb."""
        self.pins.press(button)

    # ---- GPS -----------------------------------------------------------------------------

    def feed_gps(self, line: str) -> Fix | None:
        """One NMEA line through the same path as the GPS port."""
        return self.gps.feed_line(line)

    def _waiting_for_arrival(self) -> list[OrderView]:
        """Open orders with a scene to reach and no arrival yet."""
        return [
            o
            for o in self.orders.open()
            if not o.arrived_at and o.order.deadlines.arrive_by is not None
        ]

    def on_fix(self, fix: Fix) -> None:
        """Every fix (once a second): one read of the orders serves both uses."""
        self.last_fix = fix
        waiting = self._waiting_for_arrival()
        self._maybe_report_position(fix, waiting)
        for o in waiting:
            p = o.order.position
            if (
                p is not None
                and distance_m(fix.lat, fix.lon, p.lat, p.lon) <= self.arrival_radius_m
            ):
                with contextlib.suppress(UnknownOrderError):
                    self.arrive(o.order_id, "gps")

    def _maybe_report_position(self, fix: Fix, waiting: list[OrderView]) -> None:
        """While an order waits for arrival, tell the hub where the unit is, at most once
        every POSITION_EVERY_S (the board shows units on their way; no tracking otherwise)."""
        last = self._last_position_at
        if last is not None and (fix.at - last).total_seconds() < POSITION_EVERY_S:
            return
        if not waiting:
            return
        body = PositionBody(position=Position(lat=fix.lat, lon=fix.lon), fix_at=fix.at)
        with self.store.tx() as c:
            Store.outbox_add(c, self.reporter.make("position", body))
        self._last_position_at = fix.at
        self.sender.kick()

    # ---- health --------------------------------------------------------------------------

    def clock_offset_s(self) -> float | None:
        """Hub clock minus ours, from recent down messages: the largest (at - now) is the
        one least delayed in transit, so it is the best estimate."""
        return round(max(self._offsets), 3) if self._offsets else None

    def gps_health(self) -> GpsHealth | None:
        if self.config.gps is None and self.last_fix is None:
            return None
        if self.last_fix is None:
            return GpsHealth(fix=False)
        age = max(0.0, (self.clock.now() - self.last_fix.at).total_seconds())
        return GpsHealth(
            fix=age <= FIX_FRESH_S, age_s=round(age, 1), satellites=self.last_fix.satellites
        )

    def health(self) -> HealthBody:
        open_orders = self.orders.open()
        return HealthBody(
            version=VERSION,
            uptime_s=round(max(0.0, self.monotonic() - self._started), 1),
            printer=self.printer.state,
            outbox_depth=self.store.outbox_depth(),
            alarm_active=self.alarm.active,
            open_orders=len(open_orders),
            gps=self.gps_health(),
            clock_offset_s=self.clock_offset_s(),
            unprinted=len(self.orders.pending_prints()),
        )

    def report_health(self) -> None:
        health = self.health()
        with self.store.tx() as c:
            Store.outbox_add(c, self.reporter.make("health", health))
        self.link.publish_state(self.reporter.state(health))
        self.sender.kick()

    def _health_loop(self) -> None:
        while not self._stop.wait(self.health_interval):
            try:
                self.report_health()
            except Exception:
                log.exception("health report failed")

    def _on_connected(self) -> None:
        self.link.publish_state(self.reporter.state(self.health()))
        self.sender.on_connect()

    def _publish_up(self, payload: bytes) -> int | None:
        return self.link.publish_up(payload)

    # ---- what the kiosk and /status.json show -------------------------------------------

    def status(self) -> dict[str, Any]:
        now = self.clock.now()
        orders = [order_view(o, now) for o in self.orders.all(50)]
        fix = self.last_fix
        return {
            "unit": self.unit,
            "now": now.isoformat(),
            "alarm": {"active": self.alarm.active, "pattern": self.alarm.pattern},
            "buttons": dict(self.last_press),
            "link": {"connected": self.link.connected.is_set(), "error": self.link.last_error},
            "outbox": {"depth": self.store.outbox_depth(), "in_flight": self.sender.in_flight},
            "printer": {
                "state": self.printer.state,
                "unprinted": len(self.orders.pending_prints()),
            },
            "gps": None
            if fix is None
            else {
                "lat": fix.lat,
                "lon": fix.lon,
                "age_s": round((now - fix.at) / timedelta(seconds=1), 1),
            },
            "orders": orders,
        }
