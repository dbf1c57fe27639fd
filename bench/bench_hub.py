"""Hub: orders dispatched durably with 200 and 1,000 terminals in a process of their own,
and intake-to-terminal latency, each beside a baseline from the same run.

Everything is real: Mosquitto with mutual TLS, the hub's SQLite file (WAL, synchronous=FULL),
its HTTP API served by waitress, its threads on one CPU as `liandong-hub serve` runs them
(hub/one_cpu.py). The terminals (paho clients, each answering every order with a signed
`received`) and the 110 side (signed HTTP POSTs) run in processes of their own
(bench/fleet.py), so the hub is measured, not the clients. Three runs per size, each
with a fresh hub database:

- dispatched orders/s: 1,000 incidents posted over 16 connections, each kept open between
  requests as nginx keeps its connections to the hub (hub-install/nginx/), until every order is
  stored, delivered, `received` by its terminal and that report committed; baseline: one-row
  SQLite commits per second on the same disk (WAL, synchronous=FULL);
- intake -> terminal p50/p99: one POST at a time until the terminal holds the order;
  baseline: a bare QoS 1 publish to the same terminals (the broker hop);
- CPU per order of each side over the burst (the hub, the POSTing clients, the terminals,
  the broker, from /proc), and the ceilings they set if CPU were the only limit: every
  side sharing this machine's cores with nothing else running, and the hub and broker
  alone on them (in the field the 110 side and the terminals are other machines).
"""

from __future__ import annotations

import dataclasses
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.serialization import Encoding

from bench.common import columns, commits_per_s, goal, pcts, ratios, spread, tls_broker, wait
from bench.fleet import PER_PROCESS, unit_name
from demo.broker import Broker
from hub.one_cpu import pin_to_one_cpu
from hub.registry import Registry, Unit, load_registry
from hub.runtime import Hub
from provisioning.pki import write_public
from provisioning.revocation import make_crl
from tests.hub.harness import hub_config

SIZES = (200, 1000)
RUNS = 3
ORDERS = 1000
CONCURRENCY = 16
SAMPLES = 200
KEY = bytes.fromhex("11" * 32)
CPU_SIDES = ("hub", "clients", "terminals", "broker")
CORES = os.cpu_count() or 1
ALL_CPUS = os.sched_getaffinity(0)


def _registry(n: int) -> Registry:
    """The shipped county plus `n` bench units, each the lead of its own category."""
    reg = load_registry(None)
    units = dict(reg.units)
    cats = dict(reg.categories)
    for i in range(n):
        uid = f"bench-{i:03d}"
        units[uid] = Unit(uid, f"测试单位{i}", f"Bench {i}", 1, "tier1", None, ())
        cats[uid] = dataclasses.replace(
            next(iter(reg.categories.values())), code=uid, lead_unit=uid, township_also=False
        )
    return dataclasses.replace(reg, units=units, categories=cats)


class _Lines:
    """A child process's stdout, read on a thread: `O`/`B` arrivals, and the other lines."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self.arrived: dict[str, float] = {}
        self.lines: list[list[str]] = []
        self._t = threading.Thread(target=self._read, daemon=True)
        self._t.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            parts = line.split()
            if parts and parts[0] in ("O", "B"):
                self.arrived[parts[1]] = float(parts[2])
            elif parts:
                self.lines.append(parts)

    def first(self, tag: str, timeout: float = 600) -> list[str]:
        return wait(lambda: next((p for p in self.lines if p[0] == tag), None), timeout, 0.01)


def _fleet(mode: str, *args: object) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bench.fleet", mode, *map(str, args)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )


def cpu_s(pid: int) -> float:
    """User + system CPU seconds `pid` has used (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class _Cpu:
    """CPU seconds each side used over the burst: the hub, the 110 side's POSTs, the
    terminals, the broker. On 2 cores their sum per order says whether the machine itself
    could dispatch 600 orders/s, whatever the hub did."""

    def __init__(self, pids: dict[str, list[int]]) -> None:
        self.pids = pids
        self.start = self._now()

    def _now(self) -> dict[str, float]:
        now = {side: sum(cpu_s(p) for p in pids) for side, pids in self.pids.items()}
        now["machine"] = machine_busy_s()
        now["wall"] = time.monotonic()
        return now

    def per_order_ms(self, orders: int) -> dict[str, float]:
        """Each side's CPU per order, and `others`: the cores the machine's other work
        (not the hub, the broker, the terminals; the clients' share is estimated by the
        caller) kept busy meanwhile, on average."""
        end = self._now()
        used = {side: end[side] - self.start[side] for side in end}
        ours = sum(v for k, v in used.items() if k not in ("machine", "wall"))
        out = {k: v * 1000 / orders for k, v in used.items() if k not in ("machine", "wall")}
        out["machine_busy"] = (used["machine"] - ours) / used["wall"]
        return out


def machine_busy_s() -> float:
    """CPU seconds every core of the machine spent busy since boot (/proc/stat)."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def _count(hub: Hub, metric: str, kind: str) -> float:
    return hub.metrics.registry.get_sample_value(metric, {"kind": kind}) or 0.0


def _received(hub: Hub) -> int:
    row = hub.store.one("SELECT count(*) AS n FROM orders WHERE state='received'")
    return int(row["n"]) if row else 0


class _Fleet:
    """The terminals, PER_PROCESS to a process."""

    def __init__(self, port: int, root: Path, n: int) -> None:
        self.parts = [
            _Lines(_fleet("terminals", port, root, first, min(PER_PROCESS, n - first)))
            for first in range(0, n, PER_PROCESS)
        ]

    def ready(self) -> None:
        for p in self.parts:
            p.first("READY", 300)

    def arrived(self, msg_id: str) -> float | None:
        return next((p.arrived[msg_id] for p in self.parts if msg_id in p.arrived), None)

    def stop(self) -> None:
        for p in self.parts:
            assert p.proc.stdin is not None
            p.proc.stdin.close()
        for p in self.parts:
            p.proc.wait(60)


def _one_run(
    workdir: Path, broker: Broker, test_pki: Any, units: list[str], fleet: _Fleet, run: str
) -> dict[str, float]:
    n = len(units)
    base = commits_per_s(workdir / f"commit-{run}.db")
    config = hub_config(workdir / "PKI", broker, test_pki, units, db_path=workdir / f"{run}.db")
    # A county's PKI has a CRL from `liandong-provision init` on: with it the hub checks every
    # unit's certificate once at start and stats them on the delivery thread, as it does in
    # the field; without one it would check each unit's certificate at its first report,
    # during the burst.
    write_public(
        workdir / "PKI" / "ca" / "crl.pem",
        make_crl(test_pki.ca, []).public_bytes(Encoding.PEM),
    )
    config = dataclasses.replace(config, mqtt=dataclasses.replace(config.mqtt, client_id=run))
    hub = Hub(config, registry=_registry(n))
    hub.start()
    if config.one_cpu:  # as `liandong-hub serve` does (Hub.run_forever)
        pin_to_one_cpu()
        os.sched_setaffinity(0, ALL_CPUS)  # this thread starts the other processes
    try:
        wait(hub.link.subscribed.is_set, 30)
        # The hub's start is not the burst's: a hub whose broker held no session for it (a
        # fresh one, as here) first sends every unit a signed `resync`.
        wait(lambda: _count(hub, "ld_hub_published_total", "resync") >= len(hub.delivery.units), 30)
        cpu = _Cpu(
            {
                "hub": [os.getpid()],
                "terminals": [p.proc.pid for p in fleet.parts],
                "broker": [broker.pid or 0],
            }
        )
        clients = _Lines(
            _fleet(
                "clients",
                broker.port,
                test_pki.root,
                n,
                hub.url,
                KEY.hex(),
                run,
                ORDERS,
                CONCURRENCY,
                SAMPLES,
            )
        )
        burst = clients.first("BURST")
        # Polled on the hub's counter (a scan of the orders table every few ms would be the
        # bench's load on the hub's process), then the orders table says they are committed.
        wait(lambda: _count(hub, "ld_hub_reports_total", "received") >= ORDERS, 300, 0.005)
        wait(lambda: _received(hub) >= ORDERS, 30, 0.001)
        done = time.monotonic()
        cpu_ms = cpu.per_order_ms(ORDERS)
        # the clients' process started inside the window: all its CPU is not "other work"
        others = cpu_ms.pop("machine_busy") - cpu_s(clients.proc.pid) / (done - cpu.start["wall"])
        cpu_ms["clients"] = float(burst[3]) * 1000 / ORDERS  # its burst alone, per order
        assert clients.proc.stdin is not None
        clients.proc.stdin.write("GO\n")
        clients.proc.stdin.close()
        clients.first("DONE")
        clients.proc.wait(30)
        start, posted = float(burst[1]), float(burst[2])
        lat, http = [], []
        for p in (q for q in clients.lines if q[0] == "L"):
            arrived = wait(lambda p=p: fleet.arrived(p[1]), 10, 0.005)
            lat.append((arrived - float(p[2])) * 1000)
            http.append((float(p[3]) - float(p[2])) * 1000)
        hop = [
            (wait(lambda p=p: fleet.arrived(p[1]), 10, 0.005) - float(p[2])) * 1000
            for p in clients.lines
            if p[0] == "H"
        ]
    finally:
        hub.stop()
    p50, p99 = pcts(lat)
    h50, h99 = pcts(http)
    b50, b99 = pcts(hop)
    return {
        "dispatch": ORDERS / (done - start),
        "intake": ORDERS / (posted - start),
        "commit": base,
        "p50": p50,
        "p99": p99,
        "http50": h50,
        "http99": h99,
        "hop50": b50,
        "hop99": b99,
        **{f"cpu_{side}": ms for side, ms in cpu_ms.items()},
        "others": others,
    }


def _size(workdir: Path, n: int) -> dict[str, Any]:
    test_pki, broker = tls_broker(workdir)
    units = [unit_name(i) for i in range(n)]
    for u in [*units, "bench-pub"]:
        test_pki.client(u)
    fleet = _Fleet(broker.port, test_pki.root, n)
    runs: list[dict[str, float]] = []
    try:
        fleet.ready()
        for i in range(RUNS):
            runs.append(_one_run(workdir, broker, test_pki, units, fleet, f"hub-{n}-{i}"))
    finally:
        fleet.stop()
        broker.stop()

    col = columns(runs)

    p50_ratio = ratios(col("p50"), col("hop50"))
    all_sides = [sum(r[f"cpu_{side}"] for side in CPU_SIDES) for r in runs]
    return {
        f"{n} terminals: dispatched orders/s": spread(col("dispatch"), 1),
        f"{n} terminals: one-row commits/s (baseline)": spread(col("commit"), 0),
        f"{n} terminals: dispatched / commits ratio": spread(
            ratios(col("dispatch"), col("commit")), 3
        ),
        f"{n} terminals: intake answered orders/s (burst)": spread(col("intake"), 1),
        f"{n} terminals: intake -> terminal p50 (ms)": spread(col("p50")),
        f"{n} terminals: intake -> terminal p99 (ms)": spread(col("p99")),
        f"{n} terminals: HTTP answer p50/p99 (ms, median run)": (
            f"{statistics.median(col('http50')):.2f} / {statistics.median(col('http99')):.2f}"
        ),
        f"{n} terminals: bare broker hop p50 (ms, baseline)": spread(col("hop50")),
        f"{n} terminals: bare broker hop p99 (ms, baseline)": spread(col("hop99")),
        f"{n} terminals: p50 ratio intake / hop": spread(p50_ratio, 1),
        **{
            f"{n} terminals: CPU ms per order, {side}": spread(col(f"cpu_{side}"))
            for side in CPU_SIDES
        },
        f"{n} terminals: CPU ms per order, all sides": spread(all_sides),
        f"{n} terminals: other work on the machine during the burst (cores busy)": spread(
            col("others")
        ),
        f"{n} terminals: ceiling, all sides on {CORES} idle cores (orders/s)": spread(
            [CORES * 1000 / ms for ms in all_sides], 0
        ),
        f"{n} terminals: ceiling, hub and broker alone on {CORES} cores (orders/s)": spread(
            [CORES * 1000 / (r["cpu_hub"] + r["cpu_broker"]) for r in runs], 0
        ),
        f"{n} terminals: goals": "; ".join(
            [
                goal(statistics.median(col("dispatch")) >= 600, ">= 600 orders/s")
                if n == 1000
                else "orders/s goal is set at 1,000 terminals",
                goal(statistics.median(col("p99")) <= 20, "p99 <= 20 ms"),
                goal(statistics.median(p50_ratio) <= 10, "p50 <= 10x hop"),
            ]
        ),
    }


def run(workdir: Path) -> dict[str, Any]:
    figures: dict[str, Any] = {
        "runs": RUNS,
        "orders per run": ORDERS,
        "POST connections": CONCURRENCY,
    }
    for n in SIZES:
        figures.update(_size(workdir / f"n{n}", n))
    return figures
