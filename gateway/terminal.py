"""The terminal: `Gateway` builds the parts, hands each only what it uses, and starts and
stops them. It holds no behaviour of its own: down messages are `down/`, the duty room's
actions and arrival are `duty/`, what the terminal keeps is `state/`, the way to the hub is
`uplink/`, the hardware is `devices/`, health, status and metrics are `health/`.

Built from a config object plus an injected clock, started and stopped in-process
(threads only), so the demo can run a fleet of terminals in one process and tests can
drive one deterministically. `liandong-gateway run` is a thin shell around it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from gateway.config import GatewayConfig, check_files
from gateway.devices.alarm import Alarm
from gateway.devices.gps import Fix, GpsReader, NmeaParser
from gateway.devices.gpsd import GpsdReader, GpsdReports
from gateway.devices.pins import Debouncer, Pins
from gateway.devices.printer import Printer
from gateway.devices.speech import Speaker
from gateway.devices.spool import PrintQueue, Spooler
from gateway.down.commands import CommandMessages
from gateway.down.handler import DownHandler
from gateway.down.orders import OrderMessages
from gateway.down.receipts import ReceiptMessages
from gateway.duty.alarming import Alarming
from gateway.duty.arrival import Arrival
from gateway.duty.reports import DutyReports, PrintReceipts
from gateway.duty.room import DutyRoom
from gateway.duty.selfcalls import SelfCalls
from gateway.duty.speaking import Speaking
from gateway.health.clock_offset import ClockOffset
from gateway.health.metrics import Metrics
from gateway.health.status import HealthStatus
from gateway.state.orders import OrderBook
from gateway.state.rollcalls import RollcallBook
from gateway.state.seen import SeenIds
from gateway.state.store import Store
from gateway.uplink.link import Link
from gateway.uplink.outbox import Outbox
from gateway.uplink.sender import WINDOW, Sender
from gateway.uplink.signer import ReportSigner
from wire import Signer, Verifier
from wire.clock import Clock, SystemClock
from wire.kinds import UpdateOffer

if TYPE_CHECKING:  # the update agent is imported only on a terminal installed in slots
    from gateway.update.wiring import UpdateWiring

log = logging.getLogger(__name__)


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
        updates: UpdateWiring | None = None,
    ) -> None:
        check_files(config)
        self.config = config
        self.unit = config.unit_id
        self.clock: Clock = clock or SystemClock()
        self.monotonic = monotonic
        self.ready = threading.Event()

        # state and the way to the hub
        self.signer = ReportSigner(
            self.unit, Signer.from_pem(config.mqtt.key.read_bytes()), self.clock
        )
        self.store = Store(config.state_dir / "gateway.sqlite3", self.clock)
        self.orders = OrderBook(self.store)
        self.seen = SeenIds(self.store)
        self.outbox = Outbox(self.store)
        self.prints = PrintQueue(self.store)
        self.rollcalls = RollcallBook(self.store)
        self.sender = Sender(
            self.outbox, self._publish_up, window=window, resend_s=resend_s, monotonic=monotonic
        )

        # devices
        self.pins = Pins(config.pins, pin_factory)
        self.alarm = Alarm(self.pins.buzzer, self.pins.light, monotonic)
        self.printer = Printer(config.printer)
        reports = DutyReports(self.store, self.orders, self.signer, self.outbox)
        self.spooler = Spooler(
            self.prints,
            self.orders,
            self.printer,
            self.clock,
            self.unit,
            print_retry_s,
            reports=PrintReceipts(reports, self.sender.kick),
        )

        # the duty room: the alarm follows the orders, speech follows the alarm
        self.speaking = (
            Speaking(self.orders, Speaker(config.speech), monotonic) if config.speech else None
        )
        self.alarming = Alarming(
            self.orders,
            self.alarm,
            reports,
            self.sender.kick,
            rollcalls=self.rollcalls,
            clock=self.clock,
            then=self.speaking.refresh if self.speaking else None,
        )
        self.alarm.watch = self.alarming.watch
        self.arrival = Arrival(
            self.orders,
            self.store,
            reports,
            self.signer,
            self.outbox,
            self.sender,
            self.alarming.refresh,
            self.clock,
            radius_m=config.gps.arrival_radius_m if config.gps else 150.0,
        )
        self.room = DutyRoom(
            self.store,
            self.orders,
            reports,
            self.prints,
            self.arrival,
            self.alarm,
            self.alarming.refresh,
            self.spooler,
            self.sender,
            self.clock,
            self.rollcalls,
        )
        self.ack_debouncer = Debouncer(self.room.on_ack_button, monotonic=monotonic)
        self.arrive_debouncer = Debouncer(self.room.on_arrive_button, monotonic=monotonic)
        self.pins.on_buttons(self.ack_debouncer, self.arrive_debouncer)
        self.gps_parser = NmeaParser(self.clock)
        self.gps: GpsReader | GpsdReader
        if config.gps and config.gps.source == "gpsd":
            g = config.gps
            self.gps = GpsdReader(
                g.gpsd_host, g.gpsd_port, GpsdReports(self.clock), self.arrival.on_fix
            )
        else:
            self.gps = GpsReader(
                config.gps.port if config.gps else "",
                config.gps.baudrate if config.gps else 9600,
                self.gps_parser,
                self.arrival.on_fix,
            )

        # the link, health and the down messages
        self.link = Link(
            config,
            will=self.signer.state(None),
            on_down=self.handle_down,
            on_connected=self._on_connected,
            on_disconnected=self.sender.on_disconnect,
            on_puback=self.sender.on_puback,
            window=window,
            clock=self.clock,
        )
        self.clock_offset = ClockOffset()
        self.health_status = HealthStatus(
            unit=self.unit,
            clock=self.clock,
            monotonic=monotonic,
            interval=health_interval,
            orders=self.orders,
            prints=self.prints,
            outbox=self.outbox,
            signer=self.signer,
            alarm=self.alarm,
            printer=self.printer,
            arrival=self.arrival,
            gps_configured=config.gps is not None,
            clock_offset=self.clock_offset,
            sender=self.sender,
            link=self.link,
            last_press=self.room.last_press,
            unit_name=config.unit_name,
            rollcalls=self.rollcalls,
        )
        self.metrics = Metrics(
            self.health_status.health, lambda: self.sender.in_flight, self.link.connected.is_set
        )
        order_messages = OrderMessages(
            self.store,
            self.seen,
            self.orders,
            self.signer,
            self.outbox,
            self.prints,
            self.metrics,
            self.alarming.refresh,
            self.spooler,
            self.sender,
        )
        commands = CommandMessages(
            self.store,
            self.seen,
            self.orders,
            self.prints,
            self.clock,
            self.alarming.refresh,
            self.spooler,
            self.sender,
            self.health_status.publish_state,
            self.rollcalls,
            on_update=self._on_update,
        )
        # software updates (docs/updates.md): only on a terminal installed in A/B slots
        self.updates = (
            updates.build(config, self.orders, self.ready.is_set, self.link.connected.is_set)
            if updates is not None
            else None
        )
        if self.updates is not None:
            self.health_status.update_failed = self.updates.failure
            self.health_status.update_trial = self.updates.on_trial
            self.updates.on_confirmed = self.health_status.publish_state
            self.health_status.version = self.updates.version
        receipts = ReceiptMessages(self.store, self.seen, self.outbox, self.sender)
        self.down = DownHandler(
            self.unit,
            Verifier.from_pem(config.mqtt.hub_key.read_bytes()),
            self.clock,
            self.seen,
            self.metrics,
            self.clock_offset,
            {
                "order": order_messages.on_order,
                "cancel": order_messages.on_cancel,
                "receipt": receipts.on_receipt,
                "command": commands.on_command,
            },
        )

        # what the kiosk, the demo and the tests call
        self.acknowledge = self.room.acknowledge
        self.answer_rollcall = self.room.answer_rollcall
        self.feedback = self.room.feedback
        self.test_device = self.room.test_device
        self.arrive = self.arrival.arrive
        self.health = self.health_status.health
        self.report_health = self.health_status.report
        self.status = self.health_status.status
        self.clock_offset_s = self.clock_offset.estimate
        self.selfcalls = SelfCalls(self.store, self.signer, self.outbox, self.sender, self.clock)
        self.record_selfcall = self.selfcalls.record  # 自接警情 (双轨制), from the kiosk

    # ---- lifecycle -----------------------------------------------------------------------

    def start(self) -> None:
        """Resume what a power cut interrupted, then start every part. Ready = can alarm."""
        self.health_status.started = self.monotonic()
        self.orders.resume_after_start()
        self.alarming.refresh()
        self.alarm.start()
        if self.speaking:
            self.speaking.start()
        self.spooler.start()
        self.sender.start()
        self.link.start()
        if self.config.gps:
            self.gps.start()
        self.health_status.start()
        if self.updates is not None:
            self.updates.start()
        self.ready.set()
        log.info("terminal %s ready", self.unit)

    def stop(self) -> None:
        if self.updates is not None:
            self.updates.stop()
        self.health_status.stop()
        self.gps.stop()
        self.link.stop(offline_state=self.signer.state(None))
        self.sender.stop()
        self.spooler.stop()
        if self.speaking:
            self.speaking.stop()
        self.alarm.stop()
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
            self.health_status.thread,
        ]
        return all(t is not None and t.is_alive() for t in threads)

    # ---- wiring between the parts --------------------------------------------------------

    def handle_down(self, raw: bytes) -> None:
        """A down message from the link (paho's thread); returns after the commit."""
        self.down.handle(raw)

    def _on_update(self, offer: UpdateOffer) -> None:
        if self.updates is None:
            log.warning("release %s offered, but this terminal is not installed in A/B "
                        "slots (docs/updates.md): ignored", offer.version)  # fmt: skip
            return
        self.updates.offer(offer)

    def _on_connected(self) -> None:
        self.health_status.publish_state()
        self.sender.on_connect()

    def _publish_up(self, payload: bytes) -> int | None:
        return self.link.publish_up(payload)

    # ---- for simulations (mock pins, an NMEA line) ---------------------------------------

    def press(self, button: str) -> None:
        """Press a physical button (`ack` or `arrive`) on mock pins: the demo's thumb."""
        self.pins.press(button)

    def feed_gps(self, line: str) -> Fix | None:
        """One line through the same path as the GPS: NMEA, or gpsd's JSON with source
        "gpsd"."""
        return self.gps.feed_line(line)

    @property
    def last_fix(self) -> Fix | None:
        return self.arrival.last_fix
