"""The NMEA parser against real receivers' captures, with GPSD's decoding as the answer.

For every position sentence (GGA, RMC, GNS, GLL) in `data/nmea/*.log.chk`, the TPV report
GPSD gave right after it says whether there was a fix and where: we must give the same
position to 1e-6 degrees, and no position when GPSD had none. Every line of the raw
`.log` (comments, talkers BD/GB/GN/GP/GL, a leading space) goes through without stopping.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gateway.devices.gps import NmeaParser
from tests.gateway.conftest import SHARED_DATA
from wire.clock import FakeClock

NMEA = SHARED_DATA / "nmea"
CAPTURES = sorted(NMEA.glob("*.log"))
_POSITION = ("GGA", "RMC", "GNS", "GLL")
_ABSENT = f"{NMEA} is absent: the real GPS captures live in ../shared/data (not in a user's clone)"
pytestmark = pytest.mark.skipif(not NMEA.is_dir(), reason=_ABSENT)


def test_captures_are_present() -> None:
    assert {p.name for p in CAPTURES} >= {"beidou-bd.log", "beidou-gb.log", "neo-m8n.log"}


@pytest.mark.parametrize("capture", CAPTURES, ids=lambda p: p.name)
def test_same_fixes_as_gpsd(capture: Path) -> None:
    parser = NmeaParser(FakeClock())
    checked = fixes = 0
    sentence: str | None = None
    result = None
    for line in Path(f"{capture}.chk").read_text(errors="replace").splitlines():
        if line.startswith("{"):
            report = json.loads(line)
            if report.get("class") != "TPV" or sentence is None:
                continue
            checked += 1
            if "lat" in report and report.get("mode", 0) >= 2:
                assert result is not None, f"GPSD had a fix after {sentence!r}; we had none"
                assert result.lat == pytest.approx(report["lat"], abs=1e-6), sentence
                assert result.lon == pytest.approx(report["lon"], abs=1e-6), sentence
                fixes += 1
            else:
                assert result is None, f"GPSD had no fix after {sentence!r}; we gave one"
            sentence = None
        elif line.strip() and not line.startswith("#"):
            result = parser.feed(line)
            sentence = line if line.strip()[3:6] in _POSITION else None
    assert checked > 0 and fixes > 0


@pytest.mark.parametrize("capture", CAPTURES, ids=lambda p: p.name)
def test_raw_log_never_stops_the_parser(capture: Path) -> None:
    parser = NmeaParser(FakeClock())
    got = [
        f for line in capture.read_text(errors="replace").splitlines() if (f := parser.feed(line))
    ]
    assert got and parser.sentences > 0


def test_garbage_half_lines_and_bad_checksums() -> None:
    parser = NmeaParser(FakeClock())
    good = "$GNRMC,074156.799,A,3114.8950,N,12135.2442,E,0.26,4.94,250215,,,A*7D"
    for junk in [
        "",
        "\x00\xff\xfe",
        "GARBAGE",
        good[:30],
        good[:-2] + "00",
        "$GPXYZ,1,2*00",
        "$GPGGA,,,,,,,,,,,,,,*56",
        "$$$$",
        "$GPRMC,1,A,99x,N,1,E,,,,,,A*",
    ]:
        assert parser.feed(junk) is None
    fix = parser.feed("  " + good + "\r\n")  # leading spaces, CRLF
    assert fix is not None and fix.lat == pytest.approx(31.24825, abs=1e-6)
    assert parser.bad_lines >= 5


def test_no_fix_sentences_give_no_position() -> None:
    parser = NmeaParser(FakeClock())
    assert parser.feed("$GNRMC,074150.799,V,,,,,,,250215,,,N*52") is None
    assert parser.feed("$GNGGA,074150.799,,,,,0,00,,,M,0.0,M,,0000,*64") is None
    assert parser.feed("$GNGNS,074151.799,,,,,NNNN,00,,,0.0,,0000*62") is None
