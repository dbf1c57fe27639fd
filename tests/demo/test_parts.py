"""The demo's own small parts: the scaled clock, the network relay that cuts, the vehicle."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from demo.__main__ import parse_args
from demo.clock import ScaledClock, next_beijing
from demo.netcut import NetCut
from demo.vehicle import Vehicle
from gateway.devices.gps import NmeaParser
from wire.clock import FakeClock
from wire.geo import distance_m


class Monotonic:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def test_scaled_clock_runs_speed_times_faster_and_changes_pace_without_a_jump() -> None:
    mono = Monotonic()
    start = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)
    clock = ScaledClock(60, start=start, monotonic=mono)
    assert clock.now() == start
    mono.t += 3.0
    assert clock.now() == start + timedelta(minutes=3)
    clock.set_speed(1)
    assert clock.now() == start + timedelta(minutes=3)
    mono.t += 3.0
    assert clock.now() == start + timedelta(minutes=3, seconds=3)
    assert clock.real_seconds(60) == 60
    with pytest.raises(ValueError):
        ScaledClock(0)
    with pytest.raises(ValueError):
        ScaledClock(2, start=datetime(2026, 1, 1))


def test_county_start_is_the_next_beijing_hh_mm_never_the_past() -> None:
    # 2026-12-05 16:10 UTC is 00:10 Beijing on the 6th
    now = datetime(2026, 12, 5, 16, 10, tzinfo=UTC)
    assert next_beijing(0, 5, now) == datetime(2026, 12, 6, 16, 5, tzinfo=UTC)
    assert next_beijing(0, 10, now) == now
    assert next_beijing(23, 55, now) == datetime(2026, 12, 6, 15, 55, tzinfo=UTC)
    assert parse_args(["--county-start", "23:55"]).county_start == (23, 55)
    for bad in ("24:00", "7", "ab:cd", "12:60"):
        with pytest.raises(SystemExit):
            parse_args(["--county-start", bad])


@pytest.fixture
def echo() -> Iterator[int]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)

    def serve() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return

            def pump(c: socket.socket) -> None:
                with c:
                    while data := c.recv(4096):
                        c.sendall(data)

            threading.Thread(target=pump, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield int(server.getsockname()[1])
    server.shutdown(socket.SHUT_RDWR)
    server.close()
    thread.join(5)


def _roundtrip(port: int) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=3) as s:
        s.sendall(b"ping")
        return s.recv(16)


def test_netcut_relays_cuts_open_connections_refuses_new_ones_and_restores(echo: int) -> None:
    relay = NetCut(("127.0.0.1", echo)).start()
    try:
        assert _roundtrip(relay.port) == b"ping"
        held = socket.create_connection(("127.0.0.1", relay.port), timeout=3)
        held.sendall(b"one")
        assert held.recv(16) == b"one"
        relay.cut()
        assert relay.is_cut
        # The open connection is gone ...
        deadline = time.monotonic() + 3
        gone = False
        while not gone and time.monotonic() < deadline:
            try:
                gone = held.recv(16) == b""
            except OSError:
                gone = True
        assert gone
        held.close()
        # ... and a new one is reset before anything passes.
        with pytest.raises(OSError):
            got = _roundtrip(relay.port)
            if not got:
                raise ConnectionResetError("closed")
        relay.restore()
        assert _roundtrip(relay.port) == b"ping"
    finally:
        relay.close()
    assert not [t for t in threading.enumerate() if t.name.startswith("netcut")]


def test_vehicle_drives_to_the_scene_and_its_nmea_gives_the_terminal_that_position() -> None:
    clock = FakeClock(datetime(2026, 11, 28, 1, 0, tzinfo=UTC))
    base, scene = (24.690, 101.640), (24.700, 101.650)
    car = Vehicle(base, clock)
    parser = NmeaParser(clock)
    fixes = [parser.feed(line) for line in car.sentences().split("\r\n") if line]
    assert all(f is not None and distance_m(f.lat, f.lon, *base) < 1 for f in fixes)
    car.drive_to(scene, speed_mps=10.0)
    metres = distance_m(*base, *scene)
    clock.advance(metres / 10 / 2)
    assert car.moving()
    half = parser.feed(car.sentences().split("\r\n")[0])
    assert half is not None
    assert abs(distance_m(half.lat, half.lon, *base) - metres / 2) < 20
    clock.advance(metres / 10)
    assert not car.moving() and car.at(scene)
    end = parser.feed(car.sentences().split("\r\n")[1])
    assert end is not None and distance_m(end.lat, end.lon, *scene) < 1


def test_paper_is_the_decoded_text_with_a_line_at_each_cut() -> None:
    from demo.fleet import paper

    raw = (
        b"\x1b@\x1c&"
        + "社会应急联动指令单\n地址：妥甸镇东街12号\n".encode("gb18030")
        + b"\x1bd\x06\x1dV\x00"
        + "取消单\n".encode("gb18030")
        + b"\x1dVB\x00"
    )
    text = paper(raw, "gb18030")
    assert text.count("✂") == 2
    assert text.startswith("社会应急联动指令单\n地址：妥甸镇东街12号\n")
    assert "取消单" in text.split("✂")[1]


def test_the_demo_enrolls_each_terminal_with_its_chinese_name(tmp_path: Path) -> None:
    """The demo's kiosks show 云南电网双柏供电局, not `power-co` (gateway.toml [unit] name)."""
    from demo.fleet import Fleet
    from hub.registry import load_registry

    fleet = Fleet(["power-co"], load_registry(None), FakeClock(), tmp_path / "paper")
    try:
        assert fleet.options("power-co").unit_name == "云南电网双柏供电局"
    finally:
        fleet.stop()
