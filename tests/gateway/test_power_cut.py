"""kill -9 between storing an order and printing it: the real `liandong-gateway run`
process, a printer that is offline, SIGKILL, restart with the printer back. The order
must print and alarm again; systemd is told READY=1 through a real NOTIFY_SOCKET."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from demo.broker import Broker, free_port
from gateway.devices.simulators import PrinterSimulator
from tests.gateway.conftest import Hub, TerminalFiles, order_body
from tests.support.wait import wait_for

pytestmark = [pytest.mark.broker, pytest.mark.slow]

CLI = Path(sys.executable).parent / "liandong-gateway"


@pytest.fixture
def notify_socket(tmp_path: Path) -> Iterator[socket.socket]:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(str(tmp_path / "notify.sock"))
    s.settimeout(15)
    yield s
    s.close()


def _start(config: Path, notify: socket.socket, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "GPIOZERO_PIN_FACTORY": "mock",
        "NOTIFY_SOCKET": notify.getsockname(),
        "WATCHDOG_USEC": "2000000",
    }
    with log.open("ab") as out:
        return subprocess.Popen(
            [str(CLI), "run", "--config", str(config)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _notifications(notify: socket.socket, until: str) -> list[str]:
    got: list[str] = []
    while True:
        msg = notify.recv(4096).decode()
        got.append(msg)
        if msg.startswith(until):
            return got


def _status(port: int) -> dict[str, Any]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/status.json", timeout=2) as r:
        return json.loads(r.read())  # type: ignore[no-any-return]


def test_killed_between_storing_and_printing(
    files: TerminalFiles, broker: Broker, hub: Hub, notify_socket: socket.socket, tmp_path: Path
) -> None:
    printer = PrinterSimulator().start()
    printer_port = printer.port
    printer.stop()  # the printer is switched off
    kiosk = free_port()
    files.printer_url = f"socket://127.0.0.1:{printer_port}"
    files.broker_port = broker.port
    files.kiosk = f"127.0.0.1:{kiosk}"
    config = files.write()
    log = tmp_path / "gateway.log"
    proc = _start(config, notify_socket, log)
    try:
        assert _notifications(notify_socket, "READY=1")[-1].startswith("READY=1")
        assert hub.wait_kind("state", 10)["body"]["status"] == "online"
        hub.send("order", order_body(now=datetime.now().astimezone()))
        assert hub.wait_kind("received", 10)["body"]["order_id"] == "01JORDER0000000000000001"
        wait_for(lambda: _status(kiosk)["alarm"]["active"], 5, "the alarm")
        assert _status(kiosk)["printer"]["unprinted"] == 1
        proc.send_signal(signal.SIGKILL)
        proc.wait(5)
        assert hub.wait_kind("state", 30)["body"]["status"] == "offline"  # the will
        printer = PrinterSimulator(port=printer_port).start()  # switched back on
        proc = _start(config, notify_socket, log)
        _notifications(notify_socket, "READY=1")
        wait_for(lambda: "社会应急联动指令单" in printer.text(), 10, "the slip after restart")
        status = _status(kiosk)
        assert status["alarm"]["active"] and status["orders"][0]["stage"] == "received"
        assert "WATCHDOG=1" in _notifications(notify_socket, "WATCHDOG=1")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(15) == 0
        assert "STOPPING=1" in _notifications(notify_socket, "STOPPING=1")
        assert printer.text().count("社会应急联动指令单") == 1
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        printer.stop()
        if sys.exc_info()[0] is not None:
            print(log.read_text(errors="replace"))
