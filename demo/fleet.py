"""Every tier-1 terminal, in this process, with simulated hardware.

Per unit: its own gpiozero MockFactory (so 29 terminals do not fight over BCM 17), an
ESC/POS network printer simulator whose paper is copied, decoded, to
`printouts/UNIT.txt`, a GPS receiver on TCP fed by the unit's vehicle, and a `NetCut`
relay in front of the broker so the demo can take one unit off the network.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from gpiozero.pins.mock import MockFactory

from demo.netcut import NetCut
from demo.rollout import DemoSlots
from demo.vehicle import Vehicle
from gateway.config import GatewayConfig, load_config
from gateway.devices.simulators import GpsSimulator, PrinterSimulator, printed_text
from gateway.terminal import Gateway
from gateway.update.slots import SlotRoot
from hub.registry import Registry
from provisioning.configs import GatewayOptions
from wire.clock import Clock

log = logging.getLogger(__name__)

HEALTH_INTERVAL_S = 2.0
"""Real seconds between health reports: the hub shows a unit offline when it falls silent."""
RESEND_S = 10.0
GPS_PARKED_S = 3.0
"""Real seconds between fixes of a parked vehicle; a moving one reports every tick."""
TICK_S = 0.25


@dataclass
class Terminal:
    unit: str
    printer: PrinterSimulator
    gps: GpsSimulator
    vehicle: Vehicle
    factory: MockFactory = field(default_factory=MockFactory)
    netcut: NetCut | None = None
    gateway: Gateway | None = None
    config: GatewayConfig | None = None
    _printed: int = 0
    _last_fix: float = 0.0

    @property
    def gw(self) -> Gateway:
        if self.gateway is None:
            raise RuntimeError(f"terminal {self.unit} is not started")
        return self.gateway

    def options(self) -> GatewayOptions:
        return GatewayOptions(gps_port=self.gps.url, printer_port=self.printer.url)

    def unsent(self) -> int:
        """Reports (not health snapshots) in the outbox: made here, no hub receipt yet."""
        with self.gw.store.read() as c:
            row = c.execute("SELECT count(*) FROM outbox WHERE kind != 'health'").fetchone()
        return int(row[0])


_CUT = re.compile(rb"\x1dV(?:[\x41\x42].|[\x00\x01\x30\x31])", re.S)
"""ESC/POS GS V: the paper is cut here (full or partial, with or without feed)."""


def paper(data: bytes, encoding: str) -> str:
    """What a person reads on the printer's paper, with a line where it was cut."""
    slips = [printed_text(part, encoding).strip("\n") for part in _CUT.split(data)]
    return "".join(f"{slip}\n{'-' * 16} ✂ {'-' * 16}\n" for slip in slips if slip.strip())


class Fleet:
    """The simulated hardware first (enrollment names its ports), then the gateways."""

    def __init__(self, units: list[str], registry: Registry, clock: Clock, printouts: Path) -> None:
        self.clock = clock
        self.printouts = printouts
        self.terminals: dict[str, Terminal] = {}
        self.names = {unit: registry.units[unit].name_zh for unit in units}  # kiosk headers
        for unit in units:
            u = registry.units[unit]
            base = (u.lat, u.lon) if u.lat is not None and u.lon is not None else registry.center
            self.terminals[unit] = Terminal(
                unit, PrinterSimulator().start(), GpsSimulator(), Vehicle(base, clock)
            )
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.slots: DemoSlots | None = None
        self._restarting: list[threading.Thread] = []

    def options(self, unit: str) -> GatewayOptions:
        return dataclasses.replace(self.terminals[unit].options(), unit_name=self.names[unit])

    def start(
        self, bundles: dict[str, Path], broker_port: int, slots: DemoSlots | None = None
    ) -> None:
        """Start every gateway from its enrolled bundle, its MQTT through its own relay;
        with `slots`, each with its update agent over its own slot folder (--rollout)."""
        self.printouts.mkdir(parents=True, exist_ok=True)
        self.slots = slots
        for unit, t in self.terminals.items():
            config = load_config(bundles[unit] / "gateway.toml")
            t.netcut = NetCut(("127.0.0.1", broker_port), name=f"netcut-{unit}").start()
            t.config = dataclasses.replace(
                config,
                mqtt=dataclasses.replace(config.mqtt, port=t.netcut.port),
                speech=None,  # 29 terminals in one room: none of them speaks
            )
            if slots is not None:
                slots.prepare(unit)
            self._start_gateway(t)
        self._thread = threading.Thread(target=self._loop, name="fleet", daemon=True)
        self._thread.start()

    def _start_gateway(self, t: Terminal) -> None:
        assert t.config is not None  # noqa: S101
        t.gateway = Gateway(
            t.config,
            self.clock,
            pin_factory=t.factory,
            health_interval=HEALTH_INTERVAL_S,
            resend_s=RESEND_S,
            updates=self.slots.wiring(t.unit) if self.slots else None,
        )
        t.gateway.start()

    def _restart(self, unit: str) -> None:
        """What systemd does for a terminal whose update agent asked for a restart: stop
        it, run the boot check on its slots, start what `current` points at."""
        t = self.terminals[unit]
        try:
            if t.gateway is not None:
                t.gateway.stop()
            if self.slots is not None:
                done = SlotRoot(self.slots.root(unit)).boot_check(self.clock.now().timestamp())
                log.info("%s boot check: %s", unit, done)
            if not self._stop.is_set():
                self._start_gateway(t)
        except Exception:
            log.exception("restarting terminal %s", unit)

    def connected(self) -> int:
        return sum(
            1 for t in self.terminals.values() if t.gateway and t.gateway.link.connected.is_set()
        )

    def _loop(self) -> None:
        while not self._stop.wait(TICK_S):
            while self.slots is not None and not self.slots.restarts.empty():
                unit = self.slots.restarts.get()  # each on its own, as each Pi would
                th = threading.Thread(target=self._restart, args=(unit,), name=f"restart-{unit}")
                th.start()
                self._restarting.append(th)
            now = time.monotonic()
            for t in self.terminals.values():
                try:
                    if t.vehicle.moving() or now - t._last_fix >= GPS_PARKED_S:
                        t.gps.send(t.vehicle.sentences())
                        t._last_fix = now
                    self._copy_paper(t)
                except Exception:  # one terminal's hardware must not stop the others'
                    log.exception("simulated hardware of %s", t.unit)

    def _copy_paper(self, t: Terminal) -> None:
        """Write what the printer has printed, decoded, to printouts/UNIT.txt (atomically)."""
        size = len(t.printer.received)
        if size == t._printed:
            return
        t._printed = size
        path = self.printouts / f"{t.unit}.txt"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(paper(bytes(t.printer.received), t.printer.encoding), encoding="utf-8")
        os.replace(tmp, path)

    def stop(self) -> None:
        """Stop the gateways (each says `offline`; all at once, each takes about a second),
        then the simulated hardware and the relays."""
        self._stop.set()
        if self._thread:
            self._thread.join(5)
        for th in self._restarting:
            th.join(30)
        stoppers = [
            threading.Thread(target=self._stop_one, args=(t,), name=f"stop-{t.unit}")
            for t in self.terminals.values()
        ]
        for th in stoppers:
            th.start()
        for th in stoppers:
            th.join(30)

    def _stop_one(self, t: Terminal) -> None:
        if t.gateway is not None:
            try:
                t.gateway.stop()
            except Exception:
                log.exception("stopping terminal %s", t.unit)
        with contextlib.suppress(Exception):
            self._copy_paper(t)
        t.printer.stop()
        t.gps.close()
        if t.netcut is not None:
            t.netcut.close()
        t.factory.close()
