"""`liandong-hub serve` as a real process, killed with -9 mid-flight, then restarted."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import urllib.request
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from demo.broker import Broker, free_port
from hub.config import load_config
from hub.runtime import Hub
from tests.hub.conftest import KEY, SOURCE, incident_data
from tests.hub.harness import Terminal, hub_config
from tests.support.intake import intake_request
from tests.support.pki import ThrowawayPKI
from tests.support.wait import wait_for
from wire import kinds as k
from wire.clock import FakeClock, SystemClock
from wire.signing import Signer

pytestmark = [pytest.mark.broker, pytest.mark.slow]


def _write_toml(root: Path, broker: Broker, test_pki: ThrowawayPKI, port: int) -> Path:
    hub_config(root, broker, test_pki, ["power-co"])  # lays out the PKI folder
    hub_cert, hub_key = test_pki.client("hub")
    toml = root / "hub" / "hub.toml"
    toml.write_text(
        f"""[county]
id = "shuangbai"
registry = ""

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
"""
    )
    return toml


def _post(url: str, data: dict[str, object]) -> tuple[int, Any]:
    with urllib.request.urlopen(intake_request(url, SOURCE, KEY, data), timeout=5) as r:  # noqa: S310
        return r.status, json.loads(r.read())


def serve(toml: Path, url: str) -> subprocess.Popen[bytes]:
    """`liandong-hub serve --config TOML` as a real process, once it answers /healthz
    (killed if it never does)."""
    exe = Path(sys.executable).with_name("liandong-hub")
    proc = subprocess.Popen([str(exe), "serve", "--config", str(toml)], start_new_session=True)
    try:
        wait_for(lambda: _healthy(url), timeout=15, what="hub serving")
    except BaseException:
        kill(proc)
        raise
    return proc


def kill(proc: subprocess.Popen[bytes]) -> None:
    """kill -9 the hub's whole process group (if it still runs) and reap it."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/healthz", timeout=1) as r:  # noqa: S310
            return bool(r.status == 200)
    except OSError:
        return False


def test_kill_9_with_open_deadlines_then_restart(
    tmp_path: Path, broker: Broker, test_pki: ThrowawayPKI
) -> None:
    root = tmp_path / "PKI"
    port = free_port()
    toml = _write_toml(root, broker, test_pki, port)
    url = f"http://127.0.0.1:{port}"
    proc = serve(toml, url)
    try:
        # reported now: the hub runs on the real clock and refuses a call 30 days old
        status, incident = _post(url, incident_data(reported_at=SystemClock().now().isoformat()))
        assert status == 201
        order_id = incident["orders"][0]["id"]
        db = root / "hub" / "hub.sqlite3"
        wait_for(  # the hub's MQTT link is up and has published the order
            lambda: (
                sqlite3.connect(db)
                .execute("SELECT attempts FROM outbox WHERE order_id=?", (order_id,))
                .fetchone()[0]
                > 0
            ),
            timeout=10,
            what="order published",
        )
    finally:
        kill(proc)

    # While the hub is dead, the duty room acknowledges; the broker keeps it for the hub.
    clock = SystemClock()
    dispatch = Signer.from_pem((root / "hub" / "dispatch.key").read_bytes())
    term = Terminal(broker, test_pki, "power-co", dispatch, clock)
    try:
        ack_id = term.send("ack", k.AckBody(order_id=order_id))
        with sqlite3.connect(db) as conn:
            open_deadlines = conn.execute(
                "SELECT count(*) FROM deadlines WHERE fired_at IS NULL AND met_at IS NULL"
            ).fetchone()[0]
            assert open_deadlines == 4
            assert conn.execute("SELECT count(*) FROM incidents").fetchone()[0] == 1

        # An hour later the hub starts again (in-process, on a clock an hour ahead).
        later = FakeClock(clock.now() + timedelta(hours=1))
        hub = Hub(load_config(toml), clock=later)
        hub.start()
        try:
            order = wait_for(
                lambda: (o := hub.desk.order(order_id)).state == "acknowledged" and o,
                timeout=10,
                what="queued ack applied after restart",
            )
            assert ack_id in term.receipt_ids()
            # receive, ack and arrive fell due while it was down: fired at start, late...
            fired = hub.store.query(
                "SELECT name, fired_late FROM deadlines WHERE fired_at NOT NULL"
            )
            assert {(r["name"], r["fired_late"]) for r in fired} == {
                ("receive", 1),
                ("ack", 1),
                ("arrive", 1),
            }
            # ...but the ack was pressed in time (its signed `at`), so only arrival is missed.
            assert order.overdue == ["arrive"]
            timeline = hub.desk.incident(order.incident_id).timeline
            met = [e.detail["deadline"] for e in timeline if e.type == "deadline_met_in_time"]
            assert sorted(met) == ["ack", "receive"]
        finally:
            hub.stop()
    finally:
        term.close()
