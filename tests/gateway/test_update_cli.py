"""The real `liandong-gateway run` with LIANDONG_SLOTS, as systemd's slots drop-in starts it:
the hub's signed `update` command arrives over the broker, the terminal downloads the
bundle over HTTP, builds the other slot with the production settings (a virtualenv with its
own pip and the system site packages, `liandong[gateway]==V` from the bundle only), switches
and exits 75, the code systemd restarts it on; the boot check then starts the new slot."""

from __future__ import annotations

import functools
import os
import socket
import subprocess
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from demo.broker import Broker
from gateway.update.slots import main as bootcheck
from provisioning import pki
from tests.fleet.terminal_kit import Kit, make_kit
from tests.gateway.conftest import Hub, TerminalFiles
from tests.gateway.test_power_cut import CLI, _notifications
from wire.kinds import CommandBody

pytestmark = [pytest.mark.broker, pytest.mark.slow]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    folder = tmp_path / "www"
    folder.mkdir()
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield folder, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def notify_socket(tmp_path: Path) -> Iterator[socket.socket]:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(str(tmp_path / "notify.sock"))
    s.settimeout(30)
    yield s
    s.close()


def test_run_switches_slots_and_exits_for_systemd(
    files: TerminalFiles,
    broker: Broker,
    hub: Hub,
    notify_socket: socket.socket,
    served: tuple[Path, str],
    tmp_path: Path,
) -> None:
    kit: Kit = make_kit(tmp_path / "disk")
    files.broker_port = broker.port
    config = files.write()
    (files.root / "release.pub").write_bytes(pki.public_pem(kit.key._key.public_key()))
    bundle = kit.bundle("9.9.0")
    (served[0] / bundle.name).write_bytes(bundle.read_bytes())
    offer = kit.offer(bundle, "9.9.0")
    offer = type(offer)(
        version=offer.version, url=f"{served[1]}/{bundle.name}", sha256=offer.sha256,
        size=offer.size,
    )  # fmt: skip
    env = {
        **os.environ,
        "GPIOZERO_PIN_FACTORY": "mock",
        "NOTIFY_SOCKET": notify_socket.getsockname(),
        "LIANDONG_SLOTS": str(kit.root),
    }
    log = tmp_path / "gateway.log"
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [str(CLI), "run", "--config", str(config)], env=env, stdout=out,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        _notifications(notify_socket, "READY=1")
        assert hub.wait_kind("state", 10)["body"]["status"] == "online"
        hub.send("command", CommandBody(command="update", update=offer))
        assert proc.wait(120) == 75, log.read_text(errors="replace")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert kit.slots.active() == "b"
    assert (kit.root / "b" / "bin" / "pip").exists()  # the new slot can install the next one
    assert bootcheck(["check", str(kit.root)]) == 0  # systemd's ExecStartPre
    assert kit.run_current().stdout.strip() == "9.9.0"  # then its ExecStart
    assert "restarting for an update: switched to 9.9.0" in log.read_text(errors="replace")
