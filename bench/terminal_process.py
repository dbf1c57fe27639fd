"""One terminal process started the way its systemd unit starts it, and its memory read at
READY=1 and again at the steady state a duty room runs at (bench_gateway's figures).

READY=1 alone flatters the terminal: what it imports at its first slip, or the kiosk at its
first page, stays in the process from then on. So after READY=1 and the idle window, the
bench hands the process one order (published by a hub client over the real broker), waits
until the slip is on the paper file, has the kiosk page fetched as the duty room's browser
does, and reads VmRSS again.
"""

from __future__ import annotations

import os
import shlex
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import msgspec
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from bench.orders import sample_order
from provisioning import pki
from wire import Signer, encode, topics
from wire.clock import SystemClock
from wire.tls import client_context

UNIT_FILE = (
    Path(__file__).resolve().parent.parent / "firmware-config/systemd/liandong-gateway.service"
)
IDLE_S = 5.0
SETTLE_S = 3.0
"""After the slip is on paper and the page served: what the first order started settles."""


def unit_environment(unit_file: Path = UNIT_FILE) -> dict[str, str]:
    """The `Environment=` of the shipped systemd unit, so the bench runs what a Pi runs
    (a change there, such as a malloc setting, shows in the figures without touching the
    bench). The pin factory is the one thing overridden: this machine has no GPIO."""
    env: dict[str, str] = {}
    for raw in unit_file.read_text(encoding="utf-8").splitlines():
        key, sep, value = raw.strip().partition("=")
        if sep and key.strip() == "Environment":
            for item in shlex.split(value):
                name, _, val = item.partition("=")
                env[name] = val
    return {**env, "GPIOZERO_PIN_FACTORY": "mock"}


def proc_stat(pid: int) -> tuple[float, int, int]:
    """(CPU seconds, VmRSS KiB, RssAnon KiB) of a process, from /proc.

    VmRSS also counts the pages of shared libraries the process has mapped, and how many
    of those the kernel maps around each fault depends on the page cache: the same bare
    client measured 33.4 MiB in one session and 32.3 MiB in another on this machine
    (cryptography's Rust library 7.9 against 6.7 MiB), reading the files beforehand did
    not bring it back. RssAnon (heap, Python's objects, stacks) does not depend on it."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    status = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    return cpu, int(status["VmRSS"].split()[0]), int(status["RssAnon"].split()[0])


@dataclass(frozen=True)
class Sample:
    """One process: seconds to ready, MiB at ready, idle CPU %, MiB at the steady state;
    anonymous MiB (RssAnon) at ready and at the steady state."""

    ready_s: float
    rss_ready: float
    cpu_idle: float
    rss_steady: float | None = None
    anon_ready: float = 0.0
    anon_steady: float | None = None


def measure(
    cmd: list[str],
    root: Path,
    *,
    env: dict[str, str],
    notify_ready: bool,
    steady: Callable[[], None] | None = None,
) -> Sample:
    """Start `cmd` in `root`; ready is READY=1 on a NOTIFY_SOCKET, or a line READY on
    stdout. With `steady`, it is called after the idle window and RSS read again."""
    sock_path = root / "notify.sock"
    sock_path.unlink(missing_ok=True)
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(sock_path))
    notify.settimeout(30)
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        cmd,
        env={**os.environ, **env, "NOTIFY_SOCKET": str(sock_path)},
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        if notify_ready:
            while not notify.recv(4096).startswith(b"READY=1"):
                pass
        else:
            assert proc.stdout is not None
            while proc.stdout.readline().strip() != b"READY":
                pass
        ready = time.perf_counter() - t0
        time.sleep(2)
        cpu0, _, _ = proc_stat(proc.pid)
        time.sleep(IDLE_S)
        cpu1, rss, anon = proc_stat(proc.pid)
        after: tuple[float, int, int] | None = None
        if steady is not None:
            steady()
            time.sleep(SETTLE_S)
            after = proc_stat(proc.pid)
    finally:
        proc.terminate()
        proc.wait(15)
        notify.close()
    return Sample(
        ready,
        rss / 1024,
        (cpu1 - cpu0) / IDLE_S * 100,
        after[1] / 1024 if after else None,
        anon / 1024,
        after[2] / 1024 if after else None,
    )


class Dispatcher:
    """A hub stand-in on the real broker: signs an order with the hub's dispatch key and
    publishes it to the unit, as the hub does, so the terminal alarms and prints it."""

    def __init__(
        self, ca: Path, cert: Path, key: Path, port: int, dispatch_key: Path, county: str
    ) -> None:
        self.signer = Signer(pki.load_key(dispatch_key))
        self.county = county
        self.sent = 0
        c = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id="bench-dispatch", protocol=mqtt.MQTTv5
        )
        c.tls_set_context(client_context(ca, cert, key))
        c.connect("127.0.0.1", port)
        c.loop_start()
        self.client = c

    def first_order(self, unit: str, paper: Path, kiosk: str | None) -> Callable[[], None]:
        """The steady-state step for one process: a new order until its slip is on
        `paper` (the terminal may still be subscribing: resent every 2 s, the same order,
        so it prints once), then the kiosk's page fetched, as the duty room's screen does."""

        def step() -> None:
            self.sent += 1
            now = SystemClock().now()
            order = msgspec.structs.replace(
                sample_order(now), order_id=f"01JBENCHORDER{self.sent:011d}"
            )
            _, raw = encode("order", unit, order, self.signer, at=now)
            size = paper.stat().st_size if paper.exists() else 0
            end = time.monotonic() + 30
            while time.monotonic() < end:
                self.client.publish(topics.down(self.county, unit), raw, qos=1)
                resend = time.monotonic() + 2
                while time.monotonic() < resend:
                    if paper.exists() and paper.stat().st_size > size:
                        break
                    time.sleep(0.05)
                else:
                    continue
                break
            else:
                raise TimeoutError("the terminal did not print the order in 30 s")
            if kiosk is not None:
                with urllib.request.urlopen(kiosk, timeout=10) as page:  # noqa: S310 (http, ours)
                    assert page.status == 200, page.status
                    page.read()

        return step

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
