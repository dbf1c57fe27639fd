"""A unit's duty vehicle and the NMEA its GPS receiver speaks.

The vehicle drives in a straight line from where it is toward a scene at a steady speed,
in county time (the shared clock), so at speed 60 a 20-minute drive takes 20 s. Its
receiver reports RMC and GGA sentences (BeiDou+GPS, talker `GN`, as Chinese modules do),
built and checksummed by pynmea2; the terminal parses them like any real receiver's.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from datetime import datetime

import pynmea2

from wire.clock import Clock
from wire.geo import distance_m

KNOTS_PER_MPS = 1.943844


@dataclass(frozen=True)
class Leg:
    start: tuple[float, float]
    end: tuple[float, float]
    depart: datetime
    speed_mps: float

    @property
    def metres(self) -> float:
        return distance_m(*self.start, *self.end)

    def position(self, now: datetime) -> tuple[float, float]:
        total = self.metres
        if total <= 0:
            return self.end
        done = max(0.0, (now - self.depart).total_seconds()) * self.speed_mps
        f = min(1.0, done / total)
        return (
            self.start[0] + (self.end[0] - self.start[0]) * f,
            self.start[1] + (self.end[1] - self.start[1]) * f,
        )

    def arrived(self, now: datetime) -> bool:
        return (now - self.depart).total_seconds() * self.speed_mps >= self.metres

    def course(self) -> float:
        dlat = self.end[0] - self.start[0]
        dlon = (self.end[1] - self.start[1]) * math.cos(math.radians(self.start[0]))
        return math.degrees(math.atan2(dlon, dlat)) % 360


class Vehicle:
    """Where a unit's vehicle is at any clock instant; thread-safe."""

    def __init__(self, base: tuple[float, float], clock: Clock) -> None:
        self.base = base
        self.clock = clock
        self._lock = threading.Lock()
        self._leg: Leg | None = None
        self._parked = base

    def drive_to(self, scene: tuple[float, float], speed_mps: float) -> Leg:
        now = self.clock.now()
        with self._lock:
            here = self._leg.position(now) if self._leg else self._parked
            self._leg = Leg(here, scene, now, speed_mps)
            return self._leg

    def position(self) -> tuple[float, float]:
        now = self.clock.now()
        with self._lock:
            return self._leg.position(now) if self._leg else self._parked

    def moving(self) -> bool:
        now = self.clock.now()
        with self._lock:
            return self._leg is not None and not self._leg.arrived(now)

    def at(self, scene: tuple[float, float], within_m: float = 1.0) -> bool:
        return distance_m(*self.position(), *scene) <= within_m

    def sentences(self) -> str:
        """One RMC and one GGA for the present position, CR LF terminated."""
        now = self.clock.now()
        with self._lock:
            leg = self._leg
            if leg is not None and not leg.arrived(now):
                lat, lon = leg.position(now)
                knots, course = leg.speed_mps * KNOTS_PER_MPS, leg.course()
            else:
                lat, lon = leg.end if leg else self._parked
                knots, course = 0.0, 0.0
        return nmea(lat, lon, now, knots, course)


def _dm(value: float, width: int) -> str:
    deg = int(abs(value))
    minutes = (abs(value) - deg) * 60
    return f"{deg:0{width}d}{minutes:07.4f}"


def nmea(lat: float, lon: float, when: datetime, knots: float, course: float) -> str:
    t = f"{when:%H%M%S}.{when.microsecond // 10000:02d}"
    ns, ew = ("N" if lat >= 0 else "S"), ("E" if lon >= 0 else "W")
    la, lo = _dm(lat, 2), _dm(lon, 3)
    rmc = pynmea2.RMC(
        "GN",
        "RMC",
        (t, "A", la, ns, lo, ew, f"{knots:.1f}", f"{course:.1f}", f"{when:%d%m%y}", "", "", "A"),
    )
    gga = pynmea2.GGA(
        "GN", "GGA", (t, la, ns, lo, ew, "1", "14", "0.8", "1950.0", "M", "-30.0", "M", "", "")
    )
    return f"{rmc}\r\n{gga}\r\n"
