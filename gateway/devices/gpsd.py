"""GPS through gpsd: one receiver for the clock (chrony reads gpsd's shared memory) and the
terminal (this client reads gpsd's JSON reports), instead of two readers of one serial port.

A plain socket client rather than a library: gpsd's protocol is one JSON object a line after
`?WATCH={"enable":true,"json":true}`; what the terminal needs beyond that (reconnect when
gpsd restarts, a stop that never hangs, a line that is not JSON logged and skipped rather
than raised) is the part a client library leaves to its caller (`gpsdclient` raises on a bad
line and does not reconnect; Debian's `gps` bindings are not on PyPI in a current version).

`GpsdReports.feed(line)` is pure text in, fix out (as `NmeaParser.feed`), so the decoding is
tested on its own; `GpsdReader` runs it in a thread over a socket and gives every fix to the
same `on_fix` as the serial reader. Positions are gpsd's own decoding of the receiver's
sentences: tests/gateway/test_gpsd.py checks they equal `NmeaParser`'s for the same capture.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import socket
import threading
from collections.abc import Callable

from gateway.devices.gps import Fix
from wire.clock import Clock

log = logging.getLogger(__name__)

WATCH = b'?WATCH={"enable":true,"json":true}\n'
MAX_LINE = 64 * 1024
"""gpsd's longest report (a SKY with every satellite) is a few kB; more is not gpsd."""


class GpsdReports:
    """Turns gpsd's JSON lines into fixes; counts the lines it refused."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.bad_lines = 0
        self.reports = 0
        self.satellites: int | None = None

    def _refuse(self, line: str, why: str) -> None:
        self.bad_lines += 1
        # the first few in full, then one in a hundred: a broken peer must not flood the log
        if self.bad_lines <= 5 or self.bad_lines % 100 == 0:
            log.warning("gpsd line refused (%s, %d so far): %.80r", why, self.bad_lines, line)

    def feed(self, line: str) -> Fix | None:
        text = line.strip()
        if not text:
            return None
        try:
            report = json.loads(text)
        except ValueError:
            self._refuse(text, "not JSON")
            return None
        if not isinstance(report, dict) or not isinstance(report.get("class"), str):
            self._refuse(text, "not a gpsd report")
            return None
        self.reports += 1
        kind = report["class"]
        if kind == "SKY":
            self._sky(report)
            return None
        if kind != "TPV":
            return None
        mode, lat, lon = report.get("mode"), report.get("lat"), report.get("lon")
        if not isinstance(mode, int) or mode < 2:
            return None  # 0 unknown, 1 no fix
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (lat, lon)):
            return None  # a fix without a position (gpsd sends lat/lon only when it has them)
        lat, lon = float(lat), float(lon)  # type: ignore[arg-type]
        if not (math.isfinite(lat) and math.isfinite(lon)):
            self._refuse(text, "position not finite")
            return None
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            self._refuse(text, "position out of range")
            return None
        return Fix(lat=lat, lon=lon, at=self.clock.now(), satellites=self.satellites)

    def _sky(self, report: dict[str, object]) -> None:
        used = report.get("uSat")
        if isinstance(used, int) and not isinstance(used, bool):
            self.satellites = used
            return
        sats = report.get("satellites")
        if isinstance(sats, list):  # gpsd before 3.21 gave no uSat
            self.satellites = sum(1 for s in sats if isinstance(s, dict) and s.get("used"))


class GpsdReader:
    """Reads gpsd's reports in a thread and hands every fix to `on_fix`.

    Connects, asks for JSON, reads lines; on any loss (gpsd restarted, not yet started,
    refused) it waits `retry_s` and connects again, for as long as the terminal runs.
    `stop()` closes the socket, so it returns within a second whatever gpsd does."""

    def __init__(
        self,
        host: str,
        port: int,
        reports: GpsdReports,
        on_fix: Callable[[Fix], None],
        retry_s: float = 2.0,
        timeout_s: float = 10.0,
    ) -> None:
        self.host = host
        self.port = port
        self.reports = reports
        self.on_fix = on_fix
        self.retry_s = retry_s
        self.timeout_s = timeout_s
        """For connecting; once connected a quiet gpsd (no receiver yet) is waited for."""
        self.connected = False
        self.connects = 0
        self._quiet = False
        self._stop = threading.Event()
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"gpsd://{self.host}:{self.port}"

    def feed_line(self, line: str) -> Fix | None:
        fix = self.reports.feed(line)
        if fix is not None:
            try:
                self.on_fix(fix)
            except Exception:
                log.exception("handling a GPS fix failed")
        return fix

    def _session(self, sock: socket.socket) -> None:
        sock.sendall(WATCH)
        buffer = b""
        while not self._stop.is_set():
            try:
                chunk = sock.recv(4096)
            except TimeoutError:
                continue  # quiet gpsd (no receiver yet) is not a lost gpsd
            if not chunk:
                raise ConnectionError("gpsd closed the connection")
            buffer += chunk
            *lines, buffer = buffer.split(b"\n")
            for raw in lines:
                self.feed_line(raw.decode("utf-8", errors="replace"))
            if len(buffer) > MAX_LINE:
                self.reports._refuse(buffer[:80].decode("utf-8", "replace"), "line too long")
                buffer = b""

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                sock = socket.create_connection((self.host, self.port), timeout=self.timeout_s)
            except OSError as e:
                # once per outage: gpsd down for an hour must not write a line every retry
                (log.debug if self._quiet else log.warning)(
                    "gpsd at %s:%s: %s (retrying every %.0f s)",
                    self.host,
                    self.port,
                    e,
                    self.retry_s,
                )
                self._quiet = True
                self._stop.wait(self.retry_s)
                continue
            self._quiet = False
            with self._lock:
                self._sock = sock
            sock.settimeout(1.0)  # to look at the stop flag
            self.connected = True
            self.connects += 1
            log.info("gpsd at %s:%s connected", self.host, self.port)
            try:
                self._session(sock)
            except OSError as e:
                if not self._stop.is_set():
                    log.warning("gpsd at %s:%s lost: %s", self.host, self.port, e)
            finally:
                self.connected = False
                with self._lock:
                    self._sock = None
                sock.close()
            self._stop.wait(self.retry_s)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="gpsd", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        with self._lock:
            if self._sock is not None:
                with contextlib.suppress(OSError):
                    self._sock.shutdown(socket.SHUT_RDWR)
        if self._thread:
            self._thread.join(3)
