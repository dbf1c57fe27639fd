"""`liandong-hub serve` as a real process, killed with -9 while its SMS sender is stuck in
the middle of talking to the modem; restarted, it sends every queued message exactly once.

The registry is Shuangbai's with receive and ack figures of 1 and 2 seconds (every figure
is county config), so the deadlines fall due on the real clock within the test."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from demo.broker import Broker, free_port
from demo.modem import ModemSimulator
from hub.registry import default_registry_path
from tests.hub.alerts.conftest import messages, notify_settings, open_service
from tests.hub.conftest import incident_data
from tests.hub.harness import hub_config
from tests.hub.test_kill import _healthy, _post
from tests.support.pki import ThrowawayPKI
from tests.support.wait import wait_for
from wire.clock import FakeClock, SystemClock

pytestmark = [pytest.mark.broker, pytest.mark.slow]


def _toml(root: Path, broker: Broker, test_pki: ThrowawayPKI, port: int, modem: str) -> Path:
    hub_config(root, broker, test_pki, ["power-co"])  # lays out the PKI folder
    hub_cert, hub_key = test_pki.client("hub")
    text = default_registry_path().read_text(encoding="utf-8")
    text = re.sub(r"(?m)^receive_s = \d+", "receive_s = 1", text)
    text = re.sub(r"(?m)^ack_s = \d+", "ack_s = 2", text)
    (root / "hub" / "registry.toml").write_text(text, encoding="utf-8")
    toml = root / "hub" / "hub.toml"
    toml.write_text(
        f"""[county]
id = "shuangbai"
registry = "registry.toml"

[mqtt]
host = "127.0.0.1"
port = {broker.port}
ca = "{test_pki.ca_path}"
cert = "{hub_cert}"
key = "{hub_key}"

[signing]
dispatch_key = "dispatch.key"

[pki]
dir = ".."
intake_keys = "intake-keys.toml"

[http]
listen = "127.0.0.1:{port}"

[store]
path = "hub.sqlite3"

[notify]
channel = "modem"
retry_first_s = 1
retry_max_s = 2

[notify.modem]
port = "{modem}"
command_timeout_s = 30
"""
    )
    return toml


def _rows(db: Path) -> list[tuple[str, str, int]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(
            "SELECT kind, state, attempts FROM notifications ORDER BY id"
        ).fetchall()
    finally:
        conn.close()


def test_kill_9_mid_send_then_restart_sends_each_message_once(
    tmp_path: Path, broker: Broker, test_pki: ThrowawayPKI, sim: ModemSimulator
) -> None:
    root = tmp_path / "PKI"
    port = free_port()
    toml = _toml(root, broker, test_pki, port, sim.path)
    db = root / "hub" / "hub.sqlite3"
    url = f"http://127.0.0.1:{port}"
    sim.state.silent = True  # the modem hangs: the sender waits in the middle of a send
    exe = Path(sys.executable).with_name("liandong-hub")
    proc = subprocess.Popen([str(exe), "serve", "--config", str(toml)], start_new_session=True)
    try:
        wait_for(lambda: _healthy(url), timeout=15, what="hub serving")
        status, _ = _post(url, incident_data(reported_at=SystemClock().now().isoformat()))
        assert status == 201
        wait_for(  # receive (1 s) and ack (2 s) missed: two rows; the first one being sent
            lambda: (
                db.exists()
                and [(k, s, n) for k, s, n in _rows(db)]
                == [("receive", "pending", 1), ("ack", "pending", 0)]
            ),
            timeout=15,
            what="two SMS queued, the first attempt under way",
        )
        assert sim.state.commands[:1] == ["ATE0"]  # the hub is waiting for the modem
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)
    assert sim.state.taken == []

    sim.state.silent = False
    proc = subprocess.Popen([str(exe), "serve", "--config", str(toml)], start_new_session=True)
    try:  # restarted, the hub sends what was queued once its back-offs (1 s, 2 s) are over
        wait_for(
            lambda: [s for _, s, _ in _rows(db)] == ["sent", "sent"],
            timeout=20,
            what="both SMS sent after the restart",
        )
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        assert proc.wait(20) == 0
    later = FakeClock(SystemClock().now() + timedelta(minutes=5))  # past every back-off
    # started once more, the hub has nothing left to send
    again = open_service(db, later, notify_settings(sim))
    try:
        sender = again.parts.sms_sender()
        assert sender is not None
        sender.step()
        sender.channel.close()
    finally:
        again.store.close()
    got = messages(sim)
    assert [n for n, _ in got] == ["08787710026", "08787710026"]  # once each, not twice
    texts = " ".join(t for _, t in got)
    assert "未送达终端（时限1秒）" in texts and "未签收（时限2秒）" in texts
