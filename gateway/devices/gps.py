"""GPS: NMEA 0183 parsed with pynmea2, a reader thread over any pyserial port.

`NmeaParser.feed(line)` is pure text in, fix out, tested against real captures with GPSD's
decoding (tests/gateway/test_gps_captures.py). Chinese GNSS modules talk BeiDou with `BD`
or `GB` talkers and give combined `GN` fixes; pynmea2 parses by sentence type whatever the
talker, so every talker is taken. A line that is garbage, half a line or fails its checksum
is counted and skipped; a sentence without a valid fix gives no position.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import serial

from wire.clock import Clock

if TYPE_CHECKING:  # imported at the first line a GPS sends (0.5 MiB a terminal without one
    import pynmea2  # never needs: docs/gateway.md, Figures)

log = logging.getLogger(__name__)

_FIX_TYPES = ("GGA", "RMC", "GNS", "GLL")


@dataclass(frozen=True)
class Fix:
    lat: float
    lon: float
    at: datetime
    """When the terminal received it (the receiver's own time may be wrong or missing)."""
    satellites: int | None = None


def _valid(msg: pynmea2.NMEASentence) -> bool:
    kind = msg.sentence_type
    if kind == "GGA":
        return bool(msg.gps_qual) and int(msg.gps_qual) > 0
    if kind in ("RMC", "GLL"):
        return bool(msg.status == "A")
    if kind == "GNS":
        mode = str(msg.mode_indicator or "")
        return any(c not in "N" for c in mode) if mode else False
    return False


class NmeaParser:
    """Turns NMEA lines into fixes; counts what it could not read."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.bad_lines = 0
        self.sentences = 0
        self.satellites: int | None = None

    def feed(self, line: str) -> Fix | None:
        import pynmea2

        text = line.strip()
        start = text.find("$")
        if start < 0:
            if text:
                self.bad_lines += 1
            return None
        try:
            msg = pynmea2.parse(text[start:], check=True)
        except (pynmea2.ParseError, ValueError, TypeError, AttributeError):
            self.bad_lines += 1
            return None
        self.sentences += 1
        if msg.sentence_type == "GGA" and getattr(msg, "num_sats", None):
            with contextlib.suppress(ValueError):
                self.satellites = int(msg.num_sats)
        if msg.sentence_type not in _FIX_TYPES:
            return None
        try:
            if not _valid(msg) or not msg.lat or not msg.lon:
                return None
            lat, lon = float(msg.latitude), float(msg.longitude)
        except (ValueError, TypeError, AttributeError):
            self.bad_lines += 1
            return None
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            self.bad_lines += 1
            return None
        return Fix(lat=lat, lon=lon, at=self.clock.now(), satellites=self.satellites)


class GpsReader:
    """Reads a GPS port in a thread and hands every fix to `on_fix`."""

    def __init__(
        self,
        url: str,
        baudrate: int,
        parser: NmeaParser,
        on_fix: Callable[[Fix], None],
        retry_s: float = 5.0,
    ) -> None:
        self.url = url
        self.baudrate = baudrate
        self.parser = parser
        self.on_fix = on_fix
        self.retry_s = retry_s
        self.connected = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def feed_line(self, line: str) -> Fix | None:
        """One line through the same path as the port's (also the demo's way in)."""
        fix = self.parser.feed(line)
        if fix is not None:
            try:
                self.on_fix(fix)
            except Exception:
                log.exception("handling a GPS fix failed")
        return fix

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                port = serial.serial_for_url(self.url, baudrate=self.baudrate, timeout=1.0)
            except (serial.SerialException, OSError, ValueError) as e:
                log.warning("GPS port %s: %s", self.url, e)
                self._stop.wait(self.retry_s)
                continue
            self.connected = True
            try:
                while not self._stop.is_set():
                    raw = port.readline()
                    if raw:
                        self.feed_line(raw.decode("ascii", errors="replace"))
            except (serial.SerialException, OSError) as e:
                log.warning("GPS port %s lost: %s", self.url, e)
            finally:
                self.connected = False
                port.close()
            self._stop.wait(self.retry_s)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="gps", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(3)
