"""GPS through gpsd: Debian's real gpsd, fed the real captures by gpsfake, must give the
terminal the same positions as its own NMEA parser; gpsd restarting, gpsd absent and lines
that are not gpsd's never stop the terminal."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from demo.broker import free_port
from gateway.devices.gps import Fix, NmeaParser
from gateway.devices.gpsd import GpsdReader, GpsdReports
from gateway.terminal import Gateway
from tests.gateway.conftest import SHARED_DATA, TerminalFiles
from tests.gateway.gpsfake import GPSFAKE, MISSING, gpsfake
from tests.support.wait import wait_for
from wire.clock import FakeClock

NMEA = SHARED_DATA / "nmea"
CAPTURES = sorted(NMEA.glob("*.log"))
_ABSENT = f"{NMEA} is absent: the real GPS captures live in ../shared/data (not in a user's clone)"
_SKIP = _ABSENT if not NMEA.is_dir() else (MISSING if GPSFAKE is None else "")
needs_gpsfake = pytest.mark.skipif(bool(_SKIP), reason=_SKIP or "gpsfake and captures present")
Point = tuple[float, float]


def distinct(points: list[Point]) -> list[Point]:
    """The positions in order, each repeat of the one before left out (gpsd reports a
    position again with every later report of the same cycle)."""
    out: list[Point] = []
    for p in points:
        if not out or abs(out[-1][0] - p[0]) > 1e-9 or abs(out[-1][1] - p[1]) > 1e-9:
            out.append(p)
    return out


def direct(capture: Path) -> list[Point]:
    parser = NmeaParser(FakeClock())
    lines = capture.read_text(errors="replace").splitlines()
    return [(f.lat, f.lon) for line in lines if (f := parser.feed(line))]


def recorded(capture: Path) -> list[Point]:
    """The positions GPSD itself reported for the capture in its regression run (.chk)."""
    out = []
    for line in Path(f"{capture}.chk").read_text(errors="replace").splitlines():
        if line.startswith("{"):
            r = json.loads(line)
            if r.get("class") == "TPV" and r.get("mode", 0) >= 2 and "lat" in r:
                out.append((r["lat"], r["lon"]))
    return out


def same(a: list[Point], b: list[Point]) -> bool:
    return len(a) == len(b) and all(
        abs(p[0] - q[0]) <= 1e-6 and abs(p[1] - q[1]) <= 1e-6 for p, q in zip(a, b, strict=True)
    )


@pytest.fixture
def reader_for() -> Iterator[Callable[[int], tuple[GpsdReader, list[Fix]]]]:
    made: list[GpsdReader] = []

    def make(port: int) -> tuple[GpsdReader, list[Fix]]:
        fixes: list[Fix] = []
        r = GpsdReader("127.0.0.1", port, GpsdReports(FakeClock()), fixes.append, retry_s=0.05)
        made.append(r)
        r.start()
        return r, fixes

    yield make
    for r in made:
        r.stop()


# ---- the decoding ------------------------------------------------------------------------


def test_tpv_and_sky_reports() -> None:
    reports = GpsdReports(FakeClock())
    assert reports.feed('{"class":"VERSION","release":"3.22"}') is None
    assert reports.feed('{"class":"TPV","device":"/dev/ld-gps","mode":1}') is None
    assert reports.feed('{"class":"TPV","mode":2}') is None, "a mode without a position"
    reports.feed('{"class":"SKY","nSat":21,"uSat":7,"satellites":[]}')
    fix = reports.feed('{"class":"TPV","mode":3,"lat":24.689,"lon":101.641,"alt":1800.0}\r\n')
    assert fix is not None and (fix.lat, fix.lon, fix.satellites) == (24.689, 101.641, 7)
    old_gpsd = '{"class":"SKY","satellites":[{"PRN":5,"used":true},{"PRN":6,"used":false}]}'
    reports.feed(old_gpsd)
    assert reports.satellites == 1 and reports.bad_lines == 0


def test_lines_that_are_not_gpsd_reports_are_refused_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    reports = GpsdReports(FakeClock())
    caplog.set_level(logging.WARNING, logger="gateway.devices.gpsd")
    for junk in [
        "{not json",
        '{"class":"TPV","mode":3,"lat":24.6',  # cut mid-line
        "$GPGGA,1,2*00",
        "[1, 2]",
        '"TPV"',
        '{"mode":3,"lat":1,"lon":2}',  # no class
        '{"class":"TPV","mode":3,"lat":91.0,"lon":0.0}',
        '{"class":"TPV","mode":3,"lat":NaN,"lon":0.0}',
        "\x00\xff",
    ]:
        assert reports.feed(junk) is None
    assert reports.bad_lines == 9
    assert len([r for r in caplog.records if "gpsd line refused" in r.getMessage()]) == 5
    assert reports.feed('{"class":"TPV","mode":2,"lat":-33.9,"lon":151.2}') is not None


def test_bad_lines_over_the_socket_never_stop_the_reader(
    reader_for: Callable[[int], tuple[GpsdReader, list[Fix]]],
) -> None:
    """A peer that is not gpsd (or a broken one): garbage, an endless line, a cut-off
    connection; the reader refuses them, keeps the good reports and connects again."""
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    good = b'{"class":"TPV","mode":3,"lat":24.689,"lon":101.641}\n'

    def serve() -> None:
        for _ in range(2):
            conn, _ = server.accept()
            with conn:
                assert conn.recv(100).startswith(b"?WATCH=")
                conn.sendall(b"garbage\n\xff\xfe{}\n" + b"x" * 70_000 + b"\n" + good)
        server.close()

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    reader, fixes = reader_for(port)
    wait_for(lambda: len(fixes) >= 2, 10, "a fix from each connection")
    assert reader.connects == 2 and reader.reports.bad_lines >= 4
    assert (fixes[0].lat, fixes[0].lon) == (24.689, 101.641)
    t.join(5)


# ---- Debian's gpsd -----------------------------------------------------------------------


@needs_gpsfake
@pytest.mark.parametrize("capture", CAPTURES, ids=lambda p: p.name)
def test_same_positions_through_gpsd_as_from_the_parser(
    capture: Path, reader_for: Callable[[int], tuple[GpsdReader, list[Fix]]]
) -> None:
    port = free_port()
    with gpsfake(capture, port) as play:
        reader, fixes = reader_for(port)
        play()
    # gpsd has gone; the reader sees that after every report before it (TCP keeps order)
    wait_for(lambda: not reader.connected, 10, "the reader to read to gpsd's end")
    got = distinct([(f.lat, f.lon) for f in fixes])
    ours = distinct(direct(capture))
    assert got, "no position came through gpsd"
    assert same(got, distinct(recorded(capture))), "gpsd now decodes as in its own record"
    # gpsd reports a cycle when it ends; the capture's last cycle never ends, so the
    # parser may have one position more at the very end, never a different one
    assert same(got, ours[: len(got)]) and len(ours) - len(got) <= 1
    assert reader.reports.bad_lines == 0 and reader.reports.satellites


@needs_gpsfake
@pytest.mark.slow
def test_reconnects_when_gpsd_restarts(
    reader_for: Callable[[int], tuple[GpsdReader, list[Fix]]],
) -> None:
    port = free_port()
    capture = NMEA / "beidou-gb.log"
    with gpsfake(capture, port) as play:
        reader, fixes = reader_for(port)
        play()
    first = len(fixes)
    assert first > 0
    wait_for(lambda: not reader.connected, 10, "the reader to see gpsd gone")
    with gpsfake(capture, port) as play:  # gpsd back (systemd restarts it in the field)
        play()
    wait_for(lambda: not reader.connected, 10, "the reader to read to gpsd's end")
    assert len(fixes) == 2 * first and reader.connects == 2


@needs_gpsfake
@pytest.mark.slow
def test_the_terminal_follows_gpsd_and_never_waits_for_it(
    files: TerminalFiles, make_gateway: Callable[..., Gateway]
) -> None:
    port = free_port()
    files.gpsd = f"127.0.0.1:{port}"
    gw = make_gateway(files.config())  # gpsd is not running yet: the terminal starts anyway
    assert gw.ready.is_set() and gw.last_fix is None
    capture = NMEA / "neo-m8n.log"
    with gpsfake(capture, port) as play:
        play()
    wait_for(lambda: not gw.gps.connected, 10, "the terminal to read to gpsd's end")
    fix = gw.last_fix
    assert fix is not None
    last = distinct(recorded(capture))[-1]
    assert fix.lat == pytest.approx(last[0], abs=1e-6)
    assert fix.lon == pytest.approx(last[1], abs=1e-6)
    assert gw.health().gps is not None
    started = time.monotonic()
    gw.stop()
    assert time.monotonic() - started < 5, "stopping never waits for gpsd"
