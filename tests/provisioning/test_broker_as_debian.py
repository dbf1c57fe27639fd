"""The twin of the broker tests: the generated configuration run exactly as written.

Every other broker test generates the config with `--run-as` the current user, so that a
broker started as root keeps reading keys in a private temp folder. Here nothing is
rewritten: `liandong-provision broker-config` with its defaults (`user mosquitto`), run as
root the way Debian's systemd unit starts Mosquitto, in a folder outside root's private
temp tree (as /srv would be). The ACL and refusals are then checked with Mosquitto's own
clients, mosquitto_sub and mosquitto_pub, not with our paho code.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from demo.broker import Broker, free_port
from provisioning.cli import main
from tests.provisioning.conftest import COUNTY

pytestmark = [
    pytest.mark.broker,
    pytest.mark.skipif(
        os.geteuid() != 0,
        reason="Mosquitto drops to `user mosquitto` only when started as root; run as root "
        "(CI does) to test the generated config unchanged",
    ),
]
BASE = f"ld/v1/{COUNTY}"


def cli(*args: str) -> str:
    done = CliRunner().invoke(main, list(args))
    assert done.exit_code == 0, done.output
    return done.output


@pytest.fixture
def site() -> Iterator[Path]:
    """A PKI folder the mosquitto user can reach, as /srv/liandong would be."""
    try:
        pwd.getpwnam("mosquitto")
    except KeyError:
        pytest.fail("no mosquitto user: apt-get install mosquitto (make pytest does)")
    for tool in ("mosquitto_sub", "mosquitto_pub"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is missing: apt-get install mosquitto-clients (make pytest does)")
    root = Path(tempfile.mkdtemp(prefix="ld-site-"))
    root.chmod(0o755)
    pki = root / "pki"
    cli("init", "--county", COUNTY, "--dir", str(pki))
    for unit in ("power-co", "water-co"):
        cli("enroll", unit, "--dir", str(pki))
    yield pki
    shutil.rmtree(root)


@pytest.fixture
def debian_broker(request: pytest.FixtureRequest, site: Path) -> Iterator[Broker]:
    port = free_port()
    out = site / "broker"
    cli("broker-config", "--dir", str(site), "--out", str(out), "--port", str(port))
    conf = out / "mosquitto.conf"
    assert "user mosquitto\n" in conf.read_text()
    broker = Broker(conf, port, site.parent / "mosquitto.log")
    broker.start()
    yield broker
    broker.stop()
    rep = getattr(request.node, "rep_call", None)
    if rep is not None and rep.failed:
        print(f"\n----- mosquitto log -----\n{broker.read_log()}")


def tls_args(broker: Broker, pki: Path, who: str | None) -> list[str]:
    args = ["-h", "127.0.0.1", "-p", str(broker.port), "-V", "mqttv5", "--cafile"]
    args.append(str(pki / "ca" / "ca.crt"))
    if who == "hub":
        args += ["--cert", str(pki / "hub" / "hub.crt"), "--key", str(pki / "hub" / "hub.key")]
    elif who is not None:
        unit = pki / "units" / who
        args += ["--cert", str(unit / "unit.crt"), "--key", str(unit / "unit.key")]
    if who is not None:
        args += ["-i", who]
    return args


def subscriber(broker: Broker, pki: Path, who: str, topic: str) -> subprocess.Popen[str]:
    """mosquitto_sub printing `topic payload` for the first message, or nothing in 5 s."""
    once = ["-t", topic, "-q", "1", "-C", "1", "-W", "5", "-v"]
    return subprocess.Popen(
        ["mosquitto_sub", *tls_args(broker, pki, who), *once],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def publish(broker: Broker, pki: Path, who: str | None, topic: str, payload: str) -> int:
    done = subprocess.run(
        ["mosquitto_pub", *tls_args(broker, pki, who), "-t", topic, "-q", "1", "-m", payload],
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    return done.returncode


def publish_until_read(
    broker: Broker, pki: Path, who: str, topic: str, reader: subprocess.Popen[str]
) -> str:
    """Publish every 0.3 s until `reader` (which may still be subscribing) got a message."""
    deadline = time.monotonic() + 8
    while reader.poll() is None and time.monotonic() < deadline:
        assert publish(broker, pki, who, topic, "order") == 0
        time.sleep(0.3)
    out, _ = reader.communicate(timeout=10)
    return out


def test_broker_runs_as_mosquitto_from_the_generated_config(
    debian_broker: Broker, site: Path
) -> None:
    status = Path(f"/proc/{debian_broker.pid}/status").read_text()
    uid = next(line.split()[1] for line in status.splitlines() if line.startswith("Uid:"))
    assert int(uid) == pwd.getpwnam("mosquitto").pw_uid
    assert "Permission denied" not in debian_broker.read_log()


def test_unit_reads_its_own_orders_not_another_units(debian_broker: Broker, site: Path) -> None:
    owner = subscriber(debian_broker, site, "power-co", f"{BASE}/power-co/down")
    spy = subscriber(debian_broker, site, "water-co", f"{BASE}/power-co/down")
    out = publish_until_read(debian_broker, site, "hub", f"{BASE}/power-co/down", owner)
    assert out.strip() == f"{BASE}/power-co/down order"
    spy_out, _ = spy.communicate(timeout=10)
    assert "order" not in spy_out


def test_unit_cannot_forge_another_units_report(debian_broker: Broker, site: Path) -> None:
    hub = subscriber(debian_broker, site, "hub", f"{BASE}/+/up")
    deadline = time.monotonic() + 8
    while hub.poll() is None and time.monotonic() < deadline:
        publish(debian_broker, site, "water-co", f"{BASE}/power-co/up", "forged")
        publish(debian_broker, site, "water-co", f"{BASE}/water-co/up", "own")
        time.sleep(0.3)
    out, _ = hub.communicate(timeout=10)
    assert out.strip() == f"{BASE}/water-co/up own"  # the control arrives, never the forgery


def test_client_without_certificate_is_refused(debian_broker: Broker, site: Path) -> None:
    assert publish(debian_broker, site, None, f"{BASE}/power-co/up", "anon") != 0
    assert publish(debian_broker, site, "power-co", f"{BASE}/power-co/up", "control") == 0


def test_revoked_unit_is_refused_after_reload(debian_broker: Broker, site: Path) -> None:
    cli("revoke", "water-co", "--dir", str(site))
    debian_broker.reload()  # re-reads the CRL, now as the mosquitto user
    deadline = time.monotonic() + 5
    while publish(debian_broker, site, "water-co", f"{BASE}/water-co/up", "x") == 0:
        assert time.monotonic() < deadline, "revoked unit still accepted after reload"
        time.sleep(0.2)
    assert publish(debian_broker, site, "power-co", f"{BASE}/power-co/up", "control") == 0


def test_persistence_is_written_by_the_broker(debian_broker: Broker, site: Path) -> None:
    debian_broker.stop()  # saves the in-memory database into the data folder
    saved = site / "broker" / "data" / "mosquitto.db"
    assert saved.exists()
    assert saved.stat().st_uid == pwd.getpwnam("mosquitto").pw_uid
